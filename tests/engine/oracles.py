"""Independent optima for small nights, to compare the engine against.

Nothing here imports the engine's eligibility, rules or solver code: the rules are re-implemented
from the plain dataclasses of `engine.model`, and only the rules' names come from `engine.rules`.

The objective key, compared with ordinary tuple comparison (bigger is better), is

    (served per priority level, highest level first,
     fairness points of the served requests   (0 when policy.fairness_weight == 0),
     rotation points of the served requests   (the same),
     -total walk in metres                    (0 when policy.walk_weight == 0),
     served requests on last night's space    (0 when policy.stability_weight == 0))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from engine.model import Instance, PinAction, Request, Space
from engine.rules import Rule

Key = tuple


# --------------------------------------------------------------------------------------------
# Rules, written out pair by pair.


def levels_of(instance: Instance) -> list[int]:
    return sorted(set(instance.priorities.values()), reverse=True)


def failed_rules(instance: Instance, request: Request, space: Space) -> list[Rule]:
    """Every pair rule that excludes `space` for `request` (forbid pins included)."""
    household = instance.household_by_id[request.household]
    policy = instance.policy
    failed = []
    if not (space.renter is None or space.released):
        failed.append(Rule.POOL)
    if (
        space.compounds
        and household.compound is not None
        and household.compound not in space.compounds
    ):
        failed.append(Rule.COMPOUND)
    if space.kind in policy.charging_only_kinds and not request.charging:
        failed.append(Rule.CHARGING_ONLY)
    if not any(
        w.start <= request.arrive and request.depart <= w.end for w in instance.windows_of(space)
    ):
        failed.append(Rule.WINDOW)
    if int(request.size) > int(space.size):
        failed.append(Rule.SIZE)
    if not set(request.needs) <= set(space.features):
        failed.append(Rule.FEATURES)
    if policy.max_walk_m is not None and household.walk_to(space) > policy.max_walk_m:
        failed.append(Rule.WALK)
    if any(
        p.request == request.id and p.space == space.id and p.action is PinAction.FORBID
        for p in instance.pins
    ):
        failed.append(Rule.FORBIDDEN)
    return failed


def eligible(instance: Instance, request: Request, space: Space) -> bool:
    return not failed_rules(instance, request, space)


def eligible_spaces(instance: Instance, request: Request) -> list[Space]:
    return [space for space in instance.spaces if eligible(instance, request, space)]


def clash(instance: Instance, first: Request, second: Request) -> bool:
    """Two stays cannot share a space unless one leaves `turnover_minutes` before the other
    comes."""
    gap = instance.policy.turnover_minutes
    apart = first.depart + gap <= second.arrive or second.depart + gap <= first.arrive
    return not apart


def cap_for(instance: Instance, request: Request) -> int | None:
    """The cap the request counts towards: the charging cap for a charging session, else the
    household cap."""
    policy = instance.policy
    return policy.charging_cap if request.charging else policy.household_cap


def forced_spaces(instance: Instance) -> dict[str, list[str]]:
    forced: dict[str, list[str]] = {}
    for pin in instance.pins:
        if pin.action is PinAction.FORCE:
            forced.setdefault(pin.request, []).append(pin.space)
    return forced


def key_of(instance: Instance, placed: Iterable[tuple[Request, Space]]) -> Key:
    """The objective key of an allocation given as (request, space) pairs."""
    policy = instance.policy
    served = Counter()
    fairness = rotation = walk = stable = 0
    for request, space in placed:
        household = instance.household_by_id[request.household]
        served[instance.priorities[request.id]] += 1
        fairness += instance.fairness_points.get(household.id, 0)
        rotation += instance.rotation_points.get(household.id, 0)
        walk += household.walk_to(space)
        stable += instance.last_space_of(household.id) == space.id
    return (
        tuple(served[level] for level in levels_of(instance)),
        fairness if policy.fairness_weight else 0,
        rotation if policy.fairness_weight else 0,
        -walk if policy.walk_weight else 0,
        stable if policy.stability_weight else 0,
    )


# --------------------------------------------------------------------------------------------
# Brute force: every valid allocation, searched depth first with a dominance bound.


def brute_force(instance: Instance) -> Key | None:
    """The best key over every valid allocation, or None when no allocation satisfies the FORCE
    pins.

    Requests are decided one at a time (unassigned, or on any eligible space that is still free
    for the whole stay and within the household's cap for its kind of stay: the charging cap for
    a charging session, the household cap for any other). A branch is cut only when even serving
    every remaining request on its best space could not beat the best key found so far; that
    optimistic key dominates every completion term by term, hence also lexicographically.
    """
    policy = instance.policy
    levels = levels_of(instance)
    level_index = {level: i for i, level in enumerate(levels)}
    forced = forced_spaces(instance)
    requests = sorted(instance.requests, key=lambda r: -instance.priorities[r.id])

    options: list[list[tuple[Space, int, int]]] = []  # (space, walk, stable) per request
    for request in requests:
        household = instance.household_by_id[request.household]
        choices = []
        for space in eligible_spaces(instance, request):
            if request.id in forced and space.id not in forced[request.id]:
                continue
            stable = int(instance.last_space_of(household.id) == space.id)
            choices.append((space, household.walk_to(space), stable))
        if request.id in forced and (len(set(forced[request.id])) > 1 or not choices):
            return None  # forced onto two spaces, or onto one it may not use
        options.append(choices)

    # Optimistic remaining terms from position i on.
    n = len(requests)
    rest_served = [[0] * len(levels) for _ in range(n + 1)]
    rest_fair = [0] * (n + 1)
    rest_rotation = [0] * (n + 1)
    rest_walk = [0] * (n + 1)
    rest_stable = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        request = requests[i]
        rest_served[i] = list(rest_served[i + 1])
        rest_fair[i] = rest_fair[i + 1]
        rest_rotation[i] = rest_rotation[i + 1]
        rest_walk[i] = rest_walk[i + 1]
        rest_stable[i] = rest_stable[i + 1]
        if options[i]:
            rest_served[i][level_index[instance.priorities[request.id]]] += 1
            rest_fair[i] += instance.fairness_points.get(request.household, 0)
            rest_rotation[i] += instance.rotation_points.get(request.household, 0)
            rest_stable[i] += max(stable for _, _, stable in options[i])
        # Walk only ever grows: the optimistic walk of the rest is 0.

    best: list[Key | None] = [None]
    on_space: dict[str, list[Request]] = {space.id: [] for space in instance.spaces}
    held: Counter = Counter()
    served = [0] * len(levels)
    totals = {"fair": 0, "rotation": 0, "metres": 0, "stable": 0}

    def current_key(extra_served=None, extra_fair=0, extra_rotation=0, extra_stable=0) -> Key:
        counts = served if extra_served is None else [a + b for a, b in zip(served, extra_served)]
        return (
            tuple(counts),
            totals["fair"] + extra_fair if policy.fairness_weight else 0,
            totals["rotation"] + extra_rotation if policy.fairness_weight else 0,
            -totals["metres"] if policy.walk_weight else 0,
            totals["stable"] + extra_stable if policy.stability_weight else 0,
        )

    def search(i: int) -> None:
        if (
            best[0] is not None
            and current_key(rest_served[i], rest_fair[i], rest_rotation[i], rest_stable[i])
            <= best[0]
        ):
            return
        if i == n:
            key = current_key()
            if best[0] is None or key > best[0]:
                best[0] = key
            return
        request = requests[i]
        household = request.household
        cap = cap_for(instance, request)
        # Charging sessions and parking stays are counted apart, each against its own cap.
        counted = (household, request.charging)
        if cap is None or held[counted] < cap:
            for space, walk, stable in options[i]:
                if any(clash(instance, request, other) for other in on_space[space.id]):
                    continue
                on_space[space.id].append(request)
                held[counted] += 1
                served[level_index[instance.priorities[request.id]]] += 1
                totals["fair"] += instance.fairness_points.get(household, 0)
                totals["rotation"] += instance.rotation_points.get(household, 0)
                totals["metres"] += walk
                totals["stable"] += stable
                search(i + 1)
                totals["stable"] -= stable
                totals["metres"] -= walk
                totals["fair"] -= instance.fairness_points.get(household, 0)
                totals["rotation"] -= instance.rotation_points.get(household, 0)
                served[level_index[instance.priorities[request.id]]] -= 1
                held[counted] -= 1
                on_space[space.id].pop()
        if request.id not in forced:
            search(i + 1)

    search(0)
    return best[0]


# --------------------------------------------------------------------------------------------
# An independent MILP (scipy / HiGHS), one tier after another.


def milp_optimum(instance: Instance, time_limit: float = 30.0) -> Key | None:
    """The optimum key from a binary program solved tier by tier, or None if infeasible.

    One binary per eligible (request, space) pair; x_a + x_b <= 1 for every two overlapping stays
    on one space; at most one space per request; per household at most `household_cap` parking
    stays and at most `charging_cap` charging sessions; FORCE pins fixed to 1 (and every other
    pair of a forced request fixed to 0).
    """
    policy = instance.policy
    levels = levels_of(instance)
    forced = forced_spaces(instance)
    for request_id, spaces in forced.items():
        request = instance.request_by_id[request_id]
        if len(set(spaces)) > 1 or not eligible(instance, request, instance.space_by_id[spaces[0]]):
            return None

    pairs: list[tuple[Request, Space]] = [
        (request, space)
        for request in instance.requests
        for space in instance.spaces
        if eligible(instance, request, space)
    ]
    if not pairs:
        return key_of(instance, [])
    n = len(pairs)
    lower = np.zeros(n)
    upper = np.ones(n)
    for index, (request, space) in enumerate(pairs):
        if request.id in forced:
            if space.id == forced[request.id][0]:
                lower[index] = 1
            else:
                upper[index] = 0

    rows: list[dict[int, float]] = []
    row_upper: list[float] = []
    by_request: dict[str, list[int]] = {}
    by_counted: dict[tuple[str, bool], list[int]] = {}  # (household, charging) -> pairs
    by_space: dict[str, list[int]] = {}
    for index, (request, space) in enumerate(pairs):
        by_request.setdefault(request.id, []).append(index)
        by_counted.setdefault((request.household, request.charging), []).append(index)
        by_space.setdefault(space.id, []).append(index)
    for members in by_request.values():
        if len(members) > 1:
            rows.append(dict.fromkeys(members, 1.0))
            row_upper.append(1.0)
    for members in by_space.values():
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                if clash(instance, pairs[a][0], pairs[b][0]):
                    rows.append({a: 1.0, b: 1.0})
                    row_upper.append(1.0)
    for members in by_counted.values():
        cap = cap_for(instance, pairs[members[0]][0])
        if cap is not None:
            rows.append(dict.fromkeys(members, 1.0))
            row_upper.append(float(cap))

    # Tiers as (coefficients to maximise); walking is maximised as -walk.
    tiers: list[np.ndarray] = []
    for level in levels:
        tiers.append(
            np.array([1.0 if instance.priorities[r.id] == level else 0.0 for r, _ in pairs])
        )
    walk = np.array([float(instance.household_by_id[r.household].walk_to(s)) for r, s in pairs])
    fair = np.array([float(instance.fairness_points.get(r.household, 0)) for r, _ in pairs])
    rotation = np.array([float(instance.rotation_points.get(r.household, 0)) for r, _ in pairs])
    stable = np.array(
        [1.0 if instance.last_space_of(r.household) == s.id else 0.0 for r, s in pairs]
    )
    if policy.fairness_weight:
        tiers.append(fair)
        tiers.append(rotation)
    if policy.walk_weight:
        tiers.append(-walk)
    if policy.stability_weight:
        tiers.append(stable)

    tier_rows: list[tuple[np.ndarray, float]] = []  # (coefficients, lower bound)
    chosen = None
    for coefficients in tiers:
        n_rows = len(rows) + len(tier_rows)
        matrix = lil_matrix((max(n_rows, 1), n))
        lo = np.full(max(n_rows, 1), -np.inf)
        hi = np.full(max(n_rows, 1), np.inf)
        for row_index, row in enumerate(rows):
            for column, value in row.items():
                matrix[row_index, column] = value
            hi[row_index] = row_upper[row_index]
        for offset, (tier, bound) in enumerate(tier_rows):
            row_index = len(rows) + offset
            for column in np.flatnonzero(tier):
                matrix[row_index, column] = tier[column]
            lo[row_index] = bound
        constraints = [LinearConstraint(matrix.tocsr(), lo, hi)] if n_rows else []
        outcome = milp(
            c=-coefficients,
            integrality=np.ones(n),
            bounds=Bounds(lower, upper),
            constraints=constraints,
            options={"time_limit": time_limit, "mip_rel_gap": 0.0},
        )
        if outcome.status == 2:  # infeasible
            return None
        if outcome.status != 0 or outcome.x is None:
            raise RuntimeError(f"milp failed: status {outcome.status}, {outcome.message}")
        value = round(float(coefficients @ np.round(outcome.x)))
        tier_rows.append((coefficients, value - 0.5))
        chosen = np.round(outcome.x)
    if chosen is None:
        # No tier at all cannot happen (there is always a level), kept for safety.
        return None
    placed = [pairs[i] for i in np.flatnonzero(chosen > 0.5)]
    return key_of(instance, placed)


# --------------------------------------------------------------------------------------------
# Small helpers the tests share.


def key_of_result(instance: Instance, assignments) -> Key:
    placed = [
        (instance.request_by_id[a.request], instance.space_by_id[a.space]) for a in assignments
    ]
    return key_of(instance, placed)
