"""Solve a night: compile, split into independent parts, pick the fastest exact method for each.

A part where every space takes at most one stay is a weighted bipartite matching, solved exactly
as a sparse assignment when no household cap binds, else by min-cost flow. A part whose spaces
take several stays is solved over its groups of interchangeable spaces as a mixed-integer program
(HiGHS). What neither can take exactly (objective tiers too wide for their arithmetic) goes to
CP-SAT, warm-started by a greedy placement. Whatever happens within the time limit, the result is
feasible; it is called optimal only when every part is proven.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import Executor
from functools import partial
from typing import Literal, get_args

import numpy as np

from engine.arrays import IntArray
from engine.eligibility import EligibilityTable
from engine.explain import unassigned_reasons
from engine.model import Instance
from engine.parts import independent_parts
from engine.result import Assignment, Objective, Reason, Result, Status, Unassigned
from engine.solver.assignment import MAX_PAIRS, solve_assignment
from engine.solver.flow import solve_matching
from engine.solver.greedy import greedy_fill, priority_order
from engine.solver.objective import Tier, TieredSolution, objective_tiers
from engine.solver.problem import Component, PinConflict, Problem, compile_problem

__all__ = ["METHODS", "Method", "allocate_first_come", "objective_of", "solve"]

Method = Literal["auto", "assignment", "flow", "milp", "cp-sat"]
"""How `solve` treats the parts of a night; see its docstring."""
METHODS: tuple[Method, ...] = get_args(Method)


def solve(
    instance: Instance,
    time_limit: float = 10.0,
    seed: int = 0,
    method: Method = "auto",
    executor: Executor | None = None,
    explain: bool = True,
) -> Result:
    """The lexicographically best allocation found within `time_limit` seconds.

    Parameters
    ----------
    instance : Instance
        The night.
    time_limit : float, optional
        Seconds for the whole night; only grouped-program and CP-SAT parts can run out of it.
    seed : int, optional
        The random seed of HiGHS and CP-SAT; the same input and seed give the same allocation.
    method : {"auto", "assignment", "flow", "milp", "cp-sat"}, optional
        Which exact method solves each independent part of the night. A part is a *matching*
        when no space can take two of its stays.

        - "auto" (default): a matching part by the sparse assignment when no household cap
          binds in it, it has at most `MAX_PAIRS` pairs and its weights are exact in doubles;
          else by min-cost flow (in stages when the tiers do not fit one flow); else by CP-SAT.
          Any other part by the grouped mixed-integer program (`engine.solver.milp`) when its
          tiers are exact in doubles, else by CP-SAT.
        - "assignment": every matching part by the sparse assignment, whatever its size; other
          parts as under "auto".
        - "flow": every matching part by min-cost flow; other parts as under "auto".
        - "milp": every part, matchings too, by the grouped mixed-integer program.
        - "cp-sat": every part by CP-SAT on one boolean per pair (slow: for cross-checks).

        "assignment", "flow" and "milp" do not fall back: a part they cannot solve exactly
        raises.
    executor : concurrent.futures.Executor, optional
        A process pool, or a Dask cluster's ``client.get_executor()``: sub-nights that share
        nothing (`engine.parts.independent_parts`) are solved on its workers.
    explain : bool, optional
        False leaves out the refused requests and their reasons (for workers whose caller
        explains the whole night at once).

    Returns
    -------
    Result
        Always valid under every hard rule: `Status.OPTIMAL` when every part was proven,
        `Status.FEASIBLE` when the time limit cut HiGHS or CP-SAT short, `Status.INFEASIBLE`
        (nothing assigned, a message) when the forced pins cannot all hold.

    Raises
    ------
    ValueError
        For an unknown `method`; for "assignment" on a matching part where a household cap
        binds or whose weights are too large for exact arithmetic in doubles; for "flow" on a
        matching part whose objective tiers do not fit 64-bit costs even one at a time; for
        "milp" on a part whose tiers are not exact in doubles even one at a time.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: expected one of {', '.join(METHODS)}")
    if executor is not None:
        parts = independent_parts(instance)
        if len(parts) > 1:
            return _solve_parts(instance, parts, executor, time_limit, seed, method)
    started = time.monotonic()
    deadline = started + time_limit
    try:
        problem = compile_problem(instance)
    except PinConflict as conflict:
        return _infeasible(instance, str(conflict), time.monotonic() - started)

    tiers = objective_tiers(problem)
    chosen: list[IntArray] = []
    proven = True
    bounds = dict.fromkeys(problem.levels, 0)
    counts: dict[str, int | float] = {
        "components": len(problem.components),
        "assignment_components": 0,
        "flow_components": 0,
        "cp_sat_components": 0,
    }
    for component in sorted(problem.components, key=lambda c: len(c.pairs)):
        matched = (
            _solve_matching_part(problem, component, tiers, method)
            if method not in ("cp-sat", "milp") and component.is_matching
            else None
        )
        if matched is not None:
            picked, used = matched
            counts[f"{used}_components"] += 1
            chosen.append(picked)
            _add_served(bounds, problem, picked)
            continue
        outcome = _solve_general_part(problem, component, tiers, method, deadline, seed, counts)
        chosen.append(outcome.chosen)
        proven &= outcome.proven
        for level in problem.levels:
            # A level whose tier was never reached is bounded only by its number of requests.
            unsolved = (
                0 if outcome.proven else int((problem.priority[component.requests] == level).sum())
            )
            bounds[level] += outcome.level_bounds.get(level, unsolved)

    picked = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    if not proven:
        # Anything the cut-short search left free is still usable: top it up greedily.
        picked = greedy_fill(
            problem,
            priority_order(problem, range(len(instance.requests))),
            np.arange(len(problem.pair_request)),
            picked,
        )
    for request in problem.forced:
        bounds[int(problem.priority[request])] += 1
    used_methods = (
        ("assignment", counts["assignment_components"]),
        ("flow", counts["flow_components"]),
        ("milp", counts.get("milp_components", 0)),
        ("cp-sat", counts["cp_sat_components"]),
    )
    return _result(
        problem,
        picked,
        Status.OPTIMAL if proven else Status.FEASIBLE,
        bounds,
        "+".join(name for name, components in used_methods if components) or "none",
        started,
        counts,
        explain,
    )


