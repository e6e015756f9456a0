"""Parts whose spaces take several stays: the grouped model as a mixed-integer program (HiGHS).

Interchangeable spaces are merged first (`engine.solver.groups`): one binary per (request, group)
and, per group of k spaces, "at most k chosen stays present at each arrival time". Each family
of constraints is added by one function. The tiers are solved in stages: as many leading tiers
as fit one exact weighted objective (`combined_weights`), then the stage's optimum is held as a
constraint and the next stage starts (its incumbent, for the fixing below: the solution so far).

Exactness in doubles. HiGHS computes in doubles, with primal, dual and integrality tolerances set
here to `_TOLERANCE` (1e-9). A chosen value within the tolerance of 0 or 1 changes a stage's
objective by at most max|c| x 1e-9, and a reduced cost off by the tolerance moves an LP bound by at
most 1e-9 per binary; so a stage's weights are taken only while (binaries x largest weight) is at
most `_EXACT_PRODUCT` (2.5e8), keeping both errors below 1/4 of the objective's unit, and its
largest weight at most `_LARGEST_WEIGHT` (2^20), so that the tolerance is above the doubles'
rounding of a cost. Objectives of allocations are integers, so a gap below 1 proves a stage, and
its value is recomputed exactly from the rounded solution. A part where even one tier alone does
not fit is left to CP-SAT.

Before each stage's search, variables are fixed by the LP relaxation's reduced costs: a binary
at 0 whose raise would bring the LP bound below the warm start's value is 0 in every optimal
solution of the stage, hence of every later stage, which holds this one's optimum.

The leading tiers that depend only on the request are solved on coarser groups (spaces with the
same eligible requests, whatever their walks), then held on the fine groups for walking and
stability: on `benchmarks.instances.night_shift` the 60 spaces make 2 coarse groups.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import highspy
import numpy as np
from highspy._core import _Highs

from engine.arrays import FloatArray, IntArray
from engine.model import CapAccount
from engine.solver.greedy import priority_order
from engine.solver.groups import Grouping, colour, group_spaces, maximal_cliques
from engine.solver.objective import Tier, TieredSolution, combined_weights, leading_scale
from engine.solver.problem import Component, Problem

_TOLERANCE = 1e-9
_EXACT_PRODUCT = 250_000_000
_LARGEST_WEIGHT = 2**20
# A binary's flip must cost at least this much of the LP bound beyond the warm start's value
# before it is fixed: half the objective's unit, twice the worst error the weights allow.
_FIXING_MARGIN = 0.5
# A group's capacity goes in as a flow when it has at least this many spaces and its clique rows
# would hold this many times the flow's nonzeros (see `_group_capacity`).
_FLOW_SPACES = 16
_FLOW_RATIO = 8


@dataclass
class _Rows:
    """Constraint rows ``lower <= sum(values * x[columns]) <= upper`` of the grouped model, in
    CSR form, and how many columns beyond the choices they use (`extra`, continuous)."""

    starts: list[int]
    columns: list[IntArray]
    values: list[FloatArray]
    lower: list[float]
    upper: list[float]
    extra_upper: list[float]

    def add(
        self,
        columns: IntArray,
        upper: float,
        values: FloatArray | None = None,
        lower: float = -highspy.kHighsInf,
    ) -> None:
        self.columns.append(columns)
        self.values.append(np.ones(len(columns)) if values is None else values)
        self.lower.append(lower)
        self.upper.append(upper)
        self.starts.append(self.starts[-1] + len(columns))

    def column(self, upper: float) -> int:
        """A new continuous column in [0, upper], numbered after the `choices` and those before.

        Returns its position among the extra columns.
        """
        self.extra_upper.append(upper)
        return len(self.extra_upper) - 1


def weight_limit(choices: int) -> int:
    """The largest weight a stage over `choices` binaries may hold (see the module's note).

    Parameters
    ----------
    choices : int
        Binaries of the grouped model.

    Returns
    -------
    int
        The limit for `combined_weights`.
    """
    return min(_LARGEST_WEIGHT, _EXACT_PRODUCT // max(1, choices))


def solve_grouped(
    problem: Problem, component: Component, tiers: list[Tier], deadline: float, seed: int = 0
) -> tuple[TieredSolution, Grouping] | None:
    """Optimise the tiers in stages on one part, over its groups of interchangeable spaces.

    The leading tiers that depend only on the request (served per level, fairness, rotation)
    are solved first on coarse groups: spaces with the same eligible requests, whatever their
    walks. Their optima are then held on the fine groups (`group_spaces` with every tier), where
    walking and stability are solved.

    Parameters
    ----------
    problem : Problem
        The compiled night.
    component : Component
        The part to solve (any part; meant for those whose spaces take several stays).
    tiers : list of Tier
        The objective, most important first.
    deadline : float
        `time.monotonic()` by which to stop.
    seed : int, optional
        HiGHS's random seed.

    Returns
    -------
    tuple of (TieredSolution, Grouping) or None
        The solution (always a valid placement: where the time limit stops a stage, its best
        solution, at least a greedy placement) and the fine groups; None when some tier's
        weights do not fit exact arithmetic in doubles even alone.

    Raises
    ------
    RuntimeError
        When HiGHS calls the model infeasible or fails: placing nothing is always feasible and
        each held optimum was reached by a solution, so either is a bug here.
    """
    live = [tier for tier in tiers if tier.value[component.pairs].any()]
    fine = group_spaces(problem, component, tiers)
    limit = weight_limit(len(fine.choice_pair))
    if any(
        combined_weights(problem, [tier], fine.choice_pair, False, limit) is None for tier in live
    ):
        return None
    leading = 0
    while leading < len(live) and live[leading].per_request:
        leading += 1
    phases = [(fine, live)]
    if 0 < leading < len(live):
        coarse = group_spaces(problem, component, [])
        if len(coarse.spaces) < len(fine.spaces):
            phases = [(coarse, live[:leading]), (fine, live[leading:])]
    # The greedy placement: the first stage's incumbent, and the answer if no stage finishes.
    first = phases[0][0]
    placed = colour(problem, first, greedy_choices(problem, component, first))
    search = _Search(problem, component, deadline, seed)
    for grouping, stage_tiers in phases:
        placed = search.phase(grouping, stage_tiers, placed)
        if not search.proven:
            break
    proven_tiers = sum(len(stage_tiers) for stage_tiers, _ in search.held)
    solution = TieredSolution(
        placed, search.proven, search.bounds, len(live), proven_tiers, search.stopped_gap
    )
    return solution, fine


def greedy_choices(problem: Problem, component: Component, grouping: Grouping) -> IntArray:
    """A greedy placement on the groups: requests by `priority_order`, each on its nearest group
    (then the first) that has room for its whole stay, within its cap account's cap.

    A group has room when fewer than its k spaces' worth of chosen stays are present at every
    instant of the stay (turnover included); by the interval colouring (`colour`) the choices
    then fit its spaces. Instants are the cells between the part's arrival and departure times.

    Parameters
    ----------
    problem : Problem
        The compiled night.
    component : Component
        The part.
    grouping : Grouping
        Its groups.

    Returns
    -------
    IntArray
        The chosen choices, ascending.
    """
    arrive = problem.table.request_arrive
    leave = problem.table.request_depart + problem.instance.policy.turnover_minutes
    requests = component.requests
    times = np.unique(np.concatenate([arrive[requests], leave[requests]]))
    present = np.zeros((len(grouping.spaces), max(len(times) - 1, 0)), dtype=np.int32)
    capacity = grouping.capacity.tolist()
    walk = problem.pair_walk[grouping.choice_pair]
    order = np.lexsort((grouping.choice_group, walk, grouping.choice_request))
    by_request = np.split(order, np.flatnonzero(np.diff(grouping.choice_request[order]) != 0) + 1)
    choices_of = {int(grouping.choice_request[c[0]]): c.tolist() for c in by_request if len(c)}
    group_of = grouping.choice_group.tolist()
    taken: dict[CapAccount, int] = defaultdict(int)
    chosen: list[int] = []
    for request in priority_order(problem, requests.tolist()):
        account = problem.instance.requests[request].account
        if account in problem.cap_left and taken[account] >= problem.cap_left[account]:
            continue
        first = int(np.searchsorted(times, arrive[request]))
        last = int(np.searchsorted(times, leave[request]))
        for choice in choices_of.get(request, ()):
            row = present[group_of[choice], first:last]
            if row.max(initial=0) < capacity[group_of[choice]]:
                row += 1
                chosen.append(choice)
                taken[account] += 1
                break
    return np.array(sorted(chosen), dtype=np.int64)


class _Search:
    """The stages of one part, phase after phase; each phase a model over one grouping.

    `held` keeps each solved stage's tiers and optimum, so that a later phase's model holds them
    too; `bounds` and `proven` are what the stages so far have shown.
    """

    def __init__(self, problem: Problem, component: Component, deadline: float, seed: int) -> None:
        self.problem, self.component = problem, component
        self.deadline, self.seed = deadline, seed
        self.held: list[tuple[list[Tier], int]] = []
        self.bounds: dict[int, int] = {}
        self.proven = True
        self.stopped_gap: float | None = None

    def phase(self, grouping: Grouping, tiers: list[Tier], placed: IntArray) -> IntArray:
        """Solve `tiers` in stages on `grouping`, from the placement `placed` (pairs).

        Returns the placement (pairs) at the end: optimal for every stage if `proven` stays.
        """
        problem = self.problem
        highs = _model(problem, self.component, grouping, self.seed)
        limit = weight_limit(len(grouping.choice_pair))
        held = [(self._weights(grouping, t), value) for t, value in self.held]
        for weights, value in held:
            _hold(highs, weights, value)

        chosen = grouping.choices_of(placed, problem)
        live = tiers
        while live:
            stage, weights = _widest_stage(problem, grouping, live, limit)
            if self.deadline - time.monotonic() <= 0:
                self.proven = False
                break
            found = _fix_by_reduced_costs(
                highs, weights, chosen, self.deadline - time.monotonic(), self.seed
            )
            if found is not None and not self._placeable(grouping, found.chosen):
                found = None
            if found is None:
                found = _search(highs, weights, chosen, self.deadline - time.monotonic())
            if found is not None and not _holds(held, found.chosen):
                found = None  # numerical trouble: keep the solution so far, prove nothing more
            if found is None or not found.optimal:
                if found is not None:
                    chosen = found.chosen
                    self._bound(grouping, live[:stage], found.upper_bound)
                    self._gap(int(weights[chosen].sum()), found.upper_bound)
                self.proven = False
                break
            chosen = found.chosen
            value = int(weights[chosen].sum())
            held.append((weights, value))
            self.held.append((live[:stage], value))
            _hold(highs, weights, value)
            for tier in live[:stage]:
                if tier.level is not None:
                    self.bounds[tier.level] = int(tier.value[grouping.choice_pair[chosen]].sum())
            live = live[stage:]
        return colour(problem, grouping, chosen)

    def _placeable(self, grouping: Grouping, chosen: IntArray) -> bool:
        """The choices keep every rule of the model, checked exactly: each request chosen once,
        each cap account within its cap, each group never over its spaces (by colouring)."""
        requests = grouping.choice_request[chosen]
        if len(np.unique(requests)) < len(requests):
            return False
        accounts = Counter(self.problem.instance.requests[r].account for r in requests.tolist())
        cap_left = self.problem.cap_left
        if any(count > cap_left.get(account, count) for account, count in accounts.items()):
            return False
        try:
            colour(self.problem, grouping, chosen)
        except ValueError:
            return False
        return True

    def _weights(self, grouping: Grouping, tiers: list[Tier]) -> IntArray:
        """A held stage's weights on another grouping's choices (exact: only doubles' range)."""
        weights = combined_weights(self.problem, tiers, grouping.choice_pair, False, 2**52)
        if weights is None:
            raise AssertionError("a held stage's weights fit a smaller limit before")
        return weights

    def _gap(self, value: int, upper: float | None) -> None:
        """The stopped stage's relative gap (`TieredSolution.stopped_gap`)."""
        if upper is not None and np.isfinite(upper):
            self.stopped_gap = max(0.0, upper - value) / max(1, abs(value))

    def _bound(self, grouping: Grouping, tiers: list[Tier], upper: float | None) -> None:
        """The first tier's bound from HiGHS's bound `upper` on the stopped stage's objective."""
        level = tiers[0].level
        if upper is None or not np.isfinite(upper) or level is None:
            return
        scale = leading_scale(self.problem, tiers, grouping.choice_pair)
        self.bounds[level] = int((upper + 0.25 + scale - 1) // scale)


@dataclass
class _Found:
    """A stage's search: the best choices, an upper bound on its objective, and if proven."""

    chosen: IntArray
    upper_bound: float | None
    optimal: bool


def _widest_stage(
    problem: Problem, grouping: Grouping, tiers: list[Tier], limit: int
) -> tuple[int, IntArray]:
    """How many leading tiers fit one exact objective, and its weight per choice."""
    for end in range(len(tiers), 0, -1):
        weights = combined_weights(problem, tiers[:end], grouping.choice_pair, False, limit)
        if weights is not None:
            return end, weights
    raise AssertionError("every tier fits alone: checked before the first stage")


def _model(problem: Problem, component: Component, grouping: Grouping, seed: int) -> _Highs:
    rows = _Rows(starts=[0], columns=[], values=[], lower=[], upper=[], extra_upper=[])
    count = len(grouping.choice_pair)
    _one_group_per_request(grouping, rows)
    _group_capacity(problem, grouping, rows, count)
    _caps(problem, component, grouping, rows)
    extra = len(rows.extra_upper)
    model = highspy.HighsLp()
    model.num_col_ = count + extra
    model.num_row_ = len(rows.upper)
    model.col_cost_ = np.zeros(count + extra)
    model.col_lower_ = np.zeros(count + extra)
    model.col_upper_ = np.r_[np.ones(count), np.array(rows.extra_upper, dtype=np.float64)]
    model.row_lower_ = np.array(rows.lower, dtype=np.float64)
    model.row_upper_ = np.array(rows.upper, dtype=np.float64)
    model.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    model.a_matrix_.start_ = np.array(rows.starts, dtype=np.int32)
    model.a_matrix_.index_ = (
        np.concatenate(rows.columns).astype(np.int32) if rows.columns else np.zeros(0, np.int32)
    )
    model.a_matrix_.value_ = (
        np.concatenate(rows.values).astype(np.float64) if rows.values else np.zeros(0)
    )
    model.integrality_ = [highspy.HighsVarType.kInteger] * count + [
        highspy.HighsVarType.kContinuous
    ] * extra
    model.sense_ = highspy.ObjSense.kMaximize
    highs = _solver(seed, None)
    highs.passModel(model)
    return highs


def _solver(seed: int, seconds: float | None) -> _Highs:
    """A silent HiGHS with this module's tolerances and gaps."""
    # The binding class without highspy's Python callbacks: the wrapper's constructor prints
    # HiGHS's banner to standard output, which would corrupt `parking allocate --format json`.
    highs = _Highs()
    for option, value in (
        ("output_flag", False),
        ("random_seed", seed),
        ("mip_rel_gap", 0.0),
        # Objectives are integers: a gap below 1 proves the optimum (errors stay below 1/4).
        ("mip_abs_gap", 0.5),
        ("primal_feasibility_tolerance", _TOLERANCE),
        ("dual_feasibility_tolerance", _TOLERANCE),
        ("mip_feasibility_tolerance", _TOLERANCE),
    ):
        highs.setOptionValue(option, value)
    if seconds is not None:
        highs.setOptionValue("time_limit", seconds)
    return highs


def _one_group_per_request(grouping: Grouping, rows: _Rows) -> None:
    by_request: dict[int, list[int]] = defaultdict(list)
    for choice, request in enumerate(grouping.choice_request.tolist()):
        by_request[request].append(choice)
    for choices in by_request.values():
        if len(choices) > 1:
            rows.add(np.array(choices, dtype=np.int64), 1.0)


def _group_capacity(problem: Problem, grouping: Grouping, rows: _Rows, count: int) -> None:
    """At most k of a group's chosen stays present at one instant, turnover included.

    A group gets a row per maximal clique of its stays (`maximal_cliques`) with more than k
    stays; or, when it has at least `_FLOW_SPACES` spaces and those rows would hold over
    `_FLOW_RATIO` times as many nonzeros, the flow along its arrival times (`_capacity_flow`):
    the same relaxation with two nonzeros per choice instead of one per clique the stay is in.
    Both thresholds are measured, not derived (noisy 2-core machine, 60 s limits):
    `benchmarks.instances.shared_chargers` 200 x 1,200 (groups of 50 and 150 spaces, ratio 12)
    solved in 5.5 s with clique rows, 1.9 s with the flow. Small groups lost with the flow: on
    groups of one space (set packing rows, which HiGHS's clique table uses) 40 all-different
    spaces went unproven; on their coarse groups (2-6 spaces, ratio about 4) a 1.3 s stage took
    10 s; and on the coarse groups of 100 all-different spaces (5-12 spaces, ratio 9-10.5) the
    stopped night served 62 priority-1 stays instead of 103. The cliques of an interval graph
    cover every instant, so both are exact.
    """
    gap = problem.instance.policy.turnover_minutes
    arrive, depart = problem.table.request_arrive, problem.table.request_depart
    capacity = grouping.capacity
    for group in range(len(grouping.spaces)):
        choices = np.flatnonzero(grouping.choice_group == group)
        requests = grouping.choice_request[choices]
        if len(choices) <= capacity[group]:
            continue
        stays = list(zip(arrive[requests].tolist(), (depart[requests] + gap).tolist()))
        cliques = [c for c in maximal_cliques(stays) if len(c) > capacity[group]]
        times = len(np.unique(arrive[requests]))
        flow_nonzeros = 2 * (len(choices) + times)
        if capacity[group] >= _FLOW_SPACES and sum(map(len, cliques)) > _FLOW_RATIO * flow_nonzeros:
            _capacity_flow(
                arrive[requests], depart[requests] + gap, choices, int(capacity[group]), rows, count
            )
            continue
        for clique in cliques:
            rows.add(choices[clique], float(capacity[group]))


def _capacity_flow(
    arrive: IntArray, leave: IntArray, choices: IntArray, k: int, rows: _Rows, count: int
) -> None:
    """The same capacity as a flow along the group's arrival times: the room left after the
    arrivals at time t_i is the room after t_(i-1), less the stays arriving at t_i, plus those
    that left in (t_(i-1), t_i]; each room is a continuous column in [0, k]."""
    times = np.unique(arrive)
    arrival_row = np.searchsorted(times, arrive)
    # A stay frees its place at the first arrival time at or after it leaves (if any).
    leave_row = np.searchsorted(times, leave)
    room = [count + rows.column(float(k)) for _ in range(len(times))]
    for i in range(len(times)):
        starting = choices[arrival_row == i]
        ending = choices[leave_row == i]
        columns = [np.array([room[i]], dtype=np.int64), starting, ending]
        values = [np.ones(1), np.ones(len(starting)), -np.ones(len(ending))]
        if i:
            columns.append(np.array([room[i - 1]], dtype=np.int64))
            values.append(-np.ones(1))
        upper = float(k) if i == 0 else 0.0
        rows.add(np.concatenate(columns), upper, np.concatenate(values), lower=upper)


def _caps(problem: Problem, component: Component, grouping: Grouping, rows: _Rows) -> None:
    """At most the cap left of each binding cap account's requests chosen."""
    if not component.binding_accounts:
        return
    by_account: dict[CapAccount, list[int]] = defaultdict(list)
    for choice, request in enumerate(grouping.choice_request.tolist()):
        account = problem.instance.requests[request].account
        if account in component.binding_accounts:
            by_account[account].append(choice)
    for account, choices in by_account.items():
        rows.add(np.array(choices, dtype=np.int64), float(problem.cap_left[account]))


def _fix_by_reduced_costs(
    highs: _Highs, weights: IntArray, warm: IntArray, seconds: float, seed: int
) -> _Found | None:
    """Set the stage's costs, and fix at 0 the binaries the LP relaxation proves 0 in every
    optimum of this stage; or, when the relaxation proves the stage on its own, its optimum.

    The relaxation proves the stage when its solution is integral (within the tolerance) and the
    rounded solution is worth its bound, or when the warm start is: objectives are integers, so
    a choice within 1/2 of the bound is optimal (errors stay below 1/4). The rounded solution's
    rules are then checked exactly by the caller (`_Search._placeable`), and its held optima
    like any stage's. On `benchmarks.instances.shared_chargers` every per-request stage was
    proven so, without a branch-and-bound run.

    The relaxation is solved on a copy: after a continuous run of the same model, HiGHS 1.16 was
    seen to report the relaxation's value as the optimum of the next integer run.

    Returns
    -------
    _Found or None
        The stage's optimum when the relaxation proves it, else None (after fixing).
    """
    count = len(weights)
    indices = np.arange(count, dtype=np.int32)
    highs.changeColsCost(count, indices, weights.astype(np.float64))
    model = highs.getLp()
    model.integrality_ = []
    # A quarter of the time left at most: the fixing only speeds the search up.
    relaxation = _solver(seed, max(seconds / 4, 0.001))
    relaxation.passModel(model)
    relaxation.run()
    if relaxation.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    bound = relaxation.getInfo().objective_function_value
    solution = relaxation.getSolution()
    # The choices' columns come first; the continuous columns after them are never fixed.
    values = np.asarray(solution.col_value)[:count]
    reduced = np.asarray(solution.col_dual)[:count]
    incumbent = float(weights[warm].sum())
    if incumbent > bound - _FIXING_MARGIN:
        return _Found(warm, bound, True)
    if np.all((values < _TOLERANCE) | (values > 1 - _TOLERANCE)):
        rounded = np.flatnonzero(values > 0.5)
        if float(weights[rounded].sum()) > bound - _FIXING_MARGIN:
            return _Found(rounded, bound, True)
    # Raising x_j from 0 lowers the LP bound by |reduced cost| at least. Only zeros are fixed:
    # a column fixed at 1 would need the same care for its cost in HiGHS's objective.
    fix = (np.abs(reduced) > bound - incumbent + _FIXING_MARGIN) & (values < _TOLERANCE)
    if fix.any():
        zeros = np.zeros(int(fix.sum()))
        highs.changeColsBounds(int(fix.sum()), indices[fix], zeros, zeros)
    return None


def _search(highs: _Highs, weights: IntArray, warm: IntArray, seconds: float) -> _Found | None:
    """The stage's search; None when it stopped with nothing better than the warm start.

    The warm start is not handed to HiGHS: with a start solution set, HiGHS 1.16 can report the
    optimum's value but return the start's columns. A stage stopped by the limit keeps the better
    of the two, in exact arithmetic.
    """
    highs.setOptionValue("time_limit", max(seconds, 0.001))
    highs.run()
    status = highs.getModelStatus()
    info = highs.getInfo()
    if status in _FAILURES:
        raise RuntimeError(
            f"HiGHS answered {highs.modelStatusToString(status)} on a grouped model where "
            "placing nothing is always feasible: the model is wrong"
        )
    bound = float(info.mip_dual_bound)
    if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        return _Found(warm, bound, False)
    solved: FloatArray = np.asarray(highs.getSolution().col_value)[: len(weights)]
    chosen = np.flatnonzero(solved > 0.5)
    if abs(float(weights[chosen].sum()) - info.objective_function_value) > 0.25:
        # The rounded solution is not worth what HiGHS says: nothing it proved can be trusted.
        return None
    optimal = status == highspy.HighsModelStatus.kOptimal
    if not optimal and weights[chosen].sum() < weights[warm].sum():
        chosen = warm
    return _Found(chosen, bound, optimal)


_FAILURES = (
    highspy.HighsModelStatus.kInfeasible,
    highspy.HighsModelStatus.kUnboundedOrInfeasible,
    highspy.HighsModelStatus.kUnbounded,
    highspy.HighsModelStatus.kModelError,
    highspy.HighsModelStatus.kSolveError,
    highspy.HighsModelStatus.kPresolveError,
    highspy.HighsModelStatus.kPostsolveError,
)


def _hold(highs: _Highs, weights: IntArray, value: int) -> None:
    """Keep the stage's optimum: ``weights . x >= value`` from now on."""
    nonzero = np.flatnonzero(weights)
    highs.addRow(
        float(value),
        highspy.kHighsInf,
        len(nonzero),
        nonzero.astype(np.int32),
        weights[nonzero].astype(np.float64),
    )


def _holds(held: list[tuple[IntArray, int]], chosen: IntArray) -> bool:
    """The choices keep every held stage optimum, in exact integer arithmetic."""
    return all(int(weights[chosen].sum()) >= value for weights, value in held)
