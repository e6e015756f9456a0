"""A night's allocation: from the stored compound to the engine and back, as runs staff publish.

A run stores the exact scenario document the engine read (its snapshot), so running the snapshot
again reproduces the allocation. Two runs of one night at once are refused; publishing is one
transaction, so a crash during a run leaves the published allocation as it was.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from importlib.metadata import version
from typing import Any, Protocol

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine import solve
from engine.clock import to_datetime
from engine.eligibility import EligibilityTable
from engine.explain import unassigned_reasons
from engine.fit import check_fit
from engine.model import PinAction
from engine.phrases import CHINESE
from engine.result import Reason, Status
from scenarios.errors import ScenarioError
from scenarios.loader import parse_scenario
from scenarios.mapping import result_file, to_instance
from scenarios.schema import NearestRecord, ResultFile
from service.actions import audit
from service.actions.calendar import cutoff_of, in_compound_time
from service.actions.errors import Conflict
from service.actions.live import StayState, live_night
from service.actions.nights import (
    hold_compound,
    hold_night,
    hold_unless_running,
    night_of,
    released_spaces,
    request_key,
)
from service.actions.policies import plan_in_force, policy_in_force
from service.actions.runlock import holding
from service.models import (
    Car,
    Compound,
    Household,
    Night,
    NightState,
    ParkingRequest,
    Run,
    Space,
    StaffPin,
    StandingRequest,
    Vacancy,
)
from service.notify import outbox
from service.schemas import Change, ChangesOut

log = logging.getLogger(__name__)


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
    released = released_spaces(session, compound.id, night.evening)
    requests = session.execute(
        select(ParkingRequest, Car)
        .join(Car, ParkingRequest.car_id == Car.id)
        .where(
            ParkingRequest.night_id == night.id,
            # A no-show or a stay given back after publishing is not allocated again.
            ~exists().where(Vacancy.request_id == ParkingRequest.id),
        )
        .order_by(ParkingRequest.created_at, ParkingRequest.id)
    ).all()

    def moment(minutes: int) -> str:
        return to_datetime(night.evening, minutes).isoformat(timespec="minutes")

    pins = [
        {
            "request": request_key(p.request_id),
            "space": p.space_code,
            "action": p.action,
            "reason": p.reason,
        }
        for p in session.scalars(
            select(StaffPin).where(StaffPin.night_id == night.id).order_by(StaffPin.id)
        )
    ]
    shared = {s.code for s in spaces if s.renter_id is None or s.code in released}
    present = {request_key(r.id) for r, _ in requests}
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
        "policy": policy_in_force(session, compound, night.evening),
        "spaces": space_entries(spaces, code_of, released),
        "households": [
            {"id": h.code, "x": h.x, "y": h.y, "tags": h.tags, "has_space": h.has_space}
            for h in households
        ],
        "requests": [
            {
                "id": request_key(r.id),
                "household": code_of[r.household_id],
                "plate": car.plate,
                "arrive": moment(r.arrive),
                "depart": moment(r.depart),
                "size": car.size,
                "needs": car.needs if r.needs is None else r.needs,
            }
            # Said only of a session, so that a night without one is stored as before 0014.
            | ({"charging": True} if r.charging else {})
            for r, car in requests
        ],
        "history": _history(session, compound, night),
        "pins": pins,
    }


class SpaceColumns(Protocol):
    """What a scenario file says of a space: a `Space`, or a row of these columns."""

    id: int
    code: str
    kind: str
    size: str
    features: list[str]
    x: float
    y: float
    windows: list[str] | None
    renter_id: int | None


def space_entries(
    spaces: Sequence[SpaceColumns], code_of: dict[int, str] | None, released: set[str]
) -> list[dict[str, Any]]:
    """The spaces as a scenario file has them; `code_of` names at least every renter (None: the
    renters are left out, and every space is as if in the pool)."""
    return [
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
            {"renter": code_of[s.renter_id], "released": s.code in released}
            if s.renter_id is not None and code_of is not None
            else {}
        )
        for s in spaces
    ]


def site_document(session: Session, compound: Compound, evening: date) -> dict[str, Any]:
    """The compound as a scenario file for the plan simulator: its plan for `evening`, spaces
    (none released: the simulator draws who is away), households with their cars; no requests."""
    households = session.scalars(
        select(Household).where(Household.compound_id == compound.id).order_by(Household.id)
    ).all()
    code_of = {h.id: h.code for h in households}
    cars: dict[int, list[dict[str, Any]]] = {}
    for car in session.scalars(
        select(Car).join(Household).where(Household.compound_id == compound.id).order_by(Car.id)
    ):
        cars.setdefault(car.household_id, []).append(
            {"plate": car.plate, "size": car.size, "needs": car.needs}
        )
    spaces = session.scalars(
        select(Space).where(Space.compound_id == compound.id).order_by(Space.id)
    ).all()
    return {
        "name": compound.name,
        "night": evening.isoformat(),
        "policy": policy_in_force(session, compound, evening),
        # None released: the simulator draws who is away.
        "spaces": space_entries(spaces, code_of, set()),
        "households": [
            {
                "id": h.code,
                "x": h.x,
                "y": h.y,
                "tags": h.tags,
                "has_space": h.has_space,
                "cars": cars.get(h.id, []),
            }
            for h in households
        ],
    }


def _history(session: Session, compound: Compound, night: Night) -> list[dict[str, Any]]:
    """Refusals in the published nights of the fairness window, last night's spaces, and the
    overstays recorded in the mornings of the penalty's window."""
    plan = plan_in_force(session, compound, night.evening)
    reach = max(plan.fairness.window_nights, plan.overstay_penalty.nights, 1)
    refused: dict[str, list[str]] = {}
    last_space: dict[str, str] = {}
    overstayed: dict[str, list[str]] = {}
    no_shows: dict[str, list[str]] = {}
    for past, run in session.execute(
        select(Night, Run)
        .join(Run, Night.published_run_id == Run.id)
        .where(
            Night.compound_id == compound.id,
            Night.evening < night.evening,
            Night.evening >= night.evening - timedelta(days=reach),
        )
    ):
        evening = past.evening.isoformat()
        for household in past.overstays or ():
            overstayed.setdefault(household, []).append(evening)
        # As the night was lived: given a space from the waiting list is served; a stay given
        # back or not used is not a refusal (a no-show is counted apart, for the plan's forfeit).
        lived = live_night(session, compound, past)
        stays = lived.stays if lived is not None else []
        held = [s for s in stays if s.standing and s.state is not StayState.OFFERED]
        # A refusal of a kind (parking, charging) whose own stay was given back is not one.
        vacated = {(s.household, s.charging) for s in stays if not s.standing}
        for household in sorted({s.household for s in stays if s.state is StayState.NO_SHOW}):
            no_shows.setdefault(household, []).append(evening)
        # Assignments name their household; refusals only their request.
        asked = {r.id: (r.household, r.charging) for r in run.scenario.requests}
        for household in sorted(
            {
                asked[u.request][0]
                for u in run.allocation.unassigned
                if asked[u.request] not in vacated
            }
            - {s.household for s in held}
        ):
            refused.setdefault(household, []).append(evening)
        if past.evening == night.evening - timedelta(days=1):
            # Stability keeps a car on its parking space; a charger is not one to return to.
            for stay in held:
                if not stay.charging:
                    last_space.setdefault(stay.household, stay.space)
    return [
        {"household": h}
        | ({"refused": sorted(refused[h])} if h in refused else {})
        | ({"last_space": last_space[h]} if h in last_space else {})
        | ({"overstayed": sorted(overstayed[h])} if h in overstayed else {})
        | ({"no_shows": sorted(no_shows[h])} if h in no_shows else {})
        for h in sorted(set(refused) | set(last_space) | set(overstayed) | set(no_shows))
    ]


