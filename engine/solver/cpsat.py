"""The general case with OR-Tools CP-SAT: spaces that take several stays a night, or tiers too wide
for a single flow weight.

One boolean per eligible pair. Each family of hard rules is added by one function; the objective's
tiers are optimised one after another, each optimum held as a constraint while the next is solved
(hierarchical lexicographic optimisation). Every solve is warm-started: the first from a greedy
placement in priority order, each later one from the previous solution topped up greedily.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from engine.solver.greedy import greedy_fill, priority_order
from engine.solver.objective import Tier
from engine.solver.problem import Component, Problem


@dataclass
class TieredSolution:
    chosen: np.ndarray  # pair indices
    proven: bool
    # Best bound on served requests for each priority level whose tier was reached.
    level_bounds: dict[int, int] = field(default_factory=dict)


def solve_tiers(
    problem: Problem, component: Component, tiers: list[Tier], deadline: float, seed: int = 0
) -> TieredSolution:
    pairs = component.pairs
    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"x{p}") for p in pairs.tolist()]
    local = {int(p): i for i, p in enumerate(pairs.tolist())}
    _one_space_per_request(model, problem, pairs, x)
    _no_overlap_on_space(model, problem, component, x)
    _household_cap(model, problem, component, x)

    order = priority_order(problem, component.requests.tolist())
    solution = TieredSolution(chosen=greedy_fill(problem, order, pairs), proven=True)
    var_indices = [v.Index() for v in x]
    for tier in tiers:
        coefficients = tier.value[pairs].tolist()
        if not any(coefficients):
            continue
        objective = cp_model.LinearExpr.WeightedSum(x, coefficients)
        model.ClearObjective()
        model.Maximize(objective)
        _set_hint(model, var_indices, local, solution.chosen)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            solution.proven = False
            break
        solver = _solver(remaining, seed)
        status = solver.Solve(model)
        if status == cp_model.OPTIMAL:
            value = round(solver.ObjectiveValue())
            if tier.level is not None:
                solution.level_bounds[tier.level] = value
            # A tier's optimum leaves the lower tiers' requests to chance; placing what still fits
            # keeps every held optimum and gives the next tier a complete warm start.
            solution.chosen = greedy_fill(
                problem, order, pairs, _chosen(solver, var_indices, pairs)
            )
            model.Add(objective >= value)
            continue
        solution.proven = False
        # Without a solution (status UNKNOWN) CP-SAT's bound is not meaningful; the level then
        # keeps the caller's trivial bound.
        if status == cp_model.FEASIBLE:
            solution.chosen = _chosen(solver, var_indices, pairs)
            if tier.level is not None:
                solution.level_bounds[tier.level] = int(
                    np.floor(solver.BestObjectiveBound() + 1e-6)
                )
        break
    return solution


def _one_space_per_request(
    model: cp_model.CpModel, problem: Problem, pairs: np.ndarray, x: list
) -> None:
    by_request: dict[int, list] = defaultdict(list)
    for var, request in zip(x, problem.pair_request[pairs].tolist()):
        by_request[request].append(var)
    for variables in by_request.values():
        if len(variables) > 1:
            model.AddAtMostOne(variables)


def _no_overlap_on_space(
    model: cp_model.CpModel, problem: Problem, component: Component, x: list
) -> None:
    """At most one car at a time on a space, turnover gap included.

    A space that can take only one of its requests gets one at-most-one; a space that can take
    several gets one clique per arrival time (the stays present at that instant), which describes
    an interval graph exactly.
    """
    instance = problem.instance
    gap = instance.policy.turnover_minutes
    by_space: dict[int, list[tuple[int, int, object]]] = defaultdict(list)
    for var, request, space in zip(
        x,
        problem.pair_request[component.pairs].tolist(),
        problem.pair_space[component.pairs].tolist(),
    ):
        stay = instance.requests[request]
        by_space[space].append((stay.arrive, stay.depart + gap, var))
    for space, stays in by_space.items():
        if len(stays) < 2:
            continue
        if space not in component.multi_stay_spaces:
            model.AddAtMostOne([var for _, _, var in stays])
            continue
        for clique in _maximal_cliques([(arrive, leave) for arrive, leave, _ in stays]):
            model.AddAtMostOne([stays[i][2] for i in clique])


def _maximal_cliques(stays: list[tuple[int, int]]) -> list[list[int]]:
    """Maximal sets of stays present at one instant, by a sweep over arrivals and departures.

    Stays are half-open [arrive, leave): one leaving at t and one arriving at t do not meet, so
    departures sort before arrivals at equal times. The set present right after an arrival is
    maximal exactly when the next event is a departure.
    """
    events = sorted(
        [(leave, 0, i) for i, (_, leave) in enumerate(stays)]
        + [(arrive, 1, i) for i, (arrive, _) in enumerate(stays)]
    )
    present: set[int] = set()
    cliques = []
    for position, (_, is_arrival, stay) in enumerate(events):
        if not is_arrival:
            present.discard(stay)
            continue
        present.add(stay)
        next_is_departure = position + 1 == len(events) or not events[position + 1][1]
        if next_is_departure and len(present) > 1:
            cliques.append(sorted(present))
    return cliques


def _household_cap(
    model: cp_model.CpModel, problem: Problem, component: Component, x: list
) -> None:
    if not component.binding_households:
        return
    by_household: dict[str, list] = defaultdict(list)
    for var, request in zip(x, problem.pair_request[component.pairs].tolist()):
        household = problem.instance.requests[request].household
        if household in component.binding_households:
            by_household[household].append(var)
    for household, variables in by_household.items():
        model.Add(sum(variables) <= problem.cap_left[household])


def _set_hint(
    model: cp_model.CpModel, var_indices: list[int], local: dict[int, int], chosen: np.ndarray
) -> None:
    model.clear_hints()
    hint = model.proto.solution_hint
    values = np.zeros(len(var_indices), dtype=np.int64)
    for pair in chosen.tolist():
        values[local[pair]] = 1
    hint.vars.extend(var_indices)
    hint.values.extend(values.tolist())


def _solver(seconds: float, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.random_seed = seed
    # One worker is deterministic for a fixed seed: the same night gives the same answer. (The
    # deterministic multi-worker mode, interleave_search, measured 30x slower on small nights.)
    solver.parameters.num_workers = 1
    return solver


def _chosen(solver: cp_model.CpSolver, var_indices: list[int], pairs: np.ndarray) -> np.ndarray:
    values = np.asarray(solver.response_proto.solution, dtype=np.int64)[var_indices]
    return pairs[values > 0]
