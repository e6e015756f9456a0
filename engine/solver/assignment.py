"""Exact special case of the special case: a matching night as a rectangular assignment.

When every space takes at most one stay and no household cap binds, each request either gets one
space or its own "unserved" column, and a maximum-weight allocation is a minimum-cost full
matching of the requests. SciPy's sparse shortest-augmenting-path solver (LAPJVsp) finds it about
three times faster than a min-cost flow on the Laiyang night. It computes in doubles, so it is
used only while every sum it forms is an exact integer in a double; otherwise the flow solver
takes the component.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from engine.arrays import IntArray
from engine.solver.objective import Tier, combined_weights
from engine.solver.problem import Component, Problem

MAX_PAIRS = 100_000
"""Beyond this many pairs `solve(method="auto")` uses the flow: as fast, no floating-point limit."""
# Doubles hold every integer up to 2**53; potentials sum at most rows + columns costs.
_EXACT_LIMIT = 2**52


def solve_assignment(problem: Problem, component: Component, tiers: list[Tier]) -> IntArray | None:
    """The lexicographically best pairs of a matching part without a binding household cap.

    Parameters
    ----------
    problem : Problem
        The compiled night.
    component : Component
        A part where each space takes at most one stay (`Component.is_matching`) and no
        household cap binds.
    tiers : list of Tier
        The objective, most important first.

    Returns
    -------
    IntArray or None
        The chosen pairs (indices into the problem's pair arrays), ascending; None when the
        combined weights are too large for exact arithmetic in doubles.
    """
    assert component.is_matching and not component.binding_accounts, "not an assignment"
    pairs = component.pairs
    requests = component.requests
    spaces = np.unique(problem.pair_space[pairs])
    rows, columns = len(requests), len(spaces) + len(requests)
    weights = combined_weights(
        problem, tiers, pairs, matroid=True, limit=_EXACT_LIMIT // (rows + columns) - 1
    )
    if weights is None:
        return None
    row = np.searchsorted(requests, problem.pair_request[pairs])
    column = np.searchsorted(spaces, problem.pair_space[pairs])
    # Every request is matched exactly once, so adding `top` to all its costs changes nothing;
    # it makes every cost positive, as the solver reads a stored zero as no edge.
    top = int(weights.max(initial=0)) + 1
    costs = csr_matrix(
        (
            np.concatenate([top - weights, np.full(rows, top)]).astype(np.float64),
            (
                np.concatenate([row, np.arange(rows)]),
                np.concatenate([column, len(spaces) + np.arange(rows)]),
            ),
        ),
        shape=(rows, columns),
    )
    matched_rows, matched_columns = min_weight_full_bipartite_matching(costs)
    on_space = matched_columns < len(spaces)
    pair_at = np.zeros((rows, len(spaces)), dtype=np.int64)
    pair_at[row, column] = pairs
    return np.sort(pair_at[matched_rows[on_space], matched_columns[on_space]])
