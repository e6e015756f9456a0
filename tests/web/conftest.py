"""Fixtures: the demo seeded once per session; each test gets its own copy of the file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.demo import Demo, rented_space, seed_demo
from tests.web.web_site import PUBLISHED, Site


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
