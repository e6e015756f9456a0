"""The delivery worker: claims due deliveries, sends them by e-mail (SMTP) or the compound's
webhook (a signed JSON POST), and records the outcome, with retries and back-off.

Claiming is one statement that marks a batch `sending` under a token of this worker until a
lease ends: on PostgreSQL the batch is chosen `FOR UPDATE SKIP LOCKED`, so workers never wait for
each other nor take the same row; on SQLite the statement runs under the database's single
writer lock, which gives the same. A delivery whose lease ran out (its worker died) is taken
again: sent twice only if the worker died between the send and its record, and then with the
same idempotency key (the e-mail's Message-ID, the webhook's `Idempotency-Key`), so that the
receiver can drop the copy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from service.actions.live import sweep_current_nights
from service.models import Compound, Delivery, DeliveryState, Household, Notification, as_utc
from service.notify.phrases import said
from service.settings import Settings

log = logging.getLogger(__name__)

LONGEST_WAIT = timedelta(hours=6)
"""Back-off doubles from one minute up to this."""


@dataclass(frozen=True)
class Channels:
    """Where messages go: the SMTP server and the webhook (None: that channel is off)."""

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "parking@localhost"
    webhook_url: str | None = None
    webhook_secret: str = ""

    @classmethod
    def of(cls, settings: Settings) -> Channels:
        return cls(
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            smtp_user=settings.smtp_user,
            smtp_password=settings.smtp_password,
            smtp_starttls=settings.smtp_starttls,
            mail_from=settings.mail_from,
            webhook_url=settings.webhook_url,
            webhook_secret=settings.webhook_secret,
        )


@dataclass(frozen=True)
class Outgoing:
    """One claimed delivery with what it needs to be sent."""

    delivery_id: int
    token: str  # this worker's claim: every later write to the row is made under it
    lease_ends: datetime
    channel: str
    chosen: bool  # the household still chooses this channel (it may have turned it off)
    attempts: int
    key: str
    kind: str
    params: dict[str, object]
    created_at: datetime
    compound_id: str
    timezone: str
    household: str | None
    email: str | None
    language: str
    quiet: tuple[str, str] | None


@dataclass
class Tally:
    """What one pass of the worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    dropped: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.deferred + self.dropped


