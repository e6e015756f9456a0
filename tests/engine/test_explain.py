"""Reasons and explanations are true of the instance and name no other resident."""

from __future__ import annotations

from engine import Reason, solve
from engine.eligibility import EligibilityTable
from engine.explain import explain_request
from tests.engine.builders import household, instance, request, space, window


def test_no_space_fits_names_each_excluding_rule():
    # The example: departs 08:30, street spaces must be empty by 07:00, and no released
    # space has an EV charger; one more rented space is not released.
    night = instance(
        [
            space("L1", "street"),
            space("L2", "street"),
            space("A1", "rented", renter="x", released=True),
            space("A2", "rented", renter="x"),
        ],
        [household("x", has_space=True), household("h")],
        [request("r", "h", "22:30", "08:30", needs=["ev_charger"])],
    )
    (refused,) = solve(night).unassigned
    assert refused.reason is Reason.NO_SPACE_FITS
    assert refused.message == (
        "departs 08:30 but street spaces must be empty by 07:00, "
        "1 rented space has no EV charger, "
        "and 1 rented space is not released tonight"
    )


def test_arrival_before_opening_is_named():
    night = instance(
        [space("A", "rented", renter="x", released=True)],
        [household("x"), household("h")],
        [request("r", "h", "20:00", "08:00")],
    )
    (refused,) = solve(night).unassigned
    assert refused.message == "arrives 20:00 but rented spaces open at 22:00"


def test_all_fitting_spaces_taken_counts_spaces_and_levels_only():
    # Two spaces fit; both go to priority-2 requests; the priority-1 request is refused.
    night = instance(
        [space("S1"), space("S2")],
        [household("a"), household("b"), household("c")],
        [
            request("hi1", "a", priority=2),
            request("hi2", "b", priority=2),
            request("lo", "c", priority=1),
        ],
    )
    (refused,) = solve(night).unassigned
    assert refused.reason is Reason.ALL_FITTING_SPACES_TAKEN
    assert refused.message == (
        "2 spaces fit this car from 22:00 to 06:00; "
        "all were taken for that time by requests of priority 2 (2) "
        "(this request is priority 1)"
    )
    assert "hi1" not in refused.message and "a" not in refused.message.split()


def test_explain_a_served_request_says_why_not_a_nearer_space():
    # h lives at x=0; the nearest space S0 is taken by a higher-priority car, so h gets S5.
    night = instance(
        [space("S0", x=0), space("S5", x=5)],
        [household("h", x=0), household("vip", x=0)],
        [request("r", "h", priority=1), request("v", "vip", priority=2)],
    )
    result = solve(night)
    lines = explain_request(
        night, EligibilityTable(night), "r", list(result.assignments), result.unassigned_of("r")
    )
    assert any("Assigned space S" in line for line in lines)
    assert "2 spaces of 2 fit this request." in lines
    assert lines[-1] in (
        "It is the nearest space that fits.",
        "1 nearer fitting space was taken by other cars for at least part of this stay.",
    )


def test_explain_a_refused_request_gives_the_reason():
    night = instance(
        [space("S", size="small")], [household("h")], [request("r", "h", size="large")]
    )
    result = solve(night)
    lines = explain_request(
        night, EligibilityTable(night), "r", list(result.assignments), result.unassigned_of("r")
    )
    assert lines[-1] == "No space: no_space_fits. 1 street space is too small for a large car."


def test_a_single_phrase_with_two_features_reads_as_one_sentence():
    # A needs both an EV charger and an accessible space; A has one, B the other.
    night = instance(
        [space("A", features=["ev_charger"]), space("B", features=["accessible"])],
        [household("h")],
        [request("r", "h", needs=["ev_charger", "accessible"])],
    )
    (refused,) = solve(night).unassigned
    assert refused.message == "none of 2 street spaces is accessible and has an EV charger"


def test_a_stay_missing_both_ends_of_the_hours_names_both():
    # 15:55-09:25 against street hours 19:00-07:00: arrives too early and leaves too late.
    night = instance(
        [space("L", "street")], [household("h")], [request("r", "h", "15:55", "09:25")]
    )
    (refused,) = solve(night).unassigned
    assert refused.message == (
        "arrives 15:55 but street spaces open at 19:00 "
        "and departs 09:25 but street spaces must be empty by 07:00"
    )


def test_with_two_windows_the_one_that_holds_the_departure_is_named():
    # Own hours 19:00-21:00 and 22:00-09:00; a stay 18:00-08:00 would fit from 22:00, so the
    # reason is the late arrival, not an early closing at 21:00.
    hours = (window("19:00-21:00"), window("22:00-09:00"))
    night = instance(
        [space("A", "rented", renter="x", released=True, windows=hours)],
        [household("x"), household("h")],
        [request("r", "h", "18:00", "08:00")],
    )
    (refused,) = solve(night).unassigned
    assert refused.message == "arrives 18:00 but rented (own hours) spaces open at 22:00"
