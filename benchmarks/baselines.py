"""Naive exact models of a night, to compare the engine against: what a first attempt would write.

Both baselines share one formulation (`naive_formulation`):

- one boolean per (request, space) pair that passes the hard per-pair rules (the engine's
  `EligibilityTable.eligible_pairs()`: pool, compound, window, size, features, walk, forbid pins);
- at most one space per request; FORCE pins fixed to 1;
- no overlap on a space: for every two stays on one space that overlap (`Instance.overlaps`,
  turnover gap included), x_a + x_b <= 1. Where *every* two eligible stays of a space overlap,
  the pairwise constraints of that space are written as the single equivalent at-most-one
  (`merged_spaces` counts them): the literal pairwise form of the 450 x 450 dense night has
  45 million constraints and cannot even be built in Python, let alone solved;
- per cap account (a household's parking stays against `household_cap`, its charging sessions
  against `charging_cap`), at most the cap less what the household holds elsewhere tonight;
- ONE weighted objective: each lexicographic tier (served per priority level, highest first;
  fairness points; rotation points; -walk in metres; same space as last night) multiplied by a
  big-M larger than the widest swing of all lower tiers together. The swing of a tier is the sum
  over requests of the largest |value| among the request's pairs (each request is served at most
  once), so the weights are exact: a maximum-weight allocation is lexicographically optimal.

The same model is exact on nights whose spaces take several stays: two stays share a space
unless they overlap, and for intervals the pairwise rows say exactly that. There it grows with
the square of the stays a space may take (night_shift, 300 stays on 60 spaces: 885 thousand
pairwise rows; 1,200 charging sessions on 200 points: tens of millions), so `naive_size` counts
the rows without building them, for the benchmarks to skip what cannot be built.

`plain_cpsat` solves it with CP-SAT (2 workers, default search); `scipy_milp` with HiGHS through
`scipy.optimize.milp`. HiGHS works in double precision: with big-M weights of 1e12-1e16 the lower
tiers (walk, stability) fall below its tolerances, so only the served-per-level part of its answer
is reliable; the served counts are what the benchmark compares.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from engine import Assignment, Instance, PinAction, Reason, Result, Status, Unassigned, objective_of
from engine.eligibility import EligibilityTable
from engine.model import CapAccount

# CP-SAT rejects models whose objective could overflow int64; keep a safety factor.
_CPSAT_LIMIT = 2**62


@dataclass
class NaiveFormulation:
    instance: Instance
    request: np.ndarray  # per pair: request index
    space: np.ndarray  # per pair: space index
    walk: np.ndarray  # per pair: whole metres
    weight: list[int]  # per pair: exact big-M weight (Python ints)
    forced: list[int]  # pair indices fixed to 1
    impossible_pins: list[str]  # FORCE pins on pairs that are not eligible: the model is infeasible
    by_request: list[list[int]]  # at-most-one groups (requests with two or more pairs)
    space_groups: list[list[int]]  # at-most-one groups: spaces whose stays all overlap
    conflicts: list[tuple[int, int]]  # pairwise no-overlap constraints
    households: list[
        tuple[list[int], int]
    ]  # (pairs, cap) for households with more pairs than the cap
    tier_scales: list[tuple[str, int]]  # tier name and its multiplier
    walk_unit_m: int = 1  # 1: exact walk in metres; larger when the weights had to be coarsened
    below_first: int = 0  # how far below zero the tiers after the first can bring the objective
    notes: list[str] = field(default_factory=list)

    @property
    def merged_spaces(self) -> int:
        return len(self.space_groups)

    @property
    def literal_pairwise_constraints(self) -> int:
        """How many x_a + x_b <= 1 rows the model would have without merging all-overlap spaces."""
        return len(self.conflicts) + sum(len(g) * (len(g) - 1) // 2 for g in self.space_groups)

    @property
    def largest_weight(self) -> int:
        return max((abs(w) for w in self.weight), default=0)


def naive_formulation(instance: Instance, walk_unit_m: int = 1) -> NaiveFormulation:
    pairs = EligibilityTable(instance).eligible_pairs()
    request, space, walk = (
        pairs.request.astype(np.int64),
        pairs.space.astype(np.int64),
        pairs.walk_m.astype(np.int64),
    )
    requests, spaces = instance.requests, instance.spaces
    n = len(request)

    # Forced pins.
    index_of_pair = {
        (int(r), int(s)): p for p, (r, s) in enumerate(zip(request.tolist(), space.tolist()))
    }
    request_index = {r.id: i for i, r in enumerate(requests)}
    space_index = {s.id: i for i, s in enumerate(spaces)}
    forced, impossible = [], []
    for pin in instance.pins:
        if pin.action is PinAction.FORCE:
            pair = index_of_pair.get((request_index[pin.request], space_index[pin.space]))
            if pair is None:
                impossible.append(f"{pin.request} is forced onto {pin.space}, which it may not use")
            else:
                forced.append(pair)

    by_request_all: dict[int, list[int]] = defaultdict(list)
    for p, r in enumerate(request.tolist()):
        by_request_all[r].append(p)
    by_request = [g for g in by_request_all.values() if len(g) > 1]

    # No overlap on a space.
    gap = instance.policy.turnover_minutes
    space_groups: list[list[int]] = []
    conflicts: list[tuple[int, int]] = []
    for members, a, d, all_overlap in _space_blocks(instance, request, space):
        if all_overlap:
            space_groups.append(members.tolist())
            continue
        # Pairwise, exactly as Instance.overlaps: a1 < d2 + gap and a2 < d1 + gap.
        clash = (a[:, None] < d[None, :] + gap) & (a[None, :] < d[:, None] + gap)
        i, j = np.nonzero(np.triu(clash, k=1))
        conflicts.extend(zip(members[i].tolist(), members[j].tolist()))

    households = _cap_rows(instance, request)

    # Tiers, most important first; each a value per pair to maximise.
    policy = instance.policy
    priority = np.array([instance.priorities[r.id] for r in requests], dtype=np.int64)
    levels = sorted(set(priority.tolist()), reverse=True)
    fairness = np.array(
        [instance.fairness_points.get(r.household, 0) for r in requests], dtype=np.int64
    )
    rotation = np.array(
        [instance.rotation_points.get(r.household, 0) for r in requests], dtype=np.int64
    )
    last = np.array(
        [space_index.get(instance.last_space_of(r.household) or "", -1) for r in requests],
        dtype=np.int64,
    )
    tiers: list[tuple[str, np.ndarray]] = [
        (f"served at priority {level}", (priority[request] == level).astype(np.int64))
        for level in levels
    ]
    if policy.fairness_weight:
        tiers.append(("fairness", fairness[request]))
        tiers.append(("rotation", rotation[request]))
    if policy.walk_weight:
        # Whole metres (or coarser units when the exact weights would overflow CP-SAT).
        tiers.append(
            ("walking", -policy.walk_weight * np.rint(walk / walk_unit_m).astype(np.int64))
        )
    if policy.stability_weight:
        tiers.append(
            ("stability", policy.stability_weight * (last[request] == space).astype(np.int64))
        )

    scales: list[tuple[str, int]] = []
    scale = 1
    for name, values in reversed(tiers):
        scales.append((name, scale))
        scale *= _swing(values, request, len(requests)) + 1
    scales.reverse()
    # The lowest the tiers below the first can add (walking subtracts), for `top_level_bound`.
    below_first = sum(
        tier_scale * _swing(np.minimum(values, 0), request, len(requests))
        for (_, values), (_, tier_scale) in list(zip(tiers, scales))[1:]
    )
    weight = [0] * n
    for (_, values), (_, tier_scale) in zip(tiers, scales):
        for p, v in enumerate(values.tolist()):
            if v:
                weight[p] += v * tier_scale
    return NaiveFormulation(
        instance=instance,
        request=request,
        space=space,
        walk=walk,
        weight=weight,
        forced=forced,
        impossible_pins=impossible,
        by_request=by_request,
        space_groups=space_groups,
        conflicts=conflicts,
        households=households,
        tier_scales=scales,
        walk_unit_m=walk_unit_m,
        below_first=below_first,
    )


def _space_blocks(
    instance: Instance, request: np.ndarray, space: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, bool]]:
    """Per space with two or more eligible stays: its pair indices, their arrivals and departures,
    and whether every two of them overlap (intervals: Helly, so one at-most-one row is exact)."""
    gap = instance.policy.turnover_minutes
    arrive = np.array([r.arrive for r in instance.requests], dtype=np.int64)
    depart = np.array([r.depart for r in instance.requests], dtype=np.int64)
    order = np.argsort(space, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(space[order]) != 0, True])
    for first, last in pairwise(bounds):
        members = order[first:last]
        if len(members) < 2:
            continue
        a, d = arrive[request[members]], depart[request[members]]
        yield members, a, d, bool(a.max() < d.min() + gap)


def _cap_rows(instance: Instance, request: np.ndarray) -> list[tuple[list[int], int]]:
    """(pairs, room) per cap account whose eligible requests outnumber its room: the account's
    cap (`Policy.cap_of`) less what the household holds elsewhere tonight, never below 0."""
    policy, requests = instance.policy, instance.requests
    if policy.household_cap is None and policy.charging_cap is None:
        return []
    by_account: dict[CapAccount, list[int]] = defaultdict(list)
    for p, r in enumerate(request.tolist()):
        by_account[requests[r].account].append(p)
    rows = []
    for account, members in by_account.items():
        cap = policy.cap_of(account)
        if cap is None:
            continue
        room = max(0, cap - instance.held_elsewhere(account))
        if len({int(request[p]) for p in members}) > room:
            rows.append((members, room))
    return rows


@dataclass(frozen=True)
class NaiveSize:
    """How large `naive_formulation(instance)` would be, counted without building it."""

    pairs: int
    rows: int  # every constraint row: per request, per space (merged or pairwise), per cap account
    pairwise: int  # of which x_a + x_b <= 1 rows


def naive_size(instance: Instance) -> NaiveSize:
    """The naive model's size: pairs, rows and pairwise rows, as `naive_formulation` would build
    them, in O(n log n) per space. A space's overlapping pairs are all its pairs less those where
    one stay leaves (turnover included) before the other arrives."""
    pairs = EligibilityTable(instance).eligible_pairs()
    request = pairs.request.astype(np.int64)
    space = pairs.space.astype(np.int64)
    gap = instance.policy.turnover_minutes
    per_request = int((np.bincount(request, minlength=1) > 1).sum()) if len(request) else 0
    merged = pairwise_rows = 0
    for _, a, d, all_overlap in _space_blocks(instance, request, space):
        if all_overlap:
            merged += 1
            continue
        n = len(a)
        apart = int((n - np.searchsorted(np.sort(a), d + gap, side="left")).sum())
        pairwise_rows += n * (n - 1) // 2 - apart
    caps = len(_cap_rows(instance, request))
    return NaiveSize(len(request), per_request + merged + pairwise_rows + caps, pairwise_rows)


def _swing(values: np.ndarray, request: np.ndarray, n_requests: int) -> int:
    """The widest the tier's total can move: per request, the largest |value| of its pairs."""
    if len(values) == 0:
        return 0
    largest = np.zeros(n_requests, dtype=np.int64)
    np.maximum.at(largest, request, np.abs(values))
    return int(largest.sum())


