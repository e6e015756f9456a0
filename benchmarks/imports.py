"""How the service answers while staff import households (each needs an activation code hashed).

    .venv/bin/python -m benchmarks.imports [--households 500]

The service runs under uvicorn in its own process on SQLite; staff upload a CSV of
`--households` new households, and meanwhile a resident asks `GET /api/v1/me` ten times a
second until the import is done. Printed: how long the import took and the GET's latency
(median, p95, max) during it, against the same GET with no import.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

from benchmarks.rush import seed, serving


def _latencies(client: httpx.Client, headers: dict[str, str], until: float) -> list[float]:
    seconds = []
    while time.monotonic() < until:
        started = time.perf_counter()
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        seconds.append(time.perf_counter() - started)
        time.sleep(0.1)
    return seconds


def _summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{len(ordered)} GETs: median {1000 * statistics.median(ordered):.1f} ms, "
        f"p95 {1000 * p95:.1f} ms, max {1000 * ordered[-1]:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=500)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        url = f"sqlite:///{folder / 'imports.db'}"
        callers = json.loads(seed(url, 10, folder).read_text())["callers"]
        resident = {"Authorization": f"Bearer {callers[0][0]}"}
        csv = "code,x,y\n" + "".join(f"{9000 + i}-101,{i},0\n" for i in range(arguments.households))
        with (
            serving("service.main:create_app", url, 1, {}) as base,
            httpx.Client(base_url=base, timeout=120) as client,
        ):
            quiet = _latencies(client, resident, time.monotonic() + 5)
            token = client.post(
                "/api/v1/auth/login", json={"username": "staff", "password": "staff-password"}
            ).json()["access_token"]
            staff = {"Authorization": f"Bearer {token}"}
            started = time.monotonic()
            job = client.post(
                "/api/v1/compounds/rush/households/import",
                headers=staff,
                files={"file": ("households.csv", csv, "text/csv")},
            )
            assert job.status_code == 202, job.text
            during: list[float] = []
            while True:
                during += _latencies(client, resident, time.monotonic() + 1)
                state = client.get(job.headers["location"], headers=staff).json()
                if state["state"] not in ("queued", "running"):
                    break
            took = time.monotonic() - started
    python = platform.python_version()
    print(f"\nMachine: {os.cpu_count()} cores, {platform.machine()}, Python {python}")
    print(f"Import of {arguments.households} households: {state['state']} in {took:.1f} s")
    print(f"GET /api/v1/me with no import:  {_summary(quiet)}")
    print(f"GET /api/v1/me during it:       {_summary(during)}")


if __name__ == "__main__":
    main()
