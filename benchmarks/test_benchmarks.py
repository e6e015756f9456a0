"""Solve-time benchmarks that assert correctness, never time.

With the repo's `--benchmark-disable` each solve runs once, as a plain test; for timings run

    .venv/bin/python -m pytest benchmarks -p no:cacheprovider --benchmark-enable

Ours must be valid (`check_allocation`), at least as good as first-come-first-served
lexicographically, and proven optimal with the bound equal to what it serves. Two instances are
known not to be proven within the limit (see docs/performance.md); for them the hard properties
are still asserted and only the optimality part is an expected failure, which turns into a pass
by itself once the engine proves them.
"""

from __future__ import annotations

import pytest

from benchmarks import instances
from benchmarks.baselines import naive_formulation, naive_size, run_plain_cpsat, run_scipy_milp
from engine import Status, allocate_first_come, check_allocation, solve
from engine.eligibility import EligibilityTable

# name -> (builder, time limit in seconds). A proven optimum is expected well inside the limit.
CASES = {
    "laiyang": (instances.laiyang, 10.0),
    "dense": (instances.dense, 10.0),
    "night_shift": (instances.night_shift, 5.0),
    "ev_and_sizes": (instances.ev_and_sizes, 5.0),
}

KNOWN_NOT_PROVEN = {
    "night_shift": "engine: the grouped program proves every priority level and fairness of "
    "this night in well under a second but not the walking tier (docs/solver.md)",
}


def _levels(result) -> list[int]:
    return sorted(result.served_by_priority, reverse=True)


@pytest.mark.parametrize("name", list(CASES))
def test_solve(benchmark, name):
    build, time_limit = CASES[name]
    instance = build()
    result = benchmark.pedantic(
        solve, args=(instance,), kwargs={"time_limit": time_limit}, rounds=3, iterations=1
    )
    greedy = allocate_first_come(instance)

    assert check_allocation(instance, result) == []
    levels = _levels(result)
    served = [result.served_by_priority[level] for level in levels]
    assert served >= [greedy.served_by_priority.get(level, 0) for level in levels]
    assert all(
        result.bound_by_priority[level] >= result.served_by_priority[level] for level in levels
    )

    if result.status is not Status.OPTIMAL and name in KNOWN_NOT_PROVEN:
        pytest.xfail(KNOWN_NOT_PROVEN[name])
    assert result.status is Status.OPTIMAL
    assert result.bound_by_priority == result.served_by_priority


def test_builders_are_seeded():
    assert instances.shared_chargers(8, 30, seed=1) == instances.shared_chargers(8, 30, seed=1)
    assert instances.all_different(6, 20, seed=1) == instances.all_different(6, 20, seed=1)
    assert instances.dense(40, seed=3) == instances.dense(40, seed=3)
    assert instances.dense(40, seed=3) != instances.dense(40, seed=4)
    assert instances.night_shift(50, 10, seed=1) == instances.night_shift(50, 10, seed=1)
    assert instances.ev_and_sizes(60, seed=2) == instances.ev_and_sizes(60, seed=2)


def test_dense_eligibility_is_complete():
    instance = instances.dense(60, seed=1)
    assert len(EligibilityTable(instance).eligible_pairs()) == 60 * 60
    assert len(set(instance.priorities.values())) >= 2


@pytest.mark.parametrize(
    "instance",
    [
        instances.dense(20, seed=5),
        instances.night_shift(40, 8, seed=5),
        instances.ev_and_sizes(50, seed=5),
    ],
    ids=["dense", "night_shift", "ev_and_sizes"],
)
def test_plain_model_agrees_on_small_nights(instance):
    """The naive baseline is a correct model: on small nights it proves the same objective as the
    engine. (dense 20 x 20: with the rotation tier in its big-M objective, plain CP-SAT no longer
    proves dense 30 x 30 within 30 s.)"""
    ours = solve(instance, time_limit=10)
    plain = run_plain_cpsat(instance, time_limit=30)
    assert ours.status is Status.OPTIMAL and plain.status == "optimal"
    assert check_allocation(instance, plain.result) == []
    assert plain.formulation.walk_unit_m == 1  # exact weights
    assert plain.result.objective == ours.objective


def test_big_m_weights_are_lexicographic():
    """Each tier's multiplier exceeds the widest swing of all lower tiers together."""
    formulation = naive_formulation(instances.ev_and_sizes(50, seed=5))
    scales = [scale for _, scale in formulation.tier_scales]
    assert scales == sorted(scales, reverse=True) and scales[-1] == 1


