"""A night's allocation: from the stored compound to the engine and back, as runs staff publish.

A run stores the exact scenario document the engine read (its snapshot), so running the snapshot
again reproduces the allocation. Two runs of one night at once are refused; publishing is one
transaction, so a crash during a run leaves the published allocation as it was.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from importlib.metadata import version
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine import solve
from engine.clock import parse_clock, to_datetime
from engine.eligibility import EligibilityTable
from engine.explain import unassigned_reasons
from engine.model import PinAction
from engine.phrases import CHINESE
from engine.result import Status
from scenarios.errors import ScenarioError
from scenarios.loader import parse_scenario
from scenarios.mapping import result_to_dict, to_instance
from service.models import (
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
    StandingRequest,
)


class Conflict(Exception):
    """The night is not in a state that allows this; the message says why, for a 409."""


class NightBusy(Conflict):
    """Another run of this night is in progress."""


class NothingToPublish(Conflict):
    pass


class NightPublished(Conflict):
    pass


class CutoffPassed(Conflict):
    pass


def cutoff_of(compound: Compound, evening: date) -> datetime:
    """When requests for the evening close, as an aware datetime in the compound's time zone."""
    return datetime.combine(
        evening, time.fromisoformat(compound.cutoff), ZoneInfo(compound.timezone)
    )


def current_evening(zone: str, now: datetime) -> date:
    """The night under way or ahead in time zone `zone`: before noon it is still last evening's
    night (cars parked until the morning), from noon on it is this evening's."""
    local = now.astimezone(ZoneInfo(zone))
    return local.date() - timedelta(days=1) if local.hour < 12 else local.date()


# Clock times read the same on any evening; for hours and standing requests, which have no date.
ANY_EVENING = date(2026, 1, 5)


def evenings_of(release: Release) -> list[date]:
    return [
        release.first_evening + timedelta(days=d)
        for d in range((release.last_evening - release.first_evening).days + 1)
    ]


def release_without(session: Session, release: Release, dropped: set[date]) -> list[Release]:
    """Replace a release by the ranges of its evenings not in `dropped` (in the caller's transaction)."""
    kept: list[Release] = []
    for evening in evenings_of(release):
        if evening in dropped:
            continue
        if kept and kept[-1].last_evening + timedelta(days=1) == evening:
            kept[-1].last_evening = evening
        else:
            kept.append(
                Release(space_id=release.space_id, first_evening=evening, last_evening=evening)
            )
    session.delete(release)
    session.add_all(kept)
    session.flush()
    return kept


def published_run(session: Session, compound_id: str, evening: date) -> Run | None:
    """What residents see of the night: its published run, if any."""
    night = session.scalar(
        select(Night).where(Night.compound_id == compound_id, Night.evening == evening)
    )
    return (
        session.get(Run, night.published_run_id)
        if night is not None and night.published_run_id
        else None
    )


def published_runs(
    session: Session, compound_id: str, first: date, last: date
) -> list[tuple[date, Run]]:
    """The published nights from `first` to `last`, each with its run, in order of evening."""
    return [
        (evening, run)
        for evening, run in session.execute(
            select(Night.evening, Run)
            .join(Run, Night.published_run_id == Run.id)
            .where(Night.compound_id == compound_id, Night.evening.between(first, last))
            .order_by(Night.evening)
        )
    ]


def require_open(session: Session, compound: Compound, evening: date, now: datetime) -> Night:
    """The night, if residents may still change its requests; CutoffPassed otherwise."""
    cutoff = cutoff_of(compound, evening)
    night = night_of(session, compound.id, evening)
    if now >= cutoff or night.state != NightState.OPEN.value:
        raise CutoffPassed(
            f"requests for the night of {evening} closed at {compound.cutoff} ({compound.timezone})"
        )
    return night


class InvalidField(ValueError):
    """A value that has the right type but cannot be used; the API answers 422 naming `field`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def stay_minutes(arrive: str, depart: str, evening: date) -> tuple[int, int]:
    """A stay given as clock times (before 12:00 is the next morning) in night minutes."""

    def minutes(text: str, field: str) -> int:
        try:
            return parse_clock(text, evening)
        except ValueError as error:
            raise InvalidField(field, str(error)) from None

    first, last = minutes(arrive, "arrive"), minutes(depart, "depart")
    if last <= first:
        raise InvalidField(
            "depart", f"{depart} is not after {arrive} (times before 12:00 are the next morning)"
        )
    return first, last


class NightClosed(Conflict):
    pass


class CarAlreadyAsked(Conflict):
    pass


def commit_request(session: Session, plate: str, evening: date) -> None:
    """Commit a new or changed request; the database's one-request-per-car-and-night rule decides
    a race between two at once, and the loser gets a conflict, not an error."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise CarAlreadyAsked(
            f"car {plate} already has a request for the night of {evening}; change or cancel that one"
        ) from None


