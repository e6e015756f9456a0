"""Guidance before a request is stored: the dry run, and the fit on every submission (issue 13)."""

from __future__ import annotations

from tests.service.conftest import EVENING

CHECK = f"/api/v1/me/nights/{EVENING}/requests/check"
REQUESTS = f"/api/v1/me/nights/{EVENING}/requests"


def test_a_stay_outside_every_window_is_told_why_and_the_nearest_hours_per_kind(world):
    reply = world.call(
        "2-201",
        "POST",
        CHECK,
        json={"car_id": world.car("2-201"), "arrive": "16:55", "depart": "08:25"},
    )
    assert reply.status_code == 200, reply.text
    fit = reply.json()["fit"]
    assert (fit["fits"], fit["fitting_spaces"], fit["kinds"], fit["reasons"]) == (
        False,
        0,
        [],
        ["window"],
    )
    # Street 19:00-07:00 moves the stay 125 + 85 minutes; rented 22:00-08:25 305 + 0.
    assert [
        (s["kind"], s["arrive"], s["depart"], s["change_minutes"]) for s in fit["suggestions"]
    ] == [("street", "19:00", "07:00", 210), ("rented", "22:00", "08:25", 305)]
    assert "arrives 16:55" in fit["message"] and "19:00" in fit["message"]
    assert "16:55 到达" in fit["message_zh"]
    # A dry run stores nothing.
    assert world.call("2-201", "GET", REQUESTS).json() == []


def test_a_stay_some_space_takes_fits_with_its_kinds_and_level(world):
    asked = {"car_id": world.car("2-201"), "arrive": "21:00", "depart": "06:30"}
    guidance = world.call("2-201", "POST", CHECK, json=asked).json()
    # Before 22:00 only the street space is open; 2-201 has no space: the plan's level 2.
    assert guidance["fit"] | {"message_zh": ""} == {
        "fits": True,
        "fitting_spaces": 1,
        "kinds": ["street"],
        "reasons": [],
        "no_household_space": False,
        "message": "",
        "message_zh": "",
        "suggestions": [],
    }
    assert (guidance["priority"], guidance["priority_penalised"]) == (2, False)
    assert guidance["chance"] is None  # no published night yet
    renter = world.call("1-101", "POST", CHECK, json=asked | {"car_id": world.car("1-101")}).json()
    assert renter["priority"] == 1  # the plan's default: 1-101 rents A-1


def test_the_rented_space_counts_as_released_since_its_renter_may_still_release_it(world):
    asked = {"car_id": world.car("2-201"), "arrive": "22:30", "depart": "08:30"}
    fit = world.call("2-201", "POST", CHECK, json=asked).json()["fit"]
    assert (fit["fits"], fit["kinds"]) == (True, ["rented"])


def test_a_submission_is_stored_as_asked_and_answers_with_its_fit(world):
    asked = {"car_id": world.car("3-301"), "arrive": "16:55", "depart": "08:25"}
    reply = world.call("3-301", "POST", REQUESTS, json=asked)
    assert reply.status_code == 201, reply.text
    assert reply.json()["fit"]["fits"] is False
    assert reply.json()["fit"]["suggestions"][0]["arrive"] == "19:00"
    stored = world.call("3-301", "GET", REQUESTS).json()
    assert [(r["arrive"], r["depart"], r["fit"]) for r in stored] == [("16:55", "08:25", None)]
    changed = world.call(
        "3-301",
        "PUT",
        f"/api/v1/me/requests/{stored[0]['id']}",
        json=asked | {"arrive": "19:30"},
    )
    assert changed.status_code == 200 and changed.json()["fit"]["fits"] is False
    fixed = world.call(
        "3-301",
        "PUT",
        f"/api/v1/me/requests/{stored[0]['id']}",
        json=asked | {"arrive": "19:30", "depart": "06:30"},
    )
    assert fixed.json()["fit"]["fits"] is True


def test_the_dry_run_checks_the_car_and_the_hours_as_a_submission_does(world):
    other_car = world.car("3-301")
    reply = world.call(
        "2-201", "POST", CHECK, json={"car_id": other_car, "arrive": "22:00", "depart": "07:00"}
    )
    assert reply.status_code == 404 and "no car" in reply.json()["detail"]
    reply = world.call(
        "2-201",
        "POST",
        CHECK,
        json={"car_id": world.car("2-201"), "arrive": "22:00", "depart": "21:00"},
    )
    assert reply.status_code == 422 and "depart" in reply.text
    assert world.call(None, "POST", CHECK, json={}).status_code == 401
    assert world.call("staff", "POST", CHECK, json={}).status_code in (403, 422)


def test_a_change_to_a_space_is_in_the_very_next_check(world):
    # The check keeps the compound's spaces while its revision (in the database, so for every
    # worker) stays; a staff change moves it in the same transaction.
    asked = {"car_id": world.car("2-201"), "arrive": "18:00", "depart": "06:30"}
    assert world.call("2-201", "POST", CHECK, json=asked).json()["fit"]["fits"] is False
    changed = world.call(
        "staff",
        "PATCH",
        "/api/v1/compounds/tiny/spaces/L-1",
        json={"windows": ["17:00-07:00"]},
    )
    assert changed.status_code == 200, changed.text
    assert world.call("2-201", "POST", CHECK, json=asked).json()["fit"]["fits"] is True
    added = world.call(
        "staff",
        "POST",
        "/api/v1/compounds/tiny/spaces",
        json={"code": "L-2", "kind": "street", "x": 20, "y": 0},
    )
    assert added.status_code == 201, added.text
    assert world.call("2-201", "POST", CHECK, json=asked).json()["fit"]["fitting_spaces"] == 1
    late = asked | {"arrive": "21:00"}
    assert world.call("2-201", "POST", CHECK, json=late).json()["fit"]["fitting_spaces"] == 2


def test_in_the_rush_before_the_cutoff_requests_are_taken_without_their_check(world):
    # 21:25 in Shanghai: the service spends the rush taking requests (the dry run still answers).
    world.now = world.now.replace(hour=13, minute=25)
    asked = {"car_id": world.car("3-301"), "arrive": "16:55", "depart": "08:25"}
    reply = world.call("3-301", "POST", REQUESTS, json=asked)
    assert reply.status_code == 201 and reply.json()["fit"] is None
    assert world.call("3-301", "POST", CHECK, json=asked).json()["fit"]["fits"] is False