def test_scale_families_quick():
    """The scale script's families, shrunk: the district path (per-compound eligibility, many
    independent parts) gives a valid, proven-optimal night and the same result on workers."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import date

    from scenarios.generate import SiteParameters, generate_district
    from scenarios.loader import parse_scenario
    from scenarios.mapping import to_instance

    site = SiteParameters(
        buildings=6, marked_spaces=60, street_spaces=12, households_without_space=50, second_cars=15
    )
    night = to_instance(
        parse_scenario(generate_district(9, date(2026, 11, 24), compounds=12, site=site))
    )
    result = solve(night, time_limit=30)
    assert result.status is Status.OPTIMAL
    assert check_allocation(night, result) == []
    assert result.bound_by_priority == result.served_by_priority
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert solve(night, time_limit=30, executor=pool).objective == result.objective


def test_the_live_benchmark_agrees_with_the_whole_night_on_one_compound(capsys):
    # `python -m benchmarks.live` in small: it exits 1 if a refill serves a different number at
    # some priority level than the whole night re-solved with every kept stay forced.
    from benchmarks.live import main

    assert main(["--compounds", "1", "--no-shows", "3", "--repeat", "1", "--full-limit", "30"]) == 0
    assert "same served per level" in capsys.readouterr().out


@pytest.mark.parametrize(
    "instance",
    [
        instances.night_shift(40, 8, seed=5),
        instances.shared_chargers(20, 120),
        instances.all_different(10, 60),
        instances.dense(30, seed=5),
    ],
    ids=["night_shift", "chargers_20", "all_different", "dense"],
)
def test_naive_size_counts_what_the_formulation_builds(instance):
    formulation = naive_formulation(instance)
    size = naive_size(instance)
    assert size.pairs == len(formulation.request)
    assert size.pairwise == len(formulation.conflicts)
    assert size.rows == (
        len(formulation.by_request)
        + len(formulation.space_groups)
        + len(formulation.conflicts)
        + len(formulation.households)
    )


@pytest.mark.parametrize(
    "instance",
    [instances.shared_chargers(8, 30, seed=1), instances.all_different(6, 24, seed=1)],
    ids=["chargers", "all_different"],
)
def test_plain_model_agrees_on_small_multistay_nights(instance):
    """Spaces taking several stays: the naive model's pairwise no-overlap (turnover included) and
    cap rows give the engine's optimum."""
    ours = solve(instance, time_limit=10)
    plain = run_plain_cpsat(instance, time_limit=10)
    highs = run_scipy_milp(instance, time_limit=10)
    assert ours.status is Status.OPTIMAL and plain.status == "optimal"
    assert check_allocation(instance, plain.result) == []
    assert plain.result.objective == ours.objective
    assert highs.status == "optimal" and check_allocation(instance, highs.result) == []
    assert highs.served_by_priority == ours.served_by_priority


def test_multistay_benchmark_paths_quick(capsys, monkeypatch):
    """`python -m benchmarks.multistay` in small: the 20-point charger case on every path (the
    naive baselines included, checked by `check_allocation` inside), and the size guard."""
    from benchmarks import multistay

    assert multistay.main(["--limit", "2", "--only", "chargers_20"]) == 0
    out = capsys.readouterr().out
    rows = [
        [cell.strip() for cell in line.split("|")[1:-1]]
        for line in out.splitlines()
        if line.startswith("| chargers_20 ")
    ]
    assert [row[4] for row in rows] == ["new", "old", "plain-cpsat", "highs-naive"]
    assert all(row[1:4] == ["120", "20", "4"] for row in rows)
    assert rows[0][5] == "optimal" and rows[0][8] == rows[0][9]  # new: served = bound
    assert "problem" not in out

    monkeypatch.setattr(multistay, "PLAIN_MAX_ROWS", 1000)
    assert multistay.main(["--limit", "1", "--only", "chargers_20", "--paths", "plain-cpsat"]) == 0
    assert "skipped: 69,620 rows (69,500 pairwise)" in capsys.readouterr().out


def test_the_engine_alone_table_reports_every_single_stay_night():
    from benchmarks.ours import NIGHTS, measure

    figures = measure(repeat=1)
    assert list(figures) == list(NIGHTS)
    assert {f["status"] for f in figures.values()} == {"optimal"}
