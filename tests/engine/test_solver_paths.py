"""Which solver takes which part, and what a cut-short search may claim."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import given, settings
from ortools.sat.python import cp_model

from engine import Status, check_allocation, solve
from engine.solver import assignment, flow
from engine.solver.objective import combined_weights
from tests.engine.builders import household, instance, request, space
from tests.engine.oracles import key_of_result
from tests.engine.strategies import small_instances


def _multi_stay_night():
    # Six short stays over two spaces: spaces take several stays, so CP-SAT solves it.
    # Optimum: all 6 served (three in a row on each space).
    stays = [("19:00", "21:00"), ("21:30", "23:30"), ("00:00", "06:00")]
    return instance(
        [space("S1"), space("S2", x=10)],
        [household(f"h{i}") for i in range(6)],
        [request(f"r{i}", f"h{i}", *stays[i % 3], priority=1 + i % 2) for i in range(6)],
    )


def test_a_search_that_finds_nothing_claims_only_trivial_bounds(monkeypatch):
    # CP-SAT stopped with no solution (UNKNOWN) knows no bound; the result keeps the greedy
    # placement and bounds each level by its number of requests, never by CP-SAT's empty bound.
    monkeypatch.setattr(cp_model.CpSolver, "Solve", lambda self, model, *a, **k: cp_model.UNKNOWN)
    night = _multi_stay_night()
    result = solve(night)
    assert result.status is Status.FEASIBLE
    assert check_allocation(night, result) == []
    assert result.bound_by_priority == {2: 3, 1: 3}


def test_multi_stay_night_is_proven_by_cp_sat():
    result = solve(_multi_stay_night())
    assert result.method == "cp-sat"
    assert result.status is Status.OPTIMAL
    assert result.served_by_priority == {2: 3, 1: 3}


def test_a_binding_household_cap_keeps_a_matching_on_the_flow_solver():
    # Household a has two cars and cap 1; every stay overlaps, so it is still a matching: flow.
    # Optimum: a's priority-2 car and b's car are served, a's second car is refused by the cap.
    night = instance(
        [space("S1"), space("S2"), space("S3")],
        [household("a"), household("b")],
        [
            request("a1", "a", priority=2),
            request("a2", "a", priority=1),
            request("b1", "b", priority=1),
        ],
        household_cap=1,
    )
    result = solve(night)
    assert result.method == "flow"
    assert result.served_by_priority == {2: 1, 1: 1}
    assert {a.request for a in result.assignments} == {"a1", "b1"}


def test_a_matching_with_too_many_pairs_goes_to_the_flow_solver():
    # 30 requests x 20 spaces = 600 pairs, above a limit of 500.
    night = instance(
        [space(f"S{i}", x=i) for i in range(20)],
        [household(f"h{i}") for i in range(30)],
        [request(f"r{i}", f"h{i}") for i in range(30)],
    )
    with mock.patch.object(assignment, "MAX_PAIRS", 500):
        result = solve(night)
    assert result.method == "flow"
    assert len(result.assignments) == 20


@pytest.mark.parametrize("seed", range(6))
def test_assignment_and_flow_agree_on_generated_compounds(seed):
    # Generated compounds are matchings without a binding cap, where the assignment applies.
    from datetime import date

    from scenarios.generate import SiteParameters, generate_scenario
    from scenarios.loader import parse_scenario
    from scenarios.mapping import to_instance

    site = SiteParameters(
        buildings=8,
        marked_spaces=80,
        street_spaces=20,
        households_without_space=35,
        second_cars=10,
        release_share=0.3,
    )
    night = to_instance(parse_scenario(generate_scenario(seed, date(2026, 12, 1), site)))
    by_default = solve(night)
    with mock.patch.object(assignment, "MAX_PAIRS", 0):
        by_flow = solve(night)
    assert by_default.method == "assignment" and by_flow.method == "flow"
    assert key_of_result(night, by_default.assignments) == key_of_result(night, by_flow.assignments)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(small_instances())
def test_assignment_and_flow_reach_the_same_optimum(night):
    # Two exact methods for the same matching components: the objectives must be equal.
    by_default = solve(night)
    with mock.patch.object(assignment, "MAX_PAIRS", 0):
        by_flow = solve(night)
    assert "assignment" not in by_flow.method
    assert key_of_result(night, by_default.assignments) == key_of_result(night, by_flow.assignments)
    assert check_allocation(night, by_default) == []


def _one_tier_per_stage(problem, component, tiers, matroid, limit):
    return tiers[:1], combined_weights(
        problem, tiers[:1], component.pairs, matroid=matroid, limit=limit
    )


def _staged(night):
    # Every tier in a stage of its own, and no dense assignment.
    with (
        mock.patch.object(assignment, "MAX_PAIRS", 0),
        mock.patch.object(flow, "_widest_stage", _one_tier_per_stage),
    ):
        return solve(night)


def test_tiers_too_wide_for_one_flow_are_solved_in_stages():
    # Two households, cap 1, three spaces. a's two cars and b's car all fit every space; a1 is
    # priority 2. Walks: a lives by S1 (0 m) and S2 (10 m), b by S3 (0 m) and S2 (10 m).
    # Optimum: a1 on S1 and b1 on S3: served {2: 1, 1: 1}, walk 0.
    night = instance(
        [space("S1", x=0), space("S2", x=10), space("S3", x=20)],
        [household("a", x=0), household("b", x=20)],
        [
            request("a1", "a", priority=2),
            request("a2", "a", priority=1),
            request("b1", "b", priority=1),
        ],
        household_cap=1,
    )
    with mock.patch.object(
        flow._Network, "potentials", autospec=True, side_effect=flow._Network.potentials
    ) as potentials:
        with mock.patch.object(flow, "_COST_LIMIT", 1_000):  # too small for two tiers at once
            result = solve(night)
    assert potentials.called
    assert result.method == "flow" and result.status is Status.OPTIMAL
    assert {(a.request, a.space) for a in result.assignments} == {("a1", "S1"), ("b1", "S3")}
    assert result.objective.walk_m == 0


@settings(max_examples=80, deadline=None, derandomize=True)
@given(small_instances())
def test_flow_in_stages_reaches_the_same_optimum(night):
    by_default, by_stages = solve(night), _staged(night)
    assert key_of_result(night, by_stages.assignments) == key_of_result(
        night, by_default.assignments
    )
    assert by_stages.status == by_default.status
    assert check_allocation(night, by_stages) == []
