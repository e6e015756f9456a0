"""Pages for being told and being heard: the resident's inbox and how they want to be told, the
"my space is taken" report, and the staff's messages page (reports, writing to households, how
the deliveries are going). They call `service.actions.inbox`, as the API does."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from service.actions import inbox, residents
from service.actions.calendar import current_evening, in_compound_time
from service.deps import NowDep, PathId, SessionDep
from service.models import Compound, Household
from service.notify.phrases import said
from service.schemas import ContactIn, MessageIn, ReportCloseIn, ReportIn
from service.web.common import attempt, done, done_message, render
from service.web.i18n import Translator
from service.web.session import (
    PostedDep,
    ResidentDep,
    ResidentPostDep,
    StaffDep,
    StaffPostDep,
    TranslatorDep,
)

router = APIRouter(include_in_schema=False)


def _inbox_page(
    request: Request,
    t: Translator,
    session: Session,
    household: Household,
    now: datetime,
    errors: list[str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    compound = residents.compound_of(session, household)
    box = inbox.my_inbox(session=session, household=household, now=now)
    # Seen now: what was unread is marked so on this page, and read from here on.
    inbox.mark_read(session=session, household=household, now=now)
    request.state.unread = 0
    evening = current_evening(compound.timezone, now)
    return render(
        request,
        t,
        "inbox.html",
        status_code,
        notifications=[
            (n, said(n.kind, n.params, t.language), in_compound_time(compound, n.at))
            for n in box.notifications
        ],
        contact=inbox.my_contact(household=household),
        my_spaces=inbox.reportable_spaces(session=session, household=household, evening=evening),
        evening=evening,
        errors=errors or [],
        form=form or {},
        done=done_message(t, request),
    )


@router.get("/inbox")
def inbox_page(
    request: Request, t: TranslatorDep, session: SessionDep, household: ResidentDep, now: NowDep
) -> Response:
    return _inbox_page(request, t, session, household, now)


def _inbox_again(
    request: Request,
    t: Translator,
    session: Session,
    household: Household,
    now: datetime,
    form: dict[str, Any],
) -> Callable[[list[str], int], Response]:
    """The inbox page again with a refusal's reasons and what was typed."""
    return lambda errors, code: _inbox_page(request, t, session, household, now, errors, form, code)


@router.post("/inbox/contact")
def change_contact(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
    email: Annotated[str, Form(max_length=254)] = "",
    notify_email: Annotated[bool, Form()] = False,
    notify_webhook: Annotated[bool, Form()] = False,
    language: Annotated[str, Form(max_length=2)] = "zh",
    quiet_from: Annotated[str, Form(max_length=5)] = "",
    quiet_until: Annotated[str, Form(max_length=5)] = "",
    phone: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    form = {
        "email": email,
        "notify_email": notify_email,
        "notify_webhook": notify_webhook,
        "language": language,
        "quiet_from": quiet_from,
        "quiet_until": quiet_until,
        "phone": phone,
    }

    def change() -> object:
        body = ContactIn.model_validate(
            {name: (value if value != "" else None) for name, value in form.items()}
            | {"language": language}
        )
        return inbox.change_contact(session=session, household=household, body=body)

    refused = attempt(change, _inbox_again(request, t, session, household, now, form), session, t)
    return refused or done("/inbox", "contact.saved")


@router.post("/inbox/report")
def report_taken_space(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    household: ResidentPostDep,
    now: NowDep,
    space: Annotated[str, Form(max_length=40)],
    plate: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    form = {"space": space, "plate": plate, "note": note}
    evening = current_evening(residents.compound_of(session, household).timezone, now)

    def report() -> object:
        body = ReportIn.model_validate(form)
        return inbox.report_taken_space(
            session=session, household=household, evening=evening, body=body, now=now
        )

    refused = attempt(report, _inbox_again(request, t, session, household, now, form), session, t)
    return refused or done("/inbox", "report.sent")


def _messages_page(
    request: Request,
    t: Translator,
    session: Session,
    compound: Compound,
    now: datetime,
    errors: list[str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        t,
        "messages.html",
        status_code,
        reports=[
            (r, in_compound_time(compound, r.created_at))
            for r in inbox.reports(session=session, compound=compound)
        ],
        deliveries=inbox.deliveries(session=session, compound=compound),
        evening=current_evening(compound.timezone, now),
        errors=errors or [],
        form=form or {},
        done=done_message(t, request),
    )


@router.get("/staff/messages")
def messages_page(
    request: Request, t: TranslatorDep, session: SessionDep, compound: StaffDep, now: NowDep
) -> Response:
    return _messages_page(request, t, session, compound, now)


@router.post("/staff/messages")
def send_message(
    request: Request,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
    text: Annotated[str, Form(max_length=1000)],
    to: Annotated[str, Form(max_length=10)],
    household: Annotated[str, Form(max_length=40)] = "",
    evening: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    form = {"text": text, "to": to, "household": household, "evening": evening}

    def send() -> object:
        body = MessageIn.model_validate(
            {"text": text, "to": to}
            | ({"household": household} if to == "household" else {"evening": evening or None})
        )
        # A second press of the button (same form, same session) is the same message.
        key = hashlib.sha256(
            "\x1f".join([request.state.form_token, text, to, household, evening]).encode()
        ).hexdigest()[:40]
        return inbox.send_message(
            session=session, compound=compound, account=account, body=body, now=now, key=key
        )

    refused = attempt(
        send,
        lambda errors, code: _messages_page(request, t, session, compound, now, errors, form, code),
        session,
        t,
    )
    if refused:
        return refused
    return done("/staff/messages", "message.sent")


@router.post("/staff/reports/{report_id}/close")
def close_report(
    request: Request,
    report_id: PathId,
    t: TranslatorDep,
    session: SessionDep,
    compound: StaffPostDep,
    account: PostedDep,
    now: NowDep,
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    refused = attempt(
        lambda: inbox.close_report(
            session=session,
            compound=compound,
            account=account,
            report_id=report_id,
            body=ReportCloseIn.model_validate({"note": note}),
            now=now,
        ),
        lambda errors, code: _messages_page(request, t, session, compound, now, errors, None, code),
        session,
        t,
    )
    if refused:
        return refused
    return done("/staff/messages", "report.closed")