def _fits_cpsat(formulation: NaiveFormulation) -> bool:
    return sum(abs(w) for w in formulation.weight) < _CPSAT_LIMIT


def formulation_for_cpsat(instance: Instance) -> NaiveFormulation:
    """Exact weights when they fit; otherwise walk in coarser units (10 m, 100 m), noted."""
    for unit in (1, 10, 100, 1000):
        formulation = naive_formulation(instance, walk_unit_m=unit)
        if _fits_cpsat(formulation):
            if unit > 1:
                formulation.notes.append(
                    "big-M weights overflow int64 with walk in metres; "
                    f"walk counted in units of {unit} m"
                )
            return formulation
    raise OverflowError(
        "the big-M objective does not fit CP-SAT's int64 even with walk in kilometres"
    )


@dataclass
class BaselineRun:
    """Everything a baseline run measured; `plain_cpsat` / `scipy_milp` return its first three
    fields."""

    status: str  # optimal, feasible, infeasible, unknown, skipped
    served_by_priority: dict[int, int]
    seconds: float  # build + solve, wall clock
    build_seconds: float = 0.0
    result: Result | None = None  # the allocation as an engine Result, for check_allocation
    formulation: NaiveFormulation | None = None
    message: str = ""
    objective_bound: float | None = None  # the solver's bound on the weighted objective

    def top_level_bound(self) -> int | None:
        """A bound on the highest priority level's served count, from the solver's bound on the
        weighted objective: served * weight - below_first <= bound."""
        if self.objective_bound is None or self.formulation is None:
            return None
        scales = self.formulation.tier_scales
        if not scales or not scales[0][0].startswith("served"):
            return None
        bound = self.objective_bound + self.formulation.below_first
        return math.floor(bound / scales[0][1] + 1e-9)

    def as_tuple(self) -> tuple[str, dict[int, int], float]:
        return self.status, self.served_by_priority, self.seconds


