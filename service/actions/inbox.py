"""Being told and being heard: a household's inbox and how it wants to be told, "my space is taken"
reports, and staff's side of both (their inbox, the reports, messages to households, and how the
deliveries are going)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from service.actions import audit
from service.actions.errors import InvalidField, NotFound
from service.actions.nights import published_run
from service.models import (
    Account,
    Compound,
    Delivery,
    DeliveryState,
    Household,
    Notification,
    Space,
    SpaceReport,
    as_utc,
)
from service.notify import outbox
from service.notify.phrases import said
from service.ordering import natural_key
from service.plates import PlateError, normal_plate
from service.schemas import (
    ContactIn,
    ContactOut,
    DeliveriesOut,
    DeliveryCountOut,
    DeliveryFailureOut,
    InboxOut,
    MessageIn,
    MessageOut,
    NotificationOut,
    ReportCloseIn,
    ReportIn,
    ReportOut,
    SaidOut,
)
from service.security import masked_plate

INBOX_SIZE = 50


def masked_phone(phone: str | None) -> str | None:
    """13812345678 -> 138****5678: the household recognises its number, nobody can call it."""
    if not phone:
        return phone
    digits = [i for i, c in enumerate(phone) if c.isdigit()]
    hidden = set(digits[3:-4]) if len(digits) > 7 else set(digits[:-2])
    return "".join("*" if i in hidden else c for i, c in enumerate(phone))


def notification_out(notification: Notification) -> NotificationOut:
    zh = said(notification.kind, notification.params, "zh")
    en = said(notification.kind, notification.params, "en")
    return NotificationOut(
        id=notification.id,
        kind=notification.kind,
        at=as_utc(notification.due_at),
        read=notification.read_at is not None,
        zh=SaidOut(title=zh.title, text=zh.text),
        en=SaidOut(title=en.title, text=en.text),
        params=notification.params,
    )


def _inbox_of(
    household_id: int | None, compound_id: str, now: datetime
) -> tuple[ColumnElement[bool], ...]:
    owner = (
        Notification.household_id == household_id
        if household_id is not None
        else Notification.household_id.is_(None)
    )
    return (Notification.compound_id == compound_id, owner, Notification.due_at <= now)


def unread_count(session: Session, household: Household, now: datetime) -> int:
    """Messages due and not read: the number beside the inbox on every resident page."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                *_inbox_of(household.id, household.compound_id, now), Notification.read_at.is_(None)
            )
        )
        or 0
    )


def my_inbox(*, session: Session, household: Household, now: datetime) -> InboxOut:
    """The last messages that are due (a reminder appears at its time), newest first."""
    rows = session.scalars(
        select(Notification)
        .where(*_inbox_of(household.id, household.compound_id, now))
        .order_by(Notification.due_at.desc(), Notification.id.desc())
        .limit(INBOX_SIZE)
    ).all()
    return InboxOut(
        unread=unread_count(session, household, now),
        notifications=[notification_out(n) for n in rows],
    )


