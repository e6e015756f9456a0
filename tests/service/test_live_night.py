"""A published night as it is lived, through the API: check-in by a space's code, the gate,
no-shows and the waiting list, offers accepted, passed on and expiring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from scenarios.calibration import build_calibration
from service.actions import live
from service.compounds import issue_activation
from service.db import make_sessions
from service.models import Compound, Household, Run
from tests.service.conftest import AFTER_CUTOFF, EVENING, MORNING_AFTER

NIGHT = f"/api/v1/compounds/tiny/nights/{EVENING}"
LATE_EVENING = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai


def _publish(world, households=("2-201", "3-301")) -> dict[str, int]:
    """Both ask for 21:00-06:30; the one street space goes to 3-301 (nearer), 2-201 waits."""
    ids = {}
    for household in households:
        reply = world.call(
            household,
            "POST",
            f"/api/v1/me/nights/{EVENING}/requests",
            json={"car_id": world.car(household), "arrive": "21:00", "depart": "06:30"},
        )
        assert reply.status_code == 201, reply.text
        ids[household] = reply.json()["id"]
    world.now = AFTER_CUTOFF
    assert world.call("staff", "POST", f"{NIGHT}/run").status_code == 201
    assert world.call("staff", "POST", f"{NIGHT}/publish").status_code == 200
    return ids


def _plan(world, **no_show) -> None:
    sessions = make_sessions(world.app.state.engine)
    with sessions.begin() as session:
        compound = session.scalars(select(Compound).where(Compound.id == "tiny")).one()
        compound.policy = compound.policy | {"no_show": no_show}


def test_the_waiting_list_is_tonights_refused_in_the_engines_order(world):
    ids = _publish(world)
    night = world.call("staff", "GET", f"{NIGHT}/live").json()
    assert [(s["space"], s["household"], s["state"]) for s in night["stays"]] == [
        ("L-1", "3-301", "expected")
    ]
    assert [(w["position"], w["request_id"], w["priority"]) for w in night["waiting"]] == [
        (1, ids["2-201"], 2)
    ]


def test_a_no_show_marked_at_the_gate_offers_the_space_to_the_next_on_the_list(world):
    ids = _publish(world)
    world.now = LATE_EVENING
    made = world.call("staff", "POST", f"{NIGHT}/no-shows", json={"request_id": ids["3-301"]})
    assert made.status_code == 201, made.text
    assert [(o["household"], o["space"], o["position"]) for o in made.json()] == [
        ("2-201", "L-1", 1)
    ]
    mine = world.call("2-201", "GET", "/api/v1/me/spaces/L-1/tonight").json()
    assert mine["mine"]["state"] == "offered"
    expires = datetime.fromisoformat(mine["mine"]["offer_expires_at"])
    assert expires == LATE_EVENING + timedelta(minutes=15)  # the plan's default

    # Another household cannot take it: for it there is no such offer.
    taken = world.call("1-101", "POST", f"/api/v1/me/offers/{mine['mine']['offer_id']}/accept")
    assert taken.status_code == 404
    accepted = world.call("2-201", "POST", f"/api/v1/me/offers/{mine['mine']['offer_id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    night = world.call("staff", "GET", f"{NIGHT}/live").json()
    assert {(s["household"], s["state"]) for s in night["stays"]} == {
        ("3-301", "no_show"),
        ("2-201", "expected"),
    }
    assert night["waiting"] == []
    # Said to the household and in the log.
    inbox = world.call("2-201", "GET", "/api/v1/me/notifications").json()
    assert any(n["kind"] == "space_offered" for n in inbox["notifications"])
    actions = [
        e["action"] for e in world.call("staff", "GET", "/api/v1/compounds/tiny/audit").json()
    ]
    assert {"no show", "space offered", "offer taken"} <= set(actions)


def test_an_offer_not_answered_in_time_passes_on(world):
    ids = _publish(world)
    world.now = LATE_EVENING
    world.call("staff", "POST", f"{NIGHT}/no-shows", json={"request_id": ids["3-301"]})
    offer = world.call("2-201", "GET", "/api/v1/me/spaces/L-1/tonight").json()["mine"]
    world.now = LATE_EVENING + timedelta(minutes=15)
    swept = world.call("staff", "POST", f"{NIGHT}/sweep").json()
    assert swept == {"no_shows": 0, "expired": 1, "offered": 0}  # nobody else waits
    late = world.call("2-201", "POST", f"/api/v1/me/offers/{offer['offer_id']}/accept")
    assert late.status_code == 409
    assert world.call("2-201", "GET", "/api/v1/me/spaces/L-1/tonight").json()["mine"] is None
    again = world.call("staff", "POST", f"{NIGHT}/sweep").json()
    assert again == {"no_shows": 0, "expired": 0, "offered": 0}


def test_a_car_not_checked_in_by_the_plans_time_is_a_no_show(world):
    _plan(world, after_minutes=60, offer_minutes=0)
    _publish(world)
    world.now = datetime(2026, 11, 24, 13, 59, tzinfo=UTC)  # 21:59: not yet
    assert world.call("staff", "POST", f"{NIGHT}/sweep").json()["no_shows"] == 0
    world.now = LATE_EVENING
    swept = world.call("staff", "POST", f"{NIGHT}/sweep").json()
    assert swept == {"no_shows": 1, "expired": 0, "offered": 1}
    # offer_minutes 0: the space is given at once, no answer asked.
    mine = world.call("2-201", "GET", "/api/v1/me/spaces/L-1/tonight").json()["mine"]
    assert mine["state"] == "expected"
    # A space given late is not a no-show at once: its clock starts when it was given.
    world.now = LATE_EVENING + timedelta(minutes=30)
    assert world.call("staff", "POST", f"{NIGHT}/sweep").json()["no_shows"] == 0


def test_a_checked_in_car_is_never_a_no_show_and_may_say_it_has_left(world):
    _plan(world, after_minutes=60)
    _publish(world)
    world.now = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)  # 21:30
    scanned = world.call("3-301", "POST", "/api/v1/me/spaces/L-1/check-in")
    assert scanned.status_code == 200, scanned.text
    assert scanned.json()["checked_in_now"] and scanned.json()["mine"]["state"] == "checked_in"
    again = world.call("3-301", "POST", "/api/v1/me/spaces/L-1/check-in").json()
    assert not again["checked_in_now"] and again["mine"]["state"] == "checked_in"
    world.now = LATE_EVENING
    assert world.call("staff", "POST", f"{NIGHT}/sweep").json()["no_shows"] == 0
    left = world.call("3-301", "POST", "/api/v1/me/spaces/L-1/left")
    assert left.json()["state"] == "left" and left.json()["left_at"]
    # Someone else scanning the space sees whose it is tonight, plate masked.
    other = world.call("2-201", "GET", "/api/v1/me/spaces/L-1/tonight").json()
    assert other["mine"] is None and other["others"][0]["plate"] == "沪B3**33"


def test_the_gate_answers_for_part_of_a_plate_typed_any_way(world):
    ids = _publish(world)
    for typed in ("沪B33333", "b·33333", "Ｂ３３３３３", "33333"):
        answer = world.call("staff", "GET", f"{NIGHT}/gate", params={"plate": typed}).json()
        assert answer["may_park"] and answer["stays"][0]["space"] == "L-1", typed
    waiting = world.call("staff", "GET", f"{NIGHT}/gate", params={"plate": "22222"}).json()
    assert not waiting["may_park"] and waiting["waiting"][0]["position"] == 1
    world.now = LATE_EVENING
    checked = world.call("staff", "POST", f"{NIGHT}/check-ins", json={"request_id": ids["3-301"]})
    assert checked.status_code == 201 and checked.json()["state"] == "checked_in"
    twice = world.call("staff", "POST", f"{NIGHT}/check-ins", json={"request_id": ids["3-301"]})
    assert twice.status_code == 409


def test_an_unauthorised_car_is_logged_and_a_blank_plate_refused(world):
    _publish(world)
    reply = world.call(
        "staff", "POST", f"{NIGHT}/unauthorised", json={"plate": "沪C·99999", "space": "L-1"}
    )
    assert reply.status_code == 204
    entry = world.call("staff", "GET", "/api/v1/compounds/tiny/audit").json()[0]
    assert entry["action"] == "unauthorised car" and "沪C99999" in entry["detail"]
    blank = world.call("staff", "POST", f"{NIGHT}/unauthorised", json={"plate": " "})
    assert blank.status_code == 422 and "plate" in blank.text


def test_a_stay_given_back_goes_to_the_waiting_list(world):
    ids = _publish(world)
    world.now = LATE_EVENING
    reply = world.call("3-301", "POST", f"/api/v1/me/requests/{ids['3-301']}/give-back")
    assert reply.status_code == 204, reply.text
    assert world.call("2-201", "GET", "/api/v1/me/spaces/L-1/tonight").json()["mine"]["state"] == (
        "offered"
    )
    twice = world.call("3-301", "POST", f"/api/v1/me/requests/{ids['3-301']}/give-back")
    assert twice.status_code == 409
    theirs = world.call("2-201", "POST", f"/api/v1/me/requests/{ids['3-301']}/give-back")
    assert theirs.status_code == 404


@pytest.mark.parametrize("path", ["live", "gate?plate=1"])
def test_nothing_live_before_publishing(world, path):
    assert world.call("staff", "GET", f"{NIGHT}/{path}").status_code == 409


def test_check_ins_export_as_sessions_the_calibration_reads(world, tmp_path):
    _publish(world)
    world.now = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)  # 21:30
    world.call("3-301", "POST", "/api/v1/me/spaces/L-1/check-in")
    world.now = datetime(2026, 11, 24, 22, 15, tzinfo=UTC)  # 06:15 the next morning
    world.call("3-301", "POST", "/api/v1/me/spaces/L-1/left")
    reply = world.call(
        "staff",
        "GET",
        "/api/v1/compounds/tiny/sessions.csv",
        params={"first": str(EVENING), "last": str(EVENING)},
    )
    assert reply.status_code == 200, reply.text
    assert reply.text.splitlines() == [
        "User_ID;User_type;Start_plugin;End_plugout;Duration_hours",
        "3-301;Private;24.11.2026 21:30;25.11.2026 06:15;8.75",
    ]
    path = tmp_path / "sessions.csv"
    path.write_text(reply.text, encoding="utf-8")
    calibration = build_calibration(path)
    assert calibration["sessions_read"] == 1 and calibration["rows_skipped"] == 0
    backwards = world.call(
        "staff",
        "GET",
        "/api/v1/compounds/tiny/sessions.csv",
        params={"first": "2026-11-25", "last": "2026-11-24"},
    )
    assert backwards.status_code == 422 and "last" in backwards.text


def test_a_renter_away_after_publishing_releases_tonight_and_the_waiting_list_gets_it(world):
    # 1-101 rents A-1 (rented, 22:00-09:00); 2-201 waits for 21:00-06:30, which A-1 cannot
    # take (it opens at 22:00): so 2-201 asks for 22:30-07:00 here.
    world.call(
        "2-201",
        "POST",
        f"/api/v1/me/nights/{EVENING}/requests",
        json={"car_id": world.car("2-201"), "arrive": "22:30", "depart": "07:00"},
    )
    _publish(world, households=("3-301",))
    world.now = LATE_EVENING
    assert world.call("staff", "GET", f"{NIGHT}/live").json()["waiting"][0]["household"] == "2-201"
    released = world.call("1-101", "POST", "/api/v1/me/spaces/A-1/release-tonight")
    assert released.status_code == 204, released.text
    mine = world.call("2-201", "GET", "/api/v1/me/spaces/A-1/tonight").json()["mine"]
    assert mine["state"] == "offered"
    again = world.call("1-101", "POST", "/api/v1/me/spaces/A-1/release-tonight")
    assert again.status_code == 409
    not_theirs = world.call("2-201", "POST", "/api/v1/me/spaces/A-1/release-tonight")
    assert not_theirs.status_code == 404


# Regressions from the review of issue 14.


def _three_ask(world) -> dict[str, int]:
    """1-101, 2-201 and 3-301 all ask for 21:00-06:30; L-1 goes to 3-301, 2-201 waits first."""
    return _publish(world, households=("1-101", "2-201", "3-301"))


def test_an_offer_answered_after_its_time_passes_on_at_once(world):
    ids = _three_ask(world)
    world.now = LATE_EVENING
    world.call("staff", "POST", f"{NIGHT}/no-shows", json={"request_id": ids["3-301"]})
    offer = world.call("2-201", "GET", "/api/v1/me/spaces/L-1/tonight").json()["mine"]
    world.now = LATE_EVENING + timedelta(minutes=16)  # before the clock's next pass
    late = world.call("2-201", "POST", f"/api/v1/me/offers/{offer['offer_id']}/accept")
    assert late.status_code == 409
    # Not lost: offered on to the next on the list by the late answer itself.
    assert world.call("1-101", "GET", "/api/v1/me/spaces/L-1/tonight").json()["mine"]["state"] == (
        "offered"
    )


def test_another_compounds_household_with_the_same_code_cannot_answer(world):
    ids = _publish(world)
    world.now = LATE_EVENING
    world.call("staff", "POST", f"{NIGHT}/no-shows", json={"request_id": ids["3-301"]})
    offer = world.call("2-201", "GET", "/api/v1/me/spaces/L-1/tonight").json()["mine"]
    sessions = make_sessions(world.app.state.engine)
    with sessions.begin() as session:
        namesake = session.scalars(
            select(Household).where(Household.compound_id == "other", Household.code == "2-201")
        ).one()
        code = issue_activation(session, namesake)
    token = world.client.post(
        "/api/v1/auth/activate",
        json={"username": "other/2-201", "code": code, "password": "pw-other-2201"},
    ).json()["access_token"]
    world.tokens["other/2-201"] = token
    answered = world.call("other/2-201", "POST", f"/api/v1/me/offers/{offer['offer_id']}/pass")
    assert answered.status_code == 404
    assert world.call("2-201", "GET", "/api/v1/me/spaces/L-1/tonight").json()["mine"]["state"] == (
        "offered"
    )


def _race(monkeypatch, first) -> None:
    """Run `first` (another transaction: the worker's clock) just before the next change holds
    the night, as if it had committed a moment earlier."""
    original = live._held_live
    ran = []

    def held(session, compound, night):
        if not ran:
            ran.append(True)
            first()
        return original(session, compound, night)

    monkeypatch.setattr(live, "_held_live", held)


def test_an_offer_taken_as_the_clock_expires_it_is_not_given_twice(world, monkeypatch):
    ids = _three_ask(world)
    world.now = LATE_EVENING
    world.call("staff", "POST", f"{NIGHT}/no-shows", json={"request_id": ids["3-301"]})
    offer = world.call("2-201", "GET", "/api/v1/me/spaces/L-1/tonight").json()["mine"]
    expiry = LATE_EVENING + timedelta(minutes=15)
    sessions = make_sessions(world.app.state.engine)

    def clock() -> None:
        with sessions() as session:
            live.sweep_current_nights(session, expiry)

    _race(monkeypatch, clock)
    world.now = expiry - timedelta(seconds=1)  # the tap reached the server just in time
    taken = world.call("2-201", "POST", f"/api/v1/me/offers/{offer['offer_id']}/accept")
    assert taken.status_code == 409
    holding = [
        s
        for s in world.call("staff", "GET", f"{NIGHT}/live").json()["stays"]
        if s["space"] == "L-1" and s["state"] in ("expected", "offered", "checked_in")
    ]
    assert [s["household"] for s in holding] == ["1-101"]


def test_a_scan_as_the_clock_marks_a_no_show_does_not_check_in(world, monkeypatch):
    _plan(world, after_minutes=60)
    _publish(world)
    due = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 22:00: 21:00 + 60 min
    sessions = make_sessions(world.app.state.engine)

    def clock() -> None:
        with sessions() as session:
            live.sweep_current_nights(session, due)

    _race(monkeypatch, clock)
    world.now = due - timedelta(seconds=1)
    scanned = world.call("3-301", "POST", "/api/v1/me/spaces/L-1/check-in")
    assert scanned.status_code == 409
    states = {
        s["household"]: s["state"]
        for s in world.call("staff", "GET", f"{NIGHT}/live").json()["stays"]
    }
    assert states["3-301"] == "no_show"


def test_the_morning_round_records_the_car_given_the_space_not_the_no_show(world):
    ids = _publish(world)
    world.now = LATE_EVENING
    world.call("staff", "POST", f"{NIGHT}/no-shows", json={"request_id": ids["3-301"]})
    offer = world.call("2-201", "GET", "/api/v1/me/spaces/L-1/tonight").json()["mine"]
    world.call("2-201", "POST", f"/api/v1/me/offers/{offer['offer_id']}/accept")
    world.now = MORNING_AFTER
    recorded = world.call("staff", "POST", f"{NIGHT}/overstays", json={"spaces": ["L-1"]})
    assert recorded.json()["overstays"] == ["2-201"]


def test_re_optimising_keeps_the_night_as_lived(world):
    ids = _publish(world)
    world.now = LATE_EVENING
    world.call("staff", "POST", f"{NIGHT}/no-shows", json={"request_id": ids["3-301"]})
    offer = world.call("2-201", "GET", "/api/v1/me/spaces/L-1/tonight").json()["mine"]
    world.call("2-201", "POST", f"/api/v1/me/offers/{offer['offer_id']}/accept")
    added = world.call(
        "staff",
        "POST",
        "/api/v1/compounds/tiny/spaces",
        json={"code": "L-2", "kind": "street", "x": 20, "y": 0},
    )
    assert added.status_code == 201, added.text
    assert world.call("staff", "POST", f"{NIGHT}/reoptimise").status_code == 201
    assert world.call("staff", "POST", f"{NIGHT}/publish").status_code == 200
    stays = world.call("staff", "GET", f"{NIGHT}/live").json()["stays"]
    holding = [(s["space"], s["household"]) for s in stays if s["state"] == "expected"]
    assert holding == [("L-1", "2-201")]  # kept where it was given; the no-show not brought back


def test_a_no_show_reaches_the_next_nights_fairness_and_the_household_is_told(world):
    _plan(world, after_minutes=60)
    _publish(world)
    world.now = LATE_EVENING
    world.call("staff", "POST", f"{NIGHT}/sweep")
    inbox = world.call("3-301", "GET", "/api/v1/me/notifications").json()["notifications"]
    assert any(n["kind"] == "no_show" for n in inbox)
    # 2-201 was given the space from the waiting list: served, not refused, that night.
    offer = world.call("2-201", "GET", "/api/v1/me/spaces/L-1/tonight").json()["mine"]
    world.call("2-201", "POST", f"/api/v1/me/offers/{offer['offer_id']}/accept")
    next_evening = EVENING + timedelta(days=1)
    world.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 20:00 the next evening
    world.call(
        "3-301",
        "POST",
        f"/api/v1/me/nights/{next_evening}/requests",
        json={"car_id": world.car("3-301"), "arrive": "21:00", "depart": "06:30"},
    )
    world.now = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    assert (
        world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{next_evening}/run").status_code
        == 201
    )
    sessions = make_sessions(world.app.state.engine)
    with sessions() as session:
        run = session.scalars(select(Run).order_by(Run.id.desc())).first()
        history = {h.household: h for h in run.scenario.history}
    assert history["3-301"].no_shows == [EVENING]
    assert "2-201" not in history or not history["2-201"].refused