def _solve_matching_part(
    problem: Problem, component: Component, tiers: list[Tier], method: Method
) -> tuple[IntArray, Literal["assignment", "flow"]] | None:
    """A matching part by the method asked for, and the method used; None sends it on."""
    if method == "assignment" or (method == "auto" and len(component.pairs) <= MAX_PAIRS):
        picked, why_not = _by_assignment(problem, component, tiers)
        if picked is not None:
            return picked, "assignment"
        if method == "assignment":
            raise ValueError(
                f"method 'assignment' cannot solve a part of night {problem.instance.name!r}: "
                f"{why_not}; use 'flow' or 'auto'"
            )
    picked = solve_matching(problem, component, tiers)
    if picked is not None:
        return picked, "flow"
    if method == "flow":
        raise ValueError(
            f"method 'flow' cannot solve a part of night {problem.instance.name!r}: its "
            "objective tiers do not fit 64-bit costs even one at a time; use 'cp-sat' or 'auto'"
        )
    return None


def _solve_general_part(
    problem: Problem,
    component: Component,
    tiers: list[Tier],
    method: Method,
    deadline: float,
    seed: int,
    counts: dict[str, int | float],
) -> TieredSolution:
    """A part by the grouped mixed-integer program or CP-SAT, counted in `counts`.

    The program's counts (parts, groups, spaces in them) are added only when it runs, so the
    stats of nights it never sees stay as they were.
    """
    if method != "cp-sat":
        # Imported here: HiGHS's module costs start-up time that matching nights do not need.
        from engine.solver.milp import solve_grouped

        grouped = solve_grouped(problem, component, tiers, deadline, seed)
        if grouped is not None:
            outcome, grouping = grouped
            for key, value in (
                ("milp_components", 1),
                ("space_groups", len(grouping.spaces)),
                ("grouped_spaces", int(grouping.capacity.sum())),
                ("milp_tiers", outcome.tiers or 0),
                ("milp_tiers_proven", outcome.tiers_proven or 0),
            ):
                counts[key] = counts.get(key, 0) + value
            if outcome.stopped_gap is not None:
                # The widest of the parts' stopped stages.
                counts["milp_stopped_gap"] = max(
                    float(counts.get("milp_stopped_gap", 0.0)), outcome.stopped_gap
                )
            return outcome
        if method == "milp":
            raise ValueError(
                f"method 'milp' cannot solve a part of night {problem.instance.name!r}: its "
                "objective tiers are not exact in doubles even one at a time; use 'cp-sat' or "
                "'auto'"
            )
    counts["cp_sat_components"] += 1
    # Imported here: OR-Tools' CP-SAT module (with pandas) costs 0.5 s of start-up that nights
    # solved by the other methods do not need.
    from engine.solver.cpsat import solve_tiers

    return solve_tiers(problem, component, tiers, deadline, seed)


