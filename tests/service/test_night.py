"""A whole night through the API: submit, cutoff, run, publish, see the space or the reason."""

from __future__ import annotations

import csv
import io

from tests.service.conftest import AFTER_CUTOFF, EVENING, MORNING_AFTER


def test_a_night_from_request_to_published_space(world):
    # 2-201 (no space, priority 2) and 1-101's... only 2-201 and 3-301 ask; one street space and
    # no release: the street space goes to one of them, by walk: 3-301 lives at x=9, next to L-1.
    night = f"/api/v1/me/nights/{EVENING}/requests"
    for household in ("2-201", "3-301"):
        reply = world.call(
            household,
            "POST",
            night,
            json={"car_id": world.car(household), "arrive": "21:00", "depart": "06:30"},
        )
        assert reply.status_code == 201, reply.text
    assert world.call("2-201", "GET", night).json()[0]["depart"] == "06:30"

    world.now = AFTER_CUTOFF
    late = world.call(
        "3-301",
        "POST",
        night,
        json={"car_id": world.car("3-301"), "arrive": "23:00", "depart": "06:00"},
    )
    assert late.status_code == 409
    assert (
        late.json()["detail"]
        == f"requests for the night of {EVENING} closed at 21:30 (Asia/Shanghai)"
    )

    assert (
        world.call("2-201", "GET", f"/api/v1/me/nights/{EVENING}/allocation").json()["published"]
        is False
    )
    ran = world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/run")
    assert ran.status_code == 201, ran.text
    assert ran.json()["state"] == "allocated" and ran.json()["draft"]["proven_optimal"] is True
    assert (
        world.call("3-301", "GET", f"/api/v1/me/nights/{EVENING}/allocation").json()["published"]
        is False
    )  # a draft is not shown

    published = world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/publish")
    assert published.json()["state"] == "published"
    mine = world.call("3-301", "GET", f"/api/v1/me/nights/{EVENING}/allocation").json()
    assert (
        mine["published"]
        and mine["outcomes"][0]["space"] == "L-1"
        and mine["outcomes"][0]["end"] == "06:30"
    )
    refused = world.call("2-201", "GET", f"/api/v1/me/nights/{EVENING}/allocation").json()[
        "outcomes"
    ][0]
    assert refused["space"] is None and refused["reason"] == "all_fitting_spaces_taken"
    assert refused["message"].startswith(
        "1 space fits this car from 21:00 to 06:30; all were taken"
    )

    gate = world.call(
        "staff",
        "GET",
        f"/api/v1/compounds/tiny/nights/{EVENING}/gate-list.csv",
        params={"masked": True},
    )
    rows = list(csv.DictReader(io.StringIO(gate.text)))
    assert rows == [
        {
            "space": "L-1",
            "kind": "street",
            "plate": "沪B3**33",
            "household": "3-301",
            "from": "21:00",
            "until": "06:30",
        }
    ]
    assert (
        world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/run").status_code
        == 409
    )


def test_a_renter_releases_the_space_and_another_household_gets_it(world):
    release = world.call(
        "1-101",
        "POST",
        "/api/v1/me/releases",
        json={"space": "A-1", "first_evening": str(EVENING), "last_evening": str(EVENING)},
    )
    assert release.status_code == 201, release.text
    for household in ("2-201", "3-301"):
        world.call(
            household,
            "POST",
            f"/api/v1/me/nights/{EVENING}/requests",
            json={"car_id": world.car(household), "arrive": "22:30", "depart": "07:00"},
        )
    world.now = AFTER_CUTOFF
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/run")
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/publish")
    spaces = {
        h: world.call(h, "GET", f"/api/v1/me/nights/{EVENING}/allocation").json()["outcomes"][0][
            "space"
        ]
        for h in ("2-201", "3-301")
    }
    assert sorted(spaces.values()) == ["A-1", "L-1"]


