"""A resident's own household: cars, tonight's requests, releases of a rented space, and outcomes.

Every object is looked up within the caller's household, so another household's gives 404.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import or_, select

from engine.clock import format_clock
from service.deps import HouseholdDep, NowDep, SessionDep
from service.models import (
    AuditEntry,
    Car,
    Compound,
    Household,
    Night,
    ParkingRequest,
    Release,
    Run,
    Space,
    StandingRequest,
)
from service.nightly import (
    ANY_EVENING,
    InvalidField,
    NightAllocated,
    ReleaseOverlaps,
    ReleaseStarted,
    commit_request,
    cutoff_of,
    evenings_of,
    published_run,
    release_without,
    require_open,
    stay_minutes,
)
from service.schemas import (
    AllocationOut,
    CarIn,
    CarOut,
    Evening,
    HouseholdOut,
    MyOutcome,
    PathId,
    ReleaseIn,
    ReleaseOut,
    RequestIn,
    RequestOut,
    SpaceUseOut,
    StandingRequestIn,
    StandingRequestOut,
    problems,
)
from service.security import masked_plate

router = APIRouter(prefix="/api/v1/me", tags=["resident"], responses=problems(401, 403, 404, 409))


def _car_out(car: Car) -> CarOut:
    return CarOut(id=car.id, plate=car.plate, size=car.size, needs=car.needs)


def _own_car(session, household, car_id: int) -> Car:
    car = session.get(Car, car_id)
    if car is None or car.household_id != household.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no car {car_id} in your household")
    return car


@router.get("", response_model=HouseholdOut)
def my_household(session: SessionDep, household: HouseholdDep) -> HouseholdOut:
    cars = session.scalars(
        select(Car).where(Car.household_id == household.id).order_by(Car.id)
    ).all()
    spaces = session.scalars(
        select(Space.code).where(Space.renter_id == household.id).order_by(Space.code)
    ).all()
    return HouseholdOut(
        compound=household.compound_id,
        household=household.code,
        tags=household.tags,
        has_space=household.has_space,
        cars=[_car_out(c) for c in cars],
        spaces=list(spaces),
    )


@router.post("/cars", response_model=CarOut, status_code=status.HTTP_201_CREATED)
def add_car(body: CarIn, session: SessionDep, household: HouseholdDep) -> CarOut:
    same_plate = session.scalar(
        select(Car)
        .join(Household, Car.household_id == Household.id)
        .where(Household.compound_id == household.compound_id, Car.plate == body.plate)
    )
    if same_plate is not None:
        whose = (
            "your household"
            if same_plate.household_id == household.id
            else "another household; ask the office"
        )
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"{body.plate} is already registered by {whose}"
        )
    car = Car(household_id=household.id, plate=body.plate, size=body.size, needs=body.needs)
    session.add(car)
    session.commit()
    return _car_out(car)


def _request_out(request: ParkingRequest, night: Night, car: Car) -> RequestOut:
    return RequestOut(
        id=request.id,
        evening=night.evening,
        car_id=car.id,
        plate=car.plate,
        arrive=format_clock(request.arrive),
        depart=format_clock(request.depart),
        needs=car.needs if request.needs is None else request.needs,
    )


@router.get("/nights/{evening}/requests", response_model=list[RequestOut])
def my_requests(evening: Evening, session: SessionDep, household: HouseholdDep) -> list[RequestOut]:
    rows = session.execute(
        select(ParkingRequest, Night, Car)
        .join(Night, ParkingRequest.night_id == Night.id)
        .join(Car, ParkingRequest.car_id == Car.id)
        .where(ParkingRequest.household_id == household.id, Night.evening == evening)
        .order_by(ParkingRequest.id)
    ).all()
    return [_request_out(r, n, c) for r, n, c in rows]


@router.post(
    "/nights/{evening}/requests", response_model=RequestOut, status_code=status.HTTP_201_CREATED
)
def submit_request(
    evening: Evening, body: RequestIn, session: SessionDep, household: HouseholdDep, now: NowDep
) -> RequestOut:
    car = _own_car(session, household, body.car_id)
    arrive, depart = stay_minutes(body.arrive, body.depart, evening)
    night = require_open(session, session.get(Compound, household.compound_id), evening, now)
    request = ParkingRequest(
        night_id=night.id,
        household_id=household.id,
        car_id=car.id,
        arrive=arrive,
        depart=depart,
        created_at=now,
        needs=_needs(body),
    )
    session.add(request)
    commit_request(session, car.plate, evening)
    return _request_out(request, night, car)


def _needs(body: RequestIn) -> list[str] | None:
    return None if body.needs is None else sorted(set(body.needs))


def _own_request(session, household, request_id: int) -> tuple[ParkingRequest, Night, Car]:
    request = session.get(ParkingRequest, request_id)
    if request is None or request.household_id != household.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no request {request_id} in your household")
    return request, session.get(Night, request.night_id), session.get(Car, request.car_id)


@router.put("/requests/{request_id}", response_model=RequestOut)
def change_request(
    request_id: PathId, body: RequestIn, session: SessionDep, household: HouseholdDep, now: NowDep
) -> RequestOut:
    request, night, _ = _own_request(session, household, request_id)
    car = _own_car(session, household, body.car_id)
    arrive, depart = stay_minutes(body.arrive, body.depart, night.evening)
    require_open(session, session.get(Compound, household.compound_id), night.evening, now)
    request.car_id, request.arrive, request.depart, request.needs = (
        car.id,
        arrive,
        depart,
        _needs(body),
    )
    commit_request(session, car.plate, night.evening)
    return _request_out(request, night, car)


@router.delete("/requests/{request_id}", status_code=status.HTTP_204_NO_CONTENT)
def cancel_request(
    request_id: PathId, session: SessionDep, household: HouseholdDep, now: NowDep
) -> None:
    request, night, car = _own_request(session, household, request_id)
    require_open(session, session.get(Compound, household.compound_id), night.evening, now)
    session.delete(request)
    session.add(
        AuditEntry(
            at=now,
            compound_id=household.compound_id,
            action="cancel request",
            detail=f"{household.code} {car.plate} night {night.evening}",
        )
    )
    session.commit()


def _standing_out(standing: StandingRequest) -> StandingRequestOut:
    return StandingRequestOut(
        id=standing.id,
        car_id=standing.car_id,
        weekdays=standing.weekdays,
        arrive=format_clock(standing.arrive),
        depart=format_clock(standing.depart),
    )


@router.get("/standing-requests", response_model=list[StandingRequestOut])
def my_standing_requests(session: SessionDep, household: HouseholdDep) -> list[StandingRequestOut]:
    return [
        _standing_out(s)
        for s in session.scalars(
            select(StandingRequest)
            .where(StandingRequest.household_id == household.id)
            .order_by(StandingRequest.id)
        )
    ]


@router.post(
    "/standing-requests", response_model=StandingRequestOut, status_code=status.HTTP_201_CREATED
)
def add_standing_request(
    body: StandingRequestIn, session: SessionDep, household: HouseholdDep
) -> StandingRequestOut:
    """A request that repeats on the given evenings; it becomes that night's request for the car
    when the night is allocated, unless the household asked for the car that night itself."""
    car = _own_car(session, household, body.car_id)
    if any(not 0 <= day <= 6 for day in body.weekdays) or len(set(body.weekdays)) != len(
        body.weekdays
    ):
        raise InvalidField("weekdays", "list each evening once, 0 (Monday) to 6 (Sunday)")
    arrive, depart = stay_minutes(body.arrive, body.depart, ANY_EVENING)
    standing = StandingRequest(
        household_id=household.id,
        car_id=car.id,
        weekdays=sorted(body.weekdays),
        arrive=arrive,
        depart=depart,
    )
    session.add(standing)
    session.commit()
    return _standing_out(standing)


@router.delete("/standing-requests/{standing_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_standing_request(
    standing_id: PathId, session: SessionDep, household: HouseholdDep
) -> None:
    standing = session.get(StandingRequest, standing_id)
    if standing is None or standing.household_id != household.id:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no standing request {standing_id} in your household"
        )
    session.delete(standing)
    session.commit()


@router.post("/releases", response_model=ReleaseOut, status_code=status.HTTP_201_CREATED)
def release_space(
    body: ReleaseIn, session: SessionDep, household: HouseholdDep, now: NowDep
) -> ReleaseOut:
    """Leave the space free on every evening from first_evening to last_evening (e.g. away Mon-Fri)."""
    space = session.scalar(
        select(Space).where(
            Space.compound_id == household.compound_id,
            Space.code == body.space,
            Space.renter_id == household.id,
        )
    )
    if space is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"your household rents no space {body.space!r}"
        )
    if body.last_evening < body.first_evening:
        raise InvalidField("last_evening", "is before first_evening")
    # Tonight can only be released before the cutoff: the allocation may already be running; and
    # no evening of the range may have been allocated already.
    compound = session.get(Compound, household.compound_id)
    require_open(session, compound, body.first_evening, now)
    allocated = min(
        _settled_evenings(session, compound, body.first_evening, body.last_evening), default=None
    )
    if allocated is not None:
        raise NightAllocated(
            f"the night of {allocated} is already allocated (or being allocated); release from the evening after it"
        )
    overlapping = session.scalar(
        select(Release).where(
            Release.space_id == space.id,
            Release.first_evening <= body.last_evening,
            Release.last_evening >= body.first_evening,
        )
    )
    if overlapping is not None:
        raise ReleaseOverlaps(
            f"{space.code} is already released from {overlapping.first_evening} to {overlapping.last_evening}"
        )
    release = Release(
        space_id=space.id, first_evening=body.first_evening, last_evening=body.last_evening
    )
    session.add(release)
    session.commit()
    return ReleaseOut(
        id=release.id,
        space=space.code,
        first_evening=release.first_evening,
        last_evening=release.last_evening,
    )


@router.delete("/releases/{release_id}", response_model=list[ReleaseOut])
def take_back_release(
    release_id: PathId, session: SessionDep, household: HouseholdDep, now: NowDep
) -> list[ReleaseOut]:
    """Take the space back for every evening of a release that can still change: before its cutoff,
    not allocated, not being allocated. The others stay released; the answer lists what remains
    (empty: the whole release is gone). 409 when no evening of it can change any more."""
    release = session.get(Release, release_id)
    space = release and session.get(Space, release.space_id)
    if space is None or space.renter_id != household.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no release {release_id} of your household")
    compound = session.get(Compound, household.compound_id)
    settled = _settled_evenings(session, compound, release.first_evening, release.last_evening)
    taken_back = [
        e for e in evenings_of(release) if e not in settled and now < cutoff_of(compound, e)
    ]
    if not taken_back:
        raise ReleaseStarted(
            "every evening of this release is past its cutoff or allocated; ask the office"
        )
    remaining = release_without(session, release, set(taken_back))
    session.add(
        AuditEntry(
            at=now,
            compound_id=compound.id,
            action="take back release",
            detail=f"{household.code} {space.code}: {', '.join(e.isoformat() for e in taken_back)}",
        )
    )
    session.commit()
    return [
        ReleaseOut(
            id=r.id, space=space.code, first_evening=r.first_evening, last_evening=r.last_evening
        )
        for r in remaining
    ]


def _settled_evenings(session, compound: Compound, first: date, last: date) -> set[date]:
    """The evenings in [first, last] whose night is allocated or being allocated: a release cannot change there."""
    return set(
        session.scalars(
            select(Night.evening).where(
                Night.compound_id == compound.id,
                Night.evening.between(first, last),
                or_(Night.draft_run_id.is_not(None), Night.running_since.is_not(None)),
            )
        )
    )


def outcomes_of(run: Run, household_code: str) -> list[MyOutcome]:
    """Each of the household's requests in a run: its space and hours, or the reason for none."""
    mine = {r["id"]: r for r in run.snapshot["requests"] if r["household"] == household_code}
    assigned = {a["request"]: a for a in run.result["assignments"] if a["request"] in mine}
    refused = {u["request"]: u for u in run.result["unassigned"] if u["request"] in mine}
    outcomes = []
    for request_id, request in mine.items():
        a, u = assigned.get(request_id), refused.get(request_id)
        outcomes.append(
            MyOutcome(
                request_id=int(request_id.removeprefix("q")),
                plate=request["plate"],
                space=a["space"] if a else None,
                kind=a["kind"] if a else None,
                start=a["start"][11:16] if a else None,
                end=a["end"][11:16] if a else None,
                walk_m=a["walk_m"] if a else None,
                reason=u["reason"] if u else None,
                message=u["message"] if u else None,
                message_zh=u.get("message_zh") if u else None,
            )
        )
    return outcomes


