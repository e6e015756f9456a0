"""The fit check before a request is made: hand-checked nights, and on generated nights it agrees
with the engine (a request it calls impossible is never served; one it calls possible is served
when alone)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings

from engine import PinAction, solve
from engine.fit import Stay, check_fit, nearest_within
from engine.phrases import CHINESE
from engine.rules import Rule
from tests.engine.builders import household, instance, request, space, t, window
from tests.engine.strategies import small_instances


def _laiyang_like(*requests):
    return instance(
        [
            space("L1", "street"),
            space("A1", "rented", renter="x", released=True),
            space("A2", "rented", renter="x"),
        ],
        [household("x", has_space=True), household("h")],
        list(requests),
    )


def test_a_stay_inside_the_hours_fits_the_spaces_of_both_kinds():
    night = _laiyang_like()
    fit = check_fit(night, request("r", "h", "22:30", "06:30"))
    assert fit.fits and fit.fitting == 3 and fit.kinds == ("rented", "street")
    assert fit.reasons == () and fit.suggestions == () and fit.message == ""


def test_the_issues_stay_is_told_the_nearest_hours_of_each_kind():
    # 15:55-09:25 (the stay a demo resident sent): the street takes 19:00-07:00 (3 h 05 later,
    # 2 h 25 earlier: 330 minutes moved), rented spaces 22:00-09:00 (6 h 05 + 25 min: 390).
    night = _laiyang_like()
    fit = check_fit(night, request("r", "h", "15:55", "09:25"))
    assert not fit.fits and fit.reasons == (Rule.WINDOW,)
    assert fit.suggestions == (
        Stay("street", t("19:00"), t("07:00"), 330),
        Stay("rented", t("22:00"), t("09:00"), 390),
    )
    assert fit.nearest == fit.suggestions[0]
    assert fit.message == (
        "arrives 15:55 but street spaces open at 19:00 and rented spaces open at 22:00, "
        "and departs 09:25 but street spaces must be empty by 07:00 "
        "and rented spaces must be empty by 09:00"
    )
    chinese = check_fit(night, request("r", "h", "15:55", "09:25"), phrases=CHINESE)
    assert chinese.message.startswith("15:55 到达，但潮汐车位 19:00 才开放")


def test_a_stay_beside_every_window_is_moved_into_the_nearest():
    # 12:10-13:00 overlaps no window: the same 50 minutes at the street's opening.
    fit = check_fit(_laiyang_like(), request("r", "h", "12:10", "13:00"))
    assert fit.nearest == Stay("street", t("19:00"), t("19:50"), 2 * 410)


def test_nearest_within_keeps_the_overlap_or_moves_the_stay_in():
    night_window = window("22:00-09:00")
    assert nearest_within(night_window, t("20:00"), t("08:00")) == (t("22:00"), t("08:00"))
    assert nearest_within(night_window, t("12:00"), t("14:00")) == (t("22:00"), t("00:00"))
    late = night_window.end + 60
    assert nearest_within(night_window, late, late + 30) == (t("08:30"), t("09:00"))
    # Longer than the window and beside it: the whole window.
    assert nearest_within(window("22:00-23:00"), t("12:00"), t("20:00")) == (t("22:00"), t("23:00"))


def test_hours_cannot_help_a_car_too_large_for_every_space():
    night = _laiyang_like()
    fit = check_fit(night, request("r", "h", "22:30", "06:30", size="large"))
    assert not fit.fits and fit.reasons == (Rule.SIZE,) and fit.suggestions == ()
    assert fit.message == "3 rented/street spaces are too small for a large car"


def test_only_the_spaces_that_fit_otherwise_are_suggested():
    # The street is too small; the rented space's hours are the only ones to offer.
    night = instance(
        [space("L1", "street", size="small"), space("A1", "rented", renter="x")],
        [household("x", has_space=True), household("h")],
        [],
    )
    fit = check_fit(night, request("r", "h", "20:00", "06:00"))
    assert fit.reasons == (Rule.WINDOW, Rule.SIZE)
    assert fit.suggestions == (Stay("rented", t("22:00"), t("06:00"), 120),)


def test_unreleased_spaces_count_unless_asked_for_tonights_pool():
    night = instance(
        [space("A1", "rented", renter="x")],
        [household("x", has_space=True), household("h")],
        [],
    )
    asked = request("r", "h", "22:30", "06:30")
    assert check_fit(night, asked).fits
    tonight = check_fit(night, asked, released_later=False)
    assert not tonight.fits and tonight.reasons == (Rule.POOL,)
    assert tonight.message == "1 rented space is not released tonight"


def test_a_plan_that_gives_households_no_space_fits_nothing():
    night = instance([space("L1")], [household("h")], [], household_cap=0)
    fit = check_fit(night, request("r", "h"))
    assert not fit.fits and fit.no_household_space
    assert fit.message == "the plan gives no shared space to a household"


def _alone(night, asked):
    """The night with only `asked`, and only the pins that keep it off spaces."""
    pins = tuple(p for p in night.pins if p.request == asked.id and p.action is PinAction.FORBID)
    return replace(night, requests=(asked,), pins=pins)


@settings(max_examples=150, deadline=None)
@given(small_instances())
def test_the_check_agrees_with_the_engine(night):
    result = solve(night)
    served = {a.request for a in result.assignments}
    everything_released = replace(
        night, spaces=tuple(replace(s, released=s.renter is not None) for s in night.spaces)
    )
    pool_of_all = solve(everything_released)
    served_if_released = {a.request for a in pool_of_all.assignments}
    for asked in night.requests:
        tonight = check_fit(night, asked, released_later=False)
        if not tonight.fits:
            assert asked.id not in served
        else:
            alone = solve(_alone(night, asked))
            assert [a.request for a in alone.assignments] == [asked.id]
        ever = check_fit(night, asked)
        if not ever.fits:
            assert asked.id not in served_if_released and not tonight.fits
        for stay in tonight.suggestions:
            moved = replace(asked, arrive=stay.arrive, depart=stay.depart)
            again = check_fit(night, moved, released_later=False)
            assert again.fits and stay.kind in again.kinds
