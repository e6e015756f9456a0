"""500 households submit tonight's request at once, just before the cutoff, through a real server
(uvicorn in a thread) and a real database: every request is stored exactly once.

Each car's request is sent twice at the same moment, so the test also sees that a duplicate is
refused (409) rather than stored twice. Figures (throughput, latency) are printed with -s.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
import numpy as np
import uvicorn
from sqlalchemy import func, select

from scenarios.loader import parse_scenario
from service.compounds import import_scenario, resident_account
from service.db import upgrade
from service.deps import get_now
from service.main import create_app
from service.models import Car, Household, ParkingRequest, Token
from service.security import new_token
from service.settings import Settings
from tests.service.conftest import BEFORE_CUTOFF, EVENING, TINY, _free_port

HOUSEHOLDS = 500


def _seed(app) -> list[tuple[str, int]]:
    """500 households with a car each, and a session token for each (no password hashing)."""
    document = dict(TINY) | {
        "households": [
            {
                "id": f"h{i}",
                "x": float(i % 40),
                "y": float(i // 40),
                "cars": [{"plate": f"沪R·{i:05d}"}],
            }
            for i in range(HOUSEHOLDS)
        ],
        "spaces": [{"id": f"L-{i}", "kind": "street", "x": 0, "y": 0} for i in range(50)],
    }
    callers = []
    with app.state.sessions.begin() as session:
        import_scenario(session, parse_scenario(document), "rush", now=BEFORE_CUTOFF)
        session.flush()
        for household in session.scalars(select(Household).where(Household.compound_id == "rush")):
            account = resident_account(session, household)
            session.flush()
            token, digest = new_token()
            session.add(
                Token(
                    digest=digest,
                    account_id=account.id,
                    expires_at=datetime.now(UTC) + timedelta(hours=1),
                )
            )
            car = session.scalar(select(Car.id).where(Car.household_id == household.id))
            callers.append((token, car))
    return callers


def test_500_requests_at_the_cutoff_are_stored_exactly_once(database_url):
    upgrade(database_url)
    app = create_app(Settings(database_url=database_url))
    app.dependency_overrides[get_now] = lambda: datetime(
        2026, 11, 24, 13, 29, 59, tzinfo=UTC
    )  # 21:29:59 in Shanghai
    callers = _seed(app)
    port = _free_port()
    # Keep-alive longer than the rush: a connection the server closes as the client reuses it would
    # fail a request for a reason that has nothing to do with the service.
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=300
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}/api/v1/me/nights/{EVENING}/requests"
    try:
        with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=100)) as client:

            def submit(caller: tuple[str, int]) -> tuple[int, float]:
                token, car = caller
                started = time.perf_counter()
                reply = client.post(
                    url,
                    headers={"Authorization": f"Bearer {token}"},
                    json={"car_id": car, "arrive": "22:00", "depart": "07:00"},
                )
                return reply.status_code, time.perf_counter() - started

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=100) as pool:
                outcomes = list(pool.map(submit, callers + callers))
            elapsed = time.perf_counter() - started
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    statuses = [status for status, _ in outcomes]
    assert sorted(set(statuses)) in ([201, 409], [201])
    assert statuses.count(201) == HOUSEHOLDS and statuses.count(409) == HOUSEHOLDS
    with app.state.sessions() as session:
        stored = session.execute(
            select(ParkingRequest.car_id, func.count()).group_by(ParkingRequest.car_id)
        ).all()
    assert len(stored) == HOUSEHOLDS and all(n == 1 for _, n in stored)
    latency = np.array([seconds for _, seconds in outcomes])
    p50, p95 = (1000 * np.percentile(latency, q) for q in (50, 95))
    print(
        f"\n{database_url.split(':')[0]}: {2 * HOUSEHOLDS} submissions (each car twice) "
        f"in {elapsed:.2f} s, {2 * HOUSEHOLDS / elapsed:.0f}/s; latency p50 {p50:.0f} ms, "
        f"p95 {p95:.0f} ms, max {1000 * latency.max():.0f} ms"
    )
    app.state.engine.dispose()
