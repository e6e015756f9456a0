"""The service with a clock that reads 21:30 in Shanghai on 2026-11-24 (the tests' cutoff) at
the real instant PARKING_TEST_CUTOFF_AT (seconds since the epoch) and runs at the real pace, for
tests that serve it from a process of its own:
uvicorn tests.service.shifted_clock_app:create_app --factory."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from fastapi import FastAPI

from service.deps import get_now
from service.main import create_app as create_service

CUTOFF = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)


def create_app() -> FastAPI:
    shift = CUTOFF - datetime.fromtimestamp(float(os.environ["PARKING_TEST_CUTOFF_AT"]), UTC)
    app = create_service()
    app.dependency_overrides[get_now] = lambda: datetime.now(UTC) + shift
    return app