class ReleaseOverlaps(Conflict):
    pass


class ReleaseStarted(Conflict):
    """Nothing of a release can be taken back: its evenings are past their cutoff or allocated."""


class NightAllocated(Conflict):
    """A release would cover a night that is already allocated."""


class NightUnusable(Conflict):
    """The stored compound or night does not make a valid scenario (e.g. a space with no hours)."""


def open_night(session: Session, compound_id: str, evening: date) -> Night:
    """The night, unless its morning has been recorded (closed): then nothing about it changes."""
    night = night_of(session, compound_id, evening)
    if night.state == NightState.CLOSED.value:
        raise NightClosed(
            f"the night of {evening} is closed (its overstays are recorded); nothing about it can change"
        )
    return night


def night_of(session: Session, compound_id: str, evening: date) -> Night:
    night = session.scalar(
        select(Night).where(Night.compound_id == compound_id, Night.evening == evening)
    )
    if night is None:
        # Many residents may open the same night at once: whoever comes second uses the first's row.
        try:
            with session.begin_nested():
                night = Night(compound_id=compound_id, evening=evening)
                session.add(night)
        except IntegrityError:
            night = session.scalar(
                select(Night).where(Night.compound_id == compound_id, Night.evening == evening)
            )
    return night


def night_document(
    session: Session, compound: Compound, night: Night, keep: dict[str, str] | None = None
) -> dict[str, Any]:
    """The night as a scenario file: the compound, tonight's releases, requests and staff pins, and
    history. `keep` (request id -> space) adds a FORCE pin for each pair still possible tonight."""
    households = session.scalars(
        select(Household).where(Household.compound_id == compound.id).order_by(Household.id)
    ).all()
    code_of = {h.id: h.code for h in households}
    spaces = session.scalars(
        select(Space).where(Space.compound_id == compound.id).order_by(Space.id)
    ).all()
    released = set(
        session.scalars(
            select(Release.space_id)
            .join(Space)
            .where(
                Space.compound_id == compound.id,
                Release.first_evening <= night.evening,
                Release.last_evening >= night.evening,
            )
        )
    )
    requests = session.execute(
        select(ParkingRequest, Car)
        .join(Car, ParkingRequest.car_id == Car.id)
        .where(ParkingRequest.night_id == night.id)
        .order_by(ParkingRequest.created_at, ParkingRequest.id)
    ).all()

    def moment(minutes: int) -> str:
        return to_datetime(night.evening, minutes).isoformat(timespec="minutes")

    pins = [
        {
            "request": f"q{p.request_id}",
            "space": p.space_code,
            "action": p.action,
            "reason": p.reason,
        }
        for p in session.scalars(
            select(StaffPin).where(StaffPin.night_id == night.id).order_by(StaffPin.id)
        )
    ]
    shared = {s.code for s in spaces if s.renter_id is None or s.id in released}
    present = {f"q{r.id}" for r, _ in requests}
    # Staff pins win: a request staff pinned either way, or a space staff forced, is not kept.
    staff_requests = {p["request"] for p in pins}
    staff_forced_spaces = {p["space"] for p in pins if p["action"] == PinAction.FORCE.value}
    pins += [
        {
            "request": request,
            "space": space,
            "action": PinAction.FORCE.value,
            "reason": "published before this change",
        }
        for request, space in sorted((keep or {}).items())
        if request in present
        and space in shared
        and request not in staff_requests
        and space not in staff_forced_spaces
    ]
    return {
        "name": f"{compound.name} — {night.evening.isoformat()}",
        "night": night.evening.isoformat(),
        "policy": compound.policy,
        "spaces": [
            {
                "id": s.code,
                "kind": s.kind,
                "size": s.size,
                "features": s.features,
                "x": s.x,
                "y": s.y,
            }
            | ({"windows": s.windows} if s.windows is not None else {})
            | (
                {"renter": code_of[s.renter_id], "released": s.id in released}
                if s.renter_id is not None
                else {}
            )
            for s in spaces
        ],
        "households": [
            {"id": h.code, "x": h.x, "y": h.y, "tags": h.tags, "has_space": h.has_space}
            for h in households
        ],
        "requests": [
            {
                "id": f"q{r.id}",
                "household": code_of[r.household_id],
                "plate": car.plate,
                "arrive": moment(r.arrive),
                "depart": moment(r.depart),
                "size": car.size,
                "needs": car.needs if r.needs is None else r.needs,
            }
            for r, car in requests
        ],
        "history": _history(session, compound, night),
        "pins": pins,
    }


