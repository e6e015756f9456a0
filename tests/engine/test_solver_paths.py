"""Which solver takes which part, what `method=` forces, and what a cut-short search may claim."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from ortools.sat.python import cp_model

from engine import Instance, Status, check_allocation, solve
from engine.solver.assignment import MAX_PAIRS
from engine.solver.objective import combined_weights, objective_tiers
from engine.solver.problem import compile_problem
from tests.engine.builders import household, instance, request, space, t
from tests.engine.oracles import key_of_result
from tests.engine.strategies import small_instances

# The flow solver's cost range: 2**62 over the network's node count plus one (engine.solver.flow).
FLOW_COSTS = 2**62


def _multi_stay_night():
    # Six short stays over two spaces: spaces take several stays, so the grouped mixed-integer
    # program solves it by default (CP-SAT when asked).
    # Optimum: all 6 served (three in a row on each space).
    stays = [("19:00", "21:00"), ("21:30", "23:30"), ("00:00", "06:00")]
    return instance(
        [space("S1"), space("S2", x=10)],
        [household(f"h{i}") for i in range(6)],
        [request(f"r{i}", f"h{i}", *stays[i % 3], priority=1 + i % 2) for i in range(6)],
    )


def _capped_night(walk_weight: int = 1) -> Instance:
    # Two households, cap 1, three spaces. a's two cars and b's car all fit every space; a1 is
    # priority 2. Walks: a lives by S1 (0 m) and S2 (10 m), b by S3 (0 m) and S2 (10 m).
    # Optimum: a1 on S1 and b1 on S3 (a2 refused by the cap): served {2: 1, 1: 1}, walk 0.
    return instance(
        [space("S1", x=0), space("S2", x=10), space("S3", x=20)],
        [household("a", x=0), household("b", x=20)],
        [
            request("a1", "a", priority=2),
            request("a2", "a", priority=1),
            request("b1", "b", priority=1),
        ],
        household_cap=1,
        walk_weight=walk_weight,
    )


def _generated_compound(seed: int) -> Instance:
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
    return to_instance(parse_scenario(generate_scenario(seed, date(2026, 12, 1), site)))


# --- methods -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "used"), [("auto", "milp"), ("milp", "milp"), ("cp-sat", "cp-sat")]
)
def test_multi_stay_night_is_proven_by_the_grouped_program_or_cp_sat(method, used):
    result = solve(_multi_stay_night(), method=method)
    assert result.method == used
    assert result.status is Status.OPTIMAL
    assert result.served_by_priority == {2: 3, 1: 3}


@pytest.mark.parametrize("method", ["assignment", "flow"])
def test_a_matching_method_leaves_a_multi_stay_night_to_the_grouped_program(method):
    assert solve(_multi_stay_night(), method=method).method == "milp"


def test_a_binding_household_cap_keeps_a_matching_on_the_flow_solver():
    result = solve(_capped_night())
    assert result.method == "flow"
    assert result.served_by_priority == {2: 1, 1: 1}
    assert {a.request for a in result.assignments} == {"a1", "b1"}


def test_the_assignment_refuses_a_binding_household_cap():
    with pytest.raises(ValueError, match=r"method 'assignment' cannot .* household cap binds"):
        solve(_capped_night(), method="assignment")


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown method 'simplex'"):
        solve(_capped_night(), method="simplex")  # type: ignore[arg-type]


def test_auto_leaves_a_matching_with_more_than_max_pairs_to_the_flow():
    # 317 x 317 = 100,489 pairs, just above MAX_PAIRS; every household lives by its own space.
    side = 317
    night = instance(
        [space(f"S{i}", x=i) for i in range(side)],
        [household(f"h{i}", x=i) for i in range(side)],
        [request(f"r{i}", f"h{i}") for i in range(side)],
    )
    assert side * side > MAX_PAIRS
    by_default, by_assignment = solve(night), solve(night, method="assignment")
    assert (by_default.method, by_assignment.method) == ("flow", "assignment")
    assert by_assignment.objective == by_default.objective
    assert by_default.objective.walk_m == 0


@pytest.mark.parametrize("seed", range(6))
def test_assignment_and_flow_agree_on_generated_compounds(seed):
    # Generated compounds are matchings without a binding cap, where the assignment applies.
    night = _generated_compound(seed)
    by_default, by_flow = solve(night), solve(night, method="flow")
    assert by_default.method == "assignment" and by_flow.method == "flow"
    assert key_of_result(night, by_default.assignments) == key_of_result(night, by_flow.assignments)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matching_and_cp_sat_agree_on_generated_nights(seed):
    # The matching special case and the general CP-SAT model reach the same lexicographic optimum.
    night = _generated_compound(seed)
    by_matching, by_cp_sat = solve(night), solve(night, time_limit=60, method="cp-sat")
    assert by_matching.method == "assignment" and by_cp_sat.method == "cp-sat"
    assert by_cp_sat.status is Status.OPTIMAL
    assert by_matching.objective == by_cp_sat.objective
    assert check_allocation(night, by_cp_sat) == []


@settings(max_examples=80, deadline=None, derandomize=True)
@given(small_instances())
def test_assignment_and_flow_reach_the_same_optimum(night):
    # Two exact methods for the same matching components: the objectives must be equal.
    by_default, by_flow = solve(night), solve(night, method="flow")
    assert "assignment" not in by_flow.method
    assert key_of_result(night, by_default.assignments) == key_of_result(night, by_flow.assignments)
    assert check_allocation(night, by_default) == []


# --- the flow in stages --------------------------------------------------------------------------


def test_tiers_too_wide_for_one_flow_are_solved_in_stages():
    # Walking weighs 10**16 per metre. The network has 9 nodes (3 requests, 3 spaces, household
    # a and its "served" node, the sink), so costs must stay within 2**62 // 10 = 4.6e17: the
    # walking tier alone (at most 20 m, 2e17) fits, all three tiers together do not. Only a flow
    # in stages can solve it, and method="flow" does not fall back.
    night = _capped_night(walk_weight=10**16)
    problem = compile_problem(night)
    tiers = objective_tiers(problem)
    (component,) = problem.components
    limit = FLOW_COSTS // 10
    assert combined_weights(problem, tiers, component.pairs, matroid=False, limit=limit) is None
    assert all(
        combined_weights(problem, [tier], component.pairs, matroid=False, limit=limit) is not None
        for tier in tiers
    )
    result = solve(night, method="flow")
    assert result.method == "flow" and result.status is Status.OPTIMAL
    assert {(a.request, a.space) for a in result.assignments} == {("a1", "S1"), ("b1", "S3")}
    assert result.objective.walk_m == 0


def test_the_flow_refuses_a_tier_too_wide_for_it_and_auto_uses_cp_sat():
    # 5 * 10**16 per metre: the walking tier alone (up to 1e18) exceeds the 4.6e17 the flow takes.
    night = _capped_night(walk_weight=5 * 10**16)
    with pytest.raises(ValueError, match="method 'flow' cannot"):
        solve(night, method="flow")
    result = solve(night)
    assert result.method == "cp-sat" and result.status is Status.OPTIMAL
    assert {(a.request, a.space) for a in result.assignments} == {("a1", "S1"), ("b1", "S3")}


@settings(max_examples=80, deadline=None, derandomize=True)
@given(small_instances())
def test_flow_in_stages_reaches_the_same_optimum(night):
    # Every stay 22:00-06:00, so each space takes at most one and every part is a matching. Then
    # walking weighs so much that its tier alone stays well inside the flow's costs (a factor of
    # the node count below its range) but the tiers together do not: the flow solves them in
    # stages (34 of the 80 examples when this was written). A tier's weight does not change the
    # lexicographic optimum.
    overnight = replace(
        night,
        requests=tuple(replace(r, arrive=t("22:00"), depart=t("06:00")) for r in night.requests),
        policy=replace(night.policy, walk_weight=1),
    )
    walks = [h.walk_to(s) for h in night.households for s in night.spaces]
    nodes = len(night.requests) + len(night.spaces) + 2 * len(night.households) + 1
    heavy_walk = max(1, FLOW_COSTS // (nodes + 1) ** 2 // (max(walks, default=0) + 1))
    heavy = replace(overnight, policy=replace(overnight.policy, walk_weight=heavy_walk))
    by_default, by_stages = solve(overnight), solve(heavy, method="flow")
    assert "cp-sat" not in by_default.method and by_stages.method in ("flow", "none")
    assert key_of_result(overnight, by_stages.assignments) == key_of_result(
        overnight, by_default.assignments
    )
    assert by_stages.status == by_default.status
    assert check_allocation(heavy, by_stages) == []


# --- CP-SAT stopped early ------------------------------------------------------------------------


def test_a_search_that_finds_nothing_claims_only_trivial_bounds(monkeypatch):
    # CP-SAT stopped with no solution (UNKNOWN) knows no bound; the result keeps the greedy
    # placement and bounds each level by its number of requests, never by CP-SAT's empty bound.
    monkeypatch.setattr(cp_model.CpSolver, "solve", lambda self, model, *a, **k: cp_model.UNKNOWN)
    night = _multi_stay_night()
    result = solve(night, method="cp-sat")
    assert result.status is Status.FEASIBLE
    assert check_allocation(night, result) == []
    assert result.bound_by_priority == {2: 3, 1: 3}


@pytest.mark.parametrize("status", [cp_model.INFEASIBLE, cp_model.MODEL_INVALID])
def test_cp_sat_calling_the_model_infeasible_or_invalid_is_a_bug(monkeypatch, status):
    # Placing nothing is always feasible, so these answers mean the model is wrong: never
    # reported as a feasible night.
    monkeypatch.setattr(cp_model.CpSolver, "solve", lambda self, model, *a, **k: status)
    with pytest.raises(RuntimeError, match=f"CP-SAT answered {status.name}"):
        solve(_multi_stay_night(), method="cp-sat")
