"""The grouped mixed-integer program of multi-stay parts (`engine.solver.milp`).

Hand-checked nights, the groups it merges, what it may claim when stopped, and a Hypothesis
property against an independent oracle: CP-SAT on one boolean per (request, space) pair
(`method="cp-sat"`) must prove the same lexicographic optimum, and both results pass the checker.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import highspy
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Instance, Status, check_allocation, solve
from engine.model import Household, Policy, PriorityRule, Request, Space, Window
from engine.solver import milp
from engine.solver.groups import colour, group_spaces
from engine.solver.objective import objective_tiers
from engine.solver.problem import PinConflict, compile_problem
from tests.engine.builders import NIGHT, forbid, household, instance, request, space
from tests.engine.oracles import key_of_result
from tests.engine.strategies import instances


def _charger_row(count: int, **policy) -> Instance:
    """`count` identical chargers (same place, kind, size) and seven short sessions.

    Sessions (household h0..h6): 19:00-21:00, 19:30-20:30, 20:00-22:00, 21:00-23:00,
    21:00-22:00, 22:30-23:30, 23:00-01:00.
    """
    sessions = [
        ("19:00", "21:00"),
        ("19:30", "20:30"),
        ("20:00", "22:00"),
        ("21:00", "23:00"),
        ("21:00", "22:00"),
        ("22:30", "23:30"),
        ("23:00", "01:00"),
    ]
    return instance(
        [space(f"C{i}") for i in range(count)],
        [household(f"h{i}") for i in range(len(sessions))],
        [request(f"r{i}", f"h{i}", *stay) for i, stay in enumerate(sessions)],
        walk_weight=0,
        stability_weight=0,
        **policy,
    )


def _served(result) -> set[str]:
    return {a.request for a in result.assignments}


def test_identical_spaces_make_one_group():
    night = _charger_row(3)
    problem = compile_problem(night)
    (component,) = problem.components
    grouping = group_spaces(problem, component, objective_tiers(problem))
    assert [g.tolist() for g in grouping.spaces] == [[0, 1, 2]]
    assert len(grouping.choice_pair) == 7  # one choice per session, not per (session, charger)


def test_a_different_walk_or_a_forbid_pin_splits_the_group():
    night = replace(
        _charger_row(3),
        spaces=(space("C0"), space("C1"), space("C2", x=40)),
        policy=replace(_charger_row(3).policy, walk_weight=1),
    )
    problem = compile_problem(night)
    grouping = group_spaces(problem, problem.components[0], objective_tiers(problem))
    assert [g.tolist() for g in grouping.spaces] == [[0, 1], [2]]
    pinned = replace(_charger_row(3), pins=(forbid("r0", "C1"),))
    problem = compile_problem(pinned)
    grouping = group_spaces(problem, problem.components[0], objective_tiers(problem))
    assert [g.tolist() for g in grouping.spaces] == [[0, 2], [1]]


def test_two_chargers_serve_the_most_sessions_and_colouring_places_them():
    # At most two present at once: 19:00-20:00 has r0, r1 (r2 arrives 20:00 while r1 is still
    # there until 20:30, so r0, r1, r2 meet); 21:00-22:00 has r2, r3, r4. So one of r0-r2 and
    # one of r2-r4 go, and r2 is in both: refusing r2 alone serves 6 of 7.
    result = solve(_charger_row(2))
    assert result.status is Status.OPTIMAL and result.method == "milp"
    assert _served(result) == {"r0", "r1", "r3", "r4", "r5", "r6"}
    assert check_allocation(_charger_row(2), result) == []
    assert result.stats["milp_components"] == 1
    assert result.stats["space_groups"] == 1 and result.stats["grouped_spaces"] == 2


def test_turnover_counts_between_sessions_on_one_charger():
    # One charger. Without turnover, three sessions fit (r1 19:30-20:30, r4 21:00-22:00, r5
    # 22:30-23:30) and no four. With an hour's turnover r1 frees it only at 21:30, so r1 then
    # r5 fit (or r0, free at 22:00, then r5), and no three.
    for turnover, served in ((0, 3), (60, 2)):
        night = _charger_row(1, turnover_minutes=turnover)
        result = solve(night)
        assert result.status is Status.OPTIMAL
        assert len(result.assignments) == served
        assert check_allocation(night, result) == []


def test_a_household_cap_holds_on_shared_chargers():
    # All seven sessions belong to one household with a cap of 2: two served, whatever room.
    base = _charger_row(3, household_cap=2)
    night = replace(
        base,
        households=(household("h"),),
        requests=tuple(replace(r, household="h") for r in base.requests),
    )
    result = solve(night)
    assert result.status is Status.OPTIMAL and result.method == "milp"
    assert len(result.assignments) == 2
    assert check_allocation(night, result) == []


def test_colouring_refuses_an_overfull_group():
    night = _charger_row(1)
    problem = compile_problem(night)
    grouping = group_spaces(problem, problem.components[0], objective_tiers(problem))
    with pytest.raises(ValueError, match="more stays than the 1 spaces"):
        colour(problem, grouping, np.arange(len(grouping.choice_pair)))


def test_the_same_night_gives_the_same_allocation():
    night = _charger_row(2)
    assert solve(night, seed=3).assignments == solve(night, seed=3).assignments


# --- stopped early -------------------------------------------------------------------------------


def test_no_time_left_keeps_the_greedy_placement_and_claims_only_trivial_bounds():
    night = _charger_row(2)
    result = solve(night, time_limit=0.0)
    assert result.status is Status.FEASIBLE and result.method == "milp"
    assert check_allocation(night, result) == []
    assert result.bound_by_priority == {1: 7}


def test_a_stage_stopped_by_the_limit_reports_its_bound(monkeypatch):
    # HiGHS's answer is made to look cut short: the solution is kept, the status is feasible and
    # the bound (HiGHS's dual bound, divided by the first tier's scale) is at least what is
    # served and at most the requests. The relaxation is kept from proving a stage on its own.
    search = milp._search
    fix = milp._fix_by_reduced_costs

    def stopped(*args, **kwargs):
        found = search(*args, **kwargs)
        return None if found is None else replace(found, optimal=False)

    monkeypatch.setattr(milp, "_search", stopped)
    monkeypatch.setattr(milp, "_fix_by_reduced_costs", lambda *args: fix(*args) and None)
    night = _charger_row(2)
    result = solve(night)
    assert result.status is Status.FEASIBLE
    assert check_allocation(night, result) == []
    assert 6 <= result.bound_by_priority[1] <= 7
    # The stopped stage's gap and how many tiers were proven are in the stats.
    assert result.stats["milp_stopped_gap"] >= 0
    assert result.stats["milp_tiers_proven"] < result.stats["milp_tiers"]


@pytest.mark.parametrize(
    "status", [highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kSolveError]
)
def test_highs_calling_the_model_infeasible_or_failing_is_a_bug(monkeypatch, status):
    monkeypatch.setattr(milp._Highs, "getModelStatus", lambda self: status)
    with pytest.raises(RuntimeError, match="HiGHS answered"):
        solve(_charger_row(2))


# --- against CP-SAT ------------------------------------------------------------------------------


@st.composite
def multi_stay_nights(draw) -> Instance:
    """Small random nights (caps, pins, several windows) with some spaces cloned, so that groups
    of interchangeable spaces occur; stays are short and many spaces take several."""
    night = draw(instances(max_requests=14, max_spaces=5))
    spaces = list(night.spaces)
    for space_ in night.spaces:
        for copy in range(draw(st.integers(0, 2))):
            spaces.append(replace(space_, id=f"{space_.id}c{copy}"))
    return replace(night, spaces=tuple(spaces))


@settings(max_examples=120, deadline=None, derandomize=True)
@given(multi_stay_nights())
def test_grouped_program_and_cp_sat_prove_the_same_optimum(night):
    grouped = solve(night, time_limit=30, method="milp")
    per_pair = solve(night, time_limit=30, method="cp-sat")
    assert check_allocation(night, grouped) == []
    assert check_allocation(night, per_pair) == []
    assert grouped.status is per_pair.status
    if per_pair.status is Status.INFEASIBLE:
        return
    assert per_pair.status is Status.OPTIMAL and grouped.status is Status.OPTIMAL
    assert key_of_result(night, grouped.assignments) == key_of_result(night, per_pair.assignments)
    assert grouped.bound_by_priority == per_pair.bound_by_priority


@settings(max_examples=60, deadline=None, derandomize=True)
@given(multi_stay_nights())
def test_the_greedy_start_fits_its_groups_and_the_caps(night):
    # The grouped greedy (the first stage's incumbent) checks room by counting stays present:
    # colouring must then place every choice, and no household exceed what its cap leaves.
    try:
        problem = compile_problem(night)
    except PinConflict:
        return
    tiers = objective_tiers(problem)
    for component in problem.components:
        grouping = group_spaces(problem, component, tiers)
        choices = milp.greedy_choices(problem, component, grouping)
        pairs = colour(problem, grouping, choices)
        assert len(pairs) == len(choices)
        assert sorted(problem.pair_request[pairs].tolist()) == sorted(
            grouping.choice_request[choices].tolist()
        )
        assert (
            grouping.pairs_at(
                problem.pair_request[pairs], problem.pair_space[pairs], problem
            ).tolist()
            == pairs.tolist()
        )
        accounts = [night.requests[r].account for r in problem.pair_request[pairs].tolist()]
        for account, count in Counter(accounts).items():
            assert count <= problem.cap_left.get(account, count)


def test_a_relaxation_that_proves_a_stage_skips_the_search(monkeypatch):
    # Two chargers, seven sessions: the interval capacity rows make the relaxation integral for
    # the served tier, so no stage needs HiGHS's branch and bound.
    def never(*args, **kwargs):
        raise AssertionError("the relaxation proved every stage; no search was needed")

    monkeypatch.setattr(milp, "_search", never)
    night = _charger_row(2)
    result = solve(night)
    assert result.status is Status.OPTIMAL
    assert _served(result) == {"r0", "r1", "r3", "r4", "r5", "r6"}
    assert check_allocation(night, result) == []


def test_a_rounded_relaxation_breaking_a_rule_is_not_taken(monkeypatch):
    # A relaxation's answer that overfills a group is refused by the exact check, and the search
    # runs instead: the result is the same optimum.
    fix = milp._fix_by_reduced_costs

    def overfull(highs, weights, warm, seconds, seed):
        fix(highs, weights, warm, seconds, seed)  # sets the stage's costs
        return milp._Found(np.arange(len(weights)), float(weights.sum()), True)

    monkeypatch.setattr(milp, "_fix_by_reduced_costs", overfull)
    night = _charger_row(2)
    result = solve(night)
    assert result.status is Status.OPTIMAL
    assert _served(result) == {"r0", "r1", "r3", "r4", "r5", "r6"}
    assert check_allocation(night, result) == []


def _night_that_once_made_highs_answer_infeasible() -> Instance:
    """Found by tests/engine/test_fit.py (Hypothesis): the grouped program answered
    "Infeasible" on it before a stage proven by its LP skipped the branch and bound."""
    return Instance(
        "regression",
        NIGHT,
        (
            Space("s0", "k0", x=136, y=0, windows=(Window(1100, 1900),)),
            Space("s1", "k0", x=0, y=299),
            Space("s2", "k0", x=0, y=3),
            Space("s3", "k0", x=0, y=110),
            Space("s4", "k0", x=0, y=0, renter="h0"),
            Space("s5", "k0", x=0, y=0),
            Space("s6", "k0", x=0, y=36),
        ),
        (
            Household("h0", 0, 0, has_space=False),
            Household("h1", 0, 0, has_space=False),
            Household("h2", 0, 0, has_space=False),
            Household("h3", 0, 0, has_space=False),
            Household("h4", 0, 0, has_space=False),
            Household("h5", 0, 0, has_space=False),
            Household("h6", 0, 0, tags=frozenset(["disabled"]), has_space=False),
            Household("h7", 0, 0, has_space=False),
            Household("h8", 0, 0, has_space=True),
            Household("h9", 0, 0, has_space=True),
            Household("h10", 0, 0, has_space=False),
            Household("h11", 270, 0, has_space=False),
            Household("h12", 0, 0, tags=frozenset(["disabled"]), has_space=False),
            Household("h13", 0, 0, has_space=False),
            Household("h14", 0, 0, has_space=False),
            Household("h15", 0, 0, has_space=False),
            Household("h16", 0, 0, has_space=False),
        ),
        (
            Request("r1", "h0", 1080, 1110),
            Request("r0", "h0", 1140, 1260),
            Request("r2", "h1", 1080, 1110),
            Request("r3", "h2", 1080, 1110),
            Request("r4", "h3", 1140, 1260),
            Request("r5", "h4", 1530, 1860),
            Request("r6", "h5", 1080, 1110),
            Request("r7", "h6", 1200, 1500),
            Request("r8", "h6", 1200, 1500),
            Request("r9", "h7", 1100, 1130),
            Request("r10", "h8", 1530, 1860),
            Request("r11", "h9", 1530, 1860),
            Request("r12", "h10", 1140, 1260),
            Request("r13", "h11", 1140, 1260),
            Request("r14", "h12", 1200, 1500),
            Request("r15", "h13", 1290, 1320),
            Request("r16", "h13", 1080, 1110),
            Request("r17", "h13", 1080, 1110),
            Request("r18", "h14", 1080, 1110),
            Request("r19", "h14", 1140, 1260),
            Request("r20", "h15", 1140, 1260),
            Request("r21", "h15", 1080, 1110),
            Request("r22", "h16", 1080, 1110),
            Request("r23", "h16", 1080, 1110),
        ),
        Policy(
            windows={"k0": (Window(1260, 1860),)},
            priority_rules=(
                PriorityRule(3, "disabled residents", tags_any=frozenset({"disabled"})),
                PriorityRule(2, "first car without a space", has_space=False, first_car=True),
            ),
            fairness_weight=0,
            walk_weight=1,
            stability_weight=0,
        ),
    )


def test_a_night_that_once_made_highs_answer_infeasible_is_solved_to_the_plain_optimum():
    night = _night_that_once_made_highs_answer_infeasible()
    grouped = solve(night, time_limit=20, method="milp")
    plain = solve(night, time_limit=60, method="cp-sat")
    assert grouped.status is plain.status is Status.OPTIMAL
    assert check_allocation(night, grouped) == []
    assert grouped.objective == plain.objective
