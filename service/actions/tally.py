"""Counting a ballot as the Civil Code states it (民法典第278条): households holding at least two
thirds of the floor area and at least two thirds of the households take part; then an option
passes with more than half of the participating area and more than half of the participating
households, or, for a change to the use of common parts, at least three quarters of both.

Areas are counted exactly, in hundredths of a square metre, so that an edge (exactly two thirds,
exactly half) is decided by integers, never by rounding.

A household without a recorded floor area counts as one household and as 0 m²: in the roll's
area, in the participating area and in its option's area. When no household on the roll has a
recorded area, the area conditions cannot be judged and are not applied (the pages say so).
"""

from __future__ import annotations

from collections.abc import Sequence

from service.models import BallotRule
from service.schemas import OptionTallyOut, TallyOut


def centi(area: float | None) -> int:
    """An area in hundredths of a square metre (0 when not recorded)."""
    return round(area * 100) if area is not None else 0


def at_least_two_thirds(part: int, whole: int) -> bool:
    return 3 * part >= 2 * whole


def approves(rule: BallotRule, part: int, whole: int) -> bool:
    """More than half (majority) or at least three quarters (common parts) of `whole`."""
    if rule is BallotRule.COMMON_PARTS:
        return 4 * part >= 3 * whole
    return 2 * part > whole


def count(
    *,
    rule: BallotRule,
    roll: Sequence[float | None],
    votes: Sequence[tuple[float | None, int]],
    options: int,
) -> TallyOut:
    """The tally of `votes` ((floor area or None, option position), one per household that voted)
    among the households of `roll` (their floor areas, None where not recorded), `options`
    options. "None of these" is decided like any option (then nothing changes)."""
    roll_area = sum(centi(a) for a in roll)
    area_counted = roll_area > 0
    households, area = len(votes), sum(centi(a) for a, _ in votes)
    by_option = [(0, 0)] * options
    for voter_area, position in votes:
        seen, total = by_option[position]
        by_option[position] = (seen + 1, total + centi(voter_area))
    households_met = at_least_two_thirds(households, len(roll))
    area_met = not area_counted or at_least_two_thirds(area, roll_area)
    participation = households_met and area_met and households > 0
    approved = [
        participation
        and approves(rule, seen, households)
        and (not area_counted or approves(rule, total, area))
        for seen, total in by_option
    ]
    decided = [position for position, yes in enumerate(approved) if yes]
    assert len(decided) <= 1, "more than half (or three quarters) goes to one option at most"
    return TallyOut(
        rule=rule.value,
        roll_households=len(roll),
        roll_area=roll_area / 100,
        roll_without_area=sum(a is None for a in roll),
        households=households,
        area=area / 100,
        area_counted=area_counted,
        households_participation_met=households_met,
        area_participation_met=area_met,
        participation_met=participation,
        options=[
            OptionTallyOut(position=p, households=seen, area=total / 100, approved=approved[p])
            for p, (seen, total) in enumerate(by_option)
        ],
        decision=decided[0] if decided else None,
    )
