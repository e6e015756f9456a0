"""The stored world: compounds and what they hold, nights and their runs, accounts and the audit
log.

Times of a stay are night minutes, as in the engine (22:10 is 1330, 07:40 next morning 1900);
dates are the evening's date in the compound's time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from functools import cached_property
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from scenarios.schema import PolicyModel, ResultFile, ScenarioFile


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[Any]: JSON,
    }


class Role(str, Enum):
    STAFF = "staff"
    RESIDENT = "resident"


class DeliveryState(str, Enum):
    PENDING = "pending"  # waiting for its time (or its next attempt)
    SENDING = "sending"  # claimed by a worker until `claimed_until`
    SENT = "sent"
    FAILED = "failed"  # given up after the last attempt
    DROPPED = "dropped"  # no longer wanted: the channel turned off, a reminder past its stay


class NightState(str, Enum):
    OPEN = "open"  # residents submit, until the cutoff
    LOCKED = "locked"  # past the cutoff, nothing run yet
    ALLOCATED = "allocated"  # a draft run exists; staff review, pin, re-run
    PUBLISHED = "published"  # residents see it
    CLOSED = "closed"  # the morning after: overstays recorded


DEFAULT_TIMEZONE = "Asia/Shanghai"


def as_utc(moment: datetime) -> datetime:
    """A stored moment as an aware datetime: SQLite hands back naive ones; all stored are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Compound(Base):
    __tablename__ = "compounds"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(60), default=DEFAULT_TIMEZONE)
    cutoff: Mapped[str] = mapped_column(String(5), default="21:30")
    # The plan in force: a scenario file's `policy` block.
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Raised in the same transaction as any change to the plan or to a space (`_count_revisions`),
    # so that what is derived from them (the request form's check) is kept until it moves.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def plan(self) -> PolicyModel:
        """The plan in force, validated (with the engine's defaults for what it leaves out)."""
        return PolicyModel.model_validate(self.policy)


