"""A resident's own household: cars, requests, standing requests, releases of a rented space, and
what the published nights gave it.

Every object is looked up within the caller's household, so another household's is NotFound, as
if it did not exist. Changes to a night's requests are taken until its cutoff.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from engine.clock import format_clock, parse_clock
from service.actions import audit
from service.actions.accounts import accounts_of_tokens, resident_household
from service.actions.calendar import (
    ANY_EVENING,
    LONGEST_RELEASE_EVENINGS,
    RELEASE_AHEAD_DAYS,
    current_evening,
    cutoff_of,
    evenings_of,
    stay_minutes,
)
from service.actions.errors import Conflict, DomainError, InvalidField, NotFound
from service.actions.guidance import Guidance, Unfit, fit_of, fit_out, guidance_of
from service.actions.live import LiveStay, live_night
from service.actions.nights import (
    LOOK_AHEAD_DAYS,
    before_cutoff,
    held_open,
    hold_compound,
    is_open,
    next_open_evening,
    night_of,
    published_run,
    published_runs,
    request_number,
    require_open,
    settled_evenings,
)
from service.actions.policies import plan_in_force
from service.models import (
    Car,
    Compound,
    Household,
    Night,
    NightState,
    ParkingRequest,
    Release,
    Run,
    Space,
    StandingRequest,
)
from service.ordering import natural_key
from service.plates import PlateError, normal_plate
from service.schemas import (
    AllocationOut,
    CarIn,
    CarOut,
    HouseholdOut,
    MyOutcome,
    ReleaseIn,
    ReleaseOut,
    RequestIn,
    RequestOut,
    SpaceUseOut,
    StandingRequestIn,
    StandingRequestOut,
)
from service.security import masked_plate

log = logging.getLogger(__name__)

# The residents' history goes back four weeks.
HISTORY_DAYS = 28

RUSH_MINUTES = 10
"""Before the cutoff, the minutes in which submissions are taken without their fit check."""


def _car_out(car: Car) -> CarOut:
    return CarOut(id=car.id, plate=car.plate, size=car.size, needs=car.needs)


def own_car(session: Session, household: Household, car_id: int) -> Car:
    return _owned(session.get(Car, car_id), household, car_id)


def _owned(car: Car | None, household: Household, car_id: int) -> Car:
    """The car read as `car_id` (None if there is none), if it is the household's."""
    if car is None or car.household_id != household.id:
        raise NotFound("no_such_car", f"no car {car_id} in your household")
    return car


def compound_of(session: Session, household: Household) -> Compound:
    return session.get_one(Compound, household.compound_id)


def my_household(*, session: Session, household: Household) -> HouseholdOut:
    """The household, its cars (plates in full: they are its own) and the spaces it rents."""
    cars = session.scalars(
        select(Car).where(Car.household_id == household.id).order_by(Car.id)
    ).all()
    spaces = sorted(
        session.scalars(select(Space.code).where(Space.renter_id == household.id)),
        key=natural_key,
    )
    return HouseholdOut(
        compound=household.compound_id,
        household=household.code,
        tags=household.tags,
        has_space=household.has_space,
        cars=[_car_out(c) for c in cars],
        spaces=list(spaces),
    )


def add_car(*, session: Session, household: Household, body: CarIn) -> CarOut:
    """Register a car under its plate's normal form (沪a·12345 is 沪A12345); a plate belongs to
    one household of a compound, however it is spelt."""
    try:
        plate = normal_plate(body.plate)
    except PlateError as error:
        raise InvalidField("plate", error.message, code=error.code) from None
    same_plate = session.scalar(
        select(Car)
        .join(Household, Car.household_id == Household.id)
        .where(Household.compound_id == household.compound_id, Car.plate == plate)
    )
    if same_plate is not None:
        whose = (
            "your household"
            if same_plate.household_id == household.id
            else "another household; ask the office"
        )
        raise Conflict("car_exists", f"{plate} is already registered by {whose}")
    car = Car(household_id=household.id, plate=plate, size=body.size, needs=body.needs)
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
        charging=request.charging,
    )


def my_requests(*, session: Session, household: Household, evening: date) -> list[RequestOut]:
    rows = session.execute(
        select(ParkingRequest, Night, Car)
        .join(Night, ParkingRequest.night_id == Night.id)
        .join(Car, ParkingRequest.car_id == Car.id)
        .where(ParkingRequest.household_id == household.id, Night.evening == evening)
        .order_by(ParkingRequest.id)
    )
    return [_request_out(r, n, c) for r, n, c in rows]


