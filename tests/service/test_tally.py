"""The counting rule of 民法典第278条, checked by hand on small rolls: two thirds of the area and of
the households take part; then more than half (or, for common parts, at least three quarters) of
the participating area and households approve. Edges are exact (integers of 0.01 m²)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.actions.tally import count
from service.models import BallotRule

MAJORITY, COMMON = BallotRule.MAJORITY, BallotRule.COMMON_PARTS


def test_a_plain_majority_of_area_and_households_decides():
    # 6 households, 600 m². 5 vote (500 m²: 5/6 of both); option 0 gets 3 households and 300 m².
    roll = [100.0] * 6
    votes = [(100.0, 0)] * 3 + [(100.0, 1)] * 2
    tally = count(rule=MAJORITY, roll=roll, votes=votes, options=2)
    assert (tally.households, tally.area) == (5, 500.0)
    assert tally.participation_met
    assert [(o.households, o.area, o.approved) for o in tally.options] == [
        (3, 300.0, True),
        (2, 200.0, False),
    ]
    assert tally.decision == 0


def test_exactly_two_thirds_take_part_is_enough_and_one_less_is_not():
    roll = [90.0] * 9  # 810 m²
    six = [(90.0, 0)] * 6  # exactly 2/3 of households and 540/810 = 2/3 of the area
    assert count(rule=MAJORITY, roll=roll, votes=six, options=2).participation_met
    five = six[:5]
    tally = count(rule=MAJORITY, roll=roll, votes=five, options=2)
    assert not tally.households_participation_met and not tally.participation_met
    assert tally.decision is None  # 5 of 5 for option 0 decides nothing without participation


def test_two_thirds_of_households_but_not_of_the_area():
    # 3 small flats vote, 1 large does not: 3/4 of households, 150/350 m² of the area.
    roll = [50.0, 50.0, 50.0, 200.0]
    votes = [(50.0, 0)] * 3
    tally = count(rule=MAJORITY, roll=roll, votes=votes, options=2)
    assert tally.households_participation_met and not tally.area_participation_met
    assert tally.decision is None


def test_the_area_edge_is_exact_to_the_hundredth():
    # 2/3 of 100.01 m² is 66.673...: 66.67 m² is short, 66.68 m² is enough.
    roll = [66.67, 33.34]
    assert not count(rule=MAJORITY, roll=roll, votes=[(66.67, 0)], options=2).area_participation_met
    roll = [66.68, 33.33]
    assert count(rule=MAJORITY, roll=roll, votes=[(66.68, 0)], options=2).area_participation_met


def test_exactly_half_is_not_more_than_half():
    # 4 households all vote, 2 and 2: a tie decides nothing.
    roll = [80.0] * 4
    votes = [(80.0, 0), (80.0, 0), (80.0, 1), (80.0, 1)]
    tally = count(rule=MAJORITY, roll=roll, votes=votes, options=2)
    assert tally.participation_met and tally.decision is None
    assert [o.approved for o in tally.options] == [False, False]


def test_more_than_half_of_households_but_not_of_the_area():
    # 3 of 5 participating households choose 0, but they hold 150 of 450 m².
    roll = [50.0, 50.0, 50.0, 150.0, 150.0]
    votes = [(50.0, 0)] * 3 + [(150.0, 1)] * 2
    tally = count(rule=MAJORITY, roll=roll, votes=votes, options=2)
    assert [(o.households, o.area) for o in tally.options] == [(3, 150.0), (2, 300.0)]
    assert tally.decision is None  # 0 has the households, 1 the area: neither has both


def test_three_quarters_for_common_parts_exactly_and_just_short():
    roll = [100.0] * 8
    three_quarters = [(100.0, 0)] * 6 + [(100.0, 1)] * 2  # 6/8 = 3/4 of both
    assert count(rule=COMMON, roll=roll, votes=three_quarters, options=2).decision == 0
    short = [(100.0, 0)] * 5 + [(100.0, 1)] * 3  # 5/8 < 3/4, though more than half
    assert count(rule=COMMON, roll=roll, votes=short, options=2).decision is None
    assert count(rule=MAJORITY, roll=roll, votes=short, options=2).decision == 0


def test_households_without_an_area_count_by_head_and_as_zero_square_metres():
    # 3 households: 2 with 100 m², one unknown. The unknown one and one 100 m² vote for 0; the
    # other 100 m² for 1. Households: 3/3 take part, 2/3 choose 0. Area: 200 of 200 m² take part,
    # 100 of 200 for 0: exactly half, not more.
    roll = [100.0, 100.0, None]
    votes = [(None, 0), (100.0, 0), (100.0, 1)]
    tally = count(rule=MAJORITY, roll=roll, votes=votes, options=2)
    assert (tally.roll_area, tally.roll_without_area, tally.area) == (200.0, 1, 200.0)
    assert tally.options[0].households == 2 and tally.options[0].area == 100.0
    assert tally.decision is None
    # Without any recorded area the area conditions are not applied: households alone decide.
    tally = count(rule=MAJORITY, roll=[None] * 3, votes=[(None, 0), (None, 0)], options=2)
    assert not tally.area_counted and tally.area_participation_met and tally.decision == 0


def test_none_of_these_can_be_decided_and_three_options_can_split():
    roll = [70.0] * 10
    votes = [(70.0, 2)] * 6 + [(70.0, 0)] * 2 + [(70.0, 1)] * 2
    assert count(rule=MAJORITY, roll=roll, votes=votes, options=3).decision == 2
    split = [(70.0, 0)] * 4 + [(70.0, 1)] * 3 + [(70.0, 2)] * 3
    assert count(rule=MAJORITY, roll=roll, votes=split, options=3).decision is None


@pytest.mark.parametrize("rule", [MAJORITY, COMMON])
def test_nobody_voted(rule):
    tally = count(rule=rule, roll=[80.0, 90.0], votes=[], options=2)
    assert not tally.participation_met and tally.decision is None and tally.households == 0


def oracle(
    rule: BallotRule, roll: list[int | None], choices: list[int | None], options: int
) -> tuple[list[bool], int | None]:
    """The rule read straight from the law, in exact fractions: `roll` is each household's area
    in hundredths of m² (None: not recorded, 0 m²), `choices` each household's option (None: did
    not vote). Which options pass, and the decision."""
    area = [Fraction(a or 0, 100) for a in roll]
    voters = [h for h, choice in enumerate(choices) if choice is not None]
    roll_area, voted_area = sum(area, Fraction(0)), sum((area[h] for h in voters), Fraction(0))
    area_applies = roll_area > 0
    take_part = (
        len(voters) > 0
        and Fraction(len(voters), len(roll)) >= Fraction(2, 3)
        and (not area_applies or voted_area / roll_area >= Fraction(2, 3))
    )

    def enough(share: Fraction) -> bool:
        return share > Fraction(1, 2) if rule is MAJORITY else share >= Fraction(3, 4)

    passes = []
    for option in range(options):
        chose = [h for h in voters if choices[h] == option]
        passes.append(
            take_part
            and enough(Fraction(len(chose), len(voters)))
            and (
                not area_applies or enough(sum((area[h] for h in chose), Fraction(0)) / voted_area)
            )
        )
    decided = [option for option, yes in enumerate(passes) if yes]
    return passes, decided[0] if decided else None


@st.composite
def ballots(draw):
    options = draw(st.integers(2, 5))
    # Areas in hundredths of m², a few unrecorded; often equal, so that edges are met exactly.
    area = st.one_of(st.none(), st.sampled_from([6000, 9000, 10000, 12050]), st.integers(1, 50000))
    roll = draw(st.lists(area, min_size=1, max_size=12))
    choices = draw(
        st.lists(
            st.one_of(st.none(), st.integers(0, options - 1)),
            min_size=len(roll),
            max_size=len(roll),
        )
    )
    return options, roll, choices


@settings(max_examples=2000, deadline=None)
@given(ballot=ballots(), rule=st.sampled_from([MAJORITY, COMMON]))
def test_the_count_agrees_with_the_law_read_in_fractions(ballot, rule):
    options, roll, choices = ballot
    tally = count(
        rule=rule,
        roll=[None if a is None else a / 100 for a in roll],
        votes=[
            (None if roll[h] is None else roll[h] / 100, choice)
            for h, choice in enumerate(choices)
            if choice is not None
        ],
        options=options,
    )
    passes, decision = oracle(rule, roll, choices, options)
    assert [o.approved for o in tally.options] == passes
    assert tally.decision == decision
    assert [o.households for o in tally.options] == [choices.count(p) for p in range(options)]
    assert tally.households == sum(c is not None for c in choices)