def test_the_snapshot_of_a_run_reproduces_its_allocation(world):
    from sqlalchemy import select

    from service.actions.allocation import allocate
    from service.models import Run

    for household in ("2-201", "3-301"):
        world.call(
            household,
            "POST",
            f"/api/v1/me/nights/{EVENING}/requests",
            json={"car_id": world.car(household), "arrive": "21:00", "depart": "06:30"},
        )
    world.now = AFTER_CUTOFF
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/run")
    with world.app.state.sessions() as session:
        run = session.scalars(select(Run)).one()
        again = allocate(run.snapshot, time_limit=10)
    assert (again.assignments, again.unassigned) == (
        run.allocation.assignments,
        run.allocation.unassigned,
    )


def test_bad_input_names_the_field(world):
    night = f"/api/v1/me/nights/{EVENING}/requests"
    car = world.car("2-201")
    reply = world.call(
        "2-201", "POST", night, json={"car_id": car, "arrive": "22:00", "depart": "21:00"}
    )
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"] == ["body", "depart"]
    reply = world.call(
        "2-201", "POST", night, json={"car_id": car, "arrive": "25:00", "depart": "06:00"}
    )
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"] == ["body", "arrive"]
    reply = world.call("2-201", "POST", night, json={"car_id": car, "arrive": "22:00"})
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"] == ["body", "depart"]
    reply = world.call(
        "2-201",
        "POST",
        night,
        json={"car_id": car, "arrive": "22:00", "depart": "06:00", "colour": "red"},
    )
    assert reply.status_code == 422 and reply.json()["detail"][0]["loc"] == ["body", "colour"]


def test_login_is_rate_limited(world):
    for _ in range(3):
        assert (
            world.client.post(
                "/api/v1/auth/login", json={"username": "staff", "password": "wrong"}
            ).status_code
            == 401
        )
    blocked = world.client.post(
        "/api/v1/auth/login", json={"username": "staff", "password": "staff-password"}
    )
    assert blocked.status_code == 429 and "too many failed sign-ins" in blocked.json()["detail"]
    # A name no account has answers the same way, so a lock-out does not tell which names exist.
    answers = [
        world.client.post(
            "/api/v1/auth/login", json={"username": "nobody", "password": "x"}
        ).status_code
        for _ in range(4)
    ]
    assert answers == [401, 401, 401, 429]


def test_an_activation_code_works_once(world):
    reply = world.client.post(
        "/api/v1/auth/activate",
        json={
            "username": "tiny/1-101",
            "code": world.codes["1-101"],
            "password": "another-password",
        },
    )
    assert reply.status_code == 401


def test_households_from_a_csv_file_each_with_an_activation_code(world):
    csv_text = "code,x,y,tags,has_space\n5-501,10,20,elderly;new_resident,\n5-502,11,20,,true\n"
    job = world.imported(csv_text)
    assert (job["state"], job["done"], job["total"]) == ("done", 2, 2), job
    created = job["created"]
    assert [h["household"] for h in created] == ["5-501", "5-502"] and all(
        len(h["activation_code"]) == 10 for h in created
    )
    activated = world.client.post(
        "/api/v1/auth/activate",
        json={
            "username": "tiny/5-501",
            "code": created[0]["activation_code"],
            "password": "a-good-password",
        },
    )
    assert activated.status_code == 200
    # The codes are shown once: only their digests are kept.
    again = world.call("staff", "GET", f"/api/v1/compounds/tiny/households/imports/{job['id']}")
    assert again.json()["state"] == "done" and again.json()["created"] == []


