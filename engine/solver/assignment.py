"""Exact special case of the special case: a small matching night as a rectangular assignment.

When every space takes at most one stay and no household cap binds, each request either gets one
space or its own "unserved" column, and a maximum-weight allocation is a minimum-cost assignment.
SciPy's shortest-augmenting-path solver does this on a dense matrix about ten times faster than
a min-cost flow on the Laiyang night. It works in floating point, so it is used only while every
sum it forms is an exact integer in a double; otherwise the flow solver takes the component.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from engine.solver.objective import Tier, combined_weights
from engine.solver.problem import Component, Problem

# Dense matrices beyond this many cells cost more to fill than the flow solver takes.
MAX_CELLS = 400_000
# Doubles hold every integer up to 2**53; potentials sum at most rows + columns costs.
_EXACT_LIMIT = 2**52


def solve_assignment(problem: Problem, component: Component, tiers: list[Tier]) -> np.ndarray | None:
    """The chosen pairs (indices into the problem's pair arrays), or None when this method does not apply."""
    if component.binding_households or not component.is_matching:
        return None
    pairs = component.pairs
    requests = component.requests
    spaces = np.unique(problem.pair_space[pairs])
    rows, columns = len(requests), len(spaces) + len(requests)
    if rows * columns > MAX_CELLS:
        return None
    weights = combined_weights(problem, tiers, pairs, matroid=True, limit=_EXACT_LIMIT // (rows + columns))
    if weights is None:
        return None
    row = np.searchsorted(requests, problem.pair_request[pairs])
    column = np.searchsorted(spaces, problem.pair_space[pairs])
    costs = np.full((rows, columns), np.inf)
    costs[row, column] = -weights.astype(np.float64)
    costs[np.arange(rows), len(spaces) + np.arange(rows)] = 0.0
    chosen_rows, chosen_columns = linear_sum_assignment(costs)
    on_space = chosen_columns < len(spaces)
    pair_at = np.zeros((rows, len(spaces)), dtype=np.int64)
    pair_at[row, column] = pairs
    return np.sort(pair_at[chosen_rows[on_space], chosen_columns[on_space]])
