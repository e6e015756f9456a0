"""Greedy placement: each request in turn takes the nearest space still free for its whole stay.

In submission order it is the first-come-first-served baseline that a property office would use by
hand; in priority order it warm-starts CP-SAT and tops up a solution cut short by the time limit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from engine.arrays import IntArray
from engine.model import CapAccount
from engine.solver.problem import Problem


class Occupancy:
    """Stays placed so far on each space, and stays taken so far by each cap account (held
    elsewhere included).

    Parameters
    ----------
    problem : Problem
        The compiled night; its forced pins are placed at once.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.stays: dict[int, list[int]] = defaultdict(list)
        # Per space, its stays as (arrive, depart + turnover): `is_free` reads only these.
        self.spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.arrive = problem.table.request_arrive.tolist()
        gap = problem.instance.policy.turnover_minutes
        self.leave = (problem.table.request_depart + gap).tolist()
        self.taken: dict[CapAccount, int] = defaultdict(int)
        for account in problem.instance.cap_accounts:
            held = problem.instance.held_elsewhere(account)
            if held:
                self.taken[account] = held
        for request, space in problem.forced.items():
            self.place(request, space)

    def place(self, request: int, space: int) -> None:
        """Put request index `request` on space index `space`."""
        self.stays[space].append(request)
        self.spans[space].append((self.arrive[request], self.leave[request]))
        self.taken[self.problem.instance.requests[request].account] += 1

    def is_free(self, request: int, space: int) -> bool:
        """No stay placed on the space overlaps the request's, turnover gap included."""
        # `Instance.overlaps` on the table's times: a < other's leave and other's arrive < leave.
        arrive, leave = self.arrive[request], self.leave[request]
        return all(
            not (arrive < other_leave and other_arrive < leave)
            for other_arrive, other_leave in self.spans[space]
        )

    def under_cap(self, request: int) -> bool:
        """The request's cap account may take one more stay."""
        account = self.problem.instance.requests[request].account
        cap = self.problem.instance.policy.cap_of(account)
        return cap is None or self.taken[account] < cap


def pairs_by_request(problem: Problem, pairs: IntArray) -> dict[int, list[int]]:
    """Each request's pairs, nearest space first (ties by space order, for determinism).

    Parameters
    ----------
    problem : Problem
        The compiled night.
    pairs : IntArray
        Indices into the problem's pair arrays.

    Returns
    -------
    dict of int to list of int
        Request index to its pair indices.
    """
    order = pairs[
        np.lexsort(
            (problem.pair_space[pairs], problem.pair_walk[pairs], problem.pair_request[pairs])
        )
    ]
    grouped: dict[int, list[int]] = defaultdict(list)
    for pair, request in zip(order.tolist(), problem.pair_request[order].tolist()):
        grouped[request].append(pair)
    return grouped


def greedy_fill(
    problem: Problem, order: Iterable[int], pairs: IntArray, already: IntArray | None = None
) -> IntArray:
    """Place requests in `order`, each on its nearest free space, on top of the pairs `already`
    chosen.

    Parameters
    ----------
    problem : Problem
        The compiled night.
    order : iterable of int
        Request indices, in the order they choose.
    pairs : IntArray
        The pairs they may choose from (indices into the problem's pair arrays).
    already : IntArray, optional
        Pairs placed before (kept as they are).

    Returns
    -------
    IntArray
        Every chosen pair, ascending.
    """
    occupancy = Occupancy(problem)
    chosen = [] if already is None else already.tolist()
    served = set()
    for pair in chosen:
        request = int(problem.pair_request[pair])
        occupancy.place(request, int(problem.pair_space[pair]))
        served.add(request)
    candidates = pairs_by_request(problem, pairs)
    for request in order:
        if request in served or not occupancy.under_cap(request):
            continue
        for pair in candidates.get(request, ()):
            space = int(problem.pair_space[pair])
            if occupancy.is_free(request, space):
                occupancy.place(request, space)
                chosen.append(pair)
                served.add(request)
                break
    return np.array(sorted(chosen), dtype=np.int64)


def priority_order(problem: Problem, requests: Iterable[int]) -> list[int]:
    """The request indices by highest priority, then most fairness points, then most recently
    refused, then submission order."""
    return sorted(
        requests,
        key=lambda r: (-problem.priority[r], -problem.fairness[r], -problem.rotation[r], r),
    )