def test_a_csv_file_with_bad_rows_names_each_row_and_stores_nothing(world):
    csv_text = "code,x,y,tags\n6-601,10,20,\n6-602,east,20,\n1-101,0,0,\n6-601,1,1,\n"
    refused = world.imported(csv_text)
    assert refused["status"] == 422
    problems = [(tuple(p["loc"]), p["msg"]) for p in refused["detail"]]
    assert problems == [
        (
            ("file", "line", 3, "x"),
            "Input should be a valid number, unable to parse string as a number",
        ),
        (("file", "line", 4, "code"), "household 1-101 already exists"),
        (("file", "line", 5, "code"), "household 6-601 already exists"),
    ]
    good = world.imported("code,x,y\n6-601,1,1\n", "ok.csv")
    assert good["state"] == "done"  # the first upload stored nothing, so 6-601 is new
    header = world.call(
        "staff",
        "POST",
        "/api/v1/compounds/tiny/households/import",
        files={"file": ("bad.csv", "flat,x\n1,2\n", "text/csv")},
    )
    assert (
        header.status_code == 422 and "missing columns code, y" in header.json()["detail"][0]["msg"]
    )


def test_an_overstay_recorded_in_the_morning_demotes_the_household_the_next_nights(world):
    # The tiny plan gets a 7-night penalty at priority 0. 3-301 is served on L-1 and overstays;
    # the next evening 3-301 and 2-201 ask again for the one street space: 2-201 gets it although
    # 3-301 lives nearer, because 3-301 is now at priority 0.
    from datetime import timedelta

    from service.models import Compound

    with world.app.state.sessions.begin() as session:
        compound = session.get(Compound, "tiny")
        compound.policy = compound.policy | {"overstay_penalty": {"nights": 7, "priority": 0}}
    world.call(
        "3-301",
        "POST",
        f"/api/v1/me/nights/{EVENING}/requests",
        json={"car_id": world.car("3-301"), "arrive": "21:00", "depart": "06:30"},
    )
    world.now = AFTER_CUTOFF
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/run")
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/publish")
    early = world.call(
        "staff",
        "POST",
        f"/api/v1/compounds/tiny/nights/{EVENING}/overstays",
        json={"spaces": ["L-1"]},
    )
    # Before the first stay has ended no car can have overstayed: the API refuses as the page does.
    assert early.status_code == 409 and "the round opens at 06:30" in early.json()["detail"]
    world.now = MORNING_AFTER
    bad = world.call(
        "staff",
        "POST",
        f"/api/v1/compounds/tiny/nights/{EVENING}/overstays",
        json={"spaces": ["A-1"]},
    )
    assert (
        bad.status_code == 422
        and bad.json()["detail"][0]["msg"] == "no car was allocated to A-1 that night"
    )
    closed = world.call(
        "staff",
        "POST",
        f"/api/v1/compounds/tiny/nights/{EVENING}/overstays",
        json={"spaces": ["L-1"]},
    )
    assert closed.json()["state"] == "closed" and closed.json()["overstays"] == ["3-301"]

    tomorrow = EVENING + timedelta(days=1)
    world.now = AFTER_CUTOFF - timedelta(hours=3)  # before the cutoff... of the next evening, too
    for household in ("3-301", "2-201"):
        reply = world.call(
            household,
            "POST",
            f"/api/v1/me/nights/{tomorrow}/requests",
            json={"car_id": world.car(household), "arrive": "21:00", "depart": "06:30"},
        )
        assert reply.status_code == 201, reply.text
    world.now = AFTER_CUTOFF + timedelta(days=1)
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{tomorrow}/run")
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{tomorrow}/publish")
    outcome = {
        h: world.call(h, "GET", f"/api/v1/me/nights/{tomorrow}/allocation").json()["outcomes"][0]
        for h in ("2-201", "3-301")
    }
    assert outcome["2-201"]["space"] == "L-1" and outcome["3-301"]["space"] is None


def _requests_for(world, *households, arrive="22:30", depart="06:30"):
    ids = {}
    for household in households:
        reply = world.call(
            household,
            "POST",
            f"/api/v1/me/nights/{EVENING}/requests",
            json={"car_id": world.car(household), "arrive": arrive, "depart": depart},
        )
        ids[household] = reply.json()["id"]
    return ids


