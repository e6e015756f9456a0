"""A night's row and its state: made on first use, open until the cutoff, closed in the morning."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.actions.calendar import current_evening, cutoff_of
from service.actions.errors import Conflict
from service.actions.runlock import is_running
from service.models import Compound, Night, NightState, Release, Run, Space


def request_key(request_id: int) -> str:
    """A stored request's id in a night's scenario document and the engine's results: q12."""
    return f"q{request_id}"


def request_number(key: str) -> int:
    """The stored request a scenario's request id names (`request_key` read back)."""
    return int(key.removeprefix("q"))


def released_spaces(session: Session, compound_id: str, evening: date) -> set[str]:
    """Codes of the compound's rented spaces that a release covers on `evening`."""
    return set(
        session.scalars(
            select(Space.code)
            .join(Release, Release.space_id == Space.id)
            .where(
                Space.compound_id == compound_id,
                Release.first_evening <= evening,
                Release.last_evening >= evening,
            )
        )
    )


# How many evenings ahead the pages look for one still open to requests, or published early.
LOOK_AHEAD_DAYS = 7


def night_of(session: Session, compound_id: str, evening: date) -> Night:
    """The night's row, made on first use."""
    night = _stored_night(session, compound_id, evening)
    if night is None:
        # Many residents may open the same night at once: whoever comes second uses the first's row.
        try:
            with session.begin_nested():
                night = Night(compound_id=compound_id, evening=evening)
                session.add(night)
        except IntegrityError:
            night = _stored_night(session, compound_id, evening)
            assert night is not None, "the row that won the race is there"
    return night


def _stored_night(session: Session, compound_id: str, evening: date) -> Night | None:
    return session.scalar(
        select(Night).where(Night.compound_id == compound_id, Night.evening == evening)
    )


def hold_night(session: Session, night: Night, *, shared: bool = False) -> Night:
    """Lock the night's row until the caller's transaction ends, and read it afresh.

    A run takes its night by writing this row before it reads the night's requests, so a change
    made while holding the row either commits before the run reads (and is in its snapshot) or
    finds the night being allocated: the two can never miss each other. PostgreSQL locks the row:
    `shared` for a change that only reads the night (residents' requests, which then do not wait
    for each other), else exclusively; SQLite takes its one write lock for the transaction.
    """
    held = _held(session, Night.id == night.id, shared)
    assert held is night, "the held row is the night's, refreshed in place"
    return night


def _held(session: Session, which: ColumnElement[bool], shared: bool) -> Night | None:
    """The night matching `which`, locked and read afresh in one statement (None if none)."""
    fresh = {"populate_existing": True}
    if shared and session.get_bind().dialect.name == "postgresql":
        query = select(Night).where(which).with_for_update(read=True)
        return session.scalars(query, execution_options=fresh).first()
    touch = update(Night).where(which).values(state=Night.state).returning(Night)
    return session.scalars(touch, execution_options=fresh).first()


def held_night_of(session: Session, compound_id: str, evening: date, *, shared: bool) -> Night:
    """`night_of`, held (`hold_night`): one statement when the night's row exists."""
    night = _held(session, (Night.compound_id == compound_id) & (Night.evening == evening), shared)
    if night is None:
        night = hold_night(session, night_of(session, compound_id, evening), shared=shared)
    return night


def hold_compound(session: Session, compound: Compound) -> None:
    """Lock the compound's row until the caller's transaction ends: a change that touches several
    nights at once (a release over a range, a space's renter) and a run taking any of its nights
    (which holds this row too) go one after the other."""
    session.execute(update(Compound).where(Compound.id == compound.id).values(id=Compound.id))


def running(session: Session, night: Night) -> bool:
    """A run of the night is under way (a trace left by one that died, whose lock is free, is
    not; the next run clears it)."""
    return night.running_since is not None and is_running(session.connection(), night.id)


def hold_unless_running(session: Session, night: Night, *, shared: bool = False) -> Night:
    """`hold_night`, refusing with Conflict ``night_busy`` while a run of the night is under way."""
    hold_night(session, night, shared=shared)
    if running(session, night):
        raise _busy(night)
    return night


