"""What every page shares: rendering with the language and form token, which evening is meant,
and errors from the service in the reader's language."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import format_clock
from service.models import Compound, Night, NightState, Run
from service.nightly import Conflict, InvalidField, cutoff_of
from service.web.i18n import LANGUAGE_NAMES, MESSAGES, Translator

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["clock"] = format_clock
templates.env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
# A night's clock times are those of the evening and the next morning: this many days ahead.
LOOK_AHEAD_DAYS = 7


def render(request: Request, t: Translator, template: str, status_code: int = 200, **context: Any) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query and request.method == "GET" else "")
    context |= {"t": t, "here": here, "path": request.url.path, "form_token": getattr(request.state, "form_token", ""), "role": getattr(request.state, "role", None)}
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def done(url: str, key: str, **fields: str) -> RedirectResponse:
    """After a successful post, back to a page that says what happened (post, redirect, get)."""
    separator = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{separator}{urlencode({'done': key} | fields)}", status_code=303)


def done_message(t: Translator, request: Request) -> str | None:
    key = request.query_params.get("done")
    if key not in MESSAGES:
        return None
    fields = {name: value for name, value in request.query_params.items() if name != "done"}
    try:
        return t(key, **fields)
    except (KeyError, IndexError):
        return None


def local_now(compound: Compound, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(compound.timezone))


def current_evening(zone: str, now: datetime) -> date:
    """The night under way or ahead in time zone `zone`: before noon it is still last evening's
    night (cars parked until the morning), from noon on it is this evening's."""
    local = now.astimezone(ZoneInfo(zone))
    return local.date() - timedelta(days=1) if local.hour < 12 else local.date()


def is_open(session: Session, compound: Compound, evening: date, now: datetime) -> bool:
    night = session.scalar(select(Night).where(Night.compound_id == compound.id, Night.evening == evening))
    return now < cutoff_of(compound, evening) and (night is None or night.state == NightState.OPEN.value)


def next_open_evening(session: Session, compound: Compound, now: datetime) -> date | None:
    """The first evening, from the current one on, that still takes residents' requests."""
    first = current_evening(compound.timezone, now)
    return next((first + timedelta(days=d) for d in range(LOOK_AHEAD_DAYS) if is_open(session, compound, first + timedelta(days=d), now)), None)


def evening_param(value: str | None, default: date) -> date:
    try:
        chosen = date.fromisoformat(value) if value else default
    except ValueError:
        return default
    return chosen if date(2000, 1, 1) <= chosen <= date(2099, 12, 31) else default


def published_run(session: Session, compound_id: str, evening: date) -> Run | None:
    night = session.scalar(select(Night).where(Night.compound_id == compound_id, Night.evening == evening))
    return session.get(Run, night.published_run_id) if night is not None and night.published_run_id else None


def error_lines(t: Translator, error: Exception) -> list[str]:
    """The service's refusal, in the reader's language where the kind of refusal is known."""
    if isinstance(error, Conflict):
        key = f"error.{type(error).__name__}"
        return [t(key) if key in MESSAGES else t("error.generic", status=409, detail=str(error))]
    if isinstance(error, InvalidField):
        return [_field_error(t, error.field, str(error))]
    if isinstance(error, ValidationError):
        return [_field_error(t, ".".join(str(part) for part in e["loc"]) or "-", e["msg"]) for e in error.errors()]
    if isinstance(error, HTTPException):
        if isinstance(error.detail, list):
            return [_field_error(t, str(e["loc"][-1]), e["msg"]) for e in error.detail]
        return [t("error.generic", status=error.status_code, detail=error.detail)]
    raise error


def _field_error(t: Translator, field: str, message: str) -> str:
    key = f"error.field.{field}"
    return t(key) if key in MESSAGES else t("error.field.generic", field=field, message=message)


REFUSALS = (Conflict, InvalidField, ValidationError, HTTPException)
