"""How long the pages take to answer on the demo's state (Laiyang: 446 spaces, 480 households, a
published night), each beside the JSON API call that reads the same data, through a TestClient
(no network). Prints a table: median and 95th percentile in ms, and the page's size.

    .venv/bin/python -m benchmarks.pages [--rounds 40]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from service.demo import COMPOUND, RESIDENT_PASSWORD, STAFF, seed_demo
from service.deps import get_now
from service.main import create_app
from service.settings import Settings

EVENING = date(2026, 11, 24)
NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, the morning after


def _timed(
    client: TestClient, path: str, rounds: int, headers: dict | None = None
) -> tuple[float, float, int]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        reply = client.get(path, headers=headers or {})
        times.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200, (path, reply.status_code)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], len(reply.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'pages.db'}"
        demo = seed_demo(url, EVENING, NOW)
        app = create_app(Settings(database_url=url))
        app.dependency_overrides[get_now] = lambda: NOW
        pages = []
        for who, password in ((demo.username("refused tonight"), RESIDENT_PASSWORD), STAFF):
            client = TestClient(app)
            client.post("/signin", data={"username": who, "password": password})
            token = client.post(
                "/api/v1/auth/login", json={"username": who, "password": password}
            ).json()["access_token"]
            pages.append((client, {"Authorization": f"Bearer {token}"}))
        (resident, as_resident), (desk, as_staff) = pages
        rows = [
            (
                "resident: tonight (refused, reason)",
                resident,
                f"/tonight?evening={EVENING}",
                f"/api/v1/me/nights/{EVENING}/allocation",
                as_resident,
            ),
            (
                "resident: history",
                resident,
                "/history",
                f"/api/v1/me/nights/{EVENING}/allocation",
                as_resident,
            ),
            (
                "staff: night (figures, map, refused)",
                desk,
                f"/staff/night?evening={EVENING}",
                f"/api/v1/compounds/{COMPOUND}/nights/{EVENING}",
                as_staff,
            ),
            (
                "staff: night with a space's stays",
                desk,
                f"/staff/night?evening={EVENING}&space=A-010",
                f"/api/v1/compounds/{COMPOUND}/nights/{EVENING}",
                as_staff,
            ),
            (
                "staff: gate list",
                desk,
                f"/staff/night/{EVENING}/gate",
                f"/api/v1/compounds/{COMPOUND}/nights/{EVENING}/gate-list.csv",
                as_staff,
            ),
            (
                "staff: households (page 1 of 10)",
                desk,
                "/staff/households",
                f"/api/v1/compounds/{COMPOUND}/households",
                as_staff,
            ),
        ]
        machine = platform.processor() or platform.machine()
        table = Table(
            title=f"Pages vs the API on the demo state, {rounds} rounds "
            f"({machine}, Python {platform.python_version()})"
        )
        for column in (
            "page",
            "page median ms",
            "page p95 ms",
            "page KB",
            "API median ms",
            "page / API",
        ):
            table.add_column(column, justify="left" if column == "page" else "right")
        for label, client, page, api, headers in rows:
            page_median, page_p95, size = _timed(client, page, rounds)
            api_median, _, _ = _timed(client, api, rounds, headers)
            table.add_row(
                label,
                f"{page_median:.1f}",
                f"{page_p95:.1f}",
                f"{size / 1024:.0f}",
                f"{api_median:.1f}",
                f"{page_median / api_median:.2f}x",
            )
        Console().print(table)
        app.state.engine.dispose()


if __name__ == "__main__":
    main()
