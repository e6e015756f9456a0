"""What every page shares: rendering with the language and form token, which evening is meant,
and errors from the service in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import format_clock
from service.models import Compound, Night, NightState
from service.nightly import Conflict, InvalidField, current_evening, cutoff_of
from service.web.i18n import LANGUAGE_NAMES, MESSAGES, Translator

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["clock"] = format_clock
templates.env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
# How many evenings ahead the pages look for one still open to requests, or published early.
LOOK_AHEAD_DAYS = 7
# An evening typed into a form: the same years the API takes.
FormEvening = Annotated[date, Form(ge=date(2000, 1, 1), le=date(2099, 12, 31))]
FormId = Annotated[int, Form(ge=1, le=2**31 - 1)]


def _page_to_return_to(request: Request) -> str:
    """Where the language switch leads back: this page, or after a refused post the page the form
    was on (a post's own address does not answer GET)."""
    if request.method == "GET":
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path.startswith("/"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


# No framing (clickjacking); scripts and styles from this site only (inline style attributes size the maps).
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
}


def render(
    request: Request, t: Translator, template: str, status_code: int = 200, **context: Any
) -> Response:
    context |= {
        "t": t,
        "here": _page_to_return_to(request),
        "path": request.url.path,
        "form_token": getattr(request.state, "form_token", ""),
        "role": getattr(request.state, "role", None),
    }
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


# What a successful post may announce on the page it leads to. The line takes nothing else from
# the address, so that a link cannot put words of its own on the site.
DONE = {
    "request.saved",
    "request.cancelled",
    "standing.saved",
    "standing.removed",
    "release.saved",
    "night.ran",
    "night.published_done",
    "pin.saved",
    "pin.removed",
    "morning.saved",
    "spaces.added",
    "spaces.saved",
    "signout.done",
    "urgent.saved",
    "withdraw.saved",
    "cars.saved",
    "release.taken_back",
}


def done(url: str, key: str) -> RedirectResponse:
    """After a successful post, back to a page that says what happened (post, redirect, get)."""
    assert key in DONE, key
    separator = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{separator}{urlencode({'done': key})}", status_code=303)


def done_message(t: Translator, request: Request) -> str | None:
    key = request.query_params.get("done")
    return t(key) if key in DONE else None


@dataclass(frozen=True)
class Listing:
    """One page of a long list, filtered by a part of the code."""

    rows: list
    query: str
    page: int
    pages: int
    total: int
    found: int


PAGE_ROWS = 50


def listing(request: Request, items: list) -> Listing:
    query = request.query_params.get("q", "").strip()[:40]
    found = [item for item in items if query.lower() in item.code.lower()]
    pages = max(1, -(-len(found) // PAGE_ROWS))
    try:
        page = min(max(1, int(request.query_params.get("page", "1"))), pages)
    except ValueError:
        page = 1
    return Listing(
        found[(page - 1) * PAGE_ROWS : page * PAGE_ROWS], query, page, pages, len(items), len(found)
    )


def in_compound_time(compound: Compound, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(compound.timezone))


def is_open(session: Session, compound: Compound, evening: date, now: datetime) -> bool:
    night = session.scalar(
        select(Night).where(Night.compound_id == compound.id, Night.evening == evening)
    )
    return now < cutoff_of(compound, evening) and (
        night is None or night.state == NightState.OPEN.value
    )


def next_open_evening(session: Session, compound: Compound, now: datetime) -> date | None:
    """The first evening, from the current one on, that still takes residents' requests."""
    first = current_evening(compound.timezone, now)
    return next(
        (
            first + timedelta(days=d)
            for d in range(LOOK_AHEAD_DAYS)
            if is_open(session, compound, first + timedelta(days=d), now)
        ),
        None,
    )


def evening_param(value: str | None, default: date) -> date:
    try:
        chosen = date.fromisoformat(value) if value else default
    except ValueError:
        return default
    return chosen if date(2000, 1, 1) <= chosen <= date(2099, 12, 31) else default


def error_lines(t: Translator, error: Exception, known: dict[int, str] | None = None) -> list[str]:
    """The service's refusal, in the reader's language: by the kind of conflict, by the field at
    fault, or by the status the caller knows the meaning of here (`known`: status -> message key)."""
    if isinstance(error, Conflict):
        key = f"error.{type(error).__name__}"
        return [t(key) if key in MESSAGES else t("error.generic", status=409, detail=str(error))]
    if isinstance(error, InvalidField):
        return [field_error(t, field_of([error.field]), str(error))]
    if isinstance(error, ValidationError):
        return [field_error(t, field_of(e["loc"]), e["msg"]) for e in error.errors()]
    if isinstance(error, HTTPException):
        if isinstance(error.detail, list):
            return [field_error(t, field_of(e["loc"]), e["msg"]) for e in error.detail]
        if known and error.status_code in known:
            return [t(known[error.status_code])]
        if error.status_code == 404:
            return [t("error.gone")]
        return [t("error.generic", status=error.status_code, detail=error.detail)]
    raise error


def field_of(location) -> str:
    # The last name in the location: ("body", "windows", 0) and ("body", "windows[0]") -> "windows".
    return next(
        (str(part).split("[", 1)[0] for part in reversed(location) if isinstance(part, str)), "-"
    )


def field_error(t: Translator, field: str, message: str) -> str:
    key = f"error.field.{field}"
    return t(key) if key in MESSAGES else t("error.field.generic", field=field, message=message)


REFUSALS = (Conflict, InvalidField, ValidationError, HTTPException)
