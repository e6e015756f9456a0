"""The night compiled for the solvers: eligible pairs, forced pins, and independent parts.

Forced pins are placed before solving: their request leaves the problem, every pair that would
clash with the pinned stay is dropped, and its cap account's cap shrinks. What remains splits into
components that share no space and no binding cap, and each is solved on its own.

Caps are kept per cap account (`engine.model.CapAccount`): a household's parking stays count
towards `Policy.household_cap`, its charging sessions towards `Policy.charging_cap`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from engine.arrays import BoolArray, IntArray
from engine.eligibility import EligibilityTable
from engine.model import CapAccount, Instance, PinAction


class PinConflict(Exception):
    """The forced pins cannot all hold; the message says which and why."""


@dataclass
class Component:
    """A part of the night that shares no space and no binding cap with the others.

    Attributes
    ----------
    requests : IntArray
        Request indices, ascending.
    pairs : IntArray
        Indices into the problem's pair arrays.
    multi_stay_spaces : frozenset of int
        Space indices that can take two of these requests in one night.
    binding_accounts : frozenset of CapAccount
        Cap accounts whose cap can bind here (more requests than the cap leaves).
    """

    requests: IntArray
    pairs: IntArray
    multi_stay_spaces: frozenset[int]
    binding_accounts: frozenset[CapAccount]

    @property
    def is_matching(self) -> bool:
        """No space can take two of its stays: a weighted bipartite matching."""
        return not self.multi_stay_spaces


@dataclass
class Problem:
    """The night as the solvers see it: eligible pairs without the forced pins' requests.

    Attributes
    ----------
    instance : Instance
        The night.
    table : EligibilityTable
        Its arrays.
    pair_request, pair_space, pair_walk : IntArray
        The eligible pairs still to decide: request index, space index, walk in metres.
    priority, fairness, rotation : IntArray
        Per request index: its level, its household's fairness and rotation points.
    pair_stable : IntArray
        Per pair: 1 when the space is the household's of last night.
    forced : dict of int to int
        Forced pins placed already: request index to space index.
    cap_left : dict of CapAccount to int
        Stays each cap account may still take; only accounts with a cap are present.
    components : list of Component
        The independent parts.
    """

    instance: Instance
    table: EligibilityTable
    pair_request: IntArray
    pair_space: IntArray
    pair_walk: IntArray
    priority: IntArray
    fairness: IntArray
    rotation: IntArray
    pair_stable: IntArray
    forced: dict[int, int]
    cap_left: dict[CapAccount, int]
    components: list[Component] = field(default_factory=list)

    @property
    def levels(self) -> list[int]:
        """Priority levels present tonight, highest first."""
        return sorted({int(p) for p in self.priority}, reverse=True)


def compile_problem(instance: Instance) -> Problem:
    """Eligibility, forced pins placed, and the independent parts.

    Parameters
    ----------
    instance : Instance
        The night.

    Returns
    -------
    Problem
        Ready for the solvers.

    Raises
    ------
    PinConflict
        When the forced pins cannot all hold: a request forced onto two spaces or onto one that
        breaks a rule, two overlapping stays forced onto one space, or more pins on a cap account
        than its cap.
    """
    table = EligibilityTable(instance)
    pairs = table.eligible_pairs()
    requests, spaces = instance.requests, instance.spaces
    priority = np.array([instance.priorities[r.id] for r in requests], dtype=np.int64)
    fairness = np.array(
        [instance.fairness_points.get(r.household, 0) for r in requests], dtype=np.int64
    )
    rotation = np.array(
        [instance.rotation_points.get(r.household, 0) for r in requests], dtype=np.int64
    )
    space_index = {s.id: i for i, s in enumerate(spaces)}
    last_space = np.array(
        [space_index.get(instance.last_space_of(r.household) or "", -1) for r in requests],
        dtype=np.int64,
    )
    pair_stable = (last_space[pairs.request] == pairs.space).astype(np.int64)

    forced = _place_forced_pins(instance, table, pairs.request, pairs.space)
    forced_on = Counter(requests[r].account for r in forced)
    cap_left: dict[CapAccount, int] = {}
    for account in instance.cap_accounts:
        cap = instance.policy.cap_of(account)
        if cap is None:
            continue
        cap_left[account] = cap - instance.held_elsewhere(account) - forced_on[account]
        if cap_left[account] < 0:
            raise PinConflict(
                f"the pins force more than {cap} {account.counted} "
                f"onto household {account.household}"
            )

    keep = _pairs_clear_of_forced(
        table, instance.policy.turnover_minutes, forced, pairs.request, pairs.space
    )
    problem = Problem(
        instance=instance,
        table=table,
        pair_request=pairs.request[keep],
        pair_space=pairs.space[keep],
        pair_walk=pairs.walk_m[keep],
        priority=priority,
        fairness=fairness,
        rotation=rotation,
        pair_stable=pair_stable[keep],
        forced=forced,
        cap_left=cap_left,
    )
    problem.components = _components(problem)
    return problem


def _place_forced_pins(
    instance: Instance, table: EligibilityTable, pair_request: IntArray, pair_space: IntArray
) -> dict[int, int]:
    forcing = [pin for pin in instance.pins if pin.action is PinAction.FORCE]
    if not forcing:
        return {}
    requests, spaces = instance.requests, instance.spaces
    request_index = {r.id: i for i, r in enumerate(requests)}
    space_index = {s.id: i for i, s in enumerate(spaces)}
    eligible = set(zip(pair_request.tolist(), pair_space.tolist()))
    forced: dict[int, int] = {}
    forced_on: dict[int, list[int]] = defaultdict(list)  # space -> requests forced onto it
    for pin in forcing:
        r, s = request_index[pin.request], space_index[pin.space]
        if r in forced:
            raise PinConflict(
                f"request {pin.request} is forced onto two spaces, "
                f"{spaces[forced[r]].id} and {pin.space}"
            )
        if (r, s) not in eligible:
            failed = table.failures(np.array([r]))
            rule = next(rule for rule, refused in failed.items() if refused[0, s])
            raise PinConflict(
                f"request {pin.request} is forced onto space {pin.space}, "
                f"which breaks the {rule.value} rule"
            )
        for other in forced_on[s]:
            if instance.overlaps(requests[r], requests[other]):
                raise PinConflict(
                    f"requests {requests[other].id} and {pin.request} are both forced onto "
                    f"space {pin.space} at overlapping times"
                )
        forced[r] = s
        forced_on[s].append(r)
    return forced


def _pairs_clear_of_forced(
    table: EligibilityTable,
    gap: int,
    forced: dict[int, int],
    pair_request: IntArray,
    pair_space: IntArray,
) -> BoolArray:
    keep = ~np.isin(pair_request, list(forced))
    if not forced:
        return keep
    arrive, depart = table.request_arrive, table.request_depart
    # The pairs of each space, found once: a night re-optimised after publishing forces every
    # published stay, and scanning all pairs once per forced stay took minutes on a district.
    by_space = np.argsort(pair_space, kind="stable")
    bounds = np.searchsorted(pair_space[by_space], np.arange(int(pair_space.max(initial=-1)) + 2))
    for request, space in forced.items():
        if space + 1 >= len(bounds):
            continue
        on_space = by_space[bounds[space] : bounds[space + 1]]
        others = pair_request[on_space]
        clash = (arrive[others] < depart[request] + gap) & (arrive[request] < depart[others] + gap)
        keep[on_space[clash]] = False
    return keep


def _components(problem: Problem) -> list[Component]:
    instance = problem.instance
    n_requests, n_spaces = len(instance.requests), len(instance.spaces)
    pair_request, pair_space = problem.pair_request, problem.pair_space

    # Nodes: requests, then spaces, then cap accounts whose cap can bind.
    by_account: dict[CapAccount, list[int]] = defaultdict(list)
    for r in np.unique(pair_request).tolist():
        by_account[instance.requests[r].account].append(r)
    binding = sorted(
        a for a, rs in by_account.items() if a in problem.cap_left and problem.cap_left[a] < len(rs)
    )
    account_node = {a: n_requests + n_spaces + i for i, a in enumerate(binding)}
    links_from = [r for a in binding for r in by_account[a]]
    links_to = [account_node[a] for a in binding for _ in by_account[a]]
    heads = np.concatenate([pair_request, np.array(links_from, dtype=np.int64)])
    tails = np.concatenate([n_requests + pair_space, np.array(links_to, dtype=np.int64)])
    size = n_requests + n_spaces + len(binding)
    graph = coo_matrix((np.ones(len(heads), dtype=np.int8), (heads, tails)), shape=(size, size))
    _, label = connected_components(graph, directed=False)

    pair_label = label[pair_request]
    order = np.argsort(pair_label, kind="stable")
    starts = (
        np.flatnonzero(np.r_[True, np.diff(pair_label[order]) != 0])
        if len(order)
        else np.zeros(0, dtype=np.int64)
    )
    groups = np.split(order, starts[1:]) if len(order) else []
    multi = _multi_stay_spaces(problem)
    accounts_by_label: dict[int, set[CapAccount]] = defaultdict(set)
    for account, node in account_node.items():
        accounts_by_label[int(label[node])].add(account)
    components = []
    for pairs in groups:
        component_label = pair_label[pairs[0]]
        spaces = set(pair_space[pairs].tolist())
        components.append(
            Component(
                requests=np.unique(pair_request[pairs]),
                pairs=pairs,
                multi_stay_spaces=frozenset(spaces & multi),
                binding_accounts=frozenset(accounts_by_label.get(int(component_label), ())),
            )
        )
    return components


def _multi_stay_spaces(problem: Problem) -> set[int]:
    """Spaces where two eligible stays fit one after the other.

    Intervals pairwise overlap exactly when they share a point (Helly), so a space takes at most
    one of its requests when the latest arrival comes before the earliest departure plus the gap.
    """
    if len(problem.pair_space) == 0:
        return set()
    gap = problem.instance.policy.turnover_minutes
    arrive = problem.table.request_arrive[problem.pair_request]
    depart = problem.table.request_depart[problem.pair_request] + gap
    n_spaces = len(problem.instance.spaces)
    latest_arrival = np.full(n_spaces, np.iinfo(np.int64).min)
    earliest_leave = np.full(n_spaces, np.iinfo(np.int64).max)
    np.maximum.at(latest_arrival, problem.pair_space, arrive)
    np.minimum.at(earliest_leave, problem.pair_space, depart)
    return set(np.flatnonzero(latest_arrival >= earliest_leave).tolist())
