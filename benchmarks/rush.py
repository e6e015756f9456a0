"""The submission rush at the cutoff, measured over real HTTP: the service against a minimal
FastAPI app that stores one row per POST, in the same run, on SQLite and PostgreSQL.

    .venv/bin/python -m benchmarks.rush [--databases sqlite,postgresql] [--workers 1,2]
                                        [--seconds 10] [--connections 64] [--windows rush,day]

Each server runs under uvicorn as its own processes (`--workers`), the load comes from wrk
(Debian's package) in another process, each request a different household's car (so each one
is stored: a real insert, no duplicate), in two windows (`WINDOWS`): the evening whose cutoff is
a few minutes away (the compound's cutoff is set so), and tomorrow evening. PostgreSQL runs with
fsync on and SQLite with the service's settings, so that every answer 201 is on disk. Two loads
per server and window: `--connections` households sending as fast as they are answered
(throughput), and 500 households at once (latency). Needs wrk: `apt-get install wrk`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2 as httpx
from sqlalchemy import update

from benchmarks.minimal_app import create_table
from service.actions.residents import RUSH_MINUTES
from service.db import upgrade
from service.main import create_app
from service.models import Compound
from service.settings import Settings
from tests.service.live import seed_compound
from tests.service.postgres import free_port, new_database, postgres_server

HERE = Path(__file__).resolve().parent

SUBMIT = r"""
local pairs_ = {}
local f = io.open(os.getenv("CALLERS"), "r"); local text = f:read("*a"); f:close()
local evening = text:match('"evening": "([%d%-]+)"')
for token, car in text:gmatch('%["([%w_%-]+)", (%d+)%]') do pairs_[#pairs_ + 1] = {token, car} end
local counter, threads = 1, {}
function setup(thread)
  thread:set("id", counter); counter = counter + 1; table.insert(threads, thread)
end
i, step = 0, 1  -- globals: each thread's own, read back in done()
function init(args)
  step = tonumber(os.getenv("THREADS")); i = tonumber(os.getenv("OFFSET")) + id - step
  statuses = {}
end
function request()
  i = i + step
  local pair = pairs_[((i - 1) % #pairs_) + 1]
  return wrk.format("POST", "/api/v1/me/nights/" .. evening .. "/requests",
    {["Authorization"] = "Bearer " .. pair[1], ["Content-Type"] = "application/json"},
    '{"car_id": ' .. pair[2] .. ', "arrive": "22:00", "depart": "07:00"}')
end
"""
MINIMAL = r"""
local counter, threads = 1, {}
function setup(thread)
  thread:set("id", counter); counter = counter + 1; table.insert(threads, thread)
end
local i = 0
function init(args) statuses = {} end
function request()
  i = i + 1
  return wrk.format("POST", "/rows", {["Content-Type"] = "application/json"},
    '{"car_id": ' .. i .. ', "arrive": "22:00", "depart": "07:00"}')
end
"""
REPORT = r"""
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %.3f %.1f %.1f %.1f\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
  for _, t in ipairs(threads) do
    local last = t:get("i")
    if last then io.write(string.format("LAST %d\n", last)) end
    for status, n in pairs(t:get("statuses")) do
      io.write(string.format("STATUS %s %d\n", status, n))
    end
  end
end
"""


@dataclass
class Measure:
    database: str
    app: str
    workers: int
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    statuses: dict[str, int]
    last: int
    window: str = "-"

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


@contextmanager
def serving(app: str, url: str, workers: int, settings: dict[str, str]) -> Iterator[str]:
    """`app` (a uvicorn factory) on a free port in its own processes until the block ends."""
    port = free_port()
    environment = os.environ | {"DATABASE_URL": url, "PARKING_LOG_LEVEL": "WARNING"} | settings
    command = [
        sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--log-level", "warning",
        "--no-access-log", "--timeout-keep-alive", "300",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=environment, cwd=HERE.parent)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/docs", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, "the server did not start"
                assert time.monotonic() < deadline, "the server did not answer in time"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def wrk(
    database: str,
    app: str,
    workers: int,
    base: str,
    script: str,
    connections: int,
    seconds: float,
    environment: dict[str, str],
) -> Measure:
    """One load of wrk on the server at `base`: `connections` at once for `seconds`."""
    threads = 2
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + REPORT)
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{round(seconds)}s", "--timeout", "30s",
        "-s", lua.name, base,
    ]  # fmt: skip
    output = subprocess.run(
        command,
        env=os.environ | environment | {"THREADS": str(threads)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(lua.name)
    found = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)", output)
    assert found, output
    requests, duration, p50, p95, p99 = found.groups()
    last = max((int(n) for n in re.findall(r"LAST (\d+)", output)), default=0)
    statuses: dict[str, int] = {}
    for status, n in re.findall(r"STATUS (\d+) (\d+)", output):
        statuses[status] = statuses.get(status, 0) + int(n)
    return Measure(
        database, app, workers, connections, int(requests), float(duration),
        float(p50), float(p95), float(p99), statuses, last,
    )  # fmt: skip


WINDOWS = ("rush", "day")
"""When the households send: in the last minutes before the evening's cutoff (`rush`: the service
then takes a request without its fit check, `service.actions.residents.RUSH_MINUTES`), or for
tomorrow evening (`day`: each answer says whether some space could take the stay)."""


def seed(url: str, households: int, folder: Path) -> dict[str, Path]:
    """A compound of `households` signed-in households whose cutoff is a few minutes away; their
    tokens and cars for wrk, with the evening each window sends for."""
    upgrade(url)
    app = create_app(Settings(database_url=url))
    callers = seed_compound(app, households=households, spaces=300)
    # The compound's clock: Shanghai's, or UTC's when Shanghai is near midnight (the evening and
    # its cutoff in a few minutes then fall on one date).
    now = datetime.now(UTC)
    zone = next(z for z in ("Asia/Shanghai", "UTC") if _far_from_midnight(now, z))
    local = now.astimezone(ZoneInfo(zone))
    cutoff = (local + timedelta(minutes=RUSH_MINUTES - 1)).strftime("%H:%M")
    with app.state.sessions.begin() as session:
        session.execute(update(Compound).values(timezone=zone, cutoff=cutoff))
    app.state.engine.dispose()
    pairs = [[c.token, c.car] for c in callers]
    paths = {}
    for window, evening in (("rush", local.date()), ("day", local.date() + timedelta(days=1))):
        paths[window] = folder / f"callers-{window}.json"
        paths[window].write_text(json.dumps({"evening": str(evening), "callers": pairs}))
    return paths


def _far_from_midnight(now: datetime, zone: str) -> bool:
    """`now` is more than 20 minutes from midnight in time zone `zone`."""
    local = now.astimezone(ZoneInfo(zone))
    since = local - local.replace(hour=0, minute=0, second=0, microsecond=0)
    return timedelta(minutes=20) < since < timedelta(hours=23, minutes=40)


def measure(
    database: str,
    fresh_url: Callable[[], str],
    workers: int,
    seconds: float,
    connections: int,
    households: int,
    folder: Path,
    windows: Sequence[str] = WINDOWS,
) -> list[Measure]:
    """Both loads on the service in each window, then on the minimal app, each app on a fresh
    database."""
    measures = []
    loads = [(connections, seconds), (500, min(seconds, 5.0))]
    url = fresh_url()
    callers = seed(url, households, folder)
    with serving("service.main:create_app", url, workers, {}) as base:
        for window in windows:
            offset = 0
            for clients, duration in loads:
                environment = {"CALLERS": str(callers[window]), "OFFSET": str(offset)}
                measured = wrk(
                    database, "service", workers, base, SUBMIT, clients, duration, environment
                )
                measures.append(replace(measured, window=window))
                # Every later request is a household not yet heard from (the threads take
                # turns through them, but not at the same pace: after the last any took).
                offset = measured.last
    url = fresh_url()
    upgrade(url)
    create_table(url)
    with serving("benchmarks.minimal_app:create_app", url, workers, {}) as base:
        for clients, duration in loads:
            measures.append(wrk(database, "minimal", workers, base, MINIMAL, clients, duration, {}))
    return measures


def _fresh_urls(database: str, postgres: str, folder: Path) -> Callable[[], str]:
    files = count()

    def fresh_url() -> str:
        if database == "postgresql":
            return new_database(postgres)
        return f"sqlite:///{folder / f'rush-{next(files)}.db'}"

    return fresh_url


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--windows", default=",".join(WINDOWS), help="rush (before the cutoff), day, or both"
    )
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    households = 40_000
    rows: list[Measure] = []
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        for database in arguments.databases.split(","):
            server = postgres_server(fsync=True) if database == "postgresql" else nullcontext("")
            with server as postgres:
                fresh_url = _fresh_urls(database, postgres, folder)
                for workers in map(int, arguments.workers.split(",")):
                    rows += measure(
                        database, fresh_url, workers, arguments.seconds,
                        arguments.connections, households, folder,
                        arguments.windows.split(","),
                    )  # fmt: skip
    machine = platform.processor() or platform.machine()
    print(f"\nMachine: {os.cpu_count()} cores, {machine}, Python {platform.python_version()}")
    print(
        f"{'database':<11}{'app':<9}{'window':<7}{'workers':>8}{'at once':>9}{'requests':>10}"
        f"{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses"
    )
    for m in rows:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(m.statuses.items()))
        print(
            f"{m.database:<11}{m.app:<9}{m.window:<7}{m.workers:>8}{m.connections:>9}{m.requests:>10}"
            f"{m.per_second:>8.0f}{m.p50_ms:>9.1f}{m.p95_ms:>9.1f}{m.p99_ms:>9.1f}  {statuses}"
        )


if __name__ == "__main__":
    main()
