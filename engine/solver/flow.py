"""Exact special case: when every space takes at most one stay, the night is a weighted matching.

The network: each request (or, where a household cap can bind, each such household) supplies its
cars; a car either reaches a space it may use and then the sink, or goes straight to the sink
unserved. Arc costs are the negated lexicographic weights, so a min-cost flow is an optimal night.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from engine.solver.objective import Tier, combined_weights
from engine.solver.problem import Component, Problem

_COST_LIMIT = 2**62


def solve_matching(problem: Problem, component: Component, tiers: list[Tier]) -> np.ndarray | None:
    """The chosen pairs (indices into the problem's pair arrays), or None if weights are too large."""
    instance = problem.instance
    pairs = component.pairs
    requests = component.requests.tolist()
    spaces = np.unique(problem.pair_space[pairs])
    binding = sorted(component.binding_households)

    request_node = {r: i for i, r in enumerate(requests)}
    space_node = {s: len(requests) + i for i, s in enumerate(spaces.tolist())}
    first_household = len(requests) + len(spaces)
    household_node = {h: first_household + 2 * i for i, h in enumerate(binding)}  # +1: its "served" node
    sink = first_household + 2 * len(binding)
    n_nodes = sink + 1

    # OR-Tools scales costs by the number of nodes and refuses (BAD_COST_RANGE) what could overflow.
    weights = combined_weights(problem, tiers, pairs, matroid=not binding, limit=_COST_LIMIT // (n_nodes + 1))
    if weights is None:
        return None

    tails: list[np.ndarray] = []
    heads: list[np.ndarray] = []
    capacities: list[np.ndarray] = []
    costs: list[np.ndarray] = []

    def add(tail, head, capacity, cost) -> None:
        tails.append(np.asarray(tail, dtype=np.int32))
        heads.append(np.asarray(head, dtype=np.int32))
        capacities.append(np.asarray(capacity, dtype=np.int64))
        costs.append(np.asarray(cost, dtype=np.int64))

    add([request_node[r] for r in problem.pair_request[pairs].tolist()], [space_node[s] for s in problem.pair_space[pairs].tolist()], np.ones(len(pairs)), -weights)
    add([space_node[s] for s in spaces.tolist()], np.full(len(spaces), sink), np.ones(len(spaces)), np.zeros(len(spaces)))

    supplies = np.zeros(n_nodes, dtype=np.int64)
    by_household: dict[str, list[int]] = {h: [] for h in binding}
    free_requests = []
    for r in requests:
        household = instance.requests[r].household
        (by_household[household] if household in by_household else free_requests).append(r)
    free_nodes = [request_node[r] for r in free_requests]
    supplies[free_nodes] = 1
    add(free_nodes, np.full(len(free_nodes), sink), np.ones(len(free_nodes)), np.zeros(len(free_nodes)))
    for household, members in by_household.items():
        node = household_node[household]
        supplies[node] = len(members)
        add([node, node], [sink, node + 1], [len(members), problem.cap_left[household]], [0, 0])
        add(np.full(len(members), node + 1), [request_node[r] for r in members], np.ones(len(members)), np.zeros(len(members)))
    supplies[sink] = -supplies.sum()

    network = min_cost_flow.SimpleMinCostFlow()
    network.add_arcs_with_capacity_and_unit_cost(np.concatenate(tails), np.concatenate(heads), np.concatenate(capacities), np.concatenate(costs))
    network.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies)
    status = network.solve()
    if status == network.BAD_COST_RANGE:
        return None
    if status != network.OPTIMAL:
        raise RuntimeError(f"min-cost flow returned status {status} on a network that always has a feasible flow")
    # The pair arcs were added first, so their arc indices are 0..len(pairs)-1.
    flows = network.flows(np.arange(len(pairs), dtype=np.int32))
    return pairs[flows > 0]
