"""The checker catches each broken rule: hand-made bad allocations, one per family.

Every pair rule is also caught on its own one-pair night in test_rule_pairs.py.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine import Assignment, Status, check_allocation, solve
from engine.rules import Rule
from tests.engine.builders import forbid, household, instance, request, space


def _night():
    return instance(
        [space("S", x=3), space("R", "rented", renter="h0"), space("T", x=500, size="small")],
        [household("h0", has_space=True), household("a"), household("b")],
        [
            request("ra", "a"),
            request("rb", "b", "23:00", "05:00"),
            request("big", "b", "22:00", "06:00", size="large"),
        ],
        pins=[forbid("rb", "S")],
        max_walk_m=400,
        household_cap=1,
    )


def _with(result, *assignments):
    placed = {a.request for a in assignments}
    return replace(
        result,
        assignments=tuple(assignments),
        unassigned=tuple(u for u in result.unassigned if u.request not in placed),
    )


@pytest.mark.parametrize(
    ("assignments", "family"),
    [
        (
            (Assignment("ra", "S", 1320, 1800, 3), Assignment("rb", "S", 1380, 1740, 3)),
            "no_overlap_on_space",
        ),
        ((Assignment("ra", "R", 1320, 1800, 0),), Rule.POOL),
        ((Assignment("big", "S", 1320, 1800, 3),), Rule.SIZE),
        ((Assignment("ra", "T", 1320, 1800, 500),), Rule.WALK),
        ((Assignment("ra", "S", 1320, 1800, 99),), "reported_walk"),
        ((Assignment("ra", "S", 1330, 1800, 3),), "whole_stay"),
        ((Assignment("rb", "S", 1380, 1740, 3),), Rule.FORBIDDEN),
        (
            (Assignment("ra", "S", 1320, 1800, 3), Assignment("ra", "T", 1320, 1800, 500)),
            "one_space_per_request",
        ),
        (
            (Assignment("rb", "T", 1380, 1740, 500), Assignment("big", "S", 1320, 1800, 3)),
            "household_cap",
        ),
        ((Assignment("nobody", "S", 1320, 1800, 3),), "known_ids"),
    ],
)
def test_each_family_is_caught(assignments, family):
    night = _night()
    result = _with(solve(night), *assignments)
    assert family in {v.family for v in check_allocation(night, result)}


def test_a_request_missing_from_the_result_is_caught():
    night = _night()
    result = solve(night)
    result = replace(result, unassigned=result.unassigned[1:])
    assert "every_request_accounted" in {v.family for v in check_allocation(night, result)}


def test_window_rule_is_caught():
    night = instance([space("S")], [household("a")], [request("ra", "a", "18:00", "06:00")])
    result = replace(
        solve(night), assignments=(Assignment("ra", "S", 1080, 1800, 0),), unassigned=()
    )
    assert Rule.WINDOW in {v.family for v in check_allocation(night, result)}


def test_the_solvers_output_passes():
    night = _night()
    result = solve(night)
    assert result.status is Status.OPTIMAL
    assert check_allocation(night, result) == []
