"""Cases a review found, each once a 500 or a wrong answer."""

from __future__ import annotations

from tests.service.conftest import AFTER_CUTOFF, EVENING, MORNING_AFTER

C = "/api/v1/compounds/tiny"
E = EVENING.isoformat()


def _ask(world, household, car=None, arrive="22:30", depart="07:00"):
    return world.call(
        household,
        "POST",
        f"/api/v1/me/nights/{E}/requests",
        json={"car_id": car or world.car(household), "arrive": arrive, "depart": depart},
    )


def test_odd_ids_numbers_and_dates_get_4xx_not_500(world):
    assert world.call("1-101", "DELETE", f"/api/v1/me/requests/{10**20}").status_code == 422
    assert (
        world.call(
            "1-101",
            "POST",
            f"/api/v1/me/nights/{E}/requests",
            json={"car_id": 10**20, "arrive": "22:00", "depart": "07:00"},
        ).status_code
        == 422
    )
    nan = world.client.request(
        "POST",
        "/api/v1/me/cars",
        content=b'{"plate": "AB", "x": NaN}',
        headers={**world.as_("2-201"), "content-type": "application/json"},
    )
    assert nan.status_code == 422
    assert (
        world.call(
            "2-201",
            "POST",
            "/api/v1/me/nights/9999-12-31/requests",
            json={"car_id": world.car("2-201"), "arrive": "22:00", "depart": "07:00"},
        ).status_code
        == 422
    )
    assert world.call("staff", "POST", f"{C}/nights/0001-01-01/run").status_code == 422
    assert (
        world.call(
            "staff", "POST", f"{C}/households", json={"code": "  ", "x": 0, "y": 0}
        ).status_code
        == 422
    )
    short_row = world.call(
        "staff",
        "POST",
        f"{C}/households/import",
        files={"file": ("h.csv", "x,y,code\n1,2\n", "text/csv")},
    )
    assert short_row.status_code == 422


def test_changing_a_request_to_a_car_that_already_asked_is_a_conflict(world):
    second = world.call("1-101", "POST", "/api/v1/me/cars", json={"plate": "沪A·99999"}).json()[
        "id"
    ]
    first = _ask(world, "1-101").json()["id"]
    _ask(world, "1-101", car=second)
    reply = world.call(
        "1-101",
        "PUT",
        f"/api/v1/me/requests/{first}",
        json={"car_id": second, "arrive": "22:00", "depart": "07:00"},
    )
    assert reply.status_code == 409 and "already has a request" in reply.json()["detail"]


def test_a_plate_belongs_to_one_household_and_short_plates_are_masked(world):
    taken = world.call("2-201", "POST", "/api/v1/me/cars", json={"plate": "沪A·11111"})
    assert taken.status_code == 409 and "another household" in taken.json()["detail"]
    from service.security import masked_plate

    assert masked_plate("粤B·D1") == "粤B·*1"


def test_forbidding_a_published_pair_then_reoptimising_moves_the_car(world):
    world.call(
        "1-101",
        "POST",
        "/api/v1/me/releases",
        json={"space": "A-1", "first_evening": E, "last_evening": E},
    )
    ids = {h: _ask(world, h).json()["id"] for h in ("2-201", "3-301")}
    world.now = AFTER_CUTOFF
    world.call("staff", "POST", f"{C}/nights/{E}/run")
    world.call("staff", "POST", f"{C}/nights/{E}/publish")
    on_a1 = next(
        h
        for h in ids
        if world.call(h, "GET", f"/api/v1/me/nights/{E}/allocation").json()["outcomes"][0]["space"]
        == "A-1"
    )
    world.call(
        "staff",
        "POST",
        f"{C}/nights/{E}/pins",
        json={
            "request_id": ids[on_a1],
            "space": "A-1",
            "action": "forbid",
            "reason": "car too big",
        },
    )
    redo = world.call("staff", "POST", f"{C}/nights/{E}/reoptimise")
    assert redo.status_code == 201, redo.text
    assert [
        c["household"]
        for c in redo.json()["changes"]["moved"] + redo.json()["changes"]["no_longer_served"]
    ] == [on_a1]


def test_a_space_cannot_be_left_without_hours(world):
    assert world.call("staff", "PATCH", f"{C}/spaces/L-1", json={"windows": []}).status_code == 422


def test_a_closed_night_stays_closed(world):
    _ask(world, "3-301")
    world.now = AFTER_CUTOFF
    world.call("staff", "POST", f"{C}/nights/{E}/run")
    world.call("staff", "POST", f"{C}/nights/{E}/publish")
    world.call(
        "staff",
        "POST",
        f"{C}/nights/{E}/requests",
        json={
            "household": "2-201",
            "car_id": world.car("2-201"),
            "arrive": "23:00",
            "depart": "06:00",
            "reason": "urgent",
        },
    )
    world.call("staff", "POST", f"{C}/nights/{E}/reoptimise")
    world.now = MORNING_AFTER
    closed = world.call("staff", "POST", f"{C}/nights/{E}/overstays", json={"spaces": []})
    assert closed.json()["state"] == "closed"
    assert world.call("staff", "POST", f"{C}/nights/{E}/publish").status_code == 409
    assert (
        world.call(
            "staff",
            "POST",
            f"{C}/nights/{E}/requests",
            json={
                "household": "2-201",
                "car_id": world.car("2-201"),
                "arrive": "23:00",
                "depart": "06:00",
                "reason": "late",
            },
        ).status_code
        == 409
    )
    assert world.call("staff", "GET", f"{C}/nights/{E}").json()["state"] == "closed"


def test_releases_do_not_overlap_and_end_with_the_rental(world):
    assert (
        world.call(
            "1-101",
            "POST",
            "/api/v1/me/releases",
            json={"space": "A-1", "first_evening": E, "last_evening": E},
        ).status_code
        == 201
    )
    overlap = world.call(
        "1-101",
        "POST",
        "/api/v1/me/releases",
        json={"space": "A-1", "first_evening": E, "last_evening": "2026-11-30"},
    )
    assert overlap.status_code == 409 and "already released" in overlap.json()["detail"]
    world.call("staff", "PATCH", f"{C}/spaces/A-1", json={"renter": "3-301"})
    _ask(world, "2-201")
    world.now = AFTER_CUTOFF
    world.call("staff", "POST", f"{C}/nights/{E}/run")
    world.call("staff", "POST", f"{C}/nights/{E}/publish")
    # 1-101's release ended with the rental: A-1 is not shared, so 2-201 parks on the street.
    assert (
        world.call("2-201", "GET", f"/api/v1/me/nights/{E}/allocation").json()["outcomes"][0][
            "space"
        ]
        == "L-1"
    )
    assert world.call("3-301", "GET", f"/api/v1/me/nights/{E}/my-space-users").json() == []
