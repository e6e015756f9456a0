"""The clique sweep describes the overlap graph of a space's stays exactly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.solver.groups import maximal_cliques


def overlap(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_three_stays_in_a_row_touching_ends():
    # [0,10) [10,20) [5,15): cliques {0,2} and {1,2}; 0 and 1 only touch, so never together.
    assert sorted(maximal_cliques([(0, 10), (10, 20), (5, 15)])) == [[0, 2], [1, 2]]


stays = st.lists(
    st.tuples(st.integers(0, 50), st.integers(1, 20)).map(lambda t: (t[0], t[0] + t[1])),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(stays)
def test_cliques_cover_every_overlap_and_are_maximal(intervals):
    cliques = maximal_cliques(intervals)
    for clique in cliques:
        assert all(overlap(intervals[i], intervals[j]) for i in clique for j in clique if i < j)
        outside = set(range(len(intervals))) - set(clique)
        assert not any(all(overlap(intervals[k], intervals[i]) for i in clique) for k in outside)
    for i in range(len(intervals)):
        for j in range(i + 1, len(intervals)):
            if overlap(intervals[i], intervals[j]):
                assert any(i in clique and j in clique for clique in cliques)
