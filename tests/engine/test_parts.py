"""Independent sub-nights: the split is right and solving them on workers changes nothing."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date

import pytest

from engine import Status, check_allocation, solve
from engine.parts import independent_parts
from scenarios.generate import SiteParameters, generate_district
from scenarios.loader import parse_scenario
from scenarios.mapping import to_instance
from tests.engine.builders import household, instance, request, space


def _district(compounds: int = 7):
    site = SiteParameters(
        buildings=4, marked_spaces=30, street_spaces=6, households_without_space=20, second_cars=5
    )
    return to_instance(
        parse_scenario(generate_district(4, date(2026, 12, 1), compounds=compounds, site=site))
    )


def test_compounds_linked_by_a_shared_space_stay_together():
    # L serves A and B; M serves C alone: two parts, {A, B} and {C}.
    night = instance(
        [space("L", compounds={"A", "B"}), space("M", compounds={"C"})],
        [household("a", compound="A"), household("b", compound="B"), household("c", compound="C")],
        [request("ra", "a"), request("rb", "b"), request("rc", "c")],
    )
    parts = independent_parts(night)
    assert [sorted(r.id for r in part.requests) for part in parts] == [["ra", "rb"], ["rc"]]


def test_a_space_open_to_all_keeps_the_night_whole():
    night = instance(
        [space("L"), space("M", compounds={"C"})],
        [household("a", compound="A"), household("c", compound="C")],
        [request("ra", "a")],
    )
    assert independent_parts(night) == [night]


@pytest.mark.parametrize("executor_type", [ThreadPoolExecutor, ProcessPoolExecutor])
def test_solving_the_parts_on_workers_gives_the_same_night(executor_type):
    night = _district()
    assert len(independent_parts(night)) > 1
    alone = solve(night)
    with executor_type(max_workers=2) as executor:
        spread = solve(night, executor=executor)
    assert spread.status is Status.OPTIMAL
    assert spread.objective == alone.objective
    assert spread.assignments == alone.assignments
    assert spread.unassigned == alone.unassigned
    assert spread.bound_by_priority == alone.bound_by_priority
    assert check_allocation(night, spread) == []


def test_the_same_night_on_a_dask_cluster():
    distributed = pytest.importorskip("distributed")
    night = _district(5)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        spread = solve(night, executor=client.get_executor())
    assert spread.stats["parts"] > 1
    assert spread.objective == solve(night).objective
    assert check_allocation(night, spread) == []
