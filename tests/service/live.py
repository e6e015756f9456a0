"""A real server for the tests that need concurrency: the app under uvicorn in a thread, and a
compound of many households, each signed in (a token made directly: no password hashing)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from scenarios.loader import parse_scenario
from service.compounds import create_staff, import_scenario, resident_account
from service.models import Car, Household, Token
from service.security import new_token
from tests.service.conftest import BEFORE_CUTOFF, TINY, _free_port


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """The app on a free port of 127.0.0.1 until the block ends; yields its base URL."""
    port = _free_port()
    # Keep-alive longer than any rush: a connection the server closes as the client reuses it
    # would fail a request for a reason that has nothing to do with the service.
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=300
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serving_elsewhere(factory: str, url: str, environment: dict[str, str]) -> Iterator[str]:
    """The app made by `factory` (a uvicorn factory) in a process of its own, on the database at
    `url`, until the block ends; yields its base URL. Unlike `serving`, the test's own threads
    (a rush of clients) do not take the server's time."""
    port = _free_port()
    command = [
        sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--log-level", "warning", "--timeout-keep-alive", "300",
    ]  # fmt: skip
    settings = {"DATABASE_URL": url, "PARKING_LOG_LEVEL": "WARNING"} | environment
    server = subprocess.Popen(command, env=os.environ | settings)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert server.poll() is None, "the server did not start"
                assert time.monotonic() < deadline, "the server did not answer in time"
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@dataclass(frozen=True)
class Caller:
    household: str
    token: str
    car: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def seed_compound(
    app: FastAPI,
    households: int,
    spaces: int = 50,
    requests: int = 0,
    compound: str = "rush",
    **night: Any,
) -> list[Caller]:
    """A compound of `households` (one car each, all signed in) and `spaces` street spaces; the
    first `requests` households already asked for tonight. Staff: staff / staff-password."""
    document = (
        dict(TINY)
        | {
            "households": [
                {
                    "id": f"h{i}",
                    "x": float(i % 40),
                    "y": float(i // 40),
                    "cars": [{"plate": f"沪R·{i:05d}"}],
                }
                for i in range(households)
            ],
            "spaces": [{"id": f"L-{i}", "kind": "street", "x": 0, "y": 0} for i in range(spaces)],
            "requests": [
                {
                    "id": f"r{i}",
                    "household": f"h{i}",
                    "plate": f"沪R·{i:05d}",
                    "arrive": "22:00",
                    "depart": "07:00",
                }
                for i in range(requests)
            ],
        }
        | night
    )
    callers = []
    with app.state.sessions.begin() as session:
        import_scenario(session, parse_scenario(document), compound, now=BEFORE_CUTOFF)
        create_staff(session, compound, "staff", "staff-password")
        session.flush()
        for household in session.scalars(
            select(Household).where(Household.compound_id == compound).order_by(Household.id)
        ):
            account = resident_account(session, household)
            session.flush()
            token, digest = new_token()
            expires = datetime.now(UTC) + timedelta(days=1)
            session.add(Token(digest=digest, account_id=account.id, expires_at=expires))
            car = session.scalars(select(Car.id).where(Car.household_id == household.id)).one()
            callers.append(Caller(household.code, token, car))
    return callers
