"""Fixtures: the demo seeded once per session; each test gets its own copy of the file."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import sync_playwright

from service.demo import Demo, rented_space, seed_demo
from tests.web.web_site import PUBLISHED, Site

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory) -> tuple[Path, Demo]:
    """Seeded once; each test copies the file, so tests do not see each other's changes."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    # Run and published at 22:00 in Shanghai, after the evening's cutoff.
    published_at = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    return path, seed_demo(f"sqlite:///{path}", PUBLISHED, published_at, solver_seconds=10)


@pytest.fixture
def site(demo_file, tmp_path) -> Site:
    source, demo = demo_file
    copy = tmp_path / "site.db"
    copy.write_bytes(source.read_bytes())
    url = f"sqlite:///{copy}"
    site = Site(url, demo, rented_space(url, demo.residents["served tonight, rents a space"]))
    yield site
    if site.app is not None:
        site.app.state.engine.dispose()


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium, driven by Playwright (its own browser downloads are never used)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def base_url(site):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(site.make_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
