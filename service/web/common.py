"""What every page shares: rendering with the language and form token, which evening is meant,
and errors from the service in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Generic, Protocol, TypeVar
from urllib.parse import urlencode, urlsplit

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BeforeValidator, ValidationError
from sqlalchemy.orm import Session

from engine.clock import format_clock
from scenarios.schema import PolicyModel
from service.actions.calendar import FIRST_EVENING, LAST_EVENING
from service.actions.errors import DomainError, FieldProblem, InvalidInput, NotFound, field_name
from service.schemas import plain_date
from service.statuses import status_of
from service.web.i18n import LANGUAGE_NAMES, MESSAGES, Translator

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["clock"] = format_clock
templates.env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES


def refusal_key(reason: str, charging: bool) -> str:
    """The words for a refusal's reason; a charging session's cap is said as sessions."""
    charging_cap = charging and reason == "household_cap"
    return f"refused.reason.{reason}{'_charging' if charging_cap else ''}"


templates.env.globals["refusal_key"] = refusal_key
# An evening typed into a form: the same years the API takes, written YYYY-MM-DD as there.
FormEvening = Annotated[date, Form(ge=FIRST_EVENING, le=LAST_EVENING), BeforeValidator(plain_date)]
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


# No framing (clickjacking); scripts and styles from this site only (inline style attributes size
# the maps).
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
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
        "unread": getattr(request.state, "unread", 0),
        "open_reports": getattr(request.state, "open_reports", 0),
    }
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


# What a successful post may announce on the page it leads to. The line takes nothing else from
# the address, so that a link cannot put words of its own on the site.
DONE = {
    "release.tonight_saved",
    "scan.checked_in",
    "scan.left_saved",
    "gate.checked_in_saved",
    "gate.no_show_saved",
    "gate.unauthorised_saved",
    "offer.taken",
    "offer.passed",
    "stay.given_back",
    "request.saved",
    "charge.saved",
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
    "contact.saved",
    "report.sent",
    "report.closed",
    "message.sent",
    "urgent.saved",
    "withdraw.saved",
    "cars.saved",
    "release.taken_back",
    "ballot.voted",
    "ballot.created",
    "ballot.closed",
    "ballot.adopted",
}


def done(url: str, key: str) -> RedirectResponse:
    """After a successful post, back to a page that says what happened (post, redirect, get)."""
    assert key in DONE, key
    separator = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{separator}{urlencode({'done': key})}", status_code=303)


def done_message(t: Translator, request: Request) -> str | None:
    key = request.query_params.get("done")
    return t(key) if key in DONE else None


class HasCode(Protocol):
    @property
    def code(self) -> str: ...


Row = TypeVar("Row", bound=HasCode)


@dataclass(frozen=True)
class Listing(Generic[Row]):
    """One page of a long list, filtered by a part of the code."""

    rows: list[Row]
    query: str
    page: int
    pages: int
    total: int
    found: int


PAGE_ROWS = 50


def listing(request: Request, items: list[Row]) -> Listing[Row]:
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


def evening_param(value: str | None, default: date) -> date:
    try:
        chosen = date.fromisoformat(value) if value else default
    except ValueError:
        return default
    return chosen if FIRST_EVENING <= chosen <= LAST_EVENING else default


def error_lines(t: Translator, error: DomainError | ValidationError) -> list[str]:
    """A refusal in the reader's language: by the code the application layer gives it, or field
    by field for values that cannot be used (the English message when no text says it here)."""
    if isinstance(error, ValidationError):
        return [field_error(t, field_name(e["loc"]), e["msg"]) for e in error.errors()]
    if isinstance(error, InvalidInput):
        return [problem_line(t, problem) for problem in error.problems]
    key = f"error.{error.code}"
    if key in MESSAGES:
        return [t(key)]
    # Whatever is not there any more reads the same: cancelled, removed, or never one's own.
    return [
        t("error.gone") if isinstance(error, NotFound) else t("error.generic", detail=error.message)
    ]


def problem_line(t: Translator, problem: FieldProblem) -> str:
    """One bad value: by the problem's own code where it has a text, else by its field."""
    key = f"error.{problem.code}"
    return (
        t(key)
        if problem.code and key in MESSAGES
        else field_error(t, problem.field, problem.message)
    )


def field_error(t: Translator, field: str, message: str) -> str:
    key = f"error.field.{field}"
    return t(key) if key in MESSAGES else t("error.field.generic", field=field, message=message)


# What a page catches from the actions it calls: the rules' refusals and bad form values.
REFUSALS = (DomainError, ValidationError)


def attempt(
    change: Callable[[], object],
    page: Callable[[list[str], int], Response],
    session: Session,
    t: Translator,
) -> Response | None:
    """Make the change; on a refusal, the page again with the reason (and nothing stored)."""
    try:
        change()
    except REFUSALS as error:
        session.rollback()
        return page(error_lines(t, error), status_of(error))
    return None


def level_labels(t: Translator, plan: PolicyModel) -> dict[int, str]:
    """Each priority level of a plan (the one in use for the night shown) in words: its rules'
    labels, "other requests" for the default level, "after an overstay" for the penalty's."""
    said: dict[int, list[str]] = {}
    for rule in plan.priority_rules:
        label = rule.label_zh if t.language == "zh" and rule.label_zh else rule.label
        if label:
            said.setdefault(rule.priority, []).append(label)
    said.setdefault(plan.default_priority, []).append(t("night.level_default"))
    if plan.overstay_penalty.nights:
        said.setdefault(plan.overstay_penalty.priority, []).append(t("night.level_penalty"))
    return {level: t.listing(labels) for level, labels in said.items()}
