"""Seeding a compound from a scenario file, and the accounts that go with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import parse_clock
from scenarios.schema import ScenarioFile
from service.models import (
    Account,
    AuditEntry,
    Car,
    Compound,
    Household,
    Night,
    ParkingRequest,
    Release,
    Role,
    Space,
)
from service.security import hash_code, hash_secret, new_activation_code


class CompoundExists(ValueError):
    pass


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
    and requests become those of the scenario's night, asked `now`. The caller commits."""
    if session.get(Compound, compound_id) is not None:
        raise CompoundExists(f"compound {compound_id!r} already exists")
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
            features=list(s.features),
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
            cars[h.id, car.plate] = Car(
                household_id=households[h.id].id,
                plate=car.plate,
                size=car.size,
                needs=list(car.needs),
            )
    for r in scenario.requests:
        # A request whose car the file does not list brings its car with it.
        cars.setdefault(
            (r.household, r.plate),
            Car(
                household_id=households[r.household].id,
                plate=r.plate or f"? {r.id}",
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
            car_id=cars[r.household, r.plate].id,
            arrive=parse_clock(r.arrive, scenario.night),
            depart=parse_clock(r.depart, scenario.night),
            created_at=now,
        )
        for r in scenario.requests
    )
    session.add(
        AuditEntry(
            at=now,
            compound_id=compound_id,
            action="import",
            detail=f"{scenario.name}: {len(spaces)} spaces, {len(households)} households",
        )
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
