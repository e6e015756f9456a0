"""Charging sessions: the charging-only rule, the charging cap beside the household cap, and the
"first car" of the priority rules, on hand-checked nights through every solver path.

A charging session (`Request.charging`) counts towards `Policy.charging_cap`, every other stay
towards `Policy.household_cap`; a space of a kind in `Policy.charging_only_kinds` takes only
charging sessions.
"""

from __future__ import annotations

import pytest

from engine import (
    PriorityRule,
    Reason,
    Status,
    allocate_first_come,
    check_allocation,
    solve,
)
from engine.eligibility import EligibilityTable
from engine.explain import unassigned_reasons
from engine.fit import check_fit
from engine.phrases import CHINESE
from tests.engine.builders import force, household, instance, request, space, window

WINDOWS = {"street": (window("19:00-07:00"),), "charger": (window("18:00-08:00"),)}
CHARGER_BAY = {"windows": WINDOWS, "charging_only_kinds": frozenset({"charger"})}


def _chinese(night, result) -> dict[str, str]:
    """The refusals of `result` in Chinese, by request."""
    said = unassigned_reasons(night, EligibilityTable(night), list(result.assignments), CHINESE)
    return {u.request: u.message for u in said}


# --- the charging-only rule --------------------------------------------------------------------


def _one_charger_bay(*requests):
    # One charger bay of three spaces, kept for charging, and nothing else.
    return instance(
        [space(f"C{i}", "charger", x=i) for i in range(3)],
        [household("h")],
        requests,
        **CHARGER_BAY,
    )


def test_a_charging_session_may_use_a_charging_only_space():
    night = _one_charger_bay(request("c", "h", charging=True))
    result = solve(night)
    assert [(a.request, a.space) for a in result.assignments] == [("c", "C0")]
    assert check_allocation(night, result) == []


def test_a_parking_stay_is_told_the_charger_spaces_are_kept_for_charging():
    night = _one_charger_bay(request("p", "h"))
    result = solve(night)
    (refusal,) = result.unassigned
    assert refusal.reason is Reason.NO_SPACE_FITS
    assert refusal.message == "3 charger spaces are kept for charging"
    assert _chinese(night, result) == {"p": "3 个充电桩车位仅供充电"}


def test_kept_for_charging_is_said_before_a_missing_feature():
    # The parking car needs a charger the bay has: told it is kept for charging, not that it
    # lacks anything (the rule comes after FEATURES, and here FEATURES excludes nothing).
    night = instance(
        [space("C1", "charger", features=["ev_charger"]), space("L1", "street", x=5)],
        [household("h")],
        [request("p", "h", "22:00", "07:30", needs=["ev_charger"])],
        **CHARGER_BAY,
    )
    (refusal,) = solve(night).unassigned
    assert refusal.message == (
        "departs 07:30 but street spaces must be empty by 07:00 and "
        "1 charger space is kept for charging"
    )


def test_forcing_a_parking_stay_onto_a_charging_only_space_is_infeasible():
    result = solve(_both_caps(pins=[force("p", "C1")]))
    assert result.status is Status.INFEASIBLE
    assert "breaks the charging_only rule" in result.message


# --- the two caps ------------------------------------------------------------------------------


def _both_caps(**settings):
    """Household h: one parking stay and two charging sessions; one street space and two charger
    spaces. Household cap 1, charging cap 1: p and c1 (priority 2) are served, c2 is refused by
    the charging cap. Charging sessions may also use the street space, but only one is allowed.

    Stays are 19:00-21:00 (p, c1) and 22:00-06:00 (c2) when `multi_stay` (the street space then
    takes two stays), else all 22:00-06:00. Other `settings` go to `instance` (pins, policy).
    """
    multi_stay = settings.pop("multi_stay", False)
    evening = ("19:00", "21:00") if multi_stay else ("22:00", "06:00")
    return instance(
        [space("L1", "street"), space("C1", "charger", x=1), space("C2", "charger", x=2)],
        [household("h")],
        [
            request("p", "h", *evening),
            request("c1", "h", *evening, charging=True, priority=2),
            request("c2", "h", "22:00", "06:00", charging=True),
        ],
        **{"household_cap": 1, "charging_cap": 1} | CHARGER_BAY | settings,
    )


@pytest.mark.parametrize("multi_stay", [False, True])
@pytest.mark.parametrize("method", ["auto", "flow", "milp", "cp-sat"])
def test_one_parking_stay_and_one_charging_session_under_caps_of_one(method, multi_stay):
    night = _both_caps(multi_stay=multi_stay)
    result = solve(night, method=method)
    assert result.status is Status.OPTIMAL
    assert {a.request for a in result.assignments} == {"p", "c1"}
    assert check_allocation(night, result) == []
    (refusal,) = result.unassigned
    assert (refusal.request, refusal.reason) == ("c2", Reason.HOUSEHOLD_CAP)
    assert refusal.message == (
        "your household already has 1 charging session tonight, the most the plan allows"
    )
    assert _chinese(night, result) == {"c2": "您的住户今晚已有 1 个充电时段，已达方案上限"}


def test_the_methods_that_solve_each_kind_of_part_are_the_expected_ones():
    # The single-stay night is a matching whose charging account binds (the flow), the
    # multi-stay one a grouped program: both caps are held by the paths the tests above name.
    assert solve(_both_caps()).method == "flow"
    assert solve(_both_caps(multi_stay=True)).method == "milp"


def test_first_come_first_served_keeps_both_caps():
    night = _both_caps()
    result = allocate_first_come(night)
    assert {a.request for a in result.assignments} == {"p", "c1"}
    assert check_allocation(night, result) == []
    assert result.unassigned_of("c2").reason is Reason.HOUSEHOLD_CAP


def test_a_charging_cap_of_zero_serves_no_charging_session():
    night = _both_caps(charging_cap=0)
    result = solve(night)
    assert {a.request for a in result.assignments} == {"p"}
    messages = {u.request: u.message for u in result.unassigned}
    assert messages == dict.fromkeys(
        ["c1", "c2"], "the plan gives no charging session to a household"
    )
    assert set(_chinese(night, result).values()) == {"这个方案不给住户安排充电时段"}
    fit = check_fit(night, night.request_by_id["c1"])
    assert not fit.fits and fit.no_household_space
    assert fit.message == "the plan gives no charging session to a household"
    assert check_fit(night, night.request_by_id["p"]).fits


def test_charging_sessions_do_not_count_towards_the_household_cap():
    # Without a charging cap, both sessions are served beside the parking stay (household cap 1).
    night = _both_caps(charging_cap=None)
    assert {a.request for a in solve(night).assignments} == {"p", "c1", "c2"}


def test_pins_beyond_the_charging_cap_are_infeasible():
    result = solve(_both_caps(pins=[force("c1", "C1"), force("c2", "C2"), force("p", "L1")]))
    assert result.status is Status.INFEASIBLE
    assert result.message.endswith("more than 1 charging sessions onto household h")


# --- first car ---------------------------------------------------------------------------------


def test_a_charging_session_is_nobodys_first_car():
    # The session comes first; the parking stay after it is still the household's first car.
    rules = (
        PriorityRule(3, "first car", first_car=True),
        PriorityRule(1, "second cars", first_car=False),
    )
    night = instance(
        [space("L1")],
        [household("h")],
        [request("c", "h", charging=True), request("p", "h"), request("q", "h")],
        priority_rules=rules,
    )
    assert night.priorities == {"c": 1, "p": 3, "q": 1}