def mark_read(
    *, session: Session, household: Household, now: datetime, notification_id: int | None = None
) -> None:
    """Mark one message (or, with None, every due message) as read."""
    where = [*_inbox_of(household.id, household.compound_id, now), Notification.read_at.is_(None)]
    if notification_id is not None:
        notification = session.get(Notification, notification_id)
        if notification is None or notification.household_id != household.id:
            raise NotFound("no_such_notification", f"no message {notification_id} in your inbox")
        where.append(Notification.id == notification_id)
    session.execute(
        update(Notification)
        .where(*where)
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def _contact_out(household: Household) -> ContactOut:
    return ContactOut(
        email=household.email,
        notify_email=household.notify_email,
        notify_webhook=household.notify_webhook,
        language=household.notify_language,
        quiet_from=household.quiet_from,
        quiet_until=household.quiet_until,
        phone=household.phone,
    )


def my_contact(*, household: Household) -> ContactOut:
    """How the household is told, with its own phone number in full."""
    return _contact_out(household)


def change_contact(*, session: Session, household: Household, body: ContactIn) -> ContactOut:
    """Set how the household is told (the inbox always) and its phone number."""
    if body.notify_email and not body.email:
        raise InvalidField(
            "email", "give an e-mail address to be told by e-mail", code="email_needed"
        )
    if (body.quiet_from is None) != (body.quiet_until is None):
        field = "quiet_until" if body.quiet_until is None else "quiet_from"
        raise InvalidField(
            field, "give both ends of the quiet hours, or neither", code="quiet_both"
        )
    if body.quiet_from is not None and body.quiet_from == body.quiet_until:
        raise InvalidField(
            "quiet_until", "the quiet hours must end at another time", code="quiet_same"
        )
    household.email = body.email
    household.notify_email = body.notify_email
    household.notify_webhook = body.notify_webhook
    household.notify_language = body.language
    household.quiet_from, household.quiet_until = body.quiet_from, body.quiet_until
    household.phone = body.phone
    session.commit()
    return _contact_out(household)


def _stay_on(session: Session, compound_id: str, evening: date, space: str) -> str:
    """Tonight's published stay on `space`, for staff: household, plate and hours."""
    run = published_run(session, compound_id, evening)
    if run is None:
        return ""
    plates = {r.id: r.plate for r in run.scenario.requests}
    return "; ".join(
        f"{a.household} {plates.get(a.request, '')} {a.start:%H:%M}–{a.end:%H:%M}"
        for a in run.allocation.assignments
        if a.space == space
    )


def _report_out(report: SpaceReport, household: Household, stay: str, staff: bool) -> ReportOut:
    return ReportOut(
        id=report.id,
        evening=report.evening,
        space=report.space_code,
        plate=report.plate,
        note=report.note,
        household=household.code,
        phone=household.phone if staff else masked_phone(household.phone),
        stay=stay if staff else "",
        created_at=as_utc(report.created_at),
        closed_at=as_utc(report.closed_at) if report.closed_at else None,
        closing_note=report.closing_note,
    )


def reportable_spaces(*, session: Session, household: Household, evening: date) -> list[str]:
    """The spaces a household may report taken: those it rents, and its spaces that night."""
    rented = set(
        session.scalars(
            select(Space.code).where(
                Space.compound_id == household.compound_id, Space.renter_id == household.id
            )
        )
    )
    run = published_run(session, household.compound_id, evening)
    given = (
        {a.space for a in run.allocation.assignments if a.household == household.code}
        if run is not None
        else set()
    )
    return sorted(rented | given, key=natural_key)


def report_taken_space(
    *, session: Session, household: Household, evening: date, body: ReportIn, now: datetime
) -> ReportOut:
    """ "My space is taken": the household's rented space, or the space it was given tonight,
    has another car on it. Staff are told at once (their inbox and the compound's webhook)."""
    if body.space not in reportable_spaces(session=session, household=household, evening=evening):
        # As for any object of another household: as if it did not exist.
        raise NotFound(
            "not_your_space",
            f"{body.space} is neither your rented space nor your space on the night of {evening}",
        )
    same = session.scalar(
        select(SpaceReport).where(
            SpaceReport.household_id == household.id,
            SpaceReport.space_code == body.space,
            SpaceReport.evening == evening,
            SpaceReport.closed_at.is_(None),
        )
    )
    if same is not None:  # a second press of the button: staff already have it
        return _report_out(same, household, "", staff=False)
    plate = ""
    if body.plate.strip():
        try:
            plate = normal_plate(body.plate)
        except PlateError as error:
            raise InvalidField("plate", error.message, code=error.code) from None
    report = SpaceReport(
        compound_id=household.compound_id,
        household_id=household.id,
        evening=evening,
        space_code=body.space,
        plate=plate,
        note=body.note,
        created_at=now,
        closing_note="",
    )
    session.add(report)
    session.flush()
    stay = _stay_on(session, household.compound_id, evening, body.space)
    outbox.space_reported(
        session,
        compound=session.get_one(Compound, household.compound_id),
        report_id=report.id,
        evening=evening,
        household=household.code,
        space=body.space,
        plate=plate,
        stay=stay,
        note=body.note,
        phone=household.phone,
        now=now,
    )
    audit.record(
        session,
        compound_id=household.compound_id,
        account_id=None,
        at=now,
        action="space reported",
        household=household.code,
        space=body.space,
        plate=masked_plate(plate) if plate else "",
        evening=evening,
    )
    session.commit()
    return _report_out(report, household, "", staff=False)


def open_reports(session: Session, compound: Compound) -> int:
    """Reports of taken spaces staff have not closed: the number beside their messages page."""
    return (
        session.scalar(
            select(func.count())
            .select_from(SpaceReport)
            .where(SpaceReport.compound_id == compound.id, SpaceReport.closed_at.is_(None))
        )
        or 0
    )


def staff_inbox(*, session: Session, compound: Compound, now: datetime) -> list[NotificationOut]:
    """The compound's staff messages (reports of taken spaces), newest first."""
    rows = session.scalars(
        select(Notification)
        .where(*_inbox_of(None, compound.id, now))
        .order_by(Notification.due_at.desc(), Notification.id.desc())
        .limit(INBOX_SIZE)
    ).all()
    return [notification_out(n) for n in rows]


def reports(*, session: Session, compound: Compound, open_only: bool = False) -> list[ReportOut]:
    """The compound's reports of taken spaces, open first, newest first; phones in full."""
    query = (
        select(SpaceReport, Household)
        .join(Household, SpaceReport.household_id == Household.id)
        .where(SpaceReport.compound_id == compound.id)
    )
    if open_only:
        query = query.where(SpaceReport.closed_at.is_(None))
    rows = session.execute(
        query.order_by(SpaceReport.closed_at.is_not(None), SpaceReport.id.desc()).limit(200)
    ).all()
    return [
        _report_out(r, h, _stay_on(session, compound.id, r.evening, r.space_code), staff=True)
        for r, h in rows
    ]


def close_report(
    *,
    session: Session,
    compound: Compound,
    account: Account,
    report_id: int,
    body: ReportCloseIn,
    now: datetime,
) -> ReportOut:
    """Staff say how a report was dealt with; the audit log keeps it."""
    report = session.get(SpaceReport, report_id)
    if report is None or report.compound_id != compound.id:
        raise NotFound("no_such_report", f"no report {report_id} in compound {compound.id}")
    if report.closed_at is None:
        report.closed_at, report.closed_by, report.closing_note = now, account.id, body.note
        audit.record(
            session,
            **audit.by(compound, account, now),
            action="close report",
            report=report.id,
            space=report.space_code,
            note=body.note,
        )
        session.commit()
    household = session.get_one(Household, report.household_id)
    return _report_out(
        report, household, _stay_on(session, compound.id, report.evening, report.space_code), True
    )


def send_message(
    *,
    session: Session,
    compound: Compound,
    account: Account,
    body: MessageIn,
    now: datetime,
    key: str | None = None,
) -> MessageOut:
    """One message from staff to a household, or to everyone served or refused on an evening.
    `key` makes a retried send (the same key) write nothing more."""
    evening = body.evening
    if body.to == "household":
        if body.household is None:
            raise InvalidField(
                "household", "name the household to write to", code="household_needed"
            )
        household_id = session.scalar(
            select(Household.id).where(
                Household.compound_id == compound.id, Household.code == body.household
            )
        )
        if household_id is None:
            raise InvalidField(
                "household",
                f"no household {body.household} in {compound.id}",
                code="no_such_household",
            )
        ids = [household_id]
        said_to = body.household
        evening = None
    else:
        if evening is None:
            raise InvalidField(
                "evening",
                "name the evening whose served or refused to write to",
                code="evening_needed",
            )
        run = published_run(session, compound.id, evening)
        if run is None:
            raise InvalidField(
                "evening", f"the night of {evening} is not published", code="night_not_published"
            )
        served = {a.household for a in run.allocation.assignments}
        owners = {r.id: r.household for r in run.scenario.requests}
        codes = (
            served
            if body.to == "served"
            else {owners[u.request] for u in run.allocation.unassigned} - served
        )
        ids = list(
            session.scalars(
                select(Household.id).where(
                    Household.compound_id == compound.id, Household.code.in_(sorted(codes))
                )
            )
        )
        said_to = body.to
    written = outbox.message(
        session,
        compound=compound,
        household_ids=ids,
        text=body.text,
        key=key or uuid.uuid4().hex,
        evening=evening,
        now=now,
    )
    count = len(ids)
    if not written and ids:  # the same message, sent again with its key: already done
        session.rollback()
        return MessageOut(households=count)
    if evening is None:
        audit.record(
            session,
            **audit.by(compound, account, now),
            action="message",
            to=said_to,
            households=count,
        )
    else:
        audit.record(
            session,
            **audit.by(compound, account, now),
            action="message night",
            to=said_to,
            households=count,
            evening=evening,
        )
    session.commit()
    return MessageOut(households=count)


def deliveries(*, session: Session, compound: Compound) -> DeliveriesOut:
    """How the compound's e-mails and webhook calls are going: counts by channel and state, and
    the latest that failed or are being retried, with why."""
    counts = session.execute(
        select(Delivery.channel, Delivery.state, func.count())
        .where(Delivery.compound_id == compound.id)
        .group_by(Delivery.channel, Delivery.state)
        .order_by(Delivery.channel, Delivery.state)
    ).all()
    failures = session.execute(
        select(Delivery, Notification.kind, Household.code)
        .join(Notification, Delivery.notification_id == Notification.id)
        .outerjoin(Household, Notification.household_id == Household.id)
        .where(
            Delivery.compound_id == compound.id,
            Delivery.last_error.is_not(None),
            Delivery.state != DeliveryState.SENT.value,
        )
        .order_by(Delivery.id.desc())
        .limit(50)
    ).all()
    return DeliveriesOut(
        counts=[DeliveryCountOut(channel=c, state=s, count=n) for c, s, n in counts],
        failures=[
            DeliveryFailureOut(
                id=d.id,
                channel=d.channel,
                kind=kind,
                household=code,
                attempts=d.attempts,
                last_error=d.last_error,
            )
            for d, kind, code in failures
        ],
    )