class Household(Base):
    __tablename__ = "households"
    __table_args__ = (UniqueConstraint("compound_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # building-flat, e.g. 12-302
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    has_space: Mapped[bool] = mapped_column(Boolean, default=False)
    # Personal data, optional: shown in full to the compound's staff only, masked elsewhere.
    phone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # How the household is told (see `service.notify`): the inbox always; e-mail to `email` and
    # the compound's webhook when chosen; nothing but the inbox during the quiet hours.
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    notify_email: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    notify_webhook: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    notify_language: Mapped[str] = mapped_column(String(2), default="zh", server_default="zh")
    quiet_from: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "23:00"
    quiet_until: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "07:00"


class Space(Base):
    __tablename__ = "spaces"
    __table_args__ = (UniqueConstraint("compound_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    size: Mapped[str] = mapped_column(String(10), default="standard")
    features: Mapped[list[str]] = mapped_column(JSON, default=list)
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    windows: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    renter_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id"), nullable=True, index=True
    )


class Car(Base):
    __tablename__ = "cars"
    __table_args__ = (UniqueConstraint("household_id", "plate"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    plate: Mapped[str] = mapped_column(String(20))
    size: Mapped[str] = mapped_column(String(10), default="standard")
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)


class Account(Base):
    __tablename__ = "accounts"
    # A counted failure has the moment the count began (see actions.accounts).
    __table_args__ = (
        CheckConstraint("failed_logins = 0 OR first_failure_at IS NOT NULL", name="failures_dated"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id"), nullable=True, unique=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    activation_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    # Loaded with the account when a token signs it in (actions.accounts.account_of_token).
    household: Mapped[Household | None] = relationship(lazy="raise")
    compound: Mapped[Compound] = relationship(lazy="raise")


class Token(Base):
    __tablename__ = "tokens"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the bearer token
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Night(Base):
    __tablename__ = "nights"
    __table_args__ = (UniqueConstraint("compound_id", "evening"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"), index=True)
    evening: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default=NightState.OPEN.value)
    draft_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("runs.id", use_alter=True, name="fk_nights_draft_run"), nullable=True
    )
    published_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("runs.id", use_alter=True, name="fk_nights_published_run"), nullable=True
    )
    # Set while a run is in progress (and left by one that died: see actions.runlock): changes to
    # the night are refused meanwhile. The run lock itself keeps a second run out.
    running_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Households whose car was still on a shared space after its window, recorded in the morning.
    overstays: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class ParkingRequest(Base):
    __tablename__ = "requests"
    __table_args__ = (UniqueConstraint("night_id", "car_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    night_id: Mapped[int] = mapped_column(ForeignKey("nights.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    car_id: Mapped[int] = mapped_column(ForeignKey("cars.id"))
    arrive: Mapped[int] = mapped_column(Integer)
    depart: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # What this stay needs (an EV charger tonight); None means the car's own needs.
    needs: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class StandingRequest(Base):
    """A request that repeats ("weekdays, 22:00-07:30"): it becomes the night's request for its car
    when the night is allocated, unless the household asked for that car that night already."""

    __tablename__ = "standing_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    car_id: Mapped[int] = mapped_column(ForeignKey("cars.id", ondelete="CASCADE"))
    weekdays: Mapped[list[Any]] = mapped_column(JSON)  # 0 = Monday evening ... 6 = Sunday evening
    arrive: Mapped[int] = mapped_column(Integer)
    depart: Mapped[int] = mapped_column(Integer)


class StaffPin(Base):
    """A staff decision for a night: this request must (force) or must not (forbid) use this
    space."""

    __tablename__ = "pins"
    __table_args__ = (UniqueConstraint("night_id", "request_id", "space_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    night_id: Mapped[int] = mapped_column(ForeignKey("nights.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    space_code: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(6))
    reason: Mapped[str] = mapped_column(String(500))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Release(Base):
    """A renter leaves the space free on every evening from `first_evening` to `last_evening`."""

    __tablename__ = "releases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"), index=True)
    first_evening: Mapped[date] = mapped_column(Date)
    last_evening: Mapped[date] = mapped_column(Date)


class Run(Base):
    """One allocation of a night: its exact input, the engine's result, and who ran it."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    night_id: Mapped[int] = mapped_column(ForeignKey("nights.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The scenario document the engine read: running it again gives the same allocation.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    engine_version: Mapped[str] = mapped_column(String(40))

    # A run is written once, so its typed views are read once per loaded row.
    @cached_property
    def allocation(self) -> ResultFile:
        """The engine's result as stored (rows from every earlier version of the service load)."""
        if self.result is None:
            raise ValueError(f"run {self.id} has no result")
        return ResultFile.model_validate(self.result)

    @cached_property
    def scenario(self) -> ScenarioFile:
        """The scenario document the engine read for this run."""
        return ScenarioFile.model_validate(self.snapshot)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    compound_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    action: Mapped[str] = mapped_column(String(60))
    # In English, for the API and for entries written before parameters were kept.
    detail: Mapped[str] = mapped_column(Text, default="")
    # What the detail was made of (evening, space, plate, reason, ...), for pages in either
    # language; None on entries older than migration 0009.
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Notification(Base):
    """One message to a household (the outbox, and the household's inbox): written in the same
    transaction as the event that causes it; `key` makes a second write of one event a no-op."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    compound_id: Mapped[str] = mapped_column(String(40), index=True)
    # None: to the compound's staff (their inbox, the staff e-mail, the webhook).
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    # What the text is made of (evening, space, hours, reason in both languages, ...): the text
    # is written in the reader's language when shown or sent.
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Shown and sent from then on (a leave-by reminder waits for its time).
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Delivery(Base):
    """A notification's delivery on one channel beyond the inbox (e-mail, webhook): at most one
    per channel; claimed by one worker at a time; retried with back-off."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),  # the worker's question
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    compound_id: Mapped[str] = mapped_column(String(40), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | webhook
    state: Mapped[str] = mapped_column(String(10), default="pending")  # see DeliveryState
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(60), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class SpaceReport(Base):
    """ "My space is taken": a resident reports a car on the space they should have tonight."""

    __tablename__ = "space_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    compound_id: Mapped[str] = mapped_column(String(40), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    evening: Mapped[date] = mapped_column(Date)
    space_code: Mapped[str] = mapped_column(String(40))
    plate: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    closing_note: Mapped[str] = mapped_column(Text, default="")


class ImportJob(Base):
    """A CSV import of households, done in the background: hashing each activation code takes
    a while, and the service must answer everyone else meanwhile."""

    __tablename__ = "import_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    filename: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(10))  # queued, running, done, failed
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    # The validated rows (HouseholdIn), until they are stored.
    rows: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    # The created households with their activation codes: kept until staff have read them once.
    codes: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Moved on by the worker as it goes; a job that has not moved for a while has lost it.
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@event.listens_for(Session, "before_flush")
def _count_revisions(session: Session, _context: object, _instances: object) -> None:
    """Raise the revision of every compound whose plan or spaces this flush changes."""
    changed: set[str] = set()
    for item in (*session.new, *session.dirty, *session.deleted):
        if isinstance(item, Space) and (
            item in session.new or item in session.deleted or session.is_modified(item)
        ):
            changed.add(item.compound_id)
        elif (
            isinstance(item, Compound)
            and item not in session.new
            and inspect(item).attrs.policy.history.has_changes()
        ):
            changed.add(item.id)
    for compound_id in sorted(changed):
        # An expression, not read-and-add: two changes at once both count.
        session.execute(
            update(Compound)
            .where(Compound.id == compound_id)
            .values(revision=Compound.revision + 1)
            .execution_options(synchronize_session=False)
        )
