"""The service under test on SQLite and on a real PostgreSQL 15 that the tests start themselves
(tests/service/postgres.py)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from scenarios.loader import parse_scenario
from service.compounds import create_staff, import_scenario, issue_activation
from service.db import make_sessions, upgrade
from service.deps import get_now
from service.main import create_app
from service.models import Household
from service.settings import Settings
from tests.service.postgres import free_port, new_database, postgres_server

EVENING = date(2026, 11, 24)
BEFORE_CUTOFF = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
AFTER_CUTOFF = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai
MORNING_AFTER = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: the stays have ended
BALLOT_KEY = "a-ballot-key-for-the-tests"

TINY = {
    "name": "Tiny compound",
    "night": EVENING.isoformat(),
    "policy": {
        "windows": {"rented": ["22:00-09:00"], "street": ["19:00-07:00"]},
        "household_cap": 1,
        "priority_rules": [
            {"label": "households without a space", "priority": 2, "when": {"has_space": False}}
        ],
    },
    "spaces": [
        {"id": "A-1", "kind": "rented", "renter": "1-101", "x": 0, "y": 0},
        {"id": "L-1", "kind": "street", "size": "large", "x": 10, "y": 0},
    ],
    "households": [
        {"id": "1-101", "x": 0, "y": 5, "cars": [{"plate": "沪A·11111"}]},
        {"id": "2-201", "x": 5, "y": 5, "tags": ["new_resident"], "cars": [{"plate": "沪A·22222"}]},
        {"id": "3-301", "x": 9, "y": 5, "cars": [{"plate": "沪B·33333"}]},
    ],
}


_free_port = free_port


@pytest.fixture(scope="session")
def postgres_url():
    try:
        with postgres_server() as server:
            yield server
    except RuntimeError as missing:
        pytest.fail(str(missing))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'parking.db'}"
    return new_database(request.getfixturevalue("postgres_url"))


class World:
    """A seeded service: the tiny compound, its staff, its residents (activated) and a second
    compound."""

    def __init__(self, url: str, scenario: dict | None = None) -> None:
        upgrade(url)
        self.url = url
        self.app = create_app(
            Settings(
                database_url=url,
                login_attempts=3,
                token_hours=24 * 30,
                ballot_key=BALLOT_KEY,
            )
        )
        self.now = BEFORE_CUTOFF
        self.app.dependency_overrides[get_now] = lambda: self.now
        self.client = TestClient(self.app)
        sessions = make_sessions(self.app.state.engine)
        self.codes: dict[str, str] = {}
        with sessions.begin() as session:
            import_scenario(session, parse_scenario(scenario or TINY), "tiny", now=BEFORE_CUTOFF)
            other = parse_scenario(TINY | {"name": "Other compound"})
            import_scenario(session, other, "other", now=BEFORE_CUTOFF)
            create_staff(session, "tiny", "staff", "staff-password")
            create_staff(session, "other", "other-staff", "staff-password")
            session.flush()
            for household in session.scalars(
                select(Household).where(Household.compound_id == "tiny")
            ):
                self.codes[household.code] = issue_activation(session, household)
        self.tokens = {
            "staff": self.login("staff", "staff-password"),
            "other-staff": self.login("other-staff", "staff-password"),
        }
        for code, activation in self.codes.items():
            reply = self.client.post(
                "/api/v1/auth/activate",
                json={"username": f"tiny/{code}", "code": activation, "password": f"pw-{code}-123"},
            )
            assert reply.status_code == 200, reply.text
            self.tokens[code] = reply.json()["access_token"]

    def login(self, username: str, password: str) -> str:
        reply = self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert reply.status_code == 200, reply.text
        return reply.json()["access_token"]

    def as_(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    def call(self, who: str | None, method: str, path: str, **kwargs):
        return self.client.request(method, path, headers=self.as_(who), **kwargs)

    def imported(self, csv_text: str, filename: str = "households.csv") -> dict:
        """Import a households CSV as staff and wait for the background job: its last state (with
        the activation codes once done), or the refusal's body."""
        reply = self.call(
            "staff",
            "POST",
            "/api/v1/compounds/tiny/households/import",
            files={"file": (filename, csv_text, "text/csv")},
        )
        if reply.status_code != 202:
            return {"status": reply.status_code} | reply.json()
        deadline = time.monotonic() + 60
        job = reply.json()
        while job["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.05)
            job = self.call("staff", "GET", reply.headers["location"]).json()
        return {"status": 202} | job

    def car(self, who: str) -> int:
        return self.call(who, "GET", "/api/v1/me").json()["cars"][0]["id"]


@pytest.fixture
def world(database_url):
    world = World(database_url)
    yield world
    world.client.close()
    world.app.state.engine.dispose()
