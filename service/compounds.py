"""Seeding a compound from a scenario file, and the accounts that go with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import parse_clock
from scenarios.mapping import charger_features
from scenarios.schema import RequestModel, ScenarioFile
from service.actions import audit
from service.models import (
    Account,
    Car,
    Compound,
    Household,
    Night,
    ParkingRequest,
    Release,
    Role,
    Space,
)
from service.plates import PlateError, canonical, normal_plate
from service.security import hash_code, hash_secret, new_activation_code


class CompoundExists(ValueError):
    pass


class InvalidPlates(ValueError):
    """A scenario's plates that are no plates, or one plate in two households; each line names
    where it is (``households[3].cars[0].plate: ...``)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the scenario's plates cannot be imported:\n  " + "\n  ".join(problems))
        self.problems = problems


def _plates(scenario: ScenarioFile) -> dict[tuple[str, str], str]:
    """The normal form of every plate the scenario gives, by (household, plate as written); the
    same car may be written 沪A·12345 in a household and 沪A12345 in a request."""
    normal: dict[tuple[str, str], str] = {}
    problems: list[str] = []
    owner: dict[str, str] = {}

    def take(household: str, plate: str, where: str) -> None:
        try:
            normal[household, plate] = normal_plate(plate)
        except PlateError as error:
            problems.append(f"{where}: {error.message}")
            return
        first = owner.setdefault(normal[household, plate], household)
        if first != household:
            problems.append(
                f"{where}: {normal[household, plate]} is also a car of household {first}"
            )

    for i, h in enumerate(scenario.households):
        for j, car in enumerate(h.cars):
            take(h.id, car.plate, f"households[{i}].cars[{j}].plate")
    for i, r in enumerate(scenario.requests):
        if r.plate:  # a request without a plate brings a car named after it (below)
            take(r.household, r.plate, f"requests[{i}].plate")
    if problems:
        raise InvalidPlates(problems)
    return normal


@dataclass(frozen=True)
class ImportSummary:
    compound: str
    households: int
    spaces: int
    cars: int
    requests: int
    releases: int


def import_scenario(
    session: Session,
    scenario: ScenarioFile,
    compound_id: str,
    *,
    now: datetime,
    name: str | None = None,
) -> ImportSummary:
    """A new compound holding the scenario's plan, spaces, households and cars; its released spaces
    and requests become those of the scenario's night, asked `now`. Plates are stored in normal
    form (InvalidPlates for those that are none). The caller commits."""
    if session.get(Compound, compound_id) is not None:
        raise CompoundExists(f"compound {compound_id!r} already exists")
    plates = _plates(scenario)
    session.add(
        Compound(
            id=compound_id,
            name=name or scenario.name,
            policy=scenario.policy.model_dump(mode="json"),
        )
    )
    renters = {s.renter for s in scenario.spaces if s.renter}
    households = {
        h.id: Household(
            compound_id=compound_id,
            code=h.id,
            x=h.x,
            y=h.y,
            tags=list(h.tags),
            has_space=h.has_space if h.has_space is not None else h.id in renters,
        )
        for h in scenario.households
    }
    session.add_all(households.values())
    session.flush()
    spaces = [
        Space(
            compound_id=compound_id,
            code=s.id,
            kind=s.kind,
            size=s.size,
            # A charge point's socket and power are stored as the features they give.
            features=sorted(set(s.features) | charger_features(s.charger)),
            x=s.x,
            y=s.y,
            windows=s.windows,
            renter_id=households[s.renter].id if s.renter else None,
        )
        for s in scenario.spaces
    ]
    session.add_all(spaces)
    cars: dict[tuple[str, str], Car] = {}
    for h in scenario.households:
        for car in h.cars:
            cars[h.id, plates[h.id, car.plate]] = Car(
                household_id=households[h.id].id,
                plate=plates[h.id, car.plate],
                size=car.size,
                needs=list(car.needs),
            )

    def plate_of(r: RequestModel) -> str:
        # A request without a plate names its car after itself (stored in normal form, as all).
        return plates.get((r.household, r.plate)) or canonical(f"?{r.id}")

    for r in scenario.requests:
        # A request whose car the file does not list brings its car with it.
        plate = plate_of(r)
        cars.setdefault(
            (r.household, plate),
            Car(
                household_id=households[r.household].id,
                plate=plate,
                size=r.size,
                needs=list(r.needs),
            ),
        )
    session.add_all(cars.values())
    session.flush()
    night = Night(compound_id=compound_id, evening=scenario.night)
    session.add(night)
    session.flush()
    released = [
        Release(space_id=space.id, first_evening=scenario.night, last_evening=scenario.night)
        for space, s in zip(spaces, scenario.spaces)
        if s.released
    ]
    session.add_all(released)
    session.add_all(
        ParkingRequest(
            night_id=night.id,
            household_id=households[r.household].id,
            car_id=cars[r.household, plate_of(r)].id,
            arrive=parse_clock(r.arrive, scenario.night),
            depart=parse_clock(r.depart, scenario.night),
            created_at=now,
            # A charging session keeps what it asked (the socket); a stay asks its car's needs.
            needs=list(r.needs) if r.charging else None,
            charging=r.charging,
        )
        for r in scenario.requests
    )
    audit.record(
        session,
        compound_id=compound_id,
        account_id=None,
        at=now,
        action="import",
        name=scenario.name,
        spaces=len(spaces),
        households=len(households),
    )
    return ImportSummary(
        compound_id, len(households), len(spaces), len(cars), len(scenario.requests), len(released)
    )


def create_staff(session: Session, compound_id: str, username: str, password: str) -> Account:
    account = Account(
        username=username,
        role=Role.STAFF.value,
        compound_id=compound_id,
        password_hash=hash_secret(password),
    )
    session.add(account)
    return account


def resident_account(session: Session, household: Household) -> Account:
    account = session.scalar(select(Account).where(Account.household_id == household.id))
    if account is None:
        account = Account(
            username=f"{household.compound_id}/{household.code}",
            role=Role.RESIDENT.value,
            compound_id=household.compound_id,
            household_id=household.id,
        )
        session.add(account)
    return account


def issue_activation(session: Session, household: Household) -> str:
    """A one-time code with which the household's resident sets a password; replaces any
    earlier one."""
    code = new_activation_code()
    resident_account(session, household).activation_hash = hash_code(code)
    return code
