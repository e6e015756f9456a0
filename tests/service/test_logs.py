"""The service's log: one line per request with its duration, one per run and publication."""

from __future__ import annotations

import logging
import re

from tests.service.conftest import AFTER_CUTOFF, EVENING


def test_a_request_and_a_run_each_write_one_line(world, caplog):
    caplog.set_level(logging.INFO, logger="service")
    world.call("2-201", "GET", "/api/v1/me")
    world.call(
        "2-201",
        "POST",
        f"/api/v1/me/nights/{EVENING}/requests",
        json={"car_id": world.car("2-201"), "arrive": "21:00", "depart": "06:30"},
    )
    world.now = AFTER_CUTOFF
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/run")
    world.call("staff", "POST", f"/api/v1/compounds/tiny/nights/{EVENING}/publish")
    lines = [(r.name, r.getMessage()) for r in caplog.records]
    requests = [message for name, message in lines if name == "service.requests"]
    assert re.fullmatch(r"GET /api/v1/me 200 \d+\.\d ms", requests[0])
    assert any(
        re.fullmatch(rf"POST /api/v1/compounds/tiny/nights/{EVENING}/run 201 .* ms", m)
        for m in requests
    )
    runs = [message for name, message in lines if name == "service.actions.allocation"]
    assert re.fullmatch(
        rf"run compound=tiny evening={EVENING} run=1 status=optimal served=1 refused=0 "
        r"seconds=\d+\.\d{3}",
        runs[0],
    )
    assert runs[1] == f"publish compound=tiny evening={EVENING} run=1"