def test_staff_pins_force_and_forbid_and_an_impossible_pin_cannot_be_published(world):
    # One street space; 3-301 lives next to it and would get it by walk. Staff force 2-201 onto it.
    ids = _requests_for(world, "2-201", "3-301")
    night = f"/api/v1/compounds/tiny/nights/{EVENING}"
    world.now = AFTER_CUTOFF
    pinned = world.call(
        "staff",
        "POST",
        f"{night}/pins",
        json={
            "request_id": ids["2-201"],
            "space": "L-1",
            "action": "force",
            "reason": "elderly, agreed at the desk",
        },
    )
    assert (
        pinned.status_code == 201
        and pinned.json()["pins"][0]["reason"] == "elderly, agreed at the desk"
    )
    world.call("staff", "POST", f"{night}/run")
    world.call("staff", "POST", f"{night}/publish")
    assert (
        world.call("2-201", "GET", f"/api/v1/me/nights/{EVENING}/allocation").json()["outcomes"][0][
            "space"
        ]
        == "L-1"
    )

    tomorrow_ids = {}
    from datetime import timedelta

    tomorrow = EVENING + timedelta(days=1)
    world.now = AFTER_CUTOFF - timedelta(hours=3)
    for household in ("2-201", "3-301"):
        tomorrow_ids[household] = world.call(
            household,
            "POST",
            f"/api/v1/me/nights/{tomorrow}/requests",
            json={"car_id": world.car(household), "arrive": "22:30", "depart": "06:30"},
        ).json()["id"]
    world.now = AFTER_CUTOFF + timedelta(days=1)
    later = f"/api/v1/compounds/tiny/nights/{tomorrow}"
    for household in ("2-201", "3-301"):  # both forced onto the one space: impossible
        world.call(
            "staff",
            "POST",
            f"{later}/pins",
            json={
                "request_id": tomorrow_ids[household],
                "space": "L-1",
                "action": "force",
                "reason": "both promised",
            },
        )
    draft = world.call("staff", "POST", f"{later}/run").json()["draft"]
    assert draft["status"] == "infeasible"
    refused = world.call("staff", "POST", f"{later}/publish")
    assert (
        refused.status_code == 409 and "the draft cannot be published" in refused.json()["detail"]
    )
    pins = world.call("staff", "GET", later).json()["pins"]
    world.call("staff", "DELETE", f"{later}/pins/{pins[0]['id']}")
    assert world.call("staff", "POST", f"{later}/run").json()["draft"]["status"] == "optimal"


def test_a_late_change_after_publishing_keeps_the_others_and_lists_who_moves(world):
    # A-1 released tonight: 2-201 and 3-301 are served (A-1 and L-1). After publishing, the renter
    # comes home early, and a third household's urgent request comes in at the desk.
    world.call(
        "1-101",
        "POST",
        "/api/v1/me/releases",
        json={"space": "A-1", "first_evening": str(EVENING), "last_evening": str(EVENING)},
    )
    _requests_for(world, "2-201", "3-301")
    night = f"/api/v1/compounds/tiny/nights/{EVENING}"
    world.now = AFTER_CUTOFF
    world.call("staff", "POST", f"{night}/run")
    published = world.call("staff", "POST", f"{night}/publish").json()
    assert published["published"]["served_by_priority"] == {"2": 2}
    before = {
        h: world.call(h, "GET", f"/api/v1/me/nights/{EVENING}/allocation").json()["outcomes"][0][
            "space"
        ]
        for h in ("2-201", "3-301")
    }
    assert sorted(before.values()) == ["A-1", "L-1"]

    back = world.call(
        "staff",
        "POST",
        f"{night}/withdraw-release",
        json={"space": "A-1", "reason": "renter came home early"},
    )
    assert back.status_code == 200, back.text
    assert (
        world.call("staff", "POST", f"{night}/run").status_code == 409
    )  # a plain run would start afresh
    redo = world.call("staff", "POST", f"{night}/reoptimise")
    assert redo.status_code == 201, redo.text
    on_a1 = next(h for h, space in before.items() if space == "A-1")
    changes = redo.json()["changes"]
    assert changes["moved"] == [] and changes["newly_served"] == []
    assert [(c["household"], c["from"]) for c in changes["no_longer_served"]] == [(on_a1, "A-1")]
    # Residents still see the published night until staff publish the change.
    assert (
        world.call(on_a1, "GET", f"/api/v1/me/nights/{EVENING}/allocation").json()["outcomes"][0][
            "space"
        ]
        == "A-1"
    )
    world.call("staff", "POST", f"{night}/publish")
    assert (
        world.call(on_a1, "GET", f"/api/v1/me/nights/{EVENING}/allocation").json()["outcomes"][0][
            "space"
        ]
        is None
    )


