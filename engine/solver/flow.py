"""Exact special case: when every space takes at most one stay, the night is a weighted matching.

The network: each request (or, where a cap can bind, each such cap account: a household's parking
stays or its charging sessions) supplies its cars; a car either reaches a space it may use and then
the sink, or goes straight to the sink unserved. Arc costs are the negated lexicographic weights, so
a min-cost flow is an optimal night.

When the weights of every tier together do not fit the solver's 64-bit costs, the tiers are
solved in stages: each stage keeps only what the optimal flows of the stages before may do
(complementary slackness, from node potentials of an optimal flow), so the last stage's optimum
is lexicographically optimal over all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

from engine.arrays import IntArray
from engine.model import CapAccount
from engine.solver.objective import Tier, combined_weights
from engine.solver.problem import Component, Problem

_COST_LIMIT = 2**62


@dataclass
class _Network:
    """A part's flow network as arc arrays; node i's supply is `supplies[i]`."""

    tails: IntArray
    heads: IntArray
    capacities: IntArray
    supplies: IntArray
    pairs: int  # the first `pairs` arcs are the (request, space) pairs, in component order

    @property
    def cost_limit(self) -> int:
        """The largest cost magnitude OR-Tools takes on this network.

        It scales costs by the number of nodes plus one and refuses (BAD_COST_RANGE) what could
        then overflow.
        """
        return _COST_LIMIT // (len(self.supplies) + 1)

    def costs(self, pair_weights: IntArray) -> IntArray:
        costs = np.zeros(len(self.tails), dtype=np.int64)
        costs[: self.pairs] = -pair_weights
        return costs

    def solve(self, costs: IntArray, arcs: IntArray, supplies: IntArray) -> IntArray | None:
        """Flow on each of `arcs` (indices) at minimum cost; None when the costs are too large."""
        network = min_cost_flow.SimpleMinCostFlow()
        network.add_arcs_with_capacity_and_unit_cost(
            self.tails[arcs].astype(np.int32),
            self.heads[arcs].astype(np.int32),
            self.capacities[arcs],
            costs[arcs],
        )
        network.set_nodes_supplies(np.arange(len(supplies), dtype=np.int32), supplies)
        status = network.solve()
        if status == network.BAD_COST_RANGE:
            return None
        if status != network.OPTIMAL:
            raise RuntimeError(
                f"min-cost flow returned status {status} "
                "on a network that always has a feasible flow"
            )
        flows: IntArray = network.flows(np.arange(len(arcs), dtype=np.int32))
        return flows

    def potentials(self, costs: IntArray, arcs: IntArray, flows: IntArray) -> IntArray:
        """Node potentials proving `flows` optimal: shortest distances in the residual network."""
        forward = flows < self.capacities[arcs]
        backward = flows > 0
        tails = np.concatenate([self.tails[arcs][forward], self.heads[arcs][backward]])
        heads = np.concatenate([self.heads[arcs][forward], self.tails[arcs][backward]])
        weights = np.concatenate([costs[arcs][forward], -costs[arcs][backward]])
        distance = np.zeros(len(self.supplies), dtype=np.int64)
        # Bellman-Ford from a virtual root joined to every node; an optimal flow leaves no
        # negative cycle, so this settles within one pass per node (layered networks: a few).
        for _ in range(len(self.supplies) + 1):
            relaxed = distance.copy()
            np.minimum.at(relaxed, heads, distance[tails] + weights)
            if np.array_equal(relaxed, distance):
                return distance
            distance = relaxed
        raise RuntimeError("the residual network of an optimal flow has a negative cycle")


def _network(problem: Problem, component: Component) -> _Network:
    instance = problem.instance
    pairs = component.pairs
    requests = component.requests.tolist()
    spaces = np.unique(problem.pair_space[pairs])
    binding = sorted(component.binding_accounts)

    request_node = {r: i for i, r in enumerate(requests)}
    space_node = {s: len(requests) + i for i, s in enumerate(spaces.tolist())}
    first_account = len(requests) + len(spaces)
    # Each binding cap account has a node and, right after it, its "served" node.
    account_node = {a: first_account + 2 * i for i, a in enumerate(binding)}
    sink = first_account + 2 * len(binding)

    tails: list[IntArray] = []
    heads: list[IntArray] = []
    capacities: list[IntArray] = []

    def add(tail: npt.ArrayLike, head: npt.ArrayLike, capacity: npt.ArrayLike) -> None:
        tails.append(np.asarray(tail, dtype=np.int64))
        heads.append(np.asarray(head, dtype=np.int64))
        capacities.append(np.asarray(capacity, dtype=np.int64))

    add(
        [request_node[r] for r in problem.pair_request[pairs].tolist()],
        [space_node[s] for s in problem.pair_space[pairs].tolist()],
        np.ones(len(pairs)),
    )
    add([space_node[s] for s in spaces.tolist()], np.full(len(spaces), sink), np.ones(len(spaces)))

    supplies = np.zeros(sink + 1, dtype=np.int64)
    by_account: dict[CapAccount, list[int]] = {a: [] for a in binding}
    free_requests: list[int] = []
    for r in requests:
        by_account.get(instance.requests[r].account, free_requests).append(r)
    free_nodes = [request_node[r] for r in free_requests]
    supplies[free_nodes] = 1
    add(free_nodes, np.full(len(free_nodes), sink), np.ones(len(free_nodes)))
    for account, members in by_account.items():
        node = account_node[account]
        supplies[node] = len(members)
        add([node, node], [sink, node + 1], [len(members), problem.cap_left[account]])
        add(
            np.full(len(members), node + 1),
            [request_node[r] for r in members],
            np.ones(len(members)),
        )
    supplies[sink] = -supplies.sum()
    return _Network(
        np.concatenate(tails),
        np.concatenate(heads),
        np.concatenate(capacities),
        supplies,
        len(pairs),
    )


def solve_matching(problem: Problem, component: Component, tiers: list[Tier]) -> IntArray | None:
    """The lexicographically best pairs of a matching part, by min-cost flow in stages.

    Parameters
    ----------
    problem : Problem
        The compiled night.
    component : Component
        A part where each space takes at most one stay (`Component.is_matching`).
    tiers : list of Tier
        The objective, most important first.

    Returns
    -------
    IntArray or None
        The chosen pairs (indices into the problem's pair arrays); None when some tier's
        weights do not fit the solver's 64-bit costs even alone.
    """
    network = _network(problem, component)
    matroid = not component.binding_accounts
    arcs = np.arange(len(network.tails))
    supplies = network.supplies.copy()
    forced = np.zeros(len(network.tails), dtype=bool)
    remaining = list(tiers)
    while True:
        solved = _widest_stage(network, problem, component, remaining, matroid, arcs, supplies)
        # The rank trick needs the whole network's matroid; later stages restrict the network.
        matroid = False
        if solved is None:
            return None
        stage, costs, flows = solved
        remaining = remaining[stage:]
        if not remaining:
            carrying = forced.copy()
            carrying[arcs[flows > 0]] = True
            return component.pairs[carrying[: network.pairs]]
        # Every optimal flow leaves arcs of positive reduced cost empty and fills those of negative
        # reduced cost: keep only the arcs still free to choose, with the filled ones placed.
        potential = network.potentials(costs, arcs, flows)
        reduced = costs[arcs] + potential[network.tails[arcs]] - potential[network.heads[arcs]]
        full = arcs[reduced < 0]
        np.subtract.at(supplies, network.tails[full], network.capacities[full])
        np.add.at(supplies, network.heads[full], network.capacities[full])
        forced[full] = True
        arcs = arcs[reduced == 0]


def _widest_stage(
    network: _Network,
    problem: Problem,
    component: Component,
    tiers: list[Tier],
    matroid: bool,
    arcs: IntArray,
    supplies: IntArray,
) -> tuple[int, IntArray, IntArray] | None:
    """An optimal flow for the longest run of leading tiers the solver takes at once.

    Returns how many tiers it covers, the arcs' costs and the flow on `arcs`; None when not even
    the first tier alone fits.
    """
    for end in range(len(tiers), 0, -1):
        weights = combined_weights(
            problem, tiers[:end], component.pairs, matroid=matroid, limit=network.cost_limit
        )
        if weights is None:
            continue
        costs = network.costs(weights)
        flows = network.solve(costs, arcs, supplies)
        # Within `cost_limit` OR-Tools may still refuse the costs (its node potentials can
        # outgrow 64 bits while it works); fewer tiers at once may pass.
        if flows is not None:
            return end, costs, flows
    return None