def plain_cpsat(instance: Instance, time_limit: float) -> tuple[str, dict[int, int], float]:
    """The naive CP-SAT model: (status, served per priority level, seconds including model
    building)."""
    return run_plain_cpsat(instance, time_limit).as_tuple()


def run_plain_cpsat(
    instance: Instance, time_limit: float, workers: int = 2, log: bool = False
) -> BaselineRun:
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    formulation = formulation_for_cpsat(instance)
    if formulation.impossible_pins:
        return _infeasible_run(
            instance, formulation, started, "; ".join(formulation.impossible_pins)
        )
    model = cp_model.CpModel()
    x = [model.NewBoolVar(f"x{p}") for p in range(len(formulation.request))]
    for p in formulation.forced:
        model.Add(x[p] == 1)
    for group in formulation.by_request:
        model.AddAtMostOne([x[p] for p in group])
    for group in formulation.space_groups:
        model.AddAtMostOne([x[p] for p in group])
    for a, b in formulation.conflicts:
        model.AddBoolOr([x[a].Not(), x[b].Not()])  # x_a + x_b <= 1
    for members, cap in formulation.households:
        model.Add(sum(x[p] for p in members) <= cap)
    model.Maximize(cp_model.LinearExpr.WeightedSum(x, formulation.weight))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit - (time.perf_counter() - started))
    solver.parameters.num_workers = workers
    solver.parameters.log_search_progress = log
    build = time.perf_counter() - started
    status = solver.Solve(model)
    seconds = time.perf_counter() - started
    name = {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
    }.get(status, "unknown")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return BaselineRun(
            name,
            {},
            seconds,
            build,
            None,
            formulation,
            solver.StatusName(status),
        )
    values = np.asarray(solver.response_proto.solution, dtype=np.int64)[[v.Index() for v in x]]
    result = _as_result(
        formulation,
        np.flatnonzero(values > 0),
        Status.OPTIMAL if status == cp_model.OPTIMAL else Status.FEASIBLE,
        seconds,
        "plain-cp-sat",
    )
    return BaselineRun(
        name,
        result.served_by_priority,
        seconds,
        build,
        result,
        formulation,
        objective_bound=solver.BestObjectiveBound(),
    )


