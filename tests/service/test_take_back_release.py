"""A renter takes a release back: every evening still open (before its cutoff, not allocated, not
being allocated) goes back to the renter; the others stay released."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from service.actions.runlock import holding
from service.models import Night
from tests.service.conftest import EVENING


def _release(world, first, last) -> int:
    reply = world.call(
        "1-101",
        "POST",
        "/api/v1/me/releases",
        json={"space": "A-1", "first_evening": str(first), "last_evening": str(last)},
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def _day(n: int) -> str:
    return str(EVENING + timedelta(days=n))


def test_a_release_not_yet_begun_is_taken_back_whole(world):
    release = _release(world, EVENING + timedelta(days=1), EVENING + timedelta(days=3))
    reply = world.call("1-101", "DELETE", f"/api/v1/me/releases/{release}")
    assert reply.status_code == 200 and reply.json() == []
    # The same evenings can be released again: nothing is left of the old release.
    _release(world, EVENING + timedelta(days=1), EVENING + timedelta(days=1))


def test_past_and_allocated_evenings_stay_released_and_every_open_one_is_taken_back(world):
    release = _release(world, EVENING, EVENING + timedelta(days=4))
    # Staff ran the night after next early; then tonight's cutoff passes.
    assert (
        world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{_day(2)}/run").status_code
        == 201
    )
    world.now += timedelta(hours=3)  # 23:00 in Shanghai
    reply = world.call("1-101", "DELETE", f"/api/v1/me/releases/{release}")
    assert reply.status_code == 200
    assert [(r["first_evening"], r["last_evening"]) for r in reply.json()] == [
        (_day(0), _day(0)),
        (_day(2), _day(2)),
    ]


def _mark_running(world, evening) -> int:
    world.call("staff", "GET", f"/api/v1/compounds/tiny/nights/{evening}")  # the night's row exists
    with world.app.state.sessions.begin() as session:
        night = session.scalars(select(Night).where(Night.evening == evening)).one()
        night.running_since = world.now
        return night.id


def test_a_night_being_allocated_keeps_its_release(world):
    release = _release(world, EVENING + timedelta(days=1), EVENING + timedelta(days=2))
    night = _mark_running(world, EVENING + timedelta(days=1))
    with holding(world.app.state.engine, night) as taken:  # as a live run of that night does
        assert taken
        reply = world.call("1-101", "DELETE", f"/api/v1/me/releases/{release}")
        assert [(r["first_evening"], r["last_evening"]) for r in reply.json()] == [
            (_day(1), _day(1))
        ]
        # Nor can a new release cover it.
        refused = world.call(
            "1-101",
            "POST",
            "/api/v1/me/releases",
            json={"space": "A-1", "first_evening": _day(1), "last_evening": _day(1)},
        )
        assert refused.status_code == 409 and "being allocated" in refused.json()["detail"]


def test_the_trace_of_a_run_that_died_does_not_keep_a_release(world):
    release = _release(world, EVENING + timedelta(days=1), EVENING + timedelta(days=2))
    _mark_running(world, EVENING + timedelta(days=1))  # no lock held: its run is gone
    reply = world.call("1-101", "DELETE", f"/api/v1/me/releases/{release}")
    assert reply.status_code == 200 and reply.json() == []


def test_a_release_over_a_range_waits_for_no_run_of_its_later_evenings(world):
    night = _mark_running(world, EVENING + timedelta(days=3))
    with holding(world.app.state.engine, night):
        refused = world.call(
            "1-101",
            "POST",
            "/api/v1/me/releases",
            json={"space": "A-1", "first_evening": _day(1), "last_evening": _day(4)},
        )
    assert refused.status_code == 409, refused.text


def test_nothing_to_take_back_is_a_conflict_and_anothers_release_is_not_found(world):
    release = _release(world, EVENING, EVENING)
    assert world.call("2-201", "DELETE", f"/api/v1/me/releases/{release}").status_code == 404
    world.now += timedelta(hours=3)
    reply = world.call("1-101", "DELETE", f"/api/v1/me/releases/{release}")
    assert reply.status_code == 409 and "ask the office" in reply.json()["detail"]
