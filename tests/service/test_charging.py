"""Charging sessions in the service (issue 16): a resident books a shared charge point for some
hours beside (not instead of) a parking stay; the night serves both under their own caps, keeps
the charge points for charging, tells each household in its words, and the gate sees them."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.service.conftest import AFTER_CUTOFF, EVENING, TINY, World

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
