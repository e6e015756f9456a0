"""Stays, releases and evenings within bounds, refused by name (issue 11, item 11)."""

from __future__ import annotations

from datetime import timedelta

from tests.service.conftest import EVENING
from tests.service.test_inputs_plates import _csrf, _page_client

C = "/api/v1/compounds/tiny"


def _locations(reply) -> list[list]:
    return [problem["loc"] for problem in reply.json()["detail"]]


def test_a_stay_is_at_most_16_hours(world):
    """Guards against day-long stays (12:00-11:59, 23 h 59 min, was taken): a stay, a standing
    request or a desk request lasts 16 hours at most; 17:00-09:00 is still taken."""
    car = world.car("1-101")
    night = f"/api/v1/me/nights/{EVENING}/requests"
    long = world.call(
        "1-101", "POST", night, json={"car_id": car, "arrive": "12:00", "depart": "11:59"}
    )
    assert long.status_code == 422 and _locations(long) == [["body", "depart"]]
    assert "16 hours at most; 12:00 to 11:59 is 23 h 59 min" in long.json()["detail"][0]["msg"]
    standing = world.call(
        "1-101",
        "POST",
        "/api/v1/me/standing-requests",
        json={"car_id": car, "weekdays": [0], "arrive": "17:00", "depart": "09:01"},
    )
    assert standing.status_code == 422
    desk = world.call(
        "staff",
        "POST",
        f"{C}/nights/{EVENING}/requests",
        json={
            "household": "1-101",
            "car_id": car,
            "arrive": "12:00",
            "depart": "11:00",
            "reason": "nurse",
        },
    )
    assert desk.status_code == 422
    ok = world.call(
        "1-101", "POST", night, json={"car_id": car, "arrive": "17:00", "depart": "09:00"}
    )
    assert ok.status_code == 201, ok.text
    page = _page_client(world, "tiny/2-201", "pw-2-201-123")
    refused = page.post(
        "/requests",
        data={
            "csrf": _csrf(page, "/tonight"),
            "evening": str(EVENING),
            "car_id": world.car("2-201"),
            "arrive": "12:00",
            "depart": "11:59",
        },
    )
    assert refused.status_code == 422 and "A stay lasts 16 hours at most" in refused.text


def test_a_release_lasts_a_year_at_most_and_starts_within_the_next(world):
    """Guards against releases to 2099 (one was taken): a release covers 366 evenings at most and
    starts within a year of tonight."""

    def release(first, last):
        return world.call(
            "1-101",
            "POST",
            "/api/v1/me/releases",
            json={"space": "A-1", "first_evening": str(first), "last_evening": str(last)},
        )

    to_2099 = release(EVENING, "2099-12-31")
    assert to_2099.status_code == 422 and _locations(to_2099) == [["body", "last_evening"]]
    assert "366 evenings (a year) at most" in to_2099.json()["detail"][0]["msg"]
    far = release(EVENING + timedelta(days=366), EVENING + timedelta(days=367))
    assert far.status_code == 422 and _locations(far) == [["body", "first_evening"]]
    year = release(EVENING, EVENING + timedelta(days=365))
    assert year.status_code == 201, year.text


def test_evenings_are_plain_dates(world):
    """Guards against dates given as date-times with offsets (2026-12-09T00:00:00+14:00) or as
    timestamps, which were taken for an evening: paths, bodies and page forms take YYYY-MM-DD
    only, within 2000-2099, and say so."""
    for evening in ("2026-12-09T00:00:00+14:00", "2026-12-09T00:00:00", "1796774400"):
        reply = world.call("1-101", "GET", f"/api/v1/me/nights/{evening}/requests")
        assert reply.status_code == 422 and _locations(reply) == [["path", "evening"]], evening
        assert "YYYY-MM-DD" in reply.json()["detail"][0]["msg"]
    body = world.call(
        "1-101",
        "POST",
        "/api/v1/me/releases",
        json={
            "space": "A-1",
            "first_evening": "2026-12-09T00:00:00+14:00",
            "last_evening": 1796774400,
        },
    )
    assert _locations(body) == [["body", "first_evening"], ["body", "last_evening"]]
    years = world.call("1-101", "GET", "/api/v1/me/nights/2100-01-01/requests")
    assert years.json()["detail"][0]["msg"] == "Value error, must be from 2000-01-01 to 2099-12-31"
    page = _page_client(world, "tiny/1-101", "pw-1-101-123")
    form = page.post(
        "/release",
        data={
            "csrf": _csrf(page, "/release"),
            "space": "A-1",
            "first": "2026-12-09T00:00:00+14:00",
            "last": "2026-12-09",
        },
    )
    assert form.status_code == 422
