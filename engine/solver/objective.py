"""The lexicographic objective as a list of tiers, each a value per eligible pair to maximise.

Tiers come in order of importance: one per priority level (highest first), then fairness and its
tie-break rotation, walking and stability. A tier whose policy weight is zero is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.arrays import IntArray
from engine.solver.problem import Problem


@dataclass(frozen=True)
class Tier:
    """One term of the lexicographic objective.

    Attributes
    ----------
    name : str
        For messages ("served at priority 2", "fairness", "walking", ...).
    value : IntArray
        Per pair of the problem, to be maximised.
    per_request : bool
        The value depends only on the request, not on the space it gets.
    level : int or None
        The priority level whose served requests it counts; None for the other tiers.
    """

    name: str
    value: IntArray
    per_request: bool
    level: int | None = None


@dataclass
class TieredSolution:
    """What a tier-by-tier search reached on one part.

    Attributes
    ----------
    chosen : IntArray
        The chosen pairs (indices into the problem's pair arrays).
    proven : bool
        Every tier was solved to optimality within the time limit.
    level_bounds : dict of int to int
        For each priority level whose tier was reached, the best bound on its served requests.
    tiers, tiers_proven : int or None
        How many tiers the part had and how many of them, from the first, were proven; None
        where the search does not tell (CP-SAT).
    stopped_gap : float or None
        Where the time limit stopped a stage: how far its solver's bound was above the value
        reached, relative to that value's magnitude (at least 1); None otherwise.
    """

    chosen: IntArray
    proven: bool
    level_bounds: dict[int, int] = field(default_factory=dict)
    tiers: int | None = None
    tiers_proven: int | None = None
    stopped_gap: float | None = None


def objective_tiers(problem: Problem) -> list[Tier]:
    """The problem's tiers, most important first, without those that are zero on every pair.

    Parameters
    ----------
    problem : Problem
        The compiled night.

    Returns
    -------
    list of Tier
        One per priority level (highest first), then fairness and rotation, walking and
        stability, each left out when its policy weight is zero.
    """
    policy = problem.instance.policy
    request_priority = problem.priority[problem.pair_request]
    tiers = [
        Tier(
            f"served at priority {level}",
            (request_priority == level).astype(np.int64),
            per_request=True,
            level=level,
        )
        for level in problem.levels
    ]
    if policy.fairness_weight:
        tiers.append(Tier("fairness", problem.fairness[problem.pair_request], per_request=True))
        tiers.append(Tier("rotation", problem.rotation[problem.pair_request], per_request=True))
    if policy.walk_weight:
        tiers.append(Tier("walking", -policy.walk_weight * problem.pair_walk, per_request=False))
    if policy.stability_weight:
        tiers.append(
            Tier("stability", policy.stability_weight * problem.pair_stable, per_request=False)
        )
    return [tier for tier in tiers if tier.value.any()]


def request_class_rank(problem: Problem, tiers: list[Tier], pairs: IntArray) -> IntArray:
    """Collapse the leading per-request tiers into one small weight per pair.

    Where the servable sets of requests form a matroid (each space takes one stay and no household
    cap binds), every set of maximum total weight is lexicographically optimal for any weights
    that order the request classes the same way; so ranks 1..K replace huge tier multipliers.

    Parameters
    ----------
    problem : Problem
        The compiled night.
    tiers : list of Tier
        The objective, most important first.
    pairs : IntArray
        Indices into the problem's pair arrays.

    Returns
    -------
    IntArray
        Per pair, its request's class rank from 1 (lowest) to K; all 1 without a leading
        per-request tier.
    """
    leading = _leading_per_request(tiers)
    request = problem.pair_request[pairs]
    if not leading:
        return np.ones(len(pairs), dtype=np.int64)
    # The class depends on the request alone: rank the requests, then read each pair's rank.
    requests, first_pair = np.unique(request, return_index=True)
    keys = np.stack([tier.value[pairs][first_pair] for tier in leading], axis=1)
    _, rank = np.unique(keys, axis=0, return_inverse=True)
    ranks: IntArray = rank.reshape(-1)[np.searchsorted(requests, request)].astype(np.int64) + 1
    return ranks


def _leading_per_request(tiers: list[Tier]) -> list[Tier]:
    leading = []
    for tier in tiers:
        if not tier.per_request:
            break
        leading.append(tier)
    return leading


def combined_weights(
    problem: Problem, tiers: list[Tier], pairs: IntArray, matroid: bool, limit: int
) -> IntArray | None:
    """One exact integer weight per pair whose maximum-weight allocations are lexicographically
    optimal.

    Each tier is scaled above the widest possible swing of everything below it. Scales are
    computed with Python integers.

    Parameters
    ----------
    problem : Problem
        The compiled night.
    tiers : list of Tier
        The tiers to combine, most important first.
    pairs : IntArray
        Indices into the problem's pair arrays.
    matroid : bool
        The pairs' servable request sets form a matroid (a matching without a binding household
        cap), so the leading per-request tiers may collapse into ranks (`request_class_rank`).
    limit : int
        The largest weight magnitude the caller's solver takes.

    Returns
    -------
    IntArray or None
        Per pair, its weight; None when some weight would exceed `limit` in magnitude.
    """
    request = problem.pair_request[pairs]
    columns: list[IntArray] = []
    remaining = tiers
    if matroid:
        leading = _leading_per_request(tiers)
        if leading:
            columns.append(request_class_rank(problem, tiers, pairs))
            remaining = tiers[len(leading) :]
    columns += [tier.value[pairs] for tier in remaining]
    scales = _scales(columns, request)
    largest = sum(
        int(np.abs(column).max(initial=0)) * scale for column, scale in zip(columns, scales)
    )
    if largest > limit:
        return None
    weights = np.zeros(len(pairs), dtype=np.int64)
    for column, scale in zip(columns, scales):
        weights += column * scale
    return weights


def leading_scale(problem: Problem, tiers: list[Tier], pairs: IntArray) -> int:
    """The multiplier of the first tier in ``combined_weights(..., matroid=False)``.

    It exceeds the widest swing of the tiers below together, so an upper bound U on the combined
    objective bounds the first tier by ``floor((U + scale - 1) / scale)``.

    Parameters
    ----------
    problem : Problem
        The compiled night.
    tiers : list of Tier
        The combined tiers, most important first.
    pairs : IntArray
        Indices into the problem's pair arrays.

    Returns
    -------
    int
        The multiplier.
    """
    return _scales([tier.value[pairs] for tier in tiers], problem.pair_request[pairs])[0]


def _scales(columns: list[IntArray], request: IntArray) -> list[int]:
    """Per column, most important first, its multiplier: above the swing of all after it."""
    scales: list[int] = []
    scale = 1
    for column in reversed(columns):
        scales.append(scale)
        scale *= _swing(column, request) + 1
    return scales[::-1]


def _swing(values: IntArray, request: IntArray) -> int:
    """How far the tier's total can move between any two allocations (each request counts once)."""
    if len(values) == 0:
        return 0
    order = np.argsort(request, kind="stable")
    sorted_request, sorted_values = request[order], values[order]
    starts = np.flatnonzero(np.r_[True, np.diff(sorted_request) != 0])
    highest = np.maximum.reduceat(sorted_values, starts)
    lowest = np.minimum.reduceat(sorted_values, starts)
    return int(np.maximum(highest, 0).sum() - np.minimum(lowest, 0).sum())
