"""Night-after-night runs: supply, fairness, common random numbers, determinism."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simulation.run as run_module
from engine import solve
from scenarios.calibration import load_calibration
from simulation.run import plan_problems, plan_spaces, simulate_run
from tests.simulation.sites import (
    EVERY_NIGHT,
    bundled_plan,
    identical_households_site,
    laiyang,
    street_plan,
    with_street_spaces,
)

CALIBRATION = load_calibration()


def served(run) -> np.ndarray:
    return np.array([row["served"] for row in run.rows])


@pytest.fixture(scope="module")
def compound():
    return laiyang()


def test_a_plan_that_doubles_the_street_never_serves_fewer(compound):
    # Each household asks for at most one car and every space takes one stay a night, so the
    # servable sets form a matroid: the lexicographic optimum is also a largest allocation, and
    # a largest allocation cannot shrink when spaces are added, whatever the history.
    site, model = compound
    voted = bundled_plan("laiyang-voted")
    doubled = with_street_spaces(voted, 202, "doubled street")
    base, more = (
        simulate_run(site, plan, model, CALIBRATION, nights=14, seed=3) for plan in (voted, doubled)
    )
    assert all(row["status"] == "optimal" for row in base.rows + more.rows)
    assert (served(more) >= served(base)).all()
    assert served(more).sum() > served(base).sum()


@settings(max_examples=8, deadline=None, derandomize=True)
@given(
    households=st.integers(3, 12),
    spaces=st.integers(1, 6),
    extra=st.integers(1, 6),
    seed=st.integers(0, 1000),
)
def test_more_street_spaces_never_serve_fewer_on_any_night(households, spaces, extra, seed):
    site = identical_households_site(households, spaces)
    runs = [
        simulate_run(
            site, street_plan(spaces=count), EVERY_NIGHT, CALIBRATION, nights=10, seed=seed
        )
        for count in (spaces, spaces + extra)
    ]
    assert (served(runs[1]) >= served(runs[0])).all()


@pytest.mark.parametrize(
    ("households", "spaces", "window"), [(6, 4, 60), (7, 3, 60), (10, 9, 14), (12, 8, 14)]
)
def test_identical_households_are_refused_equally_often_within_one(households, spaces, window):
    # Everyone asks every night and every stay overlaps at 04:00, so each night exactly
    # households - spaces are refused, and fairness must rotate the refusals. A window as long as
    # the run counts every refusal; a 14-night window holds a whole turn of the rotation (10 and
    # 3 nights), where ties in refused nights go to the household refused longest ago.
    site = identical_households_site(households, spaces)
    run = simulate_run(
        site,
        street_plan(fairness_window_nights=window),
        EVERY_NIGHT,
        CALIBRATION,
        nights=42,
        seed=5,
    )
    refusals = run.refused.sum(axis=0)
    assert refusals.sum() == 42 * (households - spaces)
    assert refusals.max() - refusals.min() <= 1


def test_without_fairness_the_same_households_are_refused_every_night():
    # The control for the test above: with the fairness weight 0 nothing rotates the refusals.
    site = identical_households_site(6, 4)
    run = simulate_run(
        site, street_plan(fairness_weight=0), EVERY_NIGHT, CALIBRATION, nights=20, seed=5
    )
    assert run.refused.sum(axis=0).max() - run.refused.sum(axis=0).min() > 1


def test_every_plan_faces_the_same_demand(compound):
    site, model = compound
    runs = [
        simulate_run(site, bundled_plan(name), model, CALIBRATION, nights=10, seed=11)
        for name in ("laiyang-voted", "earlier-hours", "fewer-street-spaces")
    ]
    digests = [[row["demand"] for row in run.rows] for run in runs]
    assert digests[0] == digests[1] == digests[2]
    assert [row["requests"] for row in runs[0].rows] == [row["requests"] for row in runs[2].rows]
    assert len(set(digests[0])) == 10  # and the nights differ from each other


def test_the_same_seed_gives_the_same_nights_and_another_seed_does_not(compound):
    site, model = compound
    plan = bundled_plan("laiyang-voted")
    first, again, other = (
        simulate_run(site, plan, model, CALIBRATION, nights=7, seed=seed) for seed in (2, 2, 3)
    )
    assert first.rows == [
        dict(row, solve_seconds=mine["solve_seconds"]) for row, mine in zip(again.rows, first.rows)
    ]
    assert (first.refused == again.refused).all() and (first.asked == again.asked).all()
    assert [row["demand"] for row in first.rows] != [row["demand"] for row in other.rows]


def test_an_overstay_penalty_demotes_exactly_the_households_that_overstayed(monkeypatch):
    # Everyone leaves late, so every served car overstays; with a 3-night penalty at priority 0,
    # the households served on the first night are exactly those at priority 0 on the second.
    nights = []
    monkeypatch.setattr(
        run_module,
        "solve",
        lambda instance, **options: (
            nights.append((instance, solve(instance, **options))) or nights[-1][1]
        ),
    )
    site = identical_households_site(4, 2)
    late = replace(EVERY_NIGHT, overstay_share=1.0, overstay_mean_minutes=20)
    run = simulate_run(
        site,
        street_plan(overstay_penalty_nights=3, overstay_penalty_priority=0),
        late,
        CALIBRATION,
        nights=2,
        seed=1,
    )
    (first, first_result), (second, _) = nights
    served_first = {first.request_by_id[a.request].household for a in first_result.assignments}
    demoted = {
        second.request_by_id[r].household for r, level in second.priorities.items() if level == 0
    }
    assert run.rows[0]["window_overstays"] == 2 and len(served_first) == 2
    assert demoted == served_first


def test_renters_away_release_their_spaces_and_are_back_to_find_late_cars(compound):
    site, model = compound
    late = replace(model, overstay_share=0.5, overstay_mean_minutes=120)
    run = simulate_run(site, bundled_plan("laiyang-voted"), late, CALIBRATION, nights=14, seed=4)
    assert sum(row["renters_away"] for row in run.rows) > 0
    assert sum(row["renter_conflicts"] for row in run.rows) > 0
    assert all(row["renter_conflicts"] <= row["renters_back"] for row in run.rows)


def test_plan_spaces_copy_street_spaces_and_keep_rented_ones(compound):
    site, _ = compound
    always, released = plan_spaces(
        site, with_street_spaces(bundled_plan("laiyang-voted"), 150, "more")
    )
    street = [s for s in always if s.kind == "street"]
    assert len(street) == 150 and len({s.id for s in street}) == 150
    assert street[101].id == "L-001+1" and (street[101].x, street[101].y) == (
        street[0].x,
        street[0].y,
    )
    assert len(released) == 345 and all(s.released for s in released.values())


def test_plan_problems_name_the_pool_and_the_fix(compound):
    site, _ = compound
    plan = bundled_plan("laiyang-voted")
    from simulation.model import Pool

    bad = replace(
        plan,
        pools={"rented": Pool(spaces=10), "garage": Pool()},
        policy=replace(plan.policy, windows={"rented": plan.policy.windows["rented"]}),
    )
    assert plan_problems(site, bad) == [
        (
            "pools.rented.spaces",
            "rented spaces belong to their renters; "
            "a plan can share them or not, not add or remove them",
        ),
        ("pools.garage", "the site has no spaces of kind 'garage' (it has rented, street)"),
        (
            "policy.windows",
            "no hours for the 'street' spaces; give them, or set pools.street.shared: false",
        ),
    ]


def test_refusals_where_no_space_fits_are_counted_apart(compound):
    # Residents who give their real times (not the plan's hours) or need a charger that no
    # released space has tonight are refused whatever else is placed: counted apart from the
    # refusals for lack of space, and the two add up to the refused.
    site, model = compound
    run = simulate_run(site, bundled_plan("laiyang-voted"), model, CALIBRATION, nights=5, seed=2)
    for row in run.rows:
        assert 0 <= row["refused_no_fit"] <= row["refused"]
    assert sum(row["refused_no_fit"] for row in run.rows) > 0
    # With every request fitting some space (no needs, the plan's own hours), none is "no fit".
    strict = replace(model, plan_aware_share=1.0)
    plain = replace(site, cars=tuple(replace(car, needs=frozenset()) for car in site.cars))
    easy = simulate_run(plain, bundled_plan("laiyang-voted"), strict, CALIBRATION, nights=3, seed=2)
    assert all(row["refused_no_fit"] == 0 for row in easy.rows)
