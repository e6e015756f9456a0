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

import numpy as np
from ortools.sat.python import cp_model

from engine.arrays import IntArray
from engine.model import CapAccount
from engine.solver.greedy import greedy_fill, priority_order
from engine.solver.groups import maximal_cliques
from engine.solver.objective import Tier, TieredSolution
from engine.solver.problem import Component, Problem


def solve_tiers(
    problem: Problem, component: Component, tiers: list[Tier], deadline: float, seed: int = 0
) -> TieredSolution:
    """Optimise the tiers one after another on one part, each optimum held for the next.

    Parameters
    ----------
    problem : Problem
        The compiled night.
    component : Component
        The part to solve.
    tiers : list of Tier
        The objective, most important first.
    deadline : float
        `time.monotonic()` by which to stop.
    seed : int, optional
        CP-SAT's random seed.

    Returns
    -------
    TieredSolution
        Always a valid placement: where the search stops early it keeps its last solution, or the
        greedy warm start when it found none.

    Raises
    ------
    RuntimeError
        When CP-SAT calls the model invalid or infeasible: placing nothing satisfies every
        constraint and each held optimum was reached by a solution, so either is a bug here.
    """
    pairs = component.pairs
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{p}") for p in pairs.tolist()]
    local = {int(p): i for i, p in enumerate(pairs.tolist())}
    _one_space_per_request(model, problem, pairs, x)
    _no_overlap_on_space(model, problem, component, x)
    _caps(model, problem, component, x)

    order = priority_order(problem, component.requests.tolist())
    solution = TieredSolution(chosen=greedy_fill(problem, order, pairs), proven=True)
    for tier in tiers:
        coefficients = tier.value[pairs].tolist()
        if not any(coefficients):
            continue
        objective = cp_model.LinearExpr.weighted_sum(x, coefficients)
        model.clear_objective()
        model.maximize(objective)
        _set_hint(model, x, local, solution.chosen)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            solution.proven = False
            break
        solver = _solver(remaining, seed)
        status = solver.solve(model)
        match status:
            case cp_model.OPTIMAL:
                value = round(solver.objective_value)
                if tier.level is not None:
                    solution.level_bounds[tier.level] = value
                # A tier's optimum leaves the lower tiers' requests to chance; placing what still
                # fits keeps every held optimum and gives the next tier a complete warm start.
                solution.chosen = greedy_fill(problem, order, pairs, _chosen(solver, x, pairs))
                model.add(objective >= value)
                continue
            case cp_model.FEASIBLE:
                # Stopped by the time limit with a solution: keep it, and CP-SAT's bound on
                # the tier.
                solution.chosen = _chosen(solver, x, pairs)
                if tier.level is not None:
                    solution.level_bounds[tier.level] = int(
                        np.floor(solver.best_objective_bound + 1e-6)
                    )
            case cp_model.UNKNOWN:
                # Stopped by the time limit before any solution: the placement so far stands,
                # and CP-SAT's bound means nothing (the level keeps the caller's trivial bound).
                pass
            case _:
                # MODEL_INVALID or INFEASIBLE.
                raise RuntimeError(
                    f"CP-SAT answered {solver.status_name(status)} on tier {tier.name!r} of "
                    f"night {problem.instance.name!r}: placing nothing is always feasible, so "
                    "the model is wrong"
                )
        solution.proven = False
        break
    return solution


def _one_space_per_request(
    model: cp_model.CpModel, problem: Problem, pairs: IntArray, x: list[cp_model.IntVar]
) -> None:
    by_request: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for var, request in zip(x, problem.pair_request[pairs].tolist()):
        by_request[request].append(var)
    for variables in by_request.values():
        if len(variables) > 1:
            model.add_at_most_one(variables)


def _no_overlap_on_space(
    model: cp_model.CpModel, problem: Problem, component: Component, x: list[cp_model.IntVar]
) -> None:
    """At most one car at a time on a space, turnover gap included.

    A space that can take only one of its requests gets one at-most-one; a space that can take
    several gets one clique per arrival time (the stays present at that instant), which describes
    an interval graph exactly.
    """
    instance = problem.instance
    gap = instance.policy.turnover_minutes
    by_space: dict[int, list[tuple[int, int, cp_model.IntVar]]] = defaultdict(list)
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
            model.add_at_most_one([var for _, _, var in stays])
            continue
        for clique in maximal_cliques([(arrive, leave) for arrive, leave, _ in stays]):
            model.add_at_most_one([stays[i][2] for i in clique])


def _caps(
    model: cp_model.CpModel, problem: Problem, component: Component, x: list[cp_model.IntVar]
) -> None:
    """At most the cap left of each binding cap account's pairs chosen."""
    if not component.binding_accounts:
        return
    by_account: dict[CapAccount, list[cp_model.IntVar]] = defaultdict(list)
    for var, request in zip(x, problem.pair_request[component.pairs].tolist()):
        account = problem.instance.requests[request].account
        if account in component.binding_accounts:
            by_account[account].append(var)
    for account, variables in by_account.items():
        model.add(sum(variables) <= problem.cap_left[account])


def _set_hint(
    model: cp_model.CpModel, x: list[cp_model.IntVar], local: dict[int, int], chosen: IntArray
) -> None:
    """Hint a complete solution: the `chosen` pairs on, every other pair off."""
    model.clear_hints()
    values = np.zeros(len(x), dtype=bool)
    values[[local[pair] for pair in chosen.tolist()]] = True
    for var, value in zip(x, values.tolist()):
        model.add_hint(var, value)


def _solver(seconds: float, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.random_seed = seed
    # One worker is deterministic for a fixed seed: the same night gives the same answer. (The
    # deterministic multi-worker mode, interleave_search, measured 30x slower on small nights.)
    solver.parameters.num_workers = 1
    return solver


def _chosen(solver: cp_model.CpSolver, x: list[cp_model.IntVar], pairs: IntArray) -> IntArray:
    """The pairs set in the solver's last solution."""
    chosen: IntArray = pairs[np.array([solver.boolean_value(var) for var in x], dtype=bool)]
    return chosen
