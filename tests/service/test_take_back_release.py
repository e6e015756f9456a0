"""A renter takes a release back: the evenings still open go back to the renter, the past and
allocated ones stay as they were."""

from __future__ import annotations

from datetime import timedelta

from conftest import EVENING


def _release(world, first, last) -> int:
    reply = world.call("1-101", "POST", "/api/v1/me/releases", json={"space": "A-1", "first_evening": str(first), "last_evening": str(last)})
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def test_a_release_not_yet_begun_is_taken_back_whole(world):
    release = _release(world, EVENING + timedelta(days=1), EVENING + timedelta(days=3))
    reply = world.call("1-101", "DELETE", f"/api/v1/me/releases/{release}")
    assert reply.status_code == 200 and reply.json() is None
    # The same evenings can be released again: nothing is left of the old release.
    _release(world, EVENING + timedelta(days=1), EVENING + timedelta(days=1))


def test_a_release_under_way_keeps_its_past_and_allocated_evenings(world):
    release = _release(world, EVENING, EVENING + timedelta(days=4))
    assert world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING + timedelta(days=1)}/run").status_code == 201
    world.now += timedelta(hours=3)  # 23:00 in Shanghai: tonight's cutoff has passed
    reply = world.call("1-101", "DELETE", f"/api/v1/me/releases/{release}")
    # Tonight is past its cutoff and tomorrow is allocated: the release now ends tomorrow.
    assert reply.status_code == 200 and reply.json()["last_evening"] == str(EVENING + timedelta(days=1))


def test_nothing_to_take_back_is_a_conflict_and_anothers_release_is_not_found(world):
    release = _release(world, EVENING, EVENING)
    assert world.call("2-201", "DELETE", f"/api/v1/me/releases/{release}").status_code == 404
    world.now += timedelta(hours=3)
    reply = world.call("1-101", "DELETE", f"/api/v1/me/releases/{release}")
    assert reply.status_code == 409 and "ask the office" in reply.json()["detail"]
