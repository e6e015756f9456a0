"""Staff's work on a night: read it, run and publish it, pin, take requests at the desk, take back a
release, record the morning round; the gate list and the audit log.

Staff see only their own compound; every object is looked up within it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import format_clock, parse_clock
from service.actions import audit
from service.actions.allocation import (
    changes,
    publish,
    run_night,
)
from service.actions.calendar import StayHours, cutoff_of, stay_minutes
from service.actions.errors import Conflict, FieldProblem, InvalidField, InvalidInput, NotFound
from service.actions.live import StayState, close_open_offers, live_night
from service.actions.nights import (
    hold_compound,
    hold_unless_running,
    night_of,
    open_night,
    released_spaces,
    shown_state,
)
from service.actions.residents import commit_request, release_without
from service.csv_cells import inert_cell
from service.models import (
    Account,
    AuditEntry,
    Car,
    Compound,
    Household,
    Night,
    NightState,
    ParkingRequest,
    Release,
    Run,
    Space,
    StaffPin,
    as_utc,
)
from service.notify import outbox
from service.ordering import natural_key
from service.plates import canonical
from service.schemas import (
    AuditOut,
    NightOut,
    OverstaysIn,
    PinIn,
    PinOut,
    RunOut,
    UrgentRequestIn,
    WithdrawReleaseIn,
)
from service.security import masked_plate
from service.settings import Settings


def _run_out(run: Run | None) -> RunOut | None:
    if run is None:
        return None
    result = run.allocation
    return RunOut(
        id=run.id,
        started_at=as_utc(run.started_at),
        status=result.status,
        proven_optimal=result.proven_optimal,
        served_by_priority=result.served_by_priority,
        refused_by_priority=result.refused_by_priority,
        solve_seconds=result.solve_seconds,
    )


def _run(session: Session, run_id: int | None) -> Run | None:
    return session.get(Run, run_id) if run_id is not None else None


def night_out(session: Session, compound: Compound, night: Night, now: datetime) -> NightOut:
    """The night as staff see it: state, cutoff, counts, draft and published runs, pins, and what
    a pending re-optimisation changes."""
    requests = session.scalar(
        select(func.count()).select_from(ParkingRequest).where(ParkingRequest.night_id == night.id)
    )
    draft, published = _run(session, night.draft_run_id), _run(session, night.published_run_id)
    pending = draft is not None and published is not None and draft.id != published.id
    return NightOut(
        compound=compound.id,
        evening=night.evening,
        state=shown_state(compound, night, now).value,
        cutoff=cutoff_of(compound, night.evening).isoformat(timespec="minutes"),
        requests=requests or 0,
        draft=_run_out(draft),
        published=_run_out(published),
        overstays=night.overstays or [],
        pins=[
            PinOut(
                id=p.id,
                request_id=p.request_id,
                space=p.space_code,
                action=p.action,
                reason=p.reason,
            )
            for p in session.scalars(
                select(StaffPin).where(StaffPin.night_id == night.id).order_by(StaffPin.id)
            )
        ],
        changes=(
            changes(published.allocation, draft.allocation)
            if pending and draft is not None and published is not None
            else None
        ),
    )


def read_night(*, session: Session, compound: Compound, evening: date, now: datetime) -> NightOut:
    night = night_of(session, compound.id, evening)
    session.commit()
    return night_out(session, compound, night, now)


def run(
    *,
    sessions: sessionmaker[Session],
    session: Session,
    compound: Compound,
    evening: date,
    account: Account,
    settings: Settings,
    now: datetime,
    after_publishing: bool = False,
) -> NightOut:
    """Allocate the night as a draft (again, if need be); Conflict while another run of it is
    going on. `after_publishing`: re-optimise a published night, keeping every published
    assignment still possible; publish the draft to apply it."""
    run_night(
        sessions=sessions,
        compound_id=compound.id,
        evening=evening,
        account_id=account.id,
        time_limit=settings.solver_seconds,
        now=now,
        cutoff_grace=timedelta(seconds=settings.cutoff_grace_seconds),
        after_publishing=after_publishing,
    )
    session.expire_all()
    return night_out(session, compound, night_of(session, compound.id, evening), now)


def _night_request(session: Session, night: Night, request_id: int) -> ParkingRequest:
    parking_request = session.get(ParkingRequest, request_id)
    if parking_request is None or parking_request.night_id != night.id:
        raise NotFound(
            "no_such_request", f"no request {request_id} for the night of {night.evening}"
        )
    return parking_request


def add_pin(
    *,
    session: Session,
    compound: Compound,
    evening: date,
    body: PinIn,
    account: Account,
    now: datetime,
) -> NightOut:
    """Force or forbid a space for a request; takes effect at the next run."""
    night = open_night(session, compound.id, evening)
    _night_request(session, night, body.request_id)
    if (
        session.scalar(
            select(Space).where(Space.compound_id == compound.id, Space.code == body.space)
        )
        is None
    ):
        raise InvalidField("space", f"no space {body.space!r} in this compound")
    pinned = session.scalar(
        select(StaffPin).where(
            StaffPin.night_id == night.id,
            StaffPin.request_id == body.request_id,
            StaffPin.space_code == body.space,
        )
    )
    if pinned is not None:
        raise Conflict(
            "pin_exists",
            f"request {body.request_id} is already pinned to {body.space}; remove that pin first",
        )
    session.add(
        StaffPin(
            night_id=night.id,
            request_id=body.request_id,
            space_code=body.space,
            action=body.action,
            reason=body.reason,
            account_id=account.id,
            created_at=now,
        )
    )
    audit.record(
        session,
        **audit.by(compound, account, now),
        action=f"pin {body.action}",
        evening=evening,
        request=body.request_id,
        space=body.space,
        reason=body.reason,
    )
    session.commit()
    return night_out(session, compound, night, now)


def remove_pin(
    *,
    session: Session,
    compound: Compound,
    evening: date,
    pin_id: int,
    account: Account,
    now: datetime,
) -> NightOut:
    night = open_night(session, compound.id, evening)
    pin = session.get(StaffPin, pin_id)
    if pin is None or pin.night_id != night.id:
        raise NotFound("no_such_pin", f"no pin {pin_id} for the night of {evening}")
    session.delete(pin)
    audit.record(
        session, **audit.by(compound, account, now), action="unpin", evening=evening, pin=pin_id
    )
    session.commit()
    return night_out(session, compound, night, now)


def desk_car(*, session: Session, compound: Compound, household: str, plate: str) -> Car:
    """A car named as people give it at the desk: its household and plate, however the plate is
    spelt (沪a·12345 finds 沪A12345: stored plates are in normal form)."""
    car = session.scalar(
        select(Car)
        .join(Household, Car.household_id == Household.id)
        .where(
            Household.compound_id == compound.id,
            Household.code == household,
            Car.plate == canonical(plate),
        )
    )
    if car is None:
        raise NotFound("no_such_car", f"household {household!r} has no car {plate!r}")
    return car


def add_urgent_request(
    *,
    session: Session,
    compound: Compound,
    evening: date,
    body: UrgentRequestIn,
    account: Account,
    now: datetime,
) -> NightOut:
    """A request taken at the desk, at any time (an urgent case after the cutoff); re-run or
    re-optimise for it to count."""
    household = session.scalar(
        select(Household).where(
            Household.compound_id == compound.id, Household.code == body.household
        )
    )
    car = session.get(Car, body.car_id)
    if household is None or car is None or car.household_id != household.id:
        raise NotFound("no_such_car", f"no car {body.car_id} of household {body.household!r}")
    night = open_night(session, compound.id, evening)
    arrive, depart = stay_minutes(body.arrive, body.depart, evening)
    session.add(
        ParkingRequest(
            night_id=night.id,
            household_id=household.id,
            car_id=car.id,
            arrive=arrive,
            depart=depart,
            created_at=now,
        )
    )
    audit.record(
        session,
        **audit.by(compound, account, now),
        action="urgent request",
        evening=evening,
        household=body.household,
        plate=car.plate,
        reason=body.reason,
    )
    commit_request(session, False, car.plate, evening)
    return night_out(session, compound, night, now)


def withdraw_release(
    *,
    session: Session,
    compound: Compound,
    evening: date,
    body: WithdrawReleaseIn,
    account: Account,
    now: datetime,
) -> NightOut:
    """The renter needs the space back this evening after all (came home early): the space leaves
    the pool for this evening only; re-optimise to move whoever had it."""
    # The release may span other evenings, which are split off: hold them all.
    hold_compound(session, compound)
    night = open_night(session, compound.id, evening)
    space = session.scalar(
        select(Space).where(Space.compound_id == compound.id, Space.code == body.space)
    )
    releases = (
        session.scalars(
            select(Release).where(
                Release.space_id == space.id,
                Release.first_evening <= evening,
                Release.last_evening >= evening,
            )
        ).all()
        if space is not None
        else []
    )
    if not releases:
        raise NotFound("not_released", f"{body.space} is not released on the evening of {evening}")
    for release in releases:
        release_without(session, release, {evening})
    audit.record(
        session,
        **audit.by(compound, account, now),
        action="withdraw release",
        evening=evening,
        space=body.space,
        reason=body.reason,
    )
    session.commit()
    return night_out(session, compound, night, now)


def publish_night(
    *,
    session: Session,
    compound: Compound,
    evening: date,
    account: Account,
    now: datetime,
    reminder_minutes: int = outbox.REMINDER_MINUTES,
) -> NightOut:
    night = night_of(session, compound.id, evening)
    publish(
        session=session,
        night=night,
        account_id=account.id,
        now=now,
        reminder_minutes=reminder_minutes,
    )
    session.commit()
    return night_out(session, compound, night, now)


def record_overstays(
    *,
    session: Session,
    compound: Compound,
    evening: date,
    body: OverstaysIn,
    account: Account,
    now: datetime,
) -> NightOut:
    """The morning round: the spaces where a car stayed after its window. Their households get
    the plan's overstay penalty on the next nights; the night is closed."""
    night = hold_unless_running(session, night_of(session, compound.id, evening))
    if night.published_run_id is None:
        raise Conflict(
            "not_published", f"the night of {evening} is not published; there is nobody to record"
        )
    # Whoever holds each space as the night was lived: a car given it from the waiting list, not
    # the no-show it replaced; of several stays on a space, the last to end.
    lived = live_night(session, compound, night)
    household_on = {
        s.space: s.household
        for s in sorted(lived.stays if lived else (), key=lambda s: s.end)
        if s.standing and s.state is not StayState.OFFERED
    }
    unknown = [
        FieldProblem(("body", "spaces", position), f"no car was allocated to {space} that night")
        for position, space in enumerate(body.spaces)
        if space not in household_on
    ]
    if unknown:
        raise InvalidInput(unknown)
    opens = round_opens(
        compound, evening, gate_rows(session=session, compound=compound, evening=evening)
    )
    if opens is not None and now < opens:
        raise Conflict(
            "round_not_open",
            f"no stay of the night of {evening} has ended yet; the round opens at {opens:%H:%M}",
        )
    night.overstays = sorted({household_on[space] for space in body.spaces})
    night.state = NightState.CLOSED.value
    close_open_offers(session, night, now)  # the night is over: an answer can change nothing
    outbox.overstays_recorded(
        session,
        compound=compound,
        night_id=night.id,
        evening=evening,
        spaces_by_household={
            household: [space for space in body.spaces if household_on[space] == household]
            for household in night.overstays
        },
        now=now,
    )
    night.draft_run_id = (
        night.published_run_id
    )  # a pending re-optimisation is dropped with the night
    audit.record(
        session,
        **audit.by(compound, account, now),
        action="overstays",
        evening=evening,
        spaces=list(body.spaces),
    )
    session.commit()
    return night_out(session, compound, night, now)


