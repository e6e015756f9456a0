"""Charging sessions in the service (issue 16): a resident books a shared charge point for some
hours beside (not instead of) a parking stay; the night serves both under their own caps, keeps
the charge points for charging, tells each household in its words, and the gate sees them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from typer.testing import CliRunner

from cli.main import app
from service.actions.allocation import night_document
from service.actions.nights import night_of
from service.models import Compound
from tests.service.conftest import AFTER_CUTOFF, BEFORE_CUTOFF, EVENING, TINY, World

MINE = f"/api/v1/me/nights/{EVENING}/requests"
NIGHT = f"/api/v1/compounds/tiny/nights/{EVENING}"
runner = CliRunner()

WITH_CHARGERS = TINY | {
    "policy": TINY["policy"]
    | {
        "windows": TINY["policy"]["windows"] | {"charger": ["17:00-09:00"]},
        "charging_only_kinds": ["charger"],
        "charging_cap": 1,
    },
    "spaces": [
        *TINY["spaces"],
        *(
            {"id": f"C-{i}", "kind": "charger", "charger": {"power_kw": 7}, "x": 20, "y": i}
            for i in (1, 2)
        ),
    ],
}


@pytest.fixture
def world(database_url):
    world = World(database_url, WITH_CHARGERS)
    yield world
    world.client.close()
    world.app.state.engine.dispose()


def _ask(world, household: str, arrive: str, depart: str, charging: bool):
    car = world.car(household)
    body = {"car_id": car, "arrive": arrive, "depart": depart, "charging": charging}
    return world.call(household, "POST", MINE, json=body)


def _publish(world) -> None:
    world.now = AFTER_CUTOFF
    assert world.call("staff", "POST", f"{NIGHT}/run").status_code == 201
    assert world.call("staff", "POST", f"{NIGHT}/publish").status_code == 200


def _outcomes(world, household: str) -> list[dict]:
    reply = world.call(household, "GET", f"/api/v1/me/nights/{EVENING}/allocation")
    return sorted(reply.json()["outcomes"], key=lambda o: o["charging"])


def test_a_car_has_one_parking_stay_and_one_charging_session_a_night(world):
    stay = _ask(world, "2-201", "21:00", "06:30", charging=False)
    session = _ask(world, "2-201", "18:00", "21:00", charging=True)
    assert (stay.status_code, session.status_code) == (201, 201), session.text
    assert session.json()["charging"] is True and "ev_charger" in session.json()["needs"]
    assert session.json()["fit"]["fits"] is True and session.json()["fit"]["kinds"] == ["charger"]
    again = _ask(world, "2-201", "19:00", "20:00", charging=True)
    assert again.status_code == 409
    assert again.json()["detail"].startswith("car 沪A22222 already has a charging session")
    asked = world.call("2-201", "GET", MINE).json()
    assert sorted(r["charging"] for r in asked) == [False, True]


def test_a_stay_does_not_become_a_session_when_changed(world):
    stay = _ask(world, "2-201", "21:00", "06:30", charging=False).json()
    changed = world.call(
        "2-201",
        "PUT",
        f"/api/v1/me/requests/{stay['id']}",
        json={"car_id": stay["car_id"], "arrive": "18:00", "depart": "20:00", "charging": True},
    )
    assert changed.status_code == 422, changed.text
    assert "charging" in changed.text


def test_the_night_serves_a_stay_and_a_session_of_one_household_under_their_own_caps(world):
    _ask(world, "2-201", "21:00", "06:30", charging=False)
    _ask(world, "2-201", "18:00", "21:00", charging=True)
    _publish(world)
    stay, session = _outcomes(world, "2-201")
    assert (stay["space"], stay["charging"]) == ("L-1", False)
    assert session["space"] in ("C-1", "C-2") and session["charging"] is True
    kinds = {
        n["kind"]
        for n in world.call("2-201", "GET", "/api/v1/me/notifications").json()["notifications"]
    }
    assert {"served", "charging_served"} <= kinds


def test_the_charge_points_are_kept_for_charging(world):
    # Two stays for the one street space: the one left over may not take a free charge point.
    _ask(world, "2-201", "21:00", "06:30", charging=False)
    _ask(world, "3-301", "21:00", "06:30", charging=False)
    _publish(world)
    outcomes = _outcomes(world, "2-201") + _outcomes(world, "3-301")
    assert sorted(o["space"] or "-" for o in outcomes) == ["-", "L-1"]
    [refused] = [o for o in outcomes if o["space"] is None]
    # Only the street space fits a stay: the charge points do not count as taken or fitting.
    assert refused["reason"] == "all_fitting_spaces_taken"
    assert refused["message"].startswith("1 space fits this car from 21:00 to 06:30")
    check = world.call(
        "2-201",
        "POST",
        f"{MINE}/check",
        json={"car_id": world.car("2-201"), "arrive": "18:00", "depart": "20:00"},
    ).json()["fit"]
    assert not check["fits"] and check["reasons"] == ["charging_only", "window"]
    assert "2 charger spaces are kept for charging" in check["message"], check["message"]


def test_sessions_share_the_points_and_the_one_left_over_is_refused_in_charging_words(world):
    for household in ("1-101", "2-201", "3-301"):
        assert _ask(world, household, "18:00", "21:00", charging=True).status_code == 201
    _publish(world)
    outcomes = [_outcomes(world, h)[0] for h in ("1-101", "2-201", "3-301")]
    assert sorted(o["space"] or "-" for o in outcomes)[0] == "-"
    assert sum(o["space"] is not None for o in outcomes) == 2
    [refused_household] = [
        h for h, o in zip(("1-101", "2-201", "3-301"), outcomes, strict=True) if o["space"] is None
    ]
    [told] = world.call(refused_household, "GET", "/api/v1/me/notifications").json()[
        "notifications"
    ]
    assert told["kind"] == "charging_refused"
    assert (
        told["en"]["title"]
        == "No charger for "
        + outcomes[("1-101", "2-201", "3-301").index(refused_household)]["plate"]
        + " on the night of 24 Nov 2026"
    )


def test_the_gate_sees_charging_sessions_as_such(world):
    _ask(world, "2-201", "21:00", "06:30", charging=False)
    _ask(world, "2-201", "18:00", "21:00", charging=True)
    _publish(world)
    answer = world.call("staff", "GET", f"{NIGHT}/gate", params={"plate": "22222"}).json()
    assert answer["may_park"]
    assert sorted((s["kind"], s["charging"]) for s in answer["stays"]) == [
        ("charger", True),
        ("street", False),
    ]


def test_a_session_where_there_is_no_charge_point_is_told_so_before_it_is_sent(database_url):
    world = World(database_url)  # the tiny compound has no charge point
    try:
        reply = world.call(
            "2-201",
            "POST",
            f"{MINE}/check",
            json={
                "car_id": world.car("2-201"),
                "arrive": "22:00",
                "depart": "06:30",
                "charging": True,
            },
        )
        fit = reply.json()["fit"]
        assert not fit["fits"] and "features" in fit["reasons"]
        assert "EV charger" in fit["message"]
    finally:
        world.client.close()
        world.app.state.engine.dispose()


def test_the_charging_sessions_asked_export_for_the_charger_replay(world, tmp_path):
    for household in ("1-101", "2-201", "3-301"):
        _ask(world, household, "18:00", "21:00", charging=True)
    _ask(world, "2-201", "21:00", "06:30", charging=False)
    _publish(world)
    reply = world.call(
        "staff",
        "GET",
        "/api/v1/compounds/tiny/sessions.csv",
        params={"first": str(EVENING), "last": str(EVENING), "charging": "true"},
    )
    assert reply.status_code == 200, reply.text
    header, *rows = reply.text.splitlines()
    assert header == "User_ID;User_type;Shared_ID;Start_plugin;End_plugout;Duration_hours;El_kWh"
    # Every session asked, served or not; the parking stay is not one.
    assert sorted(row.split(";")[2] for row in rows) == ["C-1", "C-2", "none"]
    assert {tuple(row.split(";")[3:]) for row in rows} == {
        ("24.11.2026 18:00", "24.11.2026 21:00", "3.00", "NA")
    }
    path = tmp_path / "ours.csv"
    path.write_text(reply.text, encoding="utf-8")
    replayed = runner.invoke(app, ["chargers", "--data", str(path), "--points", "2,3"])
    assert replayed.exit_code == 0, replayed.output
    assert "Sessions served (of 3)" in replayed.output
    assert "2 / 2" in replayed.output and "3 / 3" in replayed.output


def test_a_session_may_not_overlap_the_same_cars_stay(world):
    assert _ask(world, "2-201", "21:00", "06:30", charging=False).status_code == 201
    busy = _ask(world, "2-201", "20:00", "21:30", charging=True)
    assert busy.status_code == 409
    assert busy.json()["detail"].startswith(
        "car 沪A22222 has a parking request from 21:00 to 06:30"
    )
    # Charging first and parking after is the way round it.
    assert _ask(world, "2-201", "18:00", "21:00", charging=True).status_code == 201


def test_no_session_where_the_plan_keeps_no_charger(database_url):
    # A compound whose chargers are not kept for charging would let a session take a space
    # outside the household's cap: no charging there.
    plain = WITH_CHARGERS | {"policy": WITH_CHARGERS["policy"] | {"charging_only_kinds": []}}
    world = World(database_url, plain)
    try:
        refused = _ask(world, "2-201", "18:00", "21:00", charging=True)
        assert refused.status_code == 409
        assert "keeps no shared chargers" in refused.json()["detail"]
    finally:
        world.client.close()
        world.app.state.engine.dispose()


def test_a_session_given_back_leaves_the_households_waiting_stay_on_the_list(world):
    # 1-101 rents A-1 (level 1), 2-201 has no space (level 2): 2-201 gets the street space and
    # 1-101's stay waits; 1-101's morning session is served, then given back.
    _ask(world, "1-101", "21:00", "06:30", charging=False)
    _ask(world, "2-201", "21:00", "06:30", charging=False)
    _ask(world, "1-101", "06:40", "08:00", charging=True)
    _publish(world)
    [stay] = world.call("staff", "GET", f"{NIGHT}/live").json()["waiting"]
    assert (stay["household"], stay["charging"]) == ("1-101", False)
    session = next(o for o in _outcomes(world, "1-101") if o["charging"])
    assert session["space"] is not None
    given = world.call("1-101", "POST", f"/api/v1/me/requests/{session['request_id']}/give-back")
    assert given.status_code == 204, given.text
    still = world.call("staff", "GET", f"{NIGHT}/live").json()["waiting"]
    assert [w["request_id"] for w in still] == [stay["request_id"]]


def test_a_scan_checks_in_the_stay_under_way_when_a_session_came_first(database_url):
    # The street space has a charger too and the bay opens only at 23:00: 2-201's car charges on
    # L-1 from 19:00 to 21:00, then parks there from 21:30.
    spaces = [
        {"id": "A-1", "kind": "rented", "renter": "1-101", "x": 0, "y": 0},
        {
            "id": "L-1",
            "kind": "street",
            "size": "large",
            "features": ["ev_charger"],
            "x": 10,
            "y": 0,
        },
        {"id": "C-1", "kind": "charger", "charger": {"power_kw": 7}, "x": 20, "y": 0},
    ]
    windows = TINY["policy"]["windows"] | {"charger": ["23:00-09:00"]}
    scenario = WITH_CHARGERS | {
        "spaces": spaces,
        "policy": WITH_CHARGERS["policy"] | {"windows": windows},
    }
    world = World(database_url, scenario)
    try:
        _ask(world, "2-201", "19:00", "21:00", charging=True)
        _ask(world, "2-201", "21:30", "06:30", charging=False)
        _publish(world)
        assert {o["space"] for o in _outcomes(world, "2-201")} == {"L-1"}
        scan = "/api/v1/me/spaces/L-1"
        world.now = datetime(2026, 11, 24, 11, 5, tzinfo=UTC)  # 19:05
        assert world.call("2-201", "POST", f"{scan}/check-in").json()["checked_in_now"]
        world.now = datetime(2026, 11, 24, 12, 50, tzinfo=UTC)  # 20:50
        assert world.call("2-201", "POST", f"{scan}/left").status_code in (200, 204)
        world.now = datetime(2026, 11, 24, 13, 35, tzinfo=UTC)  # 21:35
        again = world.call("2-201", "POST", f"{scan}/check-in").json()
        assert again["checked_in_now"] and again["mine"]["charging"] is False
    finally:
        world.client.close()
        world.app.state.engine.dispose()


def _publish_evening(world, evening: date, asks: list[tuple[str, str, str, bool]]) -> None:
    days = timedelta(days=(evening - EVENING).days)
    world.now = BEFORE_CUTOFF + days
    for household, arrive, depart, charging in asks:
        body = {"car_id": world.car(household), "arrive": arrive, "depart": depart}
        reply = world.call(
            household,
            "POST",
            f"/api/v1/me/nights/{evening}/requests",
            json=body | {"charging": charging},
        )
        assert reply.status_code == 201, reply.text
    world.now = AFTER_CUTOFF + days
    night = f"/api/v1/compounds/tiny/nights/{evening}"
    assert world.call("staff", "POST", f"{night}/run").status_code == 201
    assert world.call("staff", "POST", f"{night}/publish").status_code == 200


def test_tomorrows_stability_remembers_the_parking_space_not_the_charger(world):
    _publish_evening(
        world, EVENING, [("2-201", "21:00", "06:30", False), ("2-201", "18:00", "21:00", True)]
    )
    with world.app.state.sessions() as session:
        compound = session.get_one(Compound, "tiny")
        tomorrow = night_of(session, "tiny", EVENING + timedelta(days=1))
        history = night_document(session, compound, tomorrow)["history"]
    assert [h.get("last_space") for h in history if h["household"] == "2-201"] == ["L-1"]


def test_a_sessions_chance_is_counted_from_sessions_and_a_stays_from_stays(world):
    for day in range(5):
        _publish_evening(world, EVENING + timedelta(days=day), [("3-301", "18:00", "21:00", True)])
    evening = EVENING + timedelta(days=5)
    world.now = BEFORE_CUTOFF + timedelta(days=5)
    check = f"/api/v1/me/nights/{evening}/requests/check"
    asked = {"car_id": world.car("3-301"), "arrive": "18:00", "depart": "21:00"}
    session = world.call("3-301", "POST", check, json=asked | {"charging": True}).json()
    stay = world.call("3-301", "POST", check, json=asked).json()
    assert session["chance"] == {"served": 5, "similar": 5, "nights": 5, "similar_minutes": 60}
    assert stay["chance"] is None
