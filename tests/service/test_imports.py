"""Household imports run in the background (issue 11, item 4).

An import hashed each household's activation code on the event loop: a 50-row import made every
other request wait 16 s, and a concurrent run failed with "database is locked". Now the file is
checked at once, the codes are made by a worker thread outside any write transaction, and the
households are stored in one short transaction at the end.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from service.models import Job


def _csv(rows: int, first: int = 100) -> str:
    return "code,x,y\n" + "".join(f"{first + i}-101,{i},0\n" for i in range(rows))


def test_the_service_answers_while_an_import_runs(world):
    started = world.call(
        "staff",
        "POST",
        "/api/v1/compounds/tiny/households/import",
        files={"file": ("big.csv", _csv(200), "text/csv")},
    )
    assert started.status_code == 202 and started.json()["total"] == 200
    assert world.call("2-201", "GET", "/api/v1/me").status_code == 200
    meanwhile = world.call("staff", "GET", started.headers["location"]).json()
    assert meanwhile["state"] in ("queued", "running") and meanwhile["created"] == []
    job = world.imported(_csv(3, first=900), "small.csv")  # waits for both, one after the other
    assert job["state"] == "done"
    final = world.call("staff", "GET", started.headers["location"]).json()
    assert (final["state"], final["done"], len(final["created"])) == ("done", 200, 200)


def test_an_import_whose_worker_stopped_is_said_to_have_failed(world):
    started = world.imported(_csv(2))
    with world.app.state.sessions.begin() as session:
        job = session.get(Job, started["id"])
        job.state = "running"  # as if the service had stopped half-way
    world.now += timedelta(days=3)
    stalled = world.call(
        "staff", "GET", f"/api/v1/compounds/tiny/households/imports/{started['id']}"
    )
    assert stalled.json()["state"] == "failed"
    assert "stopped" in stalled.json()["error"]


def test_households_added_meanwhile_fail_the_import_and_nothing_is_stored(world, monkeypatch):
    from service.actions import compound

    real = compound.security.hash_code

    def slow_and_raced(code: str) -> str:
        with world.app.state.sessions.begin() as session:
            if session.scalar(select(Job.state)) == "running":
                world.call(
                    "staff",
                    "POST",
                    "/api/v1/compounds/tiny/households",
                    json={"code": "100-101", "x": 0, "y": 0},
                )
        return real(code)

    monkeypatch.setattr(compound.security, "hash_code", slow_and_raced)
    job = world.imported(_csv(2))
    assert job["state"] == "failed" and "100-101" in job["error"]
    households = world.call("staff", "GET", "/api/v1/compounds/tiny/households").json()
    assert [h["code"] for h in households if h["code"].endswith("-101")] == ["1-101", "100-101"]