def commit_request(session: Session, charging: bool, plate: str, evening: date) -> None:
    """Commit a new or changed request (a charging session when `charging`); the database's rule
    of one parking stay and one charging session per car and night decides a race between two
    at once, and the loser gets a conflict, not an error."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise _already_asked(charging, plate, evening) from None


def _already_asked(charging: bool, plate: str, evening: date) -> Conflict:
    if charging:
        return Conflict(
            "car_already_charging",
            f"car {plate} already has a charging session for the night of {evening}; "
            "change or cancel that one",
        )
    return Conflict(
        "car_already_asked",
        f"car {plate} already has a request for the night of {evening}; change or cancel that one",
    )


def in_rush(compound: Compound, evening: date, now: datetime) -> bool:
    """The last `RUSH_MINUTES` before the evening's cutoff, when requests come in a rush: the
    service then spends its time taking them, not checking them (the dry run still answers)."""
    return now >= cutoff_of(compound, evening) - timedelta(minutes=RUSH_MINUTES)


def _with_fit(
    session: Session,
    household: Household,
    request: ParkingRequest,
    night: Night,
    car: Car,
    now: datetime,
) -> RequestOut:
    """The stored request, with whether any space could take it (checked once stored, so that
    the check does not hold the night's write); without it in the rush before the cutoff, where
    the check's millisecond per request made requests sent in time reach the service after the
    cutoff (measured: the race test over real HTTP failed 1 time in 3 with it, 0 in 3 without)."""
    compound = compound_of(session, household)
    if in_rush(compound, night.evening, now):
        return _request_out(request, night, car)
    fit, message_zh = fit_of(
        session=session,
        compound=compound,
        household=household,
        evening=night.evening,
        car=car,
        arrive=request.arrive,
        depart=request.depart,
        needs=request.needs,
        charging=request.charging,
    )
    return _request_out(request, night, car).model_copy(update={"fit": fit_out(fit, message_zh)})


def unfit(
    *, session: Session, household: Household, evening: date, body: RequestIn
) -> Unfit | None:
    """The request form's gate: None when some space could take the stay, else why not. The
    car and the hours are checked as a submission checks them."""
    car = own_car(session, household, body.car_id)
    arrive, depart = stay_minutes(body.arrive, body.depart, evening)
    fit, message_zh = fit_of(
        session=session,
        compound=compound_of(session, household),
        household=household,
        evening=evening,
        car=car,
        arrive=arrive,
        depart=depart,
        needs=needs_asked(body, car),
        charging=body.charging,
    )
    return None if fit.fits else Unfit(fit, message_zh)


def check_request(
    *, session: Session, household: Household, evening: date, body: RequestIn
) -> Guidance:
    """The guidance for a request as the resident would send it; nothing is stored. The car and
    the hours are checked as a submission checks them; whether the evening still takes requests
    is not (the check changes nothing)."""
    car = own_car(session, household, body.car_id)
    arrive, depart = stay_minutes(body.arrive, body.depart, evening)
    return guidance_of(
        session=session,
        compound=compound_of(session, household),
        household=household,
        evening=evening,
        car=car,
        arrive=arrive,
        depart=depart,
        needs=needs_asked(body, car),
        charging=body.charging,
    )


CHARGING_NEED = "ev_charger"
"""What a charging session needs of its space: a car's charge point."""


def needs_asked(body: RequestIn, car: Car) -> list[str] | None:
    """The needs to store with a stay: None for the car's own; a charging session's always name
    the charge point, so that changing the car later does not change what the session asks."""
    if body.charging:
        return sorted({*(car.needs if body.needs is None else body.needs), CHARGING_NEED})
    return None if body.needs is None else sorted(set(body.needs))


def submit_request(
    *, session: Session, household: Household, evening: date, body: RequestIn, now: datetime
) -> RequestOut:
    """Ask for a shared space for one car on one evening, until the evening's cutoff."""
    (outcome,) = submit_requests(
        session=session, submissions=[Submission(household, evening, body, now)]
    )
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


@dataclass(frozen=True)
class Submission:
    """A resident's new request, as it reached the service at `arrived` (`service.arrival`)."""

    household: Household
    evening: date
    body: RequestIn
    arrived: datetime


def submit_requests(
    *, session: Session, submissions: Sequence[Submission]
) -> list[RequestOut | DomainError]:
    """Take new requests (`submit_request`'s rules), several in one transaction: each gets its
    stored request or why not, as if it had come alone, in the order given.

    At the cutoff requests come in a rush, and each transaction of its own is most of the cost
    of taking one (`service.batching` groups the ones that wait while a batch is taken). The
    reads are one per batch (the cars, the requests the cars have) and one per night (held).
    When the database refuses the batch (another process took the same car's request at the
    same moment, or PostgreSQL ended it as a deadlock), each is taken alone, and the loser
    learns it asked twice.
    """
    outcomes: dict[int, RequestOut | DomainError] = {}
    try:
        staged = _stage(session, submissions, outcomes)
        session.commit()
    except IntegrityError:
        session.rollback()
        if len(submissions) > 1:
            return _one_by_one(session, submissions)
        only = submissions[0]
        plate = own_car(session, only.household, only.body.car_id).plate
        return [_already_asked(only.body.charging, plate, only.evening)]
    except OperationalError as error:
        session.rollback()
        if len(submissions) == 1 or not _lost_a_race(error):
            raise
        return _one_by_one(session, submissions)
    for index, (submission, request, night, car) in staged.items():
        try:
            outcomes[index] = _with_fit(
                session, submission.household, request, night, car, submission.arrived
            )
        except Exception:
            # Stored is stored: the answer says so, without the fit, rather than failing the
            # batch's other requests (or this one, whose retry would be refused as asked twice).
            log.exception("no fit for request %s", request.id)
            outcomes[index] = _request_out(request, night, car)
    return [outcomes[index] for index in range(len(submissions))]


def _one_by_one(
    session: Session, submissions: Sequence[Submission]
) -> list[RequestOut | DomainError]:
    """A refused batch's requests, each taken again alone."""
    return [
        outcome
        for submission in submissions
        for outcome in submit_requests(session=session, submissions=[submission])
    ]


def _lost_a_race(error: OperationalError) -> bool:
    """PostgreSQL ended the transaction in favour of another (deadlock, serialization): taken
    again, it meets what the other stored."""
    return getattr(error.orig, "sqlstate", None) in {"40P01", "40001"}


@dataclass(frozen=True)
class SignedSubmission:
    """A new request over the API as it reached the service: the caller's bearer token (None if
    it sent none) and the service's clock then (`now`) instead of the household."""

    token: str | None
    now: datetime
    evening: date
    body: RequestIn
    arrived: datetime


def submit_signed_requests(
    *, session: Session, submissions: Sequence[SignedSubmission]
) -> list[RequestOut | DomainError]:
    """`submit_requests`, each caller's household first read from its token (one query for the
    batch): without a valid token Unauthorised, for staff Forbidden."""
    accounts = accounts_of_tokens(session=session, tokens=[(s.token, s.now) for s in submissions])
    outcomes: dict[int, RequestOut | DomainError] = {}
    taken: dict[int, Submission] = {}
    for index, (submission, account) in enumerate(zip(submissions, accounts, strict=True)):
        try:
            household = resident_household(account)
        except DomainError as error:
            outcomes[index] = error
            continue
        taken[index] = Submission(
            household, submission.evening, submission.body, submission.arrived
        )
    outcomes.update(zip(taken, submit_requests(session=session, submissions=list(taken.values()))))
    return [outcomes[index] for index in range(len(submissions))]


def _stage(
    session: Session,
    submissions: Sequence[Submission],
    outcomes: dict[int, RequestOut | DomainError],
) -> dict[int, tuple[Submission, ParkingRequest, Night, Car]]:
    """`submit_requests` up to its commit: the refused get their reason in `outcomes`, the taken
    are added to the session and returned by position."""
    checked = _checked(session, submissions, outcomes)
    nights = _held_nights(
        session,
        {(compound.id, submissions[i].evening): compound for i, (*_, compound) in checked.items()},
    )
    asked = _requests_of(session, nights, [car for car, *_ in checked.values()])
    chargers: dict[tuple[str, date], DomainError | None] = {}
    staged: dict[int, tuple[Submission, ParkingRequest, Night, Car]] = {}
    for index, (car, arrive, depart, compound) in checked.items():
        submission = submissions[index]
        body, evening = submission.body, submission.evening
        try:
            night = nights[compound.id, evening]
            if isinstance(night, DomainError):
                raise night
            if body.charging:
                if (compound.id, evening) not in chargers:
                    chargers[compound.id, evening] = _chargers_refusal(session, compound, evening)
                if refusal := chargers[compound.id, evening]:
                    raise refusal
            _not_overlapping(
                asked.get((night.id, car.id, not body.charging)), car, arrive, depart, body.charging
            )
            if (night.id, car.id, body.charging) in asked:
                raise _already_asked(body.charging, car.plate, evening)
        except DomainError as error:
            outcomes[index] = error
            continue
        request = ParkingRequest(
            night_id=night.id,
            household_id=submission.household.id,
            car_id=car.id,
            arrive=arrive,
            depart=depart,
            created_at=submission.arrived,
            needs=needs_asked(body, car),
            charging=body.charging,
        )
        asked[night.id, car.id, body.charging] = request
        staged[index] = submission, request, night, car
    # Inserted in one order in every batch: two batches (two processes) that take the same cars
    # then wait for each other's rows in the unique index in one direction, never in a circle.
    new = sorted((request for _, request, _, _ in staged.values()), key=_insert_order)
    session.add_all(new)
    return staged


def _checked(
    session: Session,
    submissions: Sequence[Submission],
    outcomes: dict[int, RequestOut | DomainError],
) -> dict[int, tuple[Car, int, int, Compound]]:
    """What needs no lock, per submission: its car (the household's), its hours in night
    minutes, its compound, and that it arrived before the cutoff; the cars in one query."""
    car_ids = sorted({s.body.car_id for s in submissions})
    cars = {car.id: car for car in session.scalars(select(Car).where(Car.id.in_(car_ids)))}
    checked: dict[int, tuple[Car, int, int, Compound]] = {}
    for index, submission in enumerate(submissions):
        body, evening = submission.body, submission.evening
        try:
            car = _owned(cars.get(body.car_id), submission.household, body.car_id)
            arrive, depart = stay_minutes(body.arrive, body.depart, evening)
            compound = compound_of(session, submission.household)
            before_cutoff(compound, evening, submission.arrived)
            checked[index] = car, arrive, depart, compound
        except DomainError as error:
            outcomes[index] = error
    return checked


def _held_nights(
    session: Session, compounds: dict[tuple[str, date], Compound]
) -> dict[tuple[str, date], Night | DomainError]:
    """Each (compound id, evening)'s night held (`held_open`), or why it takes no request; in
    one order, so that two batches never wait for each other in a circle."""
    nights: dict[tuple[str, date], Night | DomainError] = {}
    for key in sorted(compounds):
        try:
            nights[key] = held_open(session, compounds[key], key[1])
        except DomainError as error:
            nights[key] = error
    return nights


def _requests_of(
    session: Session, nights: dict[tuple[str, date], Night | DomainError], cars: list[Car]
) -> dict[tuple[int, int, bool], ParkingRequest]:
    """The cars' requests on the nights, by (night, car, charging session), in one query."""
    night_ids = [night.id for night in nights.values() if isinstance(night, Night)]
    if not night_ids or not cars:
        return {}
    return {
        (r.night_id, r.car_id, r.charging): r
        for r in session.scalars(
            select(ParkingRequest).where(
                ParkingRequest.night_id.in_(night_ids),
                ParkingRequest.car_id.in_(sorted({car.id for car in cars})),
            )
        )
    }


def _insert_order(request: ParkingRequest) -> tuple[int, int, bool]:
    return request.night_id, request.car_id, request.charging


def _own_request(
    session: Session, household: Household, request_id: int
) -> tuple[ParkingRequest, Night, Car]:
    request = session.get(ParkingRequest, request_id)
    if request is None or request.household_id != household.id:
        raise NotFound("no_such_request", f"no request {request_id} in your household")
    return request, session.get_one(Night, request.night_id), session.get_one(Car, request.car_id)


def _still_there(session: Session, request: ParkingRequest) -> ParkingRequest:
    """The request read again once the night is held: a cancellation may have come first."""
    fresh = session.scalar(
        select(ParkingRequest)
        .where(ParkingRequest.id == request.id)
        .execution_options(populate_existing=True)
    )
    if fresh is None:
        raise NotFound("no_such_request", f"no request {request.id} in your household")
    return fresh


def change_request(
    *, session: Session, household: Household, request_id: int, body: RequestIn, now: datetime
) -> RequestOut:
    """Change a request's car, hours or needs, until its evening's cutoff."""
    request, night, _ = _own_request(session, household, request_id)
    car = own_car(session, household, body.car_id)
    arrive, depart = stay_minutes(body.arrive, body.depart, night.evening)
    require_open(session, compound_of(session, household), night.evening, now)
    if body.charging != request.charging:
        raise InvalidField(
            "charging",
            "a parking stay cannot become a charging session or the other way round; "
            "cancel it and ask for the other",
        )
    request = _still_there(session, request)
    _car_free(session, night, car, arrive, depart, request.charging)
    request.car_id, request.arrive, request.depart = car.id, arrive, depart
    request.needs = needs_asked(body, car)
    commit_request(session, request.charging, car.plate, night.evening)
    return _with_fit(session, household, request, night, car, now)


def cancel_request(
    *, session: Session, household: Household, request_id: int, now: datetime
) -> None:
    """Cancel a request, until its evening's cutoff."""
    request, night, car = _own_request(session, household, request_id)
    require_open(session, compound_of(session, household), night.evening, now)
    session.delete(_still_there(session, request))
    audit.record(
        session,
        compound_id=household.compound_id,
        account_id=None,
        at=now,
        action="cancel request",
        household=household.code,
        plate=car.plate,
        evening=night.evening,
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


def my_standing_requests(*, session: Session, household: Household) -> list[StandingRequestOut]:
    rows = session.scalars(
        select(StandingRequest)
        .where(StandingRequest.household_id == household.id)
        .order_by(StandingRequest.id)
    )
    return [_standing_out(s) for s in rows]


def add_standing_request(
    *, session: Session, household: Household, body: StandingRequestIn
) -> StandingRequestOut:
    """A request that repeats on the given evenings; it becomes that night's request for the car
    when the night is allocated, unless the household asked for the car that night itself."""
    car = own_car(session, household, body.car_id)
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


def remove_standing_request(*, session: Session, household: Household, standing_id: int) -> None:
    standing = session.get(StandingRequest, standing_id)
    if standing is None or standing.household_id != household.id:
        raise NotFound(
            "no_such_standing_request", f"no standing request {standing_id} in your household"
        )
    session.delete(standing)
    session.commit()


def release_space(
    *, session: Session, household: Household, body: ReleaseIn, now: datetime
) -> ReleaseOut:
    """Leave the space free on every evening from first_evening to last_evening (away Mon-Fri)."""
    space = session.scalar(
        select(Space).where(
            Space.compound_id == household.compound_id,
            Space.code == body.space,
            Space.renter_id == household.id,
        )
    )
    if space is None:
        raise NotFound("no_rented_space", f"your household rents no space {body.space!r}")
    if body.last_evening < body.first_evening:
        raise InvalidField("last_evening", "is before first_evening", code="release_order")
    if (body.last_evening - body.first_evening).days >= LONGEST_RELEASE_EVENINGS:
        raise InvalidField(
            "last_evening",
            f"a release covers {LONGEST_RELEASE_EVENINGS} evenings (a year) at most; "
            "give a longer one in parts",
            code="release_too_long",
        )
    compound = compound_of(session, household)
    latest_start = current_evening(compound.timezone, now) + timedelta(days=RELEASE_AHEAD_DAYS)
    if body.first_evening > latest_start:
        raise InvalidField(
            "first_evening",
            f"a release starts within the next year, by {latest_start}",
            code="release_too_far",
        )
    # Tonight can only be released before the cutoff: the allocation may already be running; and
    # no evening of the range may have been allocated already, nor be being allocated.
    hold_compound(session, compound)
    require_open(session, compound, body.first_evening, now)
    settled = settled_evenings(session, compound, body.first_evening, body.last_evening)
    if settled:
        raise Conflict(
            "night_allocated",
            f"the night of {min(settled)} is already allocated (or being allocated); "
            "release from the evening after it",
        )
    overlapping = session.scalar(
        select(Release).where(
            Release.space_id == space.id,
            Release.first_evening <= body.last_evening,
            Release.last_evening >= body.first_evening,
        )
    )
    if overlapping is not None:
        raise Conflict(
            "release_overlaps",
            f"{space.code} is already released from {overlapping.first_evening} "
            f"to {overlapping.last_evening}",
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


def release_without(session: Session, release: Release, dropped: set[date]) -> list[Release]:
    """Replace a release by the ranges of its evenings not in `dropped` (in the caller's
    transaction)."""
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


def take_back_release(
    *, session: Session, household: Household, release_id: int, now: datetime
) -> list[ReleaseOut]:
    """Take the space back for every evening of a release that can still change: before its
    cutoff, not allocated, not being allocated. The others stay released; the answer lists what
    remains (empty: the whole release is gone). Conflict when no evening of it can change any
    more."""
    release = session.get(Release, release_id)
    space = session.get(Space, release.space_id) if release is not None else None
    if release is None or space is None or space.renter_id != household.id:
        raise NotFound("no_such_release", f"no release {release_id} of your household")
    compound = compound_of(session, household)
    hold_compound(session, compound)
    # Read again now that the compound is held: a take-back of the same release may have won.
    release = session.scalar(
        select(Release).where(Release.id == release_id).execution_options(populate_existing=True)
    )
    if release is None:
        raise NotFound("no_such_release", f"no release {release_id} of your household")
    settled = settled_evenings(session, compound, release.first_evening, release.last_evening)
    taken_back = [
        e for e in evenings_of(release) if e not in settled and now < cutoff_of(compound, e)
    ]
    if not taken_back:
        raise Conflict(
            "release_started",
            "every evening of this release is past its cutoff or allocated; ask the office",
        )
    remaining = release_without(session, release, set(taken_back))
    audit.record(
        session,
        compound_id=compound.id,
        account_id=None,
        at=now,
        action="take back release",
        household=household.code,
        space=space.code,
        evenings=[evening.isoformat() for evening in taken_back],
    )
    session.commit()
    return [
        ReleaseOut(
            id=r.id, space=space.code, first_evening=r.first_evening, last_evening=r.last_evening
        )
        for r in remaining
    ]


def outcomes_of(run: Run, household_code: str) -> list[MyOutcome]:
    """Each of the household's requests in a run: its space and hours, or the reason for none."""
    scenario, allocation = run.scenario, run.allocation
    outcomes = []
    for request in scenario.requests:
        if request.household != household_code:
            continue
        served, refused = allocation.assignment_of(request.id), allocation.refusal_of(request.id)
        outcomes.append(
            MyOutcome(
                request_id=request_number(request.id),
                plate=request.plate,
                charging=request.charging,
                arrive=format_clock(parse_clock(request.arrive, scenario.night)),
                depart=format_clock(parse_clock(request.depart, scenario.night)),
                space=served.space if served else None,
                kind=served.kind if served else None,
                start=f"{served.start:%H:%M}" if served else None,
                end=f"{served.end:%H:%M}" if served else None,
                walk_m=served.walk_m if served else None,
                reason=refused.reason if refused else None,
                message=refused.message if refused else None,
                message_zh=refused.message_zh if refused else None,
            )
        )
    return outcomes


def my_allocation(*, session: Session, household: Household, evening: date) -> AllocationOut:
    """My space that night, or why there is none; empty until staff publish the night."""
    run = published_run(session, household.compound_id, evening)
    return AllocationOut(
        evening=evening,
        published=run is not None,
        outcomes=outcomes_of(run, household.code) if run else [],
    )


def space_users(run: Run, household_code: str) -> list[SpaceUseOut]:
    """Who may use the household's rented spaces in a run, and when (plates masked)."""
    # The renters of that night, as the run saw them, not as they are today.
    mine = {space.id for space in run.scenario.spaces if space.renter == household_code}
    plates = {r.id: r.plate for r in run.scenario.requests}
    return [
        SpaceUseOut(
            space=a.space,
            plate=masked_plate(plates[a.request]),
            start=f"{a.start:%H:%M}",
            end=f"{a.end:%H:%M}",
        )
        for a in sorted(run.allocation.assignments, key=lambda a: (natural_key(a.space), a.start))
        if a.space in mine
    ]


def who_uses_my_space(
    *, session: Session, household: Household, evening: date
) -> list[SpaceUseOut]:
    """For a renter who released a space: who may use it that night and when (plates masked)."""
    run = published_run(session, household.compound_id, evening)
    return space_users(run, household.code) if run else []


@dataclass(frozen=True)
class WayToSpace:
    """What a served resident's card shows beside the outcome: the way from home to the space."""

    outcome: MyOutcome
    building: str
    home: tuple[float, float]
    spaces: list[tuple[str, float, float]]


@dataclass(frozen=True)
class Tonight:
    """A resident's view of one evening: the outcome once published, the requests, the form."""

    household: HouseholdOut
    evening: date
    cutoff: datetime
    evening_open: bool
    closed_early: bool
    published: bool
    served: list[WayToSpace]
    refused: list[MyOutcome]
    requests: list[RequestOut]
    # The evening the form asks for: this one while open, else the next that takes requests.
    open_evening: date | None
    open_cutoff: datetime | None
    open_requests: list[RequestOut]
    standing: list[StandingRequestOut]
    overstay_penalty_nights: int
    overstay_penalty_priority: int
    # When each kind of space takes cars ("22:00-09:00"), said at the form before anyone asks.
    shared_hours: dict[str, list[str]]
    # For each request of an evening still open: whether it fits, its level, its chance.
    outlooks: dict[int, Guidance]
    # Once published, each of the household's stays as it stands now (checked in, given back, a
    # space offered from the waiting list, ...), by request id, and where its refused requests
    # stand on tonight's waiting list (1 is next).
    stays: dict[int, LiveStay]
    waiting: dict[int, int]
    # The compound's shared chargers: the page offers charging sessions when there are any.
    chargers: Chargers


def is_charge_point(space: Space, kept_for_charging: Iterable[str]) -> bool:
    """A shared charger: a space with a car charger, of a kind the plan keeps for charging
    (`kept_for_charging`), that no household rents."""
    return (
        space.kind in kept_for_charging
        and space.renter_id is None
        and CHARGING_NEED in space.features
    )


@dataclass(frozen=True)
class Chargers:
    """A compound's shared chargers on an evening: how many, and the hours they take cars
    ("17:00-09:00"; their own, or their kind's in the plan), said before anyone asks."""

    count: int
    hours: list[str]


def shared_chargers(session: Session, compound: Compound, evening: date) -> Chargers:
    """The shared chargers under the plan in force on `evening`. Charging is offered only there:
    a session on a charger the plan does not keep for charging would escape the household's cap
    on spaces while taking one."""
    plan = plan_in_force(session, compound, evening)
    kept = plan.charging_only_kinds
    if not kept:
        return Chargers(0, [])
    spaces = [
        space
        for space in session.scalars(
            select(Space).where(Space.compound_id == compound.id, Space.kind.in_(kept))
        )
        if is_charge_point(space, kept)
    ]
    hours = {h for s in spaces for h in (s.windows or plan.windows.get(s.kind, []))}
    return Chargers(len(spaces), sorted(hours))


def _car_free(
    session: Session, night: Night, car: Car, arrive: int, depart: int, charging: bool
) -> None:
    """A car cannot charge and be parked elsewhere at once: a session may not overlap the same
    car's stay that night, nor a stay its session."""
    other = session.scalar(
        select(ParkingRequest).where(
            ParkingRequest.night_id == night.id,
            ParkingRequest.car_id == car.id,
            ParkingRequest.charging == (not charging),
        )
    )
    _not_overlapping(other, car, arrive, depart, charging)


def _not_overlapping(
    other: ParkingRequest | None, car: Car, arrive: int, depart: int, charging: bool
) -> None:
    """`_car_free`, given the car's request of the other kind that night (None if none)."""
    if other is not None and arrive < other.depart and other.arrive < depart:
        what = "a parking request" if charging else "a charging session"
        raise Conflict(
            "car_busy",
            f"car {car.plate} has {what} from {format_clock(other.arrive)} to "
            f"{format_clock(other.depart)} that night; a car cannot charge and park elsewhere "
            "at once",
        )


def _chargers_refusal(session: Session, compound: Compound, evening: date) -> Conflict | None:
    if shared_chargers(session, compound, evening).count:
        return None
    return Conflict(
        "no_chargers",
        f"the compound's plan keeps no shared chargers for the night of {evening}",
    )


def _way(run: Run, outcome: MyOutcome, household_code: str) -> WayToSpace:
    home = next(h for h in run.scenario.households if h.id == household_code)
    return WayToSpace(
        outcome=outcome,
        building=home.id.split("-")[0],
        home=(home.x, home.y),
        spaces=[(s.id, s.x, s.y) for s in run.scenario.spaces],
    )


def tonight(*, session: Session, household: Household, evening: date, now: datetime) -> Tonight:
    """Everything the resident's page for `evening` shows."""
    compound = compound_of(session, household)
    evening_open = is_open(session, compound, evening, now)
    open_evening = evening if evening_open else next_open_evening(session, compound, now)
    run = published_run(session, compound.id, evening)
    outcomes = outcomes_of(run, household.code) if run else []
    cutoff = cutoff_of(compound, evening)
    requests = my_requests(session=session, household=household, evening=evening)
    open_requests = (
        my_requests(session=session, household=household, evening=open_evening)
        if open_evening and open_evening != evening
        else []
    )
    penalty = plan_in_force(session, compound, evening).overstay_penalty
    lived = live_night(session, compound, night_of(session, compound.id, evening)) if run else None
    mine = {o.request_id for o in outcomes}
    return Tonight(
        household=my_household(session=session, household=household),
        evening=evening,
        cutoff=cutoff,
        evening_open=evening_open,
        closed_early=not evening_open and now < cutoff,
        published=run is not None,
        served=[_way(run, o, household.code) for o in outcomes if o.space and run],
        refused=[o for o in outcomes if not o.space],
        requests=requests,
        open_evening=open_evening,
        open_cutoff=cutoff_of(compound, open_evening) if open_evening else None,
        open_requests=open_requests,
        standing=my_standing_requests(session=session, household=household),
        overstay_penalty_nights=penalty.nights,
        overstay_penalty_priority=penalty.priority,
        shared_hours=plan_in_force(session, compound, open_evening or evening).windows,
        outlooks={
            r.id: _outlook(session, compound, household, r)
            for r in (requests if evening_open else []) + open_requests
        },
        stays={s.request_id: s for s in lived.stays if s.request_id in mine} if lived else {},
        # Ranking the waiting list reads the whole night's snapshot: only for a refused household.
        waiting={r: position for position, r in enumerate(lived.waiting(now), start=1) if r in mine}
        if lived and any(not o.space for o in outcomes)
        else {},
        chargers=shared_chargers(session, compound, open_evening or evening),
    )


def _outlook(
    session: Session, compound: Compound, household: Household, request: RequestOut
) -> Guidance:
    car = own_car(session, household, request.car_id)
    arrive, depart = stay_minutes(request.arrive, request.depart, request.evening)
    return guidance_of(
        session=session,
        compound=compound,
        household=household,
        evening=request.evening,
        car=car,
        arrive=arrive,
        depart=depart,
        needs=request.needs,
        charging=request.charging,
    )


@dataclass(frozen=True)
class RentedSpace:
    code: str
    hours: list[str]


@dataclass(frozen=True)
class MyReleases:
    """A renter's page: the spaces, the releases still to come, who uses them, the form's dates."""

    spaces: list[RentedSpace]
    releases: list[ReleaseOut]
    users: list[tuple[date, SpaceUseOut]]
    first_open: date
    # Rented spaces the renter may still release for the night under way, already published
    # (the renter is away after all): the space goes to the waiting list at once.
    tonight: list[str]


def my_releases(*, session: Session, household: Household, now: datetime) -> MyReleases:
    compound = compound_of(session, household)
    current = current_evening(compound.timezone, now)
    spaces = sorted(
        session.scalars(select(Space).where(Space.renter_id == household.id)),
        key=lambda space: natural_key(space.code),
    )
    releases = session.execute(
        select(Release, Space.code)
        .join(Space)
        .where(Space.renter_id == household.id, Release.last_evening >= current)
        .order_by(Release.first_evening)
    ).all()
    published = published_runs(
        session, compound.id, current - timedelta(days=1), current + timedelta(days=14)
    )
    windows = plan_in_force(session, compound, current).windows
    night = night_of(session, compound.id, current)
    released_tonight = {
        code for r, code in releases if r.first_evening <= current <= r.last_evening
    }
    return MyReleases(
        spaces=[RentedSpace(s.code, s.windows or windows.get(s.kind, [])) for s in spaces],
        releases=[
            ReleaseOut(
                id=r.id, space=code, first_evening=r.first_evening, last_evening=r.last_evening
            )
            for r, code in releases
        ],
        users=[(e, use) for e, run in published for use in space_users(run, household.code)],
        first_open=next_open_evening(session, compound, now) or current + timedelta(days=1),
        tonight=[s.code for s in spaces if s.code not in released_tonight]
        if night.state == NightState.PUBLISHED.value
        else [],
    )


@dataclass(frozen=True)
class History:
    """The last weeks, newest first: one row per request of a published night."""

    rows: list[tuple[date, MyOutcome]]
    nights_served: int
    nights_refused: int


def my_history(*, session: Session, household: Household, now: datetime) -> History:
    compound = compound_of(session, household)
    current = current_evening(compound.timezone, now)
    # Nights already published ahead of the current one count too (staff may run early).
    published = published_runs(
        session,
        compound.id,
        current - timedelta(days=HISTORY_DAYS),
        current + timedelta(days=LOOK_AHEAD_DAYS),
    )
    rows = [
        (evening, outcome)
        for evening, run in reversed(published)
        for outcome in outcomes_of(run, household.code)
    ]
    served = len({evening for evening, outcome in rows if outcome.space})
    return History(rows, served, len({evening for evening, _ in rows}) - served)
