"""The checker catches each broken rule: hand-made bad allocations, one per family.

Every pair rule is also caught on its own one-pair night in test_rule_pairs.py.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine import Assignment, Status, check_allocation, solve
from engine.rules import Rule
from tests.engine.builders import forbid, household, instance, request, space, window


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


def _broken(night, *assignments) -> set[str]:
    """The families `assignments` break on `night`, besides the requests the solver had placed
    and they leave out (which `_with` drops without a reason)."""
    families = {v.family for v in check_allocation(night, _with(solve(night), *assignments))}
    return families - {"every_request_accounted"}


def _charger_night():
    # Household a: a parking stay and two charging sessions; a charger space kept for charging
    # and two street spaces. Caps of one each: the street spaces may take one parking stay and
    # one charging session of a.
    return instance(
        [space("C", "charger"), space("S"), space("T")],
        [household("a")],
        [
            request("park", "a"),
            request("charge1", "a", charging=True),
            request("charge2", "a", charging=True),
        ],
        windows={"street": (window("19:00-07:00"),), "charger": (window("18:00-08:00"),)},
        charging_only_kinds=frozenset({"charger"}),
        household_cap=1,
        charging_cap=1,
    )


@pytest.mark.parametrize(
    ("assignments", "families"),
    [
        # Allowed: one of each kind of stay, the session on the charger.
        (
            (Assignment("park", "S", 1320, 1800, 0), Assignment("charge1", "C", 1320, 1800, 0)),
            set(),
        ),
        ((Assignment("park", "C", 1320, 1800, 0),), {Rule.CHARGING_ONLY}),
        (
            (Assignment("charge1", "C", 1320, 1800, 0), Assignment("charge2", "S", 1320, 1800, 0)),
            {"charging_cap"},
        ),
        # Two charging sessions break the charging cap, not the household cap.
        (
            (
                Assignment("park", "T", 1320, 1800, 0),
                Assignment("charge1", "C", 1320, 1800, 0),
                Assignment("charge2", "S", 1320, 1800, 0),
            ),
            {"charging_cap"},
        ),
    ],
)
def test_the_charging_rule_and_cap_are_caught(assignments, families):
    assert _broken(_charger_night(), *assignments) == families


def test_charging_sessions_held_elsewhere_count_for_the_charging_cap_only():
    night = _charger_night()
    held = replace(night, households=(replace(night.households[0], charging_held_elsewhere=1),))
    assert _broken(held, Assignment("park", "S", 1320, 1800, 0)) == set()
    assert _broken(held, Assignment("charge1", "C", 1320, 1800, 0)) == {"charging_cap"}


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