def _history(session: Session, compound: Compound, night: Night) -> list[dict[str, Any]]:
    """Refusals in the published nights of the fairness window, last night's spaces, and the
    overstays recorded in the mornings of the penalty's window."""
    window = int(compound.policy.get("fairness", {}).get("window_nights", 14))
    penalty = int(compound.policy.get("overstay_penalty", {}).get("nights", 0))
    earlier = session.execute(
        select(Night, Run)
        .join(Run, Night.published_run_id == Run.id)
        .where(
            Night.compound_id == compound.id,
            Night.evening < night.evening,
            Night.evening >= night.evening - timedelta(days=max(window, penalty, 1)),
        )
    ).all()
    refused: dict[str, list[str]] = {}
    last_space: dict[str, str] = {}
    overstayed: dict[str, list[str]] = {}
    for past, run in earlier:
        for household in past.overstays or ():
            overstayed.setdefault(household, []).append(past.evening.isoformat())
        # Assignments name their household; refusals only their request.
        households = {r["id"]: r["household"] for r in run.snapshot["requests"]}
        served = {a["household"] for a in run.result["assignments"]}
        for household in sorted(
            {households[u["request"]] for u in run.result["unassigned"]} - served
        ):
            refused.setdefault(household, []).append(past.evening.isoformat())
        if past.evening == night.evening - timedelta(days=1):
            for assignment in run.result["assignments"]:
                last_space.setdefault(assignment["household"], assignment["space"])
    return [
        {"household": h}
        | ({"refused": sorted(refused[h])} if h in refused else {})
        | ({"last_space": last_space[h]} if h in last_space else {})
        | ({"overstayed": sorted(overstayed[h])} if h in overstayed else {})
        for h in sorted(set(refused) | set(last_space) | set(overstayed))
    ]


def _add_standing_requests(
    session: Session, compound: Compound, night: Night, now: datetime
) -> None:
    """Standing requests for this evening's weekday become the night's requests, for every car the
    household has not asked for itself."""
    asked = set(
        session.scalars(select(ParkingRequest.car_id).where(ParkingRequest.night_id == night.id))
    )
    standing = session.scalars(
        select(StandingRequest)
        .join(Household, StandingRequest.household_id == Household.id)
        .where(Household.compound_id == compound.id)
        .order_by(StandingRequest.id)
    )
    for repeat in standing:
        if night.evening.weekday() in repeat.weekdays and repeat.car_id not in asked:
            asked.add(repeat.car_id)
            session.add(
                ParkingRequest(
                    night_id=night.id,
                    household_id=repeat.household_id,
                    car_id=repeat.car_id,
                    arrive=repeat.arrive,
                    depart=repeat.depart,
                    created_at=now,
                )
            )
    session.flush()


def allocate(document: dict[str, Any], time_limit: float) -> dict[str, Any]:
    """The engine's result (as the JSON result of `parking allocate`) for a scenario document, each
    refusal's sentence also in Chinese (`message_zh`) for the residents' pages."""
    instance = to_instance(parse_scenario(document, "night snapshot"), "night snapshot")
    result = solve(instance, time_limit=time_limit)
    stored = result_to_dict(instance, result)
    if result.status is not Status.INFEASIBLE and result.unassigned:
        chinese = {
            u.request: u.message
            for u in unassigned_reasons(
                instance, EligibilityTable(instance), list(result.assignments), CHINESE
            )
        }
        for refusal in stored["unassigned"]:
            refusal["message_zh"] = chinese[refusal["request"]]
    return stored


