"""Runs stored by an earlier version of the service still read, through the typed models.

`data/made-by-0777417.sqlite` was written by the service as of commit 0777417 (before results
were typed): the tiny compound with a released space, three requests on 2026-11-24, run and
published (q1 on A-1, q2 on L-1, q3 refused: all fitting spaces taken).
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from service.db import upgrade
from service.deps import get_now
from service.main import create_app
from service.models import Run
from service.settings import Settings

MADE_BY_0777417 = Path(__file__).parent / "data" / "made-by-0777417.sqlite"
EVENING = date(2026, 11, 24)


def _client(tmp_path: Path, name: str = "old.db") -> TestClient:
    copy = tmp_path / name
    shutil.copy(MADE_BY_0777417, copy)
    url = f"sqlite:///{copy}"
    upgrade(url)
    app = create_app(Settings(database_url=url))
    app.dependency_overrides[get_now] = lambda: datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    return TestClient(app)


def _token(client: TestClient, username: str, password: str) -> dict[str, str]:
    reply = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def test_an_old_run_loads_typed(tmp_path):
    client = _client(tmp_path)
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        run = session.get(Run, 1)
        allocation, scenario = run.allocation, run.scenario
    assert [(a.request, a.space, a.start.isoformat()) for a in allocation.assignments] == [
        ("q1", "A-1", "2026-11-24T22:10:00"),
        ("q2", "L-1", "2026-11-24T21:00:00"),
    ]
    refusal = allocation.refusal_of("q3")
    assert refusal is not None and refusal.reason == "all_fitting_spaces_taken"
    assert refusal.message_zh and "优先级" in refusal.message_zh
    assert [r.id for r in scenario.requests] == ["q1", "q2", "q3"]


def test_old_runs_read_through_the_api_and_the_pages(tmp_path):
    client = _client(tmp_path)
    refused = _token(client, "tiny/4-401", "pw-4-401-123")
    outcome = client.get(f"/api/v1/me/nights/{EVENING}/allocation", headers=refused).json()
    assert outcome["published"] and outcome["outcomes"][0]["reason"] == "all_fitting_spaces_taken"
    assert (outcome["outcomes"][0]["arrive"], outcome["outcomes"][0]["depart"]) == (
        "19:30",
        "06:00",
    )
    renter = _token(client, "tiny/1-101", "pw-1-101-123")
    users = client.get(f"/api/v1/me/nights/{EVENING}/my-space-users", headers=renter).json()
    assert users == [{"space": "A-1", "plate": "沪A·2**22", "start": "22:10", "end": "07:40"}]
    staff = _token(client, "staff", "staff-password")
    night = client.get(f"/api/v1/compounds/tiny/nights/{EVENING}", headers=staff).json()
    assert night["state"] == "published" and night["published"]["served_by_priority"] == {"2": 2}
    started = night["published"]["started_at"]
    assert started.endswith(("Z", "+00:00"))
    gate = client.get(f"/api/v1/compounds/tiny/nights/{EVENING}/gate-list.csv", headers=staff)
    assert gate.text.splitlines()[1:] == [
        "A-1,rented,沪A·22222,2-201,22:10,07:40",
        "L-1,street,沪B·33333,3-301,21:00,06:30",
    ]


def _sign_in(client: TestClient, username: str, password: str) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
    assert token is not None
    data = {"username": username, "password": password, "csrf": token.group(1)}
    assert client.post("/signin", data=data, follow_redirects=False).status_code == 303


def test_old_runs_show_on_the_pages(tmp_path):
    resident, desk = _client(tmp_path, "resident.db"), _client(tmp_path, "desk.db")
    _sign_in(resident, "tiny/4-401", "pw-4-401-123")
    page = resident.get(f"/tonight?evening={EVENING}")
    assert page.status_code == 200 and "19:30" in page.text and "优先级" in page.text
    _sign_in(desk, "staff", "staff-password")
    night = desk.get(f"/staff/night?evening={EVENING}&space=L-1")
    assert night.status_code == 200 and "沪B·33333" in night.text and "4-401" in night.text


def test_the_next_night_reads_the_old_run_as_history(tmp_path):
    """4-401 was refused on the old night: the next night's run gives it fairness points."""
    client = _client(tmp_path)
    staff = _token(client, "staff", "staff-password")
    ran = client.post("/api/v1/compounds/tiny/nights/2026-11-25/run", headers=staff)
    assert ran.status_code == 201, ran.text
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        history = session.get(Run, 2).scenario.history
    assert [(h.household, h.refused) for h in history if h.refused] == [
        ("4-401", [date(2026, 11, 24)])
    ]