@router.get("/nights/{evening}/allocation", response_model=AllocationOut)
def my_allocation(evening: Evening, session: SessionDep, household: HouseholdDep) -> AllocationOut:
    """My space tonight, or why there is none; empty until staff publish the night."""
    run = published_run(session, household.compound_id, evening)
    return AllocationOut(
        evening=evening,
        published=run is not None,
        outcomes=outcomes_of(run, household.code) if run else [],
    )


def space_users(run: Run, household_code: str) -> list[SpaceUseOut]:
    """Who may use the household's rented spaces in a run, and when (plates masked)."""
    # The renters of that night, as the run saw them, not as they are today.
    mine = {
        space["id"] for space in run.snapshot["spaces"] if space.get("renter") == household_code
    }
    plates = {r["id"]: r["plate"] for r in run.snapshot["requests"]}
    return [
        SpaceUseOut(
            space=a["space"],
            plate=masked_plate(plates[a["request"]]),
            start=a["start"][11:16],
            end=a["end"][11:16],
        )
        for a in sorted(run.result["assignments"], key=lambda a: (a["space"], a["start"]))
        if a["space"] in mine
    ]


@router.get("/nights/{evening}/my-space-users", response_model=list[SpaceUseOut])
def who_uses_my_space(
    evening: Evening, session: SessionDep, household: HouseholdDep
) -> list[SpaceUseOut]:
    """For a renter who released a space: who may use it that night and when (plates masked)."""
    run = published_run(session, household.compound_id, evening)
    return space_users(run, household.code) if run else []