def run_night(
    sessions: sessionmaker[Session],
    compound_id: str,
    evening: date,
    account_id: int | None,
    time_limit: float,
    stale_after: timedelta = timedelta(minutes=10),
    after_publishing: bool = False,
) -> Run:
    """Allocate the night as a draft run. NightBusy if another run of it is in progress (a run
    holding the night longer than `stale_after` is taken to have died). Once the night is
    published, only `after_publishing` runs are allowed: they keep every published assignment
    that is still possible (FORCE pins), so a late change moves as few cars as it can."""
    now = datetime.now(UTC)
    keep: dict[str, str] | None = None
    with sessions.begin() as session:
        night = night_of(session, compound_id, evening)
        if (
            night.state == NightState.CLOSED.value
            or (night.state == NightState.PUBLISHED.value) != after_publishing
        ):
            raise NightPublished(
                f"the night of {evening} is {night.state}; "
                + (
                    "re-optimise it to change the published allocation"
                    if night.state == NightState.PUBLISHED.value
                    else "nothing is published to keep"
                )
            )
        if after_publishing:
            keep = {
                a["request"]: a["space"]
                for a in session.get(Run, night.published_run_id).result["assignments"]
            }
        night_id = night.id
    with sessions.begin() as session:
        # One atomic UPDATE takes the night, on SQLite and PostgreSQL alike.
        taken = session.execute(
            update(Night)
            .where(
                Night.id == night_id,
                or_(Night.running_since.is_(None), Night.running_since < now - stale_after),
            )
            .values(running_since=now)
        ).rowcount
    if not taken:
        raise NightBusy(
            f"the night of {evening} is being allocated right now; try again in a minute"
        )
    try:
        with sessions.begin() as session:
            compound = session.get(Compound, compound_id)
            night = session.get(Night, night_id)
            _add_standing_requests(session, compound, night, now)
            document = night_document(session, compound, night, keep)
        try:
            result = allocate(document, time_limit)
        except ScenarioError as error:
            raise NightUnusable(
                f"the night cannot be allocated as stored: {'; '.join(f'{path}: {message}' if path else message for path, message in error.problems)}"
            ) from None
        with sessions.begin() as session:
            run = Run(
                night_id=night_id,
                account_id=account_id,
                started_at=now,
                finished_at=datetime.now(UTC),
                snapshot=document,
                result=result,
                engine_version=version("parking-allocation"),
            )
            session.add(run)
            session.flush()
            night = session.get(Night, night_id)
            night.draft_run_id = run.id
            if not after_publishing:
                night.state = NightState.ALLOCATED.value
            night.running_since = None
            session.add(
                AuditEntry(
                    at=run.finished_at,
                    account_id=account_id,
                    compound_id=compound_id,
                    action="run",
                    detail=f"night {evening}: run {run.id}, {result['status']}",
                )
            )
        return run
    except BaseException:
        with sessions.begin() as session:
            session.execute(update(Night).where(Night.id == night_id).values(running_since=None))
        raise


def publish(session: Session, night: Night, account_id: int | None) -> Run:
    """The draft becomes what residents see, in the caller's transaction."""
    if night.state == NightState.CLOSED.value:
        raise NightClosed(
            f"the night of {night.evening} is closed (its overstays are recorded); its allocation stands"
        )
    if night.draft_run_id is None or night.draft_run_id == night.published_run_id:
        raise NothingToPublish(
            f"the night of {night.evening} has no new allocation to publish; run it first"
        )
    draft = session.get(Run, night.draft_run_id)
    if draft.result["status"] == Status.INFEASIBLE.value:
        raise NothingToPublish(
            f"the draft cannot be published: {draft.result['message']}; remove a pin and run again"
        )
    night.published_run_id = night.draft_run_id
    night.state = NightState.PUBLISHED.value
    session.add(
        AuditEntry(
            at=datetime.now(UTC),
            account_id=account_id,
            compound_id=night.compound_id,
            action="publish",
            detail=f"night {night.evening}: run {night.draft_run_id}",
        )
    )
    return draft


def changes(before: Run, after: Run) -> dict[str, list[dict[str, str]]]:
    """Who a new allocation moves, newly serves, and no longer serves, compared with `before`."""
    old = {a["request"]: a for a in before.result["assignments"]}
    new = {a["request"]: a for a in after.result["assignments"]}
    return {
        "moved": [
            {
                "request": r,
                "household": new[r]["household"],
                "from": old[r]["space"],
                "to": new[r]["space"],
            }
            for r in sorted(old.keys() & new.keys())
            if old[r]["space"] != new[r]["space"]
        ],
        "newly_served": [
            {"request": r, "household": new[r]["household"], "to": new[r]["space"]}
            for r in sorted(new.keys() - old.keys())
        ],
        "no_longer_served": [
            {"request": r, "household": old[r]["household"], "from": old[r]["space"]}
            for r in sorted(old.keys() - new.keys())
        ],
    }