def _by_assignment(
    problem: Problem, component: Component, tiers: list[Tier]
) -> tuple[IntArray | None, str]:
    """The assignment's pairs, or None and why it cannot solve this part exactly."""
    if component.binding_accounts:
        return None, "a household cap binds in it, which an assignment cannot hold"
    picked = solve_assignment(problem, component, tiers)
    if picked is None:
        return None, "its objective weights are too large for exact arithmetic in doubles"
    return picked, ""


def _solve_parts(
    instance: Instance,
    parts: list[Instance],
    executor: Executor,
    time_limit: float,
    seed: int,
    method: Method,
) -> Result:
    started = time.monotonic()
    # Wall-clock, not monotonic: the workers may be other processes or other machines.
    deadline = time.time() + time_limit
    results = list(
        executor.map(partial(_solve_before, deadline=deadline, seed=seed, method=method), parts)
    )
    infeasible = [r for r in results if r.status is Status.INFEASIBLE]
    if infeasible:
        return _infeasible(instance, infeasible[0].message, time.monotonic() - started)
    index = {r.id: i for i, r in enumerate(instance.requests)}
    assignments = sorted(
        (a for r in results for a in r.assignments), key=lambda a: index[a.request]
    )
    objective = objective_of(instance, assignments)
    proven = all(r.status is Status.OPTIMAL for r in results)
    bounds = {
        level: sum(r.bound_by_priority.get(level, 0) for r in results)
        for level in objective.served_by_priority
    }
    stats: dict[str, int | float | str] = {"parts": len(parts)}
    for key in (
        "components",
        "assignment_components",
        "flow_components",
        "cp_sat_components",
        "eligible_pairs",
    ):
        stats[key] = sum(int(r.stats.get(key, 0)) for r in results)
    for key in (
        "milp_components",
        "space_groups",
        "grouped_spaces",
        "milp_tiers",
        "milp_tiers_proven",
    ):
        total = sum(int(r.stats.get(key, 0)) for r in results)
        if total:
            stats[key] = total
    gaps = [float(r.stats["milp_stopped_gap"]) for r in results if "milp_stopped_gap" in r.stats]
    if gaps:
        stats["milp_stopped_gap"] = max(gaps)
    methods = sorted({m for r in results for m in r.method.split("+") if m != "none"})
    return Result(
        status=Status.OPTIMAL if proven else Status.FEASIBLE,
        objective=objective,
        bound_by_priority=bounds,
        refused_by_priority=_refused(instance, objective),
        assignments=tuple(assignments),
        # Recomputed on the whole night: a part cannot count the spaces of the other parts.
        unassigned=tuple(unassigned_reasons(instance, EligibilityTable(instance), assignments)),
        solve_seconds=time.monotonic() - started,
        method="+".join(methods) or "none",
        stats=stats,
    )


def _solve_before(part: Instance, deadline: float, seed: int, method: Method) -> Result:
    return solve(
        part, time_limit=max(0.01, deadline - time.time()), seed=seed, method=method, explain=False
    )


def allocate_first_come(instance: Instance) -> Result:
    """The baseline a property office would use by hand: requests in submission order, each on
    the nearest space still free.

    Parameters
    ----------
    instance : Instance
        The night.

    Returns
    -------
    Result
        `Status.FEASIBLE` (or `Status.INFEASIBLE` when the forced pins cannot hold), method
        "first-come-first-served", with reasons for the refused.
    """
    started = time.monotonic()
    try:
        problem = compile_problem(instance)
    except PinConflict as conflict:
        return _infeasible(instance, str(conflict), time.monotonic() - started)
    picked = greedy_fill(
        problem, range(len(instance.requests)), np.arange(len(problem.pair_request))
    )
    return _result(problem, picked, Status.FEASIBLE, {}, "first-come-first-served", started, {})


