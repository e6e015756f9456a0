"""One tiny hand-checked night per rule; the expected optimum is in each test's comment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import Reason, Status, check_allocation, solve
from engine.rules import Rule
from tests.engine.builders import (
    NIGHT,
    forbid,
    force,
    history,
    household,
    instance,
    request,
    space,
    window,
)


def solved(night):
    result = solve(night, time_limit=10)
    assert check_allocation(night, result) == []
    return result


def placement(result) -> dict[str, str]:
    return {a.request: a.space for a in result.assignments}


# --- hard rules -----------------------------------------------------------------------------------


def test_one_space_per_request():
    # One car, two free spaces: it takes exactly one (the nearer, S1 at 5 m).
    night = instance([space("S1", x=5), space("S2", x=50)], [household("h")], [request("r", "h")])
    assert placement(solved(night)) == {"r": "S1"}


def test_no_overlap_on_space_serves_one_of_two_overlapping_cars():
    # Two cars 22:00-06:00 and 23:00-05:00, one space: optimum serves 1.
    night = instance(
        [space("S")],
        [household("a"), household("b")],
        [request("ra", "a"), request("rb", "b", "23:00", "05:00")],
    )
    result = solved(night)
    assert len(result.assignments) == 1
    assert result.unassigned[0].reason is Reason.ALL_FITTING_SPACES_TAKEN


@pytest.mark.parametrize(("turnover", "both_served"), [(0, True), (30, True), (31, False)])
def test_no_overlap_on_space_keeps_the_turnover_gap(turnover, both_served):
    # 19:00-21:00 then 21:30-06:00 on one space: both fit iff the gap is at most 30 minutes.
    night = instance(
        [space("S")],
        [household("a"), household("b")],
        [request("early", "a", "19:00", "21:00"), request("late", "b", "21:30", "06:00")],
        turnover_minutes=turnover,
    )
    result = solved(night)
    assert len(result.assignments) == (2 if both_served else 1)
    assert result.status is Status.OPTIMAL


def test_inside_window():
    # Street closes 07:00, rented opens 22:00. A 22:30-08:00 stay fits only the rented space R.
    night = instance(
        [space("S", "street"), space("R", "rented", renter="h0", released=True)],
        [household("h0"), household("h")],
        [request("r", "h", "22:30", "08:00")],
    )
    assert placement(solved(night)) == {"r": "R"}


def test_space_window_override_beats_the_kind_default():
    # V is a street space that stays open until 10:00: the 09:30 departure fits only V.
    night = instance(
        [space("S"), space("V", windows=(window("19:00-10:00"),))],
        [household("h")],
        [request("r", "h", "20:00", "09:30")],
    )
    assert placement(solved(night)) == {"r": "V"}


def test_fits_space_size():
    # A large car does not fit the nearer standard space: optimum puts it on L.
    night = instance(
        [space("S", x=1), space("L", x=90, size="large")],
        [household("h")],
        [request("r", "h", size="large")],
    )
    assert placement(solved(night)) == {"r": "L"}


def test_fits_space_features():
    # Only E has a charger.
    night = instance(
        [space("S", x=1), space("E", x=90, features=["ev_charger"])],
        [household("h")],
        [request("r", "h", needs=["ev_charger"])],
    )
    assert placement(solved(night)) == {"r": "E"}


def test_within_walk():
    # The only space is 500 m away and the plan allows 400 m: nothing fits.
    night = instance([space("S", x=500)], [household("h")], [request("r", "h")], max_walk_m=400)
    result = solved(night)
    assert result.assignments == ()
    assert result.unassigned[0].reason is Reason.NO_SPACE_FITS
    assert "more than 400 m" in result.unassigned[0].message


def test_unreleased_rented_space_is_not_shared():
    # R is rented and not released tonight: the car gets nothing.
    night = instance(
        [space("R", "rented", renter="h0")],
        [household("h0", has_space=True), household("h")],
        [request("r", "h", "22:30", "08:00")],
    )
    result = solved(night)
    assert result.assignments == ()
    assert "not released tonight" in result.unassigned[0].message


def test_same_compound():
    # S belongs to compound B; the household lives in A; the street space T is shared by all.
    night = instance(
        [space("S", compounds={"B"}), space("T", x=80)],
        [household("h", compound="A")],
        [request("r", "h")],
    )
    assert placement(solved(night)) == {"r": "T"}


def test_a_street_shared_by_two_neighbouring_compounds():
    # Street space L serves compounds A and B but not C: C's car gets nothing, A's gets L.
    night = instance(
        [space("L", compounds={"A", "B"})],
        [household("a", compound="A"), household("c", compound="C")],
        [request("ra", "a"), request("rc", "c")],
    )
    result = solved(night)
    assert placement(result) == {"ra": "L"}
    assert result.unassigned[0].message == "1 space belongs to other compounds"


def test_household_cap():
    # Cap 1: the household's second car is refused although a space is free.
    night = instance(
        [space("S1"), space("S2")],
        [household("h")],
        [request("a", "h"), request("b", "h")],
        household_cap=1,
    )
    result = solved(night)
    assert len(result.assignments) == 1
    assert result.unassigned[0].reason is Reason.HOUSEHOLD_CAP


def test_force_pin_overrides_the_objective():
    # Walking alone would put r on the nearer S1; staff force it onto S2.
    night = instance(
        [space("S1", x=1), space("S2", x=90)],
        [household("h")],
        [request("r", "h")],
        pins=[force("r", "S2")],
    )
    assert placement(solved(night)) == {"r": "S2"}


def test_forbid_pin():
    night = instance(
        [space("S1", x=1), space("S2", x=90)],
        [household("h")],
        [request("r", "h")],
        pins=[forbid("r", "S1")],
    )
    assert placement(solved(night)) == {"r": "S2"}


def test_force_pins_that_clash_make_the_night_infeasible():
    # Two overlapping cars forced onto one space: infeasible, nothing assigned, every request
    # explained.
    night = instance(
        [space("S")],
        [household("a"), household("b")],
        [request("ra", "a"), request("rb", "b")],
        pins=[force("ra", "S"), force("rb", "S")],
    )
    result = solve(night)
    assert result.status is Status.INFEASIBLE
    assert result.assignments == ()
    assert "both forced onto space S" in result.message
    assert {u.reason for u in result.unassigned} == {Reason.NOT_ALLOCATED}
    assert check_allocation(night, result) == []


def test_force_pin_onto_a_space_that_does_not_fit_is_infeasible():
    night = instance(
        [space("S")], [household("h")], [request("r", "h", size="large")], pins=[force("r", "S")]
    )
    result = solve(night)
    assert result.status is Status.INFEASIBLE
    assert f"breaks the {Rule.SIZE.value} rule" in result.message


# --- objective ------------------------------------------------------------------------------------


def test_higher_priority_first_never_traded_for_several_lower():
    # One space can hold the high-priority all-night car, or two low-priority short stays.
    # Lexicographic optimum: serve the high one: served {2: 1, 1: 0}.
    night = instance(
        [space("S")],
        [household("a"), household("b"), household("c")],
        [
            request("high", "a", "19:00", "06:00", priority=2),
            request("low1", "b", "19:00", "21:00", priority=1),
            request("low2", "c", "23:00", "06:00", priority=1),
        ],
    )
    result = solved(night)
    assert result.served_by_priority == {2: 1, 1: 0}
    assert result.status is Status.OPTIMAL


def test_fairness_serves_the_household_refused_more_often():
    # One space, two equal requests; b was refused 3 times in the last 14 nights, a once.
    # Optimum: serve b (fairness points 3 > 1). A refusal 20 nights ago no longer counts.
    night = instance(
        [space("S")],
        [household("a"), household("b")],
        [request("ra", "a"), request("rb", "b")],
        history=[
            history("a", refused_nights_ago=[2, 20, 21, 22]),
            history("b", refused_nights_ago=[1, 3, 5]),
        ],
    )
    assert placement(solved(night)) == {"rb": "S"}


def test_rotation_serves_the_household_refused_most_recently_among_equals():
    # One space; a and b were each refused once in the last 14 nights (1 point each), a a night
    # ago (rotation 14), b five nights ago (rotation 10); b lives nearer. Optimum: serve a.
    night = instance(
        [space("S")],
        [household("a", x=100), household("b", x=1)],
        [request("ra", "a"), request("rb", "b")],
        history=[history("a", refused_nights_ago=[1]), history("b", refused_nights_ago=[5])],
    )
    result = solved(night)
    assert placement(result) == {"ra": "S"}
    assert (result.objective.fairness_points, result.objective.rotation_points) == (1, 14)


def test_fairness_term_off_when_weight_is_zero():
    # Same night with fairness weight 0: both requests tie; the walk decides (a lives next to S).
    night = instance(
        [space("S")],
        [household("a", x=1), household("b", x=100)],
        [request("ra", "a"), request("rb", "b")],
        history=[history("b", refused_nights_ago=[1, 3, 5])],
        fairness_weight=0,
    )
    assert placement(solved(night)) == {"ra": "S"}


def test_overstay_penalty_drops_the_household_below_the_others():
    # One space; a and b both rank 2 by the plan's rule, but a overstayed 3 nights ago and the
    # penalty lasts 7 nights at priority 0. Optimum: serve b: served {2: 1, 0: 0}.
    night = instance(
        [space("S")],
        [household("a", x=1), household("b", x=100)],
        [request("ra", "a"), request("rb", "b")],
        history=[history("a", overstayed_nights_ago=[3])],
        default_priority=2,
        overstay_penalty_nights=7,
        overstay_penalty_priority=0,
    )
    result = solved(night)
    assert placement(result) == {"rb": "S"}
    assert result.served_by_priority == {2: 1, 0: 0}
    assert night.priority_sources["ra"] == (
        0,
        f"overstay penalty: overstayed the night of {NIGHT - timedelta(days=3)}",
    )


@pytest.mark.parametrize(
    ("nights_ago", "penalty_nights", "penalty_priority"), [(8, 7, 0), (3, 0, 0), (3, 7, 5)]
)
def test_overstay_penalty_off_when_expired_disabled_or_not_lower(
    nights_ago, penalty_nights, penalty_priority
):
    # An overstay 8 nights ago is past a 7-night penalty; 0 nights turns the rule off; a penalty
    # level above the plan's own level never promotes. Either way the walk decides: serve a (x=1).
    night = instance(
        [space("S")],
        [household("a", x=1), household("b", x=100)],
        [request("ra", "a"), request("rb", "b")],
        history=[history("a", overstayed_nights_ago=[nights_ago])],
        default_priority=2,
        overstay_penalty_nights=penalty_nights,
        overstay_penalty_priority=penalty_priority,
    )
    assert placement(solved(night)) == {"ra": "S"}
    assert night.priorities["ra"] == 2


def test_walking_total_is_minimised():
    # a at x=0, b at x=100; spaces at x=10 and x=90. Optimum: a->S10, b->S90, total 20 m (not
    # 160 m).
    night = instance(
        [space("S10", x=10), space("S90", x=90)],
        [household("a", x=0), household("b", x=100)],
        [request("ra", "a"), request("rb", "b")],
    )
    result = solved(night)
    assert placement(result) == {"ra": "S10", "rb": "S90"}
    assert result.objective.walk_m == 20


def test_stability_prefers_last_nights_space_among_equal_walks():
    # Two spaces equally far (10 m); the household had S2 last night: optimum S2.
    night = instance(
        [space("S1", x=-10), space("S2", x=10)],
        [household("h")],
        [request("r", "h")],
        history=[history("h", last_space="S2")],
    )
    result = solved(night)
    assert placement(result) == {"r": "S2"}
    assert result.objective.same_space_as_last_night == 1


def test_walking_ranks_above_stability():
    # Last night's space is 50 m away, another is 5 m away: walking wins, optimum S_near.
    night = instance(
        [space("S_near", x=5), space("S_last", x=50)],
        [household("h")],
        [request("r", "h")],
        history=[history("h", last_space="S_last")],
    )
    assert placement(solved(night)) == {"r": "S_near"}


def test_space_taking_several_stays_serves_all_of_them():
    # Three short stays in sequence (10 min turnover) share one space: all 3 served, by the
    # grouped mixed-integer program.
    night = instance(
        [space("S")],
        [household("a"), household("b"), household("c")],
        [
            request("r1", "a", "19:00", "21:00"),
            request("r2", "b", "21:10", "01:00"),
            request("r3", "c", "01:10", "06:00"),
        ],
        turnover_minutes=10,
    )
    result = solved(night)
    assert len(result.assignments) == 3
    assert result.method == "milp"


def test_small_matching_night_is_solved_as_an_assignment():
    night = instance(
        [space("S1"), space("S2")],
        [household("a"), household("b")],
        [request("ra", "a"), request("rb", "b")],
    )
    result = solved(night)
    assert result.method == "assignment"
    assert result.bound_by_priority == result.served_by_priority


def test_time_limit_still_returns_a_feasible_allocation():
    # A tiny time limit may stop CP-SAT early; the result must still pass every rule.
    night = instance(
        [space(f"S{i}") for i in range(3)],
        [household(f"h{i}") for i in range(12)],
        [request(f"r{i}", f"h{i}", f"{18 + i % 6}:00", f"{18 + i % 6}:50") for i in range(12)],
    )
    result = solve(night, time_limit=0.001)
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert check_allocation(night, result) == []
    assert all(
        result.bound_by_priority[level] >= served
        for level, served in result.served_by_priority.items()
    )