def test_a_standing_request_becomes_the_request_of_its_weekday_evenings(world):
    # 3-301 stands for weekdays (Mon-Fri) 21:00-06:30. 2026-11-24 is a Tuesday: it is allocated
    # like a request; Saturday 2026-11-28 it is not. A request of its own for the car wins.
    from datetime import timedelta

    standing = world.call(
        "3-301",
        "POST",
        "/api/v1/me/standing-requests",
        json={
            "car_id": world.car("3-301"),
            "weekdays": [0, 1, 2, 3, 4],
            "arrive": "21:00",
            "depart": "06:30",
        },
    )
    assert standing.status_code == 201, standing.text
    assert (
        world.call(
            "2-201",
            "POST",
            "/api/v1/me/standing-requests",
            json={
                "car_id": world.car("2-201"),
                "weekdays": [1, 1],
                "arrive": "21:00",
                "depart": "06:30",
            },
        ).status_code
        == 422
    )
    world.now = AFTER_CUTOFF
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/run")
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/publish")
    outcome = world.call("3-301", "GET", f"/api/v1/me/nights/{EVENING}/allocation").json()[
        "outcomes"
    ]
    assert [(o["space"], o["start"], o["end"]) for o in outcome] == [("L-1", "21:00", "06:30")]
    saturday = EVENING + timedelta(days=4)
    world.now = AFTER_CUTOFF + timedelta(days=4)
    assert (
        world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{saturday}/run").json()[
            "requests"
        ]
        == 0
    )
    removed = world.call("3-301", "DELETE", f"/api/v1/me/standing-requests/{standing.json()['id']}")
    assert (
        removed.status_code == 204
        and world.call("3-301", "GET", "/api/v1/me/standing-requests").json() == []
    )


def test_a_night_is_locked_from_its_cutoff(world):
    night = f"/api/v1/compounds/tiny/nights/{EVENING}"
    assert world.call("staff", "GET", night).json()["state"] == "open"
    world.now = AFTER_CUTOFF
    assert world.call("staff", "GET", night).json()["state"] == "locked"


def test_a_renter_sees_who_may_use_the_space_with_plates_masked_and_staff_read_the_log(world):
    world.call(
        "1-101",
        "POST",
        "/api/v1/me/releases",
        json={"space": "A-1", "first_evening": str(EVENING), "last_evening": str(EVENING)},
    )
    _requests_for(world, "2-201", "3-301")
    world.now = AFTER_CUTOFF
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/run")
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/publish")
    users = world.call("1-101", "GET", f"/api/v1/me/nights/{EVENING}/my-space-users").json()
    assert len(users) == 1 and users[0]["space"] == "A-1" and "**" in users[0]["plate"]
    assert (
        world.call("2-201", "GET", f"/api/v1/me/nights/{EVENING}/my-space-users").json() == []
    )  # rents nothing
    log = world.call("staff", "GET", "/api/v1/compounds/tiny/audit").json()
    assert [entry["action"] for entry in log[:2]] == ["publish", "run"] and log[0][
        "account"
    ] == "staff"