def _add_served(bounds: dict[int, int], problem: Problem, picked: IntArray) -> None:
    for request in problem.pair_request[picked].tolist():
        bounds[int(problem.priority[request])] += 1


def _result(
    problem: Problem,
    picked: IntArray,
    status: Status,
    bounds: dict[int, int],
    method: str,
    started: float,
    stats: dict[str, int | float],
    explain: bool = True,
) -> Result:
    instance = problem.instance
    placed = [
        (int(r), int(s), int(w))
        for r, s, w in zip(
            problem.pair_request[picked], problem.pair_space[picked], problem.pair_walk[picked]
        )
    ]
    for request, space in problem.forced.items():
        placed.append(
            (
                request,
                space,
                instance.household_by_id[instance.requests[request].household].walk_to(
                    instance.spaces[space]
                ),
            )
        )
    placed.sort()
    assignments = [
        Assignment(
            instance.requests[r].id,
            instance.spaces[s].id,
            instance.requests[r].arrive,
            instance.requests[r].depart,
            walk,
        )
        for r, s, walk in placed
    ]
    objective = objective_of(instance, assignments)
    if status is Status.OPTIMAL:
        bounds = dict(objective.served_by_priority)
    else:
        # A bound is never below what this allocation already serves.
        bounds = {
            level: max(bounds.get(level, served), served)
            for level, served in objective.served_by_priority.items()
        }
    return Result(
        status=status,
        objective=objective,
        bound_by_priority=bounds,
        refused_by_priority=_refused(instance, objective),
        assignments=tuple(assignments),
        unassigned=tuple(unassigned_reasons(instance, problem.table, assignments))
        if explain
        else (),
        solve_seconds=time.monotonic() - started,
        method=method,
        stats={**stats, "eligible_pairs": len(problem.pair_request) + len(problem.forced)},
    )


def objective_of(instance: Instance, assignments: list[Assignment]) -> Objective:
    """The objective's terms of any allocation, recomputed from the instance alone.

    Parameters
    ----------
    instance : Instance
        The night.
    assignments : list of Assignment
        Any allocation (the engine's, a baseline's, a hand-made one).

    Returns
    -------
    Objective
        Served requests per level (every level present tonight), fairness and rotation points,
        total walk (as reported by the assignments) and requests on last night's space.
    """
    levels = sorted(set(instance.priorities.values()), reverse=True)
    served = dict.fromkeys(levels, 0)
    fairness = rotation = walk = stable = 0
    for assignment in assignments:
        request = instance.request_by_id[assignment.request]
        served[instance.priorities[request.id]] += 1
        fairness += instance.fairness_points.get(request.household, 0)
        rotation += instance.rotation_points.get(request.household, 0)
        walk += assignment.walk_m
        stable += instance.last_space_of(request.household) == assignment.space
    return Objective(
        served_by_priority=served,
        fairness_points=fairness,
        rotation_points=rotation,
        walk_m=walk,
        same_space_as_last_night=stable,
    )


def _refused(instance: Instance, objective: Objective) -> dict[int, int]:
    """Requests not served at each level."""
    requests = Counter(instance.priorities.values())
    return {
        level: requests[level] - served for level, served in objective.served_by_priority.items()
    }


def _infeasible(instance: Instance, message: str, seconds: float) -> Result:
    levels = sorted(set(instance.priorities.values()), reverse=True)
    return Result(
        status=Status.INFEASIBLE,
        objective=Objective(dict.fromkeys(levels, 0), 0, 0, 0, 0),
        bound_by_priority=dict.fromkeys(levels, 0),
        refused_by_priority=dict(Counter(instance.priorities.values())),
        assignments=(),
        unassigned=tuple(
            Unassigned(r.id, Reason.NOT_ALLOCATED, f"the night was not allocated: {message}")
            for r in instance.requests
        ),
        solve_seconds=seconds,
        method="none",
        message=message,
    )