def scipy_milp(instance: Instance, time_limit: float) -> tuple[str, dict[int, int], float]:
    """The same naive model with HiGHS (float weights): (status, served per level, seconds)."""
    return run_scipy_milp(instance, time_limit).as_tuple()


def run_scipy_milp(instance: Instance, time_limit: float) -> BaselineRun:
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix

    started = time.perf_counter()
    formulation = naive_formulation(instance)
    if formulation.impossible_pins:
        return _infeasible_run(
            instance, formulation, started, "; ".join(formulation.impossible_pins)
        )
    n = len(formulation.request)
    rows: list[np.ndarray] = []
    upper: list[float] = []
    for group in formulation.by_request + formulation.space_groups:
        rows.append(np.asarray(group))
        upper.append(1.0)
    for members, cap in formulation.households:
        rows.append(np.asarray(members))
        upper.append(float(cap))
    lengths = [len(r) for r in rows]
    conflict = np.asarray(formulation.conflicts, dtype=np.int64).reshape(-1, 2)
    columns = (
        np.concatenate([*rows, conflict.reshape(-1)])
        if rows or len(conflict)
        else np.zeros(0, dtype=np.int64)
    )
    row_ids = np.concatenate(
        [
            np.repeat(np.arange(len(rows)), lengths),
            len(rows) + np.repeat(np.arange(len(conflict)), 2),
        ]
    )
    n_rows = len(rows) + len(conflict)
    upper_all = np.concatenate([np.asarray(upper, dtype=float), np.ones(len(conflict))])
    constraints = []
    if n_rows:
        matrix = csr_matrix((np.ones(len(columns)), (row_ids, columns)), shape=(n_rows, n))
        constraints.append(LinearConstraint(matrix, -np.inf, upper_all))
    lower = np.zeros(n)
    lower[formulation.forced] = 1.0
    cost = -np.asarray([float(w) for w in formulation.weight])
    build = time.perf_counter() - started
    outcome = milp(
        c=cost,
        integrality=np.ones(n),
        bounds=Bounds(lower, np.ones(n)),
        constraints=constraints,
        options={"time_limit": max(0.01, time_limit - build), "mip_rel_gap": 0.0},
    )
    seconds = time.perf_counter() - started
    dual = getattr(outcome, "mip_dual_bound", None)
    bound = -float(dual) if dual is not None and np.isfinite(dual) else None
    if outcome.status == 2:
        return BaselineRun("infeasible", {}, seconds, build, None, formulation, outcome.message)
    if outcome.x is None:
        return BaselineRun("unknown", {}, seconds, build, None, formulation, outcome.message, bound)
    chosen = np.flatnonzero(outcome.x > 0.5)
    status = Status.OPTIMAL if outcome.status == 0 else Status.FEASIBLE
    result = _as_result(formulation, chosen, status, seconds, "highs-milp")
    return BaselineRun(
        status.value,
        result.served_by_priority,
        seconds,
        build,
        result,
        formulation,
        outcome.message,
        bound,
    )