def test_a_household_refused_last_night_is_served_first_tonight(world):
    # One street space, two equal households: whoever is refused on the first night is served on
    # the second (fairness from the published nights), whatever the walk.
    from datetime import timedelta

    _requests_for(world, "2-201", "3-301")
    world.now = AFTER_CUTOFF
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/run")
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/publish")
    first = {
        h: world.call(h, "GET", f"/api/v1/me/nights/{EVENING}/allocation").json()["outcomes"][0][
            "space"
        ]
        for h in ("2-201", "3-301")
    }
    refused = next(h for h, space in first.items() if space is None)
    tomorrow = EVENING + timedelta(days=1)
    world.now = AFTER_CUTOFF - timedelta(hours=3)
    for household in ("2-201", "3-301"):
        world.call(
            household,
            "POST",
            f"/api/v1/me/nights/{tomorrow}/requests",
            json={"car_id": world.car(household), "arrive": "22:30", "depart": "06:30"},
        )
    world.now = AFTER_CUTOFF + timedelta(days=1)
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{tomorrow}/run")
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{tomorrow}/publish")
    assert (
        world.call(refused, "GET", f"/api/v1/me/nights/{tomorrow}/allocation").json()["outcomes"][
            0
        ]["space"]
        == "L-1"
    )


def test_staff_manage_spaces_and_list_households(world):
    spaces = "/api/v1/compounds/tiny/spaces"
    created = world.call(
        "staff",
        "POST",
        spaces,
        json={
            "code": "V-1",
            "kind": "visitor",
            "x": 3,
            "y": 3,
            "windows": ["18:00-08:00"],
            "features": ["ev_charger"],
        },
    )
    assert created.status_code == 201, created.text
    assert [s["code"] for s in world.call("staff", "GET", spaces).json()] == ["A-1", "L-1", "V-1"]
    no_hours = world.call(
        "staff", "POST", spaces, json={"code": "V-2", "kind": "visitor", "x": 3, "y": 3}
    )
    assert no_hours.status_code == 422 and no_hours.json()["detail"][0]["loc"] == [
        "body",
        "windows",
    ]
    bad_window = world.call(
        "staff",
        "POST",
        spaces,
        json={"code": "V-3", "kind": "street", "x": 0, "y": 0, "windows": ["8pm-7am"]},
    )
    assert bad_window.status_code == 422 and bad_window.json()["detail"][0]["loc"] == [
        "body",
        "windows[0]",
    ]
    no_renter = world.call(
        "staff",
        "POST",
        spaces,
        json={"code": "A-9", "kind": "rented", "x": 0, "y": 0, "renter": "9-999"},
    )
    assert (
        no_renter.status_code == 422
        and "no household '9-999'" in no_renter.json()["detail"][0]["msg"]
    )
    changed = world.call(
        "staff", "PATCH", f"{spaces}/A-1", json={"renter": None, "features": ["covered"]}
    )
    assert changed.status_code == 200 and (
        changed.json()["renter"],
        changed.json()["features"],
    ) == (None, ["covered"])
    assert world.call("staff", "PATCH", f"{spaces}/A-1", json={"renter": "9-999"}).json()["detail"][
        0
    ]["loc"] == ["body", "renter"]
    assert world.call("staff", "PATCH", f"{spaces}/Z-9", json={"size": "large"}).status_code == 404
    assert world.call("staff", "PATCH", f"{spaces}/A-1", json={"x": None}).json()["detail"][0][
        "loc"
    ] == ["body", "x"]
    retagged = world.call(
        "staff", "PATCH", "/api/v1/compounds/tiny/households/2-201", json={"tags": ["elderly"]}
    )
    assert retagged.status_code == 200 and retagged.json()["tags"] == ["elderly"]
    assert (
        world.call(
            "staff", "PATCH", "/api/v1/compounds/tiny/households/2-201", json={"x": None}
        ).status_code
        == 422
    )
    compound = world.call("staff", "GET", "/api/v1/compounds/tiny").json()
    assert (compound["spaces"], compound["households"], compound["cutoff"]) == (3, 3, "21:30")
    households = world.call("staff", "GET", "/api/v1/compounds/tiny/households").json()
    assert [(h["code"], h["activated"]) for h in households] == [
        ("1-101", True),
        ("2-201", True),
        ("3-301", True),
    ]