def audit_log(*, session: Session, compound: Compound, limit: int) -> list[AuditOut]:
    """The compound's log, newest first: runs, publishing, pins, imports, cancellations, urgent
    requests, withdrawn releases, overstays, with who and why."""
    rows = session.execute(
        select(AuditEntry, Account.username)
        .outerjoin(Account, AuditEntry.account_id == Account.id)
        .where(AuditEntry.compound_id == compound.id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return [
        AuditOut(
            at=as_utc(entry.at),
            account=username,
            action=entry.action,
            detail=entry.detail,
            params=entry.params,
        )
        for entry, username in rows
    ]


@dataclass(frozen=True)
class GateRow(StayHours):
    """One car with a space on a published night, as the gate and the morning round read it."""

    space: str
    kind: str
    plate: str
    household: str
    start: datetime  # local, in the compound's time zone
    end: datetime
    phone: str = ""  # only when staff ask for phones (personal data)
    request_id: int = 0
    state: StayState = StayState.EXPECTED
    checked_in_at: datetime | None = None
    left_at: datetime | None = None
    charging: bool = False  # a charging session, not a parking stay


def gate_rows(
    *, session: Session, compound: Compound, evening: date, phones: bool = False
) -> list[GateRow] | None:
    """The published night as it stands, one row per car that holds a space (published, or given
    from the waiting list since; not those given back, no-shows or offers still unanswered), in
    the order of the spaces; None before publishing. `phones`: with the households' phone
    numbers (staff asked for them)."""
    live = live_night(session, compound, night_of(session, compound.id, evening))
    if live is None:
        return None
    phone_of = (
        dict(
            session.execute(
                select(Household.code, Household.phone).where(
                    Household.compound_id == compound.id, Household.phone.is_not(None)
                )
            ).all()
        )
        if phones
        else {}
    )
    return [
        GateRow(
            space=s.space,
            kind=s.kind,
            plate=s.plate,
            household=s.household,
            start=s.start,
            end=s.end,
            phone=phone_of.get(s.household) or "",
            request_id=s.request_id,
            state=s.state,
            checked_in_at=s.checked_in_at,
            left_at=s.checked_out_at,
            charging=s.charging,
        )
        for s in live.stays
        if s.standing and s.state is not StayState.OFFERED
    ]


@dataclass(frozen=True)
class MorningRound:
    """The morning round's walk: the ended stays grouped by kind of space (rented rows, the
    street), each group in the order of its spaces, and the counts at the top."""

    groups: list[tuple[str, list[GateRow]]]
    not_ended: int

    @property
    def left(self) -> int:
        return sum(1 for _, rows in self.groups for r in rows if r.state is StayState.LEFT)

    @property
    def to_check(self) -> int:
        return sum(len(rows) for _, rows in self.groups) - self.left


def morning_round(rows: list[GateRow], now: datetime) -> MorningRound:
    """Only stays that have ended can have overstayed; a car that said it left is shown as left
    (from its check-out), not to be ticked."""
    groups: dict[str, list[GateRow]] = {}
    for row in rows:
        if row.end <= now:
            groups.setdefault(row.kind, []).append(row)
    return MorningRound(
        groups=sorted(groups.items(), key=lambda group: natural_key(group[0])),
        not_ended=sum(1 for r in rows if r.end > now),
    )


def round_opens(compound: Compound, evening: date, rows: list[GateRow] | None) -> datetime | None:
    """When the morning round may be recorded: once the first stay has ended, since before that
    no car can have overstayed (and recording closes the night); with no stays, at noon the day
    after. None before publishing."""
    if rows is None:
        return None
    noon_after = datetime.combine(
        evening + timedelta(days=1), time(12), ZoneInfo(compound.timezone)
    )
    return min((r.end for r in rows), default=noon_after)


@dataclass(frozen=True)
class Refusal:
    """A refused request as the night page lists it: who, which car, the hours, why."""

    request: str
    household: str
    plate: str
    arrive: str
    depart: str
    reason: str
    message: str
    message_zh: str | None
    charging: bool = False  # a charging session, not a parking stay


@dataclass(frozen=True)
class Stay:
    plate: str
    household: str
    start: str
    end: str


@dataclass(frozen=True)
class NightRequest:
    """A request of the night, for the pin chooser: named by household and plate."""

    id: int
    household: str
    plate: str
    arrive: str
    depart: str


@dataclass(frozen=True)
class Board:
    """Everything the staff night page shows beside the night's figures."""

    night: NightOut
    cutoff: datetime
    spaces: list[Space]
    households: list[tuple[str, float, float]]
    renters: dict[int, str]
    shared: set[str]
    stays: dict[str, list[Stay]]
    refused: list[Refusal]
    requests: list[NightRequest]

    @property
    def released(self) -> int:
        return sum(1 for s in self.spaces if s.renter_id is not None and s.code in self.shared)

    @property
    def street(self) -> int:
        return sum(1 for s in self.spaces if s.renter_id is None)

    @property
    def pin_labels(self) -> dict[int, str]:
        return {r.id: f"{r.household} {r.plate}" for r in self.requests}


def _refusals(shown: Run | None) -> list[Refusal]:
    if shown is None:
        return []
    scenario, allocation = shown.scenario, shown.allocation
    asked = {r.id: r for r in scenario.requests}

    def clock(text: str) -> str:
        return format_clock(parse_clock(text, scenario.night))

    return [
        Refusal(
            request=u.request,
            household=asked[u.request].household,
            plate=asked[u.request].plate,
            arrive=clock(asked[u.request].arrive),
            depart=clock(asked[u.request].depart),
            reason=u.reason,
            message=u.message,
            message_zh=u.message_zh,
            charging=asked[u.request].charging,
        )
        for u in allocation.unassigned
    ]


def _stays(shown: Run | None) -> dict[str, list[Stay]]:
    stays: dict[str, list[Stay]] = {}
    if shown is None:
        return stays
    plates = {r.id: r.plate for r in shown.scenario.requests}
    for a in shown.allocation.assignments:
        stays.setdefault(a.space, []).append(
            Stay(plates[a.request], a.household, f"{a.start:%H:%M}", f"{a.end:%H:%M}")
        )
    return stays


def board(*, session: Session, compound: Compound, evening: date, now: datetime) -> Board:
    """The night page's data: the run staff are looking at (the draft under review, else what is
    published), the spaces in tonight's states, the refusals and the night's requests."""
    summary = read_night(session=session, compound=compound, evening=evening, now=now)
    night = night_of(session, compound.id, evening)
    spaces = list(
        session.scalars(select(Space).where(Space.compound_id == compound.id).order_by(Space.code))
    )
    released = released_spaces(session, compound.id, evening)
    shown = _run(session, night.draft_run_id or night.published_run_id)
    households = session.execute(
        select(Household.id, Household.code, Household.x, Household.y).where(
            Household.compound_id == compound.id
        )
    ).all()
    requests = session.execute(
        select(ParkingRequest, Car.plate, Household.code)
        .join(Car, ParkingRequest.car_id == Car.id)
        .join(Household, ParkingRequest.household_id == Household.id)
        .where(ParkingRequest.night_id == night.id)
        .order_by(Household.code)
    )
    result = Board(
        night=summary,
        cutoff=cutoff_of(compound, evening),
        spaces=spaces,
        households=[(code, x, y) for _, code, x, y in households],
        renters={id_: code for id_, code, _, _ in households},
        shared={s.code for s in spaces if s.renter_id is None or s.code in released},
        stays=_stays(shown),
        refused=_refusals(shown),
        requests=[
            NightRequest(r.id, code, plate, format_clock(r.arrive), format_clock(r.depart))
            for r, plate, code in requests
        ],
    )
    session.commit()
    return result


def gate_csv(
    rows: list[GateRow],
    header: list[str],
    kind: Callable[[str], str],
    masked: bool,
    phone_header: str | None = None,
) -> str:
    """The gate list as CSV: `header` and `kind` in the reader's words; plates masked for a list
    posted in public; a phone column under `phone_header` when given (never with `masked`).
    Every cell is inert (`inert_cell`): plates, codes and kinds come from residents and files."""
    if masked and phone_header is not None:
        raise InvalidField("phones", "a list posted in public holds no phone numbers")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    phones = phone_header is not None
    names = header + ([phone_header] if phone_header is not None else [])
    writer.writerow([inert_cell(name) for name in names])
    writer.writerows(
        [
            inert_cell(cell)
            for cell in (
                r.space,
                kind(r.kind),
                masked_plate(r.plate) if masked else r.plate,
                r.household,
                r.since,
                r.until,
                *([r.phone] if phones else []),
            )
        ]
        for r in rows
    )
    return buffer.getvalue()
