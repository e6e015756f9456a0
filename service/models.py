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
    false,
    inspect,
    update,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    relationship,
)

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
    # The flat's floor area in m² (专有部分面积), which ballots count; None when not recorded.
    floor_area: Mapped[float | None] = mapped_column(Float, nullable=True)


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
    # One stay and one charging session per car and night.
    __table_args__ = (
        UniqueConstraint("night_id", "car_id", "charging", name="uq_requests_night_car_charging"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    night_id: Mapped[int] = mapped_column(ForeignKey("nights.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    car_id: Mapped[int] = mapped_column(ForeignKey("cars.id"))
    arrive: Mapped[int] = mapped_column(Integer)
    depart: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # What this stay needs (an EV charger tonight); None means the car's own needs.
    needs: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # A charging session at a charge point (its needs include ev_charger), not a parking stay.
    charging: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


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


class Job(Base):
    """Work done in the background, beside the requests: a CSV import of households (hashing each
    activation code takes a while) or a ballot's simulations. One worker thread runs them in turn
    (`service.actions.jobs`)."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))  # households (an import), simulation
    # What staff know it by: the imported file's name, the ballot's question.
    label: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(10))  # queued, running, done, failed
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    # The job's input until it is done (an import's validated rows; a simulation's ballot).
    payload: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    # What it made, kept until read (an import's households with their activation codes).
    output: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Moved on by the worker as it goes; a job that has not moved for a while has lost it.
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CompoundPolicy(Base):
    """A plan adopted for a compound from an evening on: nights from `first_evening` read it, the
    nights before keep the plan in force before it (`Compound.policy` before any adoption)."""

    __tablename__ = "compound_policies"
    __table_args__ = (UniqueConstraint("compound_id", "first_evening"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"), index=True)
    first_evening: Mapped[date] = mapped_column(Date)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The ballot that decided it (None for a plan set otherwise), who adopted it and when.
    ballot_id: Mapped[int | None] = mapped_column(
        ForeignKey("ballots.id"), nullable=True, unique=True
    )
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    adopted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    @property
    def plan(self) -> PolicyModel:
        return PolicyModel.model_validate(self.policy)


class BallotRule(str, Enum):
    # 民法典第278条: two thirds of the area and of the households take part, then ...
    MAJORITY = "majority"  # ... more than half of the participating area and households approve
    COMMON_PARTS = "common_parts"  # ... at least three quarters of both (use of common parts)


class Ballot(Base):
    """A question put to every household of a compound, with 2-5 options.

    Who voted (`BallotTurnout`) and what was chosen (`BallotVote`) are kept apart: a choice is
    found by a keyed hash of the household that only the service's key can make, and that link
    is erased when the ballot is counted (docs/ballots.md)."""

    __tablename__ = "ballots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    compound_id: Mapped[str] = mapped_column(ForeignKey("compounds.id"), index=True)
    question: Mapped[str] = mapped_column(String(500))
    rule: Mapped[str] = mapped_column(String(20))
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Who may vote, fixed when the ballot is made: [[household id, floor area or null], ...].
    roll: Mapped[list[Any]] = mapped_column(JSON)
    # The simulation: its seed and size, the job that runs it, the figures once done.
    seed: Mapped[int] = mapped_column(Integer)
    nights: Mapped[int] = mapped_column(Integer)
    seeds: Mapped[int] = mapped_column(Integer)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"), nullable=True)
    simulation: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set when it is counted (staff close it, or the first look after its closing time): the
    # tally is then stored and nothing of the ballot changes any more.
    counted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    tally: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class BallotOption(Base):
    __tablename__ = "ballot_options"
    __table_args__ = (UniqueConstraint("ballot_id", "position"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0, 1, ... as shown
    label: Mapped[str] = mapped_column(String(200))
    label_zh: Mapped[str] = mapped_column(String(200))
    # A plan file's document (name, policy, pools); None for "none of these" (the rules stay).
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class BallotTurnout(Base):
    """That a household voted, and how (online or on paper): never what it chose."""

    __tablename__ = "ballot_turnout"
    __table_args__ = (UniqueConstraint("ballot_id", "household_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    channel: Mapped[str] = mapped_column(String(10))  # online, paper
    # Staff who entered a paper vote.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)


class BallotVote(Base):
    """What was chosen, under the household's receipt code, without who chose it: no household,
    no time, no order (the receipt, random, is the key). `voter` is the keyed hash that lets the
    service find the household's vote to change it while the ballot is open; it is erased when
    the ballot is counted."""

    __tablename__ = "ballot_votes"
    __table_args__ = (UniqueConstraint("ballot_id", "voter"),)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id"), primary_key=True)
    receipt: Mapped[str] = mapped_column(String(20), primary_key=True)
    voter: Mapped[str | None] = mapped_column(String(64), nullable=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("ballot_options.id"))


class _OneRowPerRequest:
    """What the published night's live rows share (migration 0013): at most one row per request
    of a night, naming the space it is about."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint]:
        return (UniqueConstraint("night_id", "request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    night_id: Mapped[int] = mapped_column(ForeignKey("nights.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    space_code: Mapped[str] = mapped_column(String(40))


class CheckIn(_OneRowPerRequest, Base):
    """A car arrived on its space tonight (scanned the space's code, or staff at the gate), and
    when it left, if it said so. The morning round reads these; so do overstays and the
    simulator's calibration (docs/live-night.md)."""

    __tablename__ = "checkins"
    checked_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    via: Mapped[str] = mapped_column(String(10))  # code (the resident scanned it) | gate (staff)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)


class VacancyReason(str, Enum):
    NO_SHOW = "no_show"  # not checked in by the policy's time after its arrival
    CANCELLED = "cancelled"  # the household gave the space back


class Vacancy(_OneRowPerRequest, Base):
    """A stay of a published night that no longer stands: its space went to the waiting list."""

    __tablename__ = "vacancies"
    reason: Mapped[str] = mapped_column(String(12))  # see VacancyReason
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)


class OfferState(str, Enum):
    OPEN = "open"  # waiting for the household's answer until expires_at
    ACCEPTED = "accepted"
    GIVEN = "given"  # the plan asks no answer (offer_minutes 0): the space is theirs
    PASSED = "passed"  # the household let it pass on
    EXPIRED = "expired"  # no answer in time: it passed on


class Offer(_OneRowPerRequest, Base):
    """A freed space offered to a request on the waiting list, at most once per request."""

    __tablename__ = "offers"
    state: Mapped[str] = mapped_column(String(10))  # see OfferState
    offered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@event.listens_for(Session, "before_flush")
def _count_revisions(session: Session, _context: object, _instances: object) -> None:
    """Raise the revision of every compound whose plan or spaces this flush changes."""
    changed: set[str] = set()
    for item in (*session.new, *session.dirty, *session.deleted):
        if isinstance(item, Space) and (
            item in session.new or item in session.deleted or session.is_modified(item)
        ):
            changed.add(item.compound_id)
        elif isinstance(item, CompoundPolicy) and item in session.new:
            changed.add(item.compound_id)  # a plan adopted from an evening on
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