def _busy(night: Night) -> Conflict:
    return Conflict(
        "night_busy",
        f"the night of {night.evening} is being allocated right now; "
        "nothing about it can change until the run ends",
    )


def open_night(session: Session, compound_id: str, evening: date) -> Night:
    """The night, held (`hold_unless_running`) for a change by staff, unless its morning has
    been recorded (closed): then nothing about it changes."""
    night = hold_unless_running(session, night_of(session, compound_id, evening))
    if night.state == NightState.CLOSED.value:
        raise Conflict(
            "night_closed",
            f"the night of {evening} is closed (its overstays are recorded); "
            "nothing about it can change",
        )
    return night


def _closed(compound: Compound, evening: date) -> Conflict:
    return Conflict(
        "cutoff_passed",
        f"requests for the night of {evening} closed at {compound.cutoff} ({compound.timezone})",
    )


def before_cutoff(compound: Compound, evening: date, arrived: datetime) -> None:
    """Conflict ``cutoff_passed`` unless the change reached the service (`arrived`) before the
    evening's cutoff. Late is late whatever else is going on: checked before the night is held,
    no point in telling a late request to retry."""
    if arrived >= cutoff_of(compound, evening):
        raise _closed(compound, evening)


def held_open(session: Session, compound: Compound, evening: date) -> Night:
    """The night, held (shared with other residents' changes), if no run has started and it still
    takes requests; else Conflict ``night_busy`` or ``cutoff_passed``."""
    night = held_night_of(session, compound.id, evening, shared=True)
    if running(session, night):
        raise _busy(night)
    if night.state != NightState.OPEN.value:
        raise _closed(compound, evening)
    return night


def require_open(session: Session, compound: Compound, evening: date, arrived: datetime) -> Night:
    """The night, held, if residents may still change its requests: the change reached the
    service (`arrived`) before the cutoff (`before_cutoff`) and no run has started
    (`held_open`)."""
    before_cutoff(compound, evening, arrived)
    return held_open(session, compound, evening)


def settled_evenings(session: Session, compound: Compound, first: date, last: date) -> set[date]:
    """The evenings in [first, last] whose night is allocated or being allocated (a release
    cannot change there). Call it holding the compound (`hold_compound`)."""
    nights = session.scalars(
        select(Night).where(
            Night.compound_id == compound.id,
            Night.evening.between(first, last),
            or_(Night.draft_run_id.is_not(None), Night.running_since.is_not(None)),
        )
    ).all()
    return {n.evening for n in nights if n.draft_run_id is not None or running(session, n)}


def is_open(session: Session, compound: Compound, evening: date, now: datetime) -> bool:
    """Residents may still ask for (or change) this evening."""
    night = _stored_night(session, compound.id, evening)
    return now < cutoff_of(compound, evening) and (
        night is None or night.state == NightState.OPEN.value
    )


def next_open_evening(session: Session, compound: Compound, now: datetime) -> date | None:
    """The first evening, from the current one on, that still takes residents' requests."""
    first = current_evening(compound.timezone, now)
    evenings = (first + timedelta(days=d) for d in range(LOOK_AHEAD_DAYS))
    return next((e for e in evenings if is_open(session, compound, e, now)), None)


def shown_state(compound: Compound, night: Night, now: datetime) -> NightState:
    """The state as people see it: past the cutoff an open night is locked."""
    if night.state == NightState.OPEN.value and now >= cutoff_of(compound, night.evening):
        return NightState.LOCKED
    return NightState(night.state)


def published_run(session: Session, compound_id: str, evening: date) -> Run | None:
    """What residents see of the night: its published run, if any."""
    night = _stored_night(session, compound_id, evening)
    if night is None or night.published_run_id is None:
        return None
    return session.get(Run, night.published_run_id)


def published_runs(
    session: Session, compound_id: str, first: date, last: date
) -> list[tuple[date, Run]]:
    """The published nights from `first` to `last`, each with its run, in order of evening."""
    return list(
        session.execute(
            select(Night.evening, Run)
            .join(Run, Night.published_run_id == Run.id)
            .where(Night.compound_id == compound_id, Night.evening.between(first, last))
            .order_by(Night.evening)
        )
    )
