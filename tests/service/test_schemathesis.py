"""Schemathesis against the running service (uvicorn, real HTTP) with every check it has
(`--checks all`: no 5xx, every status, header and body as documented, schema-valid data accepted,
invalid data refused, the Allow header of every 405, ...), as staff and as a resident, on SQLite
and on PostgreSQL.

Every run generates at least 1,000 cases per role and database: with the default `EXAMPLES` (15
per operation and phase) about 2,050, in 21-27 s per run on the 2-core machine, under two minutes
for the four. `PARKING_SCHEMATHESIS_EXAMPLES=100` is the longer hunt: about 4,900 cases per run,
64-103 s each, six minutes for the four.

What the document cannot say: values of the right shape that the rules refuse (a stay that ends
before it starts, a text that is no plate, an unknown space in the morning round, a CSV without
its header) are 422 too, so 422 counts as an answer to schema-valid data. Signing out is left out:
it would end the token the run uses.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time

import pytest
import uvicorn

from tests.service.conftest import EVENING, World, _free_port

EXAMPLES = 15
CASES_PER_ROLE = 1_000

CONFIG = """
[dictionaries.compounds]
values = ["tiny"]
[dictionaries.spaces]
values = ["A-1", "L-1"]
[dictionaries.households]
values = ["1-101", "2-201", "3-301"]
[dictionaries.evenings]
values = ["{evening}", "{next}"]
[dictionaries.ids]
values = [1, 2, 3, 4, 5]

# Known names and ids most of the time, so that calls reach the rules behind the 404s.
[parameters]
"path.compound_id" = {{ dictionary = "compounds", probability = 0.9 }}
"path.space_code" = {{ dictionary = "spaces", probability = 0.7 }}
"path.household_code" = {{ dictionary = "households", probability = 0.7 }}
"path.evening" = {{ dictionary = "evenings", probability = 0.7 }}
"path.request_id" = {{ dictionary = "ids", probability = 0.7 }}
"path.release_id" = {{ dictionary = "ids", probability = 0.7 }}
"path.standing_id" = {{ dictionary = "ids", probability = 0.7 }}
"path.pin_id" = {{ dictionary = "ids", probability = 0.7 }}
"body.car_id" = {{ dictionary = "ids", probability = 0.7 }}
"body.request_id" = {{ dictionary = "ids", probability = 0.7 }}
"body.space" = {{ dictionary = "spaces", probability = 0.7 }}
"body.household" = {{ dictionary = "households", probability = 0.7 }}

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]
"""


@pytest.fixture
def served(database_url, tmp_path):
    """The seeded service behind a real HTTP server in a thread; its address and world."""
    world = World(database_url)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(world.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", world
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        world.client.close()
        world.app.state.engine.dispose()


@pytest.mark.parametrize("caller", ["staff", "1-101"])
def test_the_api_keeps_its_contract_under_schemathesis(served, caller, tmp_path):
    """Guards against 5xx answers, answers the document does not describe (a 400 or a 413 not in
    it, a wrong Allow header on a 405, a bound it does not state) and input the schema promises
    but the service refuses; at least 1,000 generated cases per role and database."""
    url, world = served
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        CONFIG.format(evening=EVENING, next=EVENING.replace(day=EVENING.day + 1)),
        encoding="utf-8",
    )
    examples = int(os.environ.get("PARKING_SCHEMATHESIS_EXAMPLES", EXAMPLES))
    started = time.perf_counter()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            f"{url}/openapi.json",
            "--checks",
            "all",
            "--header",
            f"Authorization: Bearer {world.tokens[caller]}",
            "--exclude-path",
            "/api/v1/auth/logout",
            "--max-examples",
            str(examples),
            "--seed",
            "20261124",
            "--generation-database",
            "none",
            "--workers",
            "1",
            "--no-color",
            "--request-timeout",
            "60",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=tmp_path,
        check=False,
    )
    seconds = time.perf_counter() - started
    report = run.stdout + run.stderr
    generated = re.search(r"(\d+) generated", report)
    print(
        f"\n{url.split(':')[0]} {world.url.split(':')[0]} as {caller}: "
        f"{generated.group(1) if generated else '?'} cases in {seconds:.0f} s"
    )
    assert run.returncode == 0, report[-20_000:]
    assert generated and int(generated.group(1)) >= CASES_PER_ROLE, report[-5_000:]