def _add_standing_requests(
    session: Session, compound: Compound, night: Night, now: datetime
) -> None:
    """Standing requests for this evening's weekday become the night's requests, for every car the
    household has not asked a parking stay for itself (a charging session is not one)."""
    asked = set(
        session.scalars(
            select(ParkingRequest.car_id).where(
                ParkingRequest.night_id == night.id, ParkingRequest.charging.is_(False)
            )
        )
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


def allocate(document: dict[str, Any], time_limit: float) -> ResultFile:
    """The engine's result (as the JSON result of `parking allocate`) for a scenario document, each
    refusal's sentence also in Chinese (`message_zh`) for the residents' pages."""
    instance = to_instance(parse_scenario(document, "night snapshot"), "night snapshot")
    result = solve(instance, time_limit=time_limit)
    stored = result_file(instance, result)
    for refusal in stored.unassigned:
        if refusal.reason == Reason.NO_SPACE_FITS.value:
            # What would have worked: the nearest hours some space of that night's pool takes.
            nearest = check_fit(
                instance, instance.request_by_id[refusal.request], released_later=False
            ).nearest
            if nearest is not None:
                refusal.nearest = NearestRecord(
                    kind=nearest.kind,
                    arrive=to_datetime(instance.night, nearest.arrive),
                    depart=to_datetime(instance.night, nearest.depart),
                )
    if result.status is not Status.INFEASIBLE and result.unassigned:
        table = EligibilityTable(instance)
        chinese = {
            u.request: u.message
            for u in unassigned_reasons(instance, table, list(result.assignments), CHINESE)
        }
        for refusal in stored.unassigned:
            refusal.message_zh = chinese[refusal.request]
    return stored


def run_night(
    *,
    sessions: sessionmaker[Session],
    compound_id: str,
    evening: date,
    account_id: int | None,
    time_limit: float,
    now: datetime,
    cutoff_grace: timedelta = timedelta(0),
    after_publishing: bool = False,
) -> Run:
    """Allocate the night as a draft run.

    Conflict ``night_busy`` while another run of it holds its lock (a crashed run's lock is
    released with it). An open night runs before its cutoff (closing requests early, as staff
    may) or once `cutoff_grace` has passed after it, never in between: a request that reached
    the server before the cutoff is still being taken then (Conflict ``cutoff_grace``). Once the
    night is published, only `after_publishing` runs are allowed: they keep every published
    assignment that is still possible (FORCE pins), so a late change moves as few cars as it
    can. The run's own transactions come from `sessions`: the engine works outside any of them.
    """
    started = time.monotonic()
    engine = sessions.kw["bind"]
    with sessions.begin() as session:
        night = night_of(session, compound_id, evening)
        night_id = night.id
    with holding(engine, night_id) as taken:
        if not taken:
            raise Conflict(
                "night_busy",
                f"the night of {evening} is being allocated right now; try again in a minute",
            )
        with sessions.begin() as session:
            compound = session.get_one(Compound, compound_id)
            hold_compound(session, compound)
            night = hold_night(session, session.get_one(Night, night_id))
            keep = _allowed_run(session, compound, night, now, cutoff_grace, after_publishing)
            # Committed before the snapshot is read: from here on, a change to the night
            # (nights.hold_unless_running) or to several of the compound's nights (a release,
            # nights.settled_evenings) finds it running and is refused.
            night.running_since = now
        try:
            run = _run_and_store(
                sessions, compound_id, night_id, account_id, time_limit, now, keep, after_publishing
            )
        except BaseException:
            with sessions.begin() as session:
                session.execute(
                    update(Night).where(Night.id == night_id).values(running_since=None)
                )
            raise
    finished = now + timedelta(seconds=time.monotonic() - started)
    log.info(
        "run compound=%s evening=%s run=%d status=%s served=%s refused=%s seconds=%.3f",
        compound_id,
        evening,
        run.id,
        run.allocation.status,
        "/".join(map(str, run.allocation.served_by_priority.values())),
        "/".join(map(str, run.allocation.refused_by_priority.values())),
        (finished - now).total_seconds(),
    )
    return run


def _allowed_run(
    session: Session,
    compound: Compound,
    night: Night,
    now: datetime,
    cutoff_grace: timedelta,
    after_publishing: bool,
) -> dict[str, str] | None:
    """The published assignments to keep (re-optimising), once the night may be run now."""
    if night.state == NightState.CLOSED.value:
        raise Conflict(
            "night_closed",
            f"the night of {night.evening} is closed (its overstays are recorded); "
            "its allocation stands",
        )
    published = night.state == NightState.PUBLISHED.value
    if published and not after_publishing:
        raise Conflict(
            "night_published",
            f"the night of {night.evening} is published; "
            "re-optimise it to change the published allocation",
        )
    if after_publishing and not published:
        raise Conflict(
            "nothing_published",
            f"the night of {night.evening} is not published: there is nothing to keep; run it",
        )
    cutoff = cutoff_of(compound, night.evening)
    if night.state == NightState.OPEN.value and cutoff <= now < cutoff + cutoff_grace:
        raise Conflict(
            "cutoff_grace",
            f"requests that reached the service before the cutoff are still being taken; "
            f"run the night of {night.evening} from {cutoff + cutoff_grace:%H:%M:%S} "
            f"({compound.timezone})",
        )
    if after_publishing:
        # As the night is lived: stays given from the waiting list (or offered) are kept too;
        # a no-show or a stay given back is not brought back.
        lived = live_night(session, compound, night)
        return lived.kept() if lived is not None else {}
    return None


def _run_and_store(
    sessions: sessionmaker[Session],
    compound_id: str,
    night_id: int,
    account_id: int | None,
    time_limit: float,
    now: datetime,
    keep: dict[str, str] | None,
    after_publishing: bool,
) -> Run:
    started = time.monotonic()
    with sessions.begin() as session:
        compound = session.get_one(Compound, compound_id)
        # One consistent read: whoever changes the compound's spaces or releases waits.
        hold_compound(session, compound)
        night = session.get_one(Night, night_id)
        _add_standing_requests(session, compound, night, now)
        document = night_document(session, compound, night, keep)
    try:
        result = allocate(document, time_limit)
    except ScenarioError as error:
        said = "; ".join(f"{path}: {text}" if path else text for path, text in error.problems)
        raise Conflict(
            "night_unusable", f"the night cannot be allocated as stored: {said}"
        ) from None
    # On the clock given: when the run was asked for, plus how long it took.
    finished_at = now + timedelta(seconds=time.monotonic() - started)
    with sessions.begin() as session:
        compound = session.get_one(Compound, compound_id)
        run = Run(
            night_id=night_id,
            account_id=account_id,
            started_at=now,
            finished_at=finished_at,
            snapshot=document,
            result=result.model_dump(mode="json", exclude_none=True),
            engine_version=version("parking-allocation"),
        )
        session.add(run)
        session.flush()
        night = session.get_one(Night, night_id)
        night.draft_run_id = run.id
        if night.state == NightState.OPEN.value and now < cutoff_of(compound, night.evening):
            # Run before its cutoff: requests closed early; whoever asked is told.
            outbox.closed_early(
                session,
                compound=compound,
                night_id=night_id,
                evening=night.evening,
                household_ids=session.scalars(
                    select(ParkingRequest.household_id).where(ParkingRequest.night_id == night_id)
                ),
                at=in_compound_time(compound, now),
                now=now,
            )
        if not after_publishing:
            night.state = NightState.ALLOCATED.value
        night.running_since = None
        audit.record(
            session,
            compound_id=compound_id,
            account_id=account_id,
            at=finished_at,
            action="run",
            evening=night.evening,
            run=run.id,
            status=result.status,
        )
    return run


def published_allocation(session: Session, night: Night) -> ResultFile:
    """The published run's result; the caller knows the night is published."""
    if night.published_run_id is None:
        raise Conflict("not_published", f"the night of {night.evening} is not published yet")
    return session.get_one(Run, night.published_run_id).allocation


def publish(
    *,
    session: Session,
    night: Night,
    account_id: int | None,
    now: datetime,
    reminder_minutes: int = outbox.REMINDER_MINUTES,
) -> Run:
    """The draft becomes what residents see, in the caller's transaction, with the households'
    notifications (`outbox.night_published`: a failure stores neither). The night's row is held
    first, so of two publications at once the second finds nothing new to publish."""
    hold_unless_running(session, night)
    if night.state == NightState.CLOSED.value:
        raise Conflict(
            "night_closed",
            f"the night of {night.evening} is closed (its overstays are recorded); "
            "its allocation stands",
        )
    if night.draft_run_id is None or night.draft_run_id == night.published_run_id:
        raise Conflict(
            "nothing_to_publish",
            f"the night of {night.evening} has no new allocation to publish; run it first",
        )
    draft = session.get_one(Run, night.draft_run_id)
    if draft.allocation.status == Status.INFEASIBLE.value:
        raise Conflict(
            "nothing_to_publish",
            f"the draft cannot be published: {draft.allocation.message}; "
            "remove a pin and run again",
        )
    before = (
        session.get_one(Run, night.published_run_id) if night.published_run_id is not None else None
    )
    night.published_run_id = night.draft_run_id
    night.state = NightState.PUBLISHED.value
    outbox.night_published(
        session,
        compound=session.get_one(Compound, night.compound_id),
        night_id=night.id,
        evening=night.evening,
        scenario=draft.scenario,
        result=draft.allocation,
        run_id=draft.id,
        before=before.allocation if before is not None else None,
        now=now,
        reminder_minutes=reminder_minutes,
    )
    audit.record(
        session,
        compound_id=night.compound_id,
        account_id=account_id,
        at=now,
        action="publish",
        evening=night.evening,
        run=draft.id,
    )
    log.info("publish compound=%s evening=%s run=%d", night.compound_id, night.evening, draft.id)
    return draft


def changes(before: ResultFile, after: ResultFile) -> ChangesOut:
    """Who a new allocation moves, newly serves, and no longer serves, compared with `before`."""
    old = {a.request: a for a in before.assignments}
    new = {a.request: a for a in after.assignments}
    return ChangesOut(
        moved=[
            Change(request=r, household=new[r].household, from_=old[r].space, to=new[r].space)
            for r in sorted(old.keys() & new.keys())
            if old[r].space != new[r].space
        ],
        newly_served=[
            Change(request=r, household=new[r].household, to=new[r].space)
            for r in sorted(new.keys() - old.keys())
        ],
        no_longer_served=[
            Change(request=r, household=old[r].household, from_=old[r].space)
            for r in sorted(old.keys() - new.keys())
        ],
    )
