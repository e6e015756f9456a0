"""Charge points in the scenario format, and the Trondheim replay's reading of the sessions."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from engine import Status, allocate_first_come, check_allocation, solve
from scenarios.loader import ScenarioError, parse_scenario
from scenarios.mapping import to_instance
from scenarios.trondheim import Session, replay_nights


def _session_request(id: str, household: str, stay: str, need: str) -> dict:
    arrive, depart = stay.split("-")
    return {"id": id, "household": household, "arrive": arrive, "depart": depart, "needs": [need]}


def _point(id: str, kind: str, **charger) -> dict:
    return {"id": id, "kind": kind, "x": 0, "y": 0, "charger": charger}


GARAGE = {
    "name": "shared chargers",
    "night": "2026-11-27",
    "policy": {"windows": {"charger": ["16:00-08:00"], "bikes": ["16:00-08:00"]}},
    "spaces": [
        _point("P1", "charger", power_kw=11),
        _point("P2", "charger", power_kw=11),
        _point("F1", "charger", power_kw=50),
        _point("B1", "bikes", socket="ebike", power_kw=0.5),
    ],
    "households": [{"id": f"h{i}", "x": 0, "y": 0} for i in range(6)],
    "requests": [
        _session_request("a", "h0", "17:00-19:00", "ev_charger"),
        _session_request("b", "h1", "19:00-23:00", "ev_charger"),
        _session_request("c", "h2", "17:30-20:00", "ev_charger"),
        _session_request("d", "h3", "18:00-21:00", "ev_charger"),
        _session_request("e", "h4", "20:00-22:00", "fast_charger"),
        _session_request("f", "h5", "19:00-23:00", "ebike_charger"),
    ],
}


def test_a_charger_gives_its_space_the_socket_and_power_features():
    night = to_instance(parse_scenario(GARAGE))
    assert night.space_by_id["P1"].features == {"ev_charger"}
    assert night.space_by_id["F1"].features == {"ev_charger", "fast_charger"}
    assert night.space_by_id["B1"].features == {"ebike_charger"}


def test_charge_points_take_several_sessions_a_night():
    # Three car points, five car sessions, never more than three at once (18:00-19:00: a, c, d;
    # 19:00-20:00: b, c, d; 20:00-21:00: b, d, e), e only on the fast point F1: all five fit,
    # and f on the e-bike socket. So a point takes two sessions.
    night = to_instance(parse_scenario(GARAGE))
    result = solve(night)
    assert result.status is Status.OPTIMAL and "milp" in result.method
    assert check_allocation(night, result) == []
    assert len(result.assignments) == 6
    assert "e" in {a.request for a in result.assignments if a.space == "F1"}


def test_a_charger_needs_a_power():
    document = {**GARAGE, "spaces": [{"id": "P", "kind": "charger", "x": 0, "y": 0, "charger": {}}]}
    with pytest.raises(ScenarioError, match="power_kw"):
        parse_scenario(document)


def _session(user: str, start: str, end: str) -> Session:
    return Session(
        user=user,
        plug_in=datetime.fromisoformat(start),
        plug_out=datetime.fromisoformat(end),
    )


def test_sessions_become_nights_from_noon_to_noon():
    sessions = [
        _session("u1", "2019-03-01T18:00", "2019-03-02T07:00"),
        _session("u2", "2019-03-02T09:00", "2019-03-02T11:00"),  # the morning: night of the 1st
        _session("u1", "2019-03-02T13:00", "2019-03-04T08:00"),  # cut at noon on the 3rd
    ]
    nights = replay_nights(sessions, points=1)
    assert [n.night for n in nights] == [date(2019, 3, 1), date(2019, 3, 2)]
    first, second = nights
    assert [(r.household, r.arrive, r.depart) for r in first.requests] == [
        ("u1", 18 * 60, 31 * 60),
        ("u2", 33 * 60, 35 * 60),
    ]
    assert [(r.arrive, r.depart) for r in second.requests] == [(13 * 60, 36 * 60)]
    # First come, first served and the engine both serve the two sessions of the first night.
    for result in (solve(first), allocate_first_come(first)):
        assert check_allocation(first, result) == []
        assert len(result.assignments) == 2