def _as_result(
    formulation: NaiveFormulation, chosen: np.ndarray, status: Status, seconds: float, method: str
) -> Result:
    """The baseline's allocation as an engine Result, so that `engine.check_allocation` can judge
    it."""
    instance = formulation.instance
    assignments = []
    for p in chosen.tolist():
        request = instance.requests[int(formulation.request[p])]
        space = instance.spaces[int(formulation.space[p])]
        assignments.append(
            Assignment(
                request.id, space.id, request.arrive, request.depart, int(formulation.walk[p])
            )
        )
    assigned = {a.request for a in assignments}
    # The baselines do not explain refusals: every unserved request gets one placeholder reason.
    unassigned = tuple(
        Unassigned(r.id, Reason.ALL_FITTING_SPACES_TAKEN, "not chosen by the baseline")
        for r in instance.requests
        if r.id not in assigned
    )
    objective = objective_of(instance, assignments)
    return Result(
        status=status,
        objective=objective,
        bound_by_priority=dict(objective.served_by_priority),
        refused_by_priority={
            level: sum(instance.priorities[u.request] == level for u in unassigned)
            for level in objective.served_by_priority
        },
        assignments=tuple(sorted(assignments, key=lambda a: a.request)),
        unassigned=unassigned,
        solve_seconds=seconds,
        method=method,
    )


def _infeasible_run(
    instance: Instance, formulation: NaiveFormulation, started: float, message: str
) -> BaselineRun:
    return BaselineRun(
        "infeasible", {}, time.perf_counter() - started, 0.0, None, formulation, message
    )