class NotSent(Exception):
    """A delivery that did not go through; `final` when retrying cannot help."""

    def __init__(self, reason: str, *, final: bool = False) -> None:
        super().__init__(reason)
        self.final = final


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The webhook's `X-Parking-Signature`: HMAC-SHA256 of "<timestamp>.<body>" in hex."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def claim(
    sessions: sessionmaker[Session], *, now: datetime, batch: int, lease: timedelta
) -> list[Outgoing]:
    """Take up to `batch` due deliveries (pending and due, or sending with a lapsed lease) for
    this worker until `now + lease`."""
    token = uuid.uuid4().hex
    due = or_(
        and_(Delivery.state == DeliveryState.PENDING.value, Delivery.next_attempt_at <= now),
        and_(Delivery.state == DeliveryState.SENDING.value, Delivery.claimed_until < now),
    )
    with sessions.begin() as session:
        chosen = select(Delivery.id).where(due).order_by(Delivery.next_attempt_at, Delivery.id)
        chosen = chosen.limit(batch)
        if session.get_bind().dialect.name == "postgresql":
            chosen = chosen.with_for_update(skip_locked=True)
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(chosen), due)
            .values(
                state=DeliveryState.SENDING.value,
                claimed_by=token,
                claimed_until=now + lease,
                attempts=Delivery.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        rows = session.execute(
            select(Delivery, Notification, Compound, Household)
            .join(Notification, Delivery.notification_id == Notification.id)
            .join(Compound, Notification.compound_id == Compound.id)
            .outerjoin(Household, Notification.household_id == Household.id)
            .where(Delivery.claimed_by == token, Delivery.state == DeliveryState.SENDING.value)
            .order_by(Delivery.id)
        ).all()
        return [
            Outgoing(
                delivery_id=d.id,
                token=token,
                lease_ends=now + lease,
                channel=d.channel,
                chosen=h is None or (h.notify_email if d.channel == "email" else h.notify_webhook),
                attempts=d.attempts,
                key=n.key,
                kind=n.kind,
                params=n.params,
                created_at=as_utc(n.created_at),
                compound_id=c.id,
                timezone=c.timezone,
                household=h.code if h else None,
                email=h.email if h else None,
                language=h.notify_language if h else "zh",
                quiet=(h.quiet_from, h.quiet_until)
                if h and h.quiet_from and h.quiet_until
                else None,
            )
            for d, n, c, h in rows
        ]


def quiet_until(outgoing: Outgoing, now: datetime) -> datetime | None:
    """When the household's quiet hours end, if `now` falls inside them; else None."""
    if outgoing.quiet is None:
        return None
    zone = ZoneInfo(outgoing.timezone)
    local = now.astimezone(zone)
    start, end = (datetime.strptime(text, "%H:%M").time() for text in outgoing.quiet)
    clock = local.time()
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(UTC)


def _email(outgoing: Outgoing, channels: Channels) -> EmailMessage:
    words = said(outgoing.kind, dict(outgoing.params), outgoing.language)
    message = EmailMessage()
    message["Subject"] = words.title
    message["From"] = channels.mail_from
    message["To"] = outgoing.email or ""
    # The idempotency key: one event, one Message-ID, however often it is tried.
    message["Message-ID"] = make_msgid(
        idstring=outgoing.key.replace(":", "."), domain="parking.invalid"
    )
    message["X-Parking-Key"] = outgoing.key
    message.set_content(words.text + "\n")
    return message


def _webhook_body(outgoing: Outgoing) -> bytes:
    words = said(outgoing.kind, dict(outgoing.params), outgoing.language)
    return json.dumps(
        {
            "key": outgoing.key,
            "kind": outgoing.kind,
            "compound": outgoing.compound_id,
            "household": outgoing.household,
            "language": outgoing.language,
            "title": words.title,
            "text": words.text,
            "params": outgoing.params,
            "created_at": outgoing.created_at.isoformat(),
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode()


def post_webhook(outgoing: Outgoing, channels: Channels, now: datetime) -> None:
    if not channels.webhook_url:
        raise NotSent("the webhook is not configured (PARKING_WEBHOOK_URL)", final=True)
    body = _webhook_body(outgoing)
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(
        channels.webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": outgoing.key,
            "X-Parking-Timestamp": timestamp,
            "X-Parking-Signature": signature(channels.webhook_secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
    except urllib.error.HTTPError as error:
        # 4xx other than 408/429: the receiver refuses this message; trying again cannot help.
        final = 400 <= error.code < 500 and error.code not in (408, 429)
        raise NotSent(f"webhook answered {error.code}", final=final) from None
    except (urllib.error.URLError, OSError) as error:
        raise NotSent(f"webhook unreachable: {error}") from None


class Mailer:
    """One SMTP connection for a pass, opened at the first e-mail."""

    def __init__(self, channels: Channels, stack: ExitStack) -> None:
        self.channels = channels
        self.stack = stack
        self.smtp: smtplib.SMTP | None = None

    def send(self, outgoing: Outgoing) -> None:
        if not self.channels.smtp_host:
            raise NotSent("e-mail is not configured (PARKING_SMTP_HOST)", final=True)
        if not outgoing.email:
            raise NotSent("the household has no e-mail address", final=True)
        try:
            if self.smtp is None:
                smtp = smtplib.SMTP(self.channels.smtp_host, self.channels.smtp_port, timeout=10)
                self.smtp = self.stack.enter_context(smtp)
                if self.channels.smtp_starttls:
                    self.smtp.starttls()
                if self.channels.smtp_user:
                    self.smtp.login(self.channels.smtp_user, self.channels.smtp_password or "")
            self.smtp.send_message(_email(outgoing, self.channels))
        except smtplib.SMTPRecipientsRefused as error:
            raise NotSent(f"the SMTP server refused the address: {error}", final=True) from None
        except (smtplib.SMTPException, OSError) as error:
            self.smtp = None  # a broken connection is not reused
            raise NotSent(f"SMTP: {error}") from None


def _write(session: Session, outgoing: Outgoing, values: dict[str, object]) -> bool:
    """Write the delivery's outcome under this worker's claim; False when the claim was lost
    (its lease ran out and another worker took the row): that worker's word stands."""
    done = session.execute(
        update(Delivery)
        .where(Delivery.id == outgoing.delivery_id, Delivery.claimed_by == outgoing.token)
        .values(**values, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


def _record(
    session: Session, outgoing: Outgoing, now: datetime, max_attempts: int, error: NotSent | None
) -> str:
    values: dict[str, object]
    if error is None:
        values = {"state": DeliveryState.SENT.value, "sent_at": now, "last_error": None}
    elif error.final or outgoing.attempts >= max_attempts:
        values = {"state": DeliveryState.FAILED.value, "last_error": str(error)}
    else:
        wait = min(timedelta(minutes=2 ** (outgoing.attempts - 1)), LONGEST_WAIT)
        values = {
            "state": DeliveryState.PENDING.value,
            "next_attempt_at": now + wait,
            "last_error": str(error),
        }
    _write(session, outgoing, values)
    return str(values["state"])


def _put_back(sessions: sessionmaker[Session], outgoing: Outgoing, at: datetime) -> None:
    """Return an unsent delivery to the queue for `at`, without counting an attempt."""
    with sessions.begin() as session:
        _write(
            session,
            outgoing,
            {
                "state": DeliveryState.PENDING.value,
                "next_attempt_at": at,
                "attempts": Delivery.attempts - 1,
            },
        )


def _drop(sessions: sessionmaker[Session], outgoing: Outgoing, why: str) -> None:
    with sessions.begin() as session:
        _write(session, outgoing, {"state": DeliveryState.DROPPED.value, "last_error": why})


SEND_TIMEOUT = timedelta(seconds=10)
"""The longest one send may take (SMTP and webhook timeouts): no send starts later than this
before the claim's lease ends, so that no other worker can have taken the row meanwhile."""


def deliver_due(
    sessions: sessionmaker[Session],
    channels: Channels,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    batch: int = 200,
    lease: timedelta = timedelta(minutes=2),
    max_attempts: int = 8,
) -> Tally:
    """One pass: claim a batch, send each, record each outcome as soon as it is known."""
    tally = Tally()
    claimed = claim(sessions, now=now(), batch=batch, lease=lease)
    with ExitStack() as stack:
        mailer = Mailer(channels, stack)
        for position, outgoing in enumerate(claimed):
            moment = now()
            if moment + SEND_TIMEOUT + timedelta(seconds=5) >= outgoing.lease_ends:
                # The lease is nearly over: the rest go back, untried, for the next pass.
                for left in claimed[position:]:
                    _put_back(sessions, left, moment)
                break
            if not outgoing.chosen:
                _drop(sessions, outgoing, f"the household turned {outgoing.channel} off")
                tally.dropped += 1
                continue
            later = quiet_until(outgoing, moment)
            ends = outgoing.params.get("ends_at")
            if outgoing.kind == "leave_by" and isinstance(ends, str):
                stay_end = datetime.fromisoformat(ends)
                if (later or moment) >= stay_end:
                    _drop(sessions, outgoing, "the stay has ended")  # too late to remind
                    tally.dropped += 1
                    continue
            if later is not None:
                _put_back(sessions, outgoing, later)
                tally.deferred += 1
                continue
            error: NotSent | None = None
            try:
                if outgoing.channel == "email":
                    mailer.send(outgoing)
                else:
                    post_webhook(outgoing, channels, moment)
            except NotSent as refused:
                error = refused
            with sessions.begin() as session:
                state = _record(session, outgoing, now(), max_attempts, error)
            if state == DeliveryState.SENT.value:
                tally.sent += 1
            elif state == DeliveryState.FAILED.value:
                tally.failed += 1
                log.warning("delivery %d failed: %s", outgoing.delivery_id, error)
            else:
                tally.retried += 1
    if tally.handled:
        log.info(
            "notify sent=%d retried=%d failed=%d deferred=%d dropped=%d",
            tally.sent,
            tally.retried,
            tally.failed,
            tally.deferred,
            tally.dropped,
        )
    return tally


def run_worker(sessions: sessionmaker[Session], settings: Settings, stop: threading.Event) -> None:
    """Deliver until `stop` is set: straight on while there is work, else every interval. Each
    pass first moves the nights under way on (`service.actions.live.sweep_current_nights`: no-shows,
    offers not answered in time), since what that does is mostly notifications to send."""
    channels = Channels.of(settings)
    while not stop.is_set():
        try:
            with sessions() as session:
                sweep_current_nights(session, datetime.now(UTC))
        except Exception:  # the same: tried again at the next pass
            log.exception("the night clock's pass failed")
        try:
            tally = deliver_due(
                sessions,
                channels,
                batch=settings.notify_batch,
                lease=timedelta(seconds=settings.notify_lease_seconds),
                max_attempts=settings.notify_max_attempts,
            )
        except Exception:  # a database that is down now may be up at the next pass
            log.exception("the delivery worker's pass failed")
            tally = Tally()
        if tally.handled < settings.notify_batch:
            stop.wait(settings.notify_interval_seconds)
        else:
            time.sleep(0)
