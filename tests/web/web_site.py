"""The page tests' helpers: the demo's state in a throw-away SQLite file with a clock the tests
set (20:00 in Shanghai on the evening after the published night, so that night is history and
the next one still takes requests until 21:30), and a client that signs in and posts forms."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient

from service.demo import RESIDENT_PASSWORD, STAFF, Demo
from service.deps import get_now
from service.main import create_app
from service.settings import Settings

PUBLISHED = date(2026, 11, 24)
NEXT = PUBLISHED + timedelta(days=1)
# 20:00 in Shanghai on the next evening: before its 21:30 cutoff.
BEFORE_CUTOFF = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@dataclass
class Site:
    url: str
    demo: Demo
    renter_space: str
    now: datetime = BEFORE_CUTOFF
    app: object = field(default=None, repr=False)

    def make_app(self):
        self.app = create_app(Settings(database_url=self.url, solver_seconds=10))
        self.app.dependency_overrides[get_now] = lambda: self.now
        return self.app


def form_token(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


class Browser:
    """A TestClient signed in through the sign-in form, posting forms with their token."""

    def __init__(
        self,
        site: Site,
        username: str | None = None,
        password: str | None = None,
        language: str | None = None,
    ) -> None:
        self.client = TestClient(
            site.make_app() if site.app is None else site.app, follow_redirects=False
        )
        if language:
            self.client.cookies.set("parking_lang", language)
        if username:
            reply = self.post("/signin", {"username": username, "password": password}, "/signin")
            assert reply.status_code == 303, reply.text

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, token_from: str = "/", **kwargs):
        page = self.client.get(token_from, follow_redirects=True)
        return self.client.post(path, data={"csrf": form_token(page.text)} | (data or {}), **kwargs)

    def import_households(self, filename: str, content: bytes):
        """Upload a households CSV on the staff page and follow the import until it is done (or
        refused): the households page as it then reads."""
        reply = self.post(
            "/staff/households/import",
            files={"file": (filename, content, "text/csv")},
            token_from="/staff/households",
        )
        if reply.status_code != 303:
            return reply
        for _ in range(1200):
            page = self.get(reply.headers["location"])
            if f"{filename}" not in page.text or "refresh" not in page.text:
                return page
            time.sleep(0.05)
        raise AssertionError(f"the import of {filename} did not end")


def resident(
    site: Site, role: str = "served tonight, rents a space", language: str | None = None
) -> Browser:
    return Browser(site, site.demo.username(role), RESIDENT_PASSWORD, language)


def staff(site: Site, language: str | None = None) -> Browser:
    return Browser(site, *STAFF, language)
