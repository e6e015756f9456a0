"""Every change to a night holds it, and says why when it may not change (found in review).

- removing a pin went past a run under way and a closed night (adding one did not);
- a change racing a cancellation of the same request answered 500;
- a request after the cutoff, while a run was under way, was told to try again in a minute;
- a run of an open night between its cutoff and the grace after it (requests that arrived in
  time are still being taken) is refused, on the API, the pages and the command line.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from service.actions import residents
from service.actions.runlock import holding
from service.models import Night, ParkingRequest
from tests.service.conftest import AFTER_CUTOFF, EVENING, MORNING_AFTER

NIGHT = f"/api/v1/compounds/tiny/nights/{EVENING}"


def _ask(world, who: str = "3-301") -> int:
    reply = world.call(
        who,
        "POST",
        f"/api/v1/me/nights/{EVENING}/requests",
        json={"car_id": world.car(who), "arrive": "21:00", "depart": "06:30"},
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def _night_id(world) -> int:
    with world.app.state.sessions() as session:
        tonight = select(Night.id).where(Night.compound_id == "tiny", Night.evening == EVENING)
        return session.scalars(tonight).one()


def _pin(world, request: int) -> int:
    reply = world.call(
        "staff",
        "POST",
        f"{NIGHT}/pins",
        json={"request_id": request, "space": "L-1", "action": "forbid", "reason": "a test"},
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["pins"][-1]["id"]


def test_a_pin_is_not_removed_while_the_night_runs(world):
    pin = _pin(world, _ask(world))
    night = _night_id(world)
    with world.app.state.sessions.begin() as session:
        session.get(Night, night).running_since = world.now
    with holding(world.app.state.engine, night):
        busy = world.call("staff", "DELETE", f"{NIGHT}/pins/{pin}")
    assert busy.status_code == 409 and "being allocated" in busy.json()["detail"]


def test_a_pin_of_a_closed_night_stays(world):
    pin = _pin(world, _ask(world))
    world.now = AFTER_CUTOFF
    world.call("staff", "POST", f"{NIGHT}/run")
    world.call("staff", "POST", f"{NIGHT}/publish")
    world.now = MORNING_AFTER + timedelta(hours=4)  # nobody was served: the round opens at noon
    assert world.call("staff", "POST", f"{NIGHT}/overstays", json={"spaces": []}).is_success
    closed = world.call("staff", "DELETE", f"{NIGHT}/pins/{pin}")
    assert closed.status_code == 409 and "closed" in closed.json()["detail"]


def test_a_change_that_loses_to_a_cancellation_is_told_the_request_is_gone(world, monkeypatch):
    request = _ask(world)
    real = residents.require_open

    def cancelled_meanwhile(session, compound, evening, arrived):
        with world.app.state.sessions.begin() as other:
            other.delete(other.get(ParkingRequest, request))
        return real(session, compound, evening, arrived)

    monkeypatch.setattr(residents, "require_open", cancelled_meanwhile)
    reply = world.call(
        "3-301",
        "PUT",
        f"/api/v1/me/requests/{request}",
        json={"car_id": world.car("3-301"), "arrive": "22:00", "depart": "06:00"},
    )
    assert reply.status_code == 404, reply.text


def test_a_late_request_during_a_run_is_told_it_is_late(world):
    _ask(world)
    night = _night_id(world)
    with world.app.state.sessions.begin() as session:
        session.get(Night, night).running_since = world.now
    world.now = AFTER_CUTOFF
    with holding(world.app.state.engine, night):
        late = world.call(
            "2-201",
            "POST",
            f"/api/v1/me/nights/{EVENING}/requests",
            json={"car_id": world.car("2-201"), "arrive": "22:00", "depart": "06:00"},
        )
    assert late.status_code == 409 and "closed at 21:30" in late.json()["detail"]


@pytest.mark.parametrize("seconds", [0, 59])
def test_no_run_of_an_open_night_in_the_grace_after_its_cutoff(world, seconds):
    _ask(world)
    world.now = AFTER_CUTOFF - timedelta(minutes=30) + timedelta(seconds=seconds)  # 21:30:ss
    refused = world.call("staff", "POST", f"{NIGHT}/run")
    assert refused.status_code == 409 and "run the night of" in refused.json()["detail"]
    world.now += timedelta(seconds=60)
    assert world.call("staff", "POST", f"{NIGHT}/run").status_code == 201
