"""500 households submit tonight's request at once, just before the cutoff, through a real server
(uvicorn in a thread) and a real database: every request is stored exactly once.

Each car's request is sent twice at the same moment, so the test also sees that a duplicate is
refused (409) rather than stored twice. Figures (throughput, latency) are printed with -s.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx2 as httpx
import numpy as np
from sqlalchemy import func, select

from service.db import upgrade
from service.deps import get_now
from service.main import create_app
from service.models import ParkingRequest
from service.settings import Settings
from tests.service.conftest import EVENING
from tests.service.live import Caller, seed_compound, serving

HOUSEHOLDS = 500


def test_500_requests_at_the_cutoff_are_stored_exactly_once(database_url):
    upgrade(database_url)
    app = create_app(Settings(database_url=database_url))
    # 21:29:59 in Shanghai
    app.dependency_overrides[get_now] = lambda: datetime(2026, 11, 24, 13, 29, 59, tzinfo=UTC)
    callers = seed_compound(app, households=HOUSEHOLDS)
    url = f"/api/v1/me/nights/{EVENING}/requests"
    with (
        serving(app) as base,
        httpx.Client(base_url=base, timeout=60, limits=httpx.Limits(max_connections=100)) as client,
    ):

        def submit(caller: Caller) -> tuple[int, float]:
            started = time.perf_counter()
            reply = client.post(
                url,
                headers=caller.headers,
                json={"car_id": caller.car, "arrive": "22:00", "depart": "07:00"},
            )
            return reply.status_code, time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=100) as pool:
            outcomes = list(pool.map(submit, callers + callers))
        elapsed = time.perf_counter() - started
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
