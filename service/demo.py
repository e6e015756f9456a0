"""The demo: the bundled Laiyang compound with a night allocated and published, and accounts to try
it with. `parking demo` serves it; the page tests start from the same state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scenarios.loader import LAIYANG, load_scenario
from scenarios.schema import ChargerModel, RequestModel, ScenarioFile, SpaceModel
from service.actions import ballots
from service.actions.allocation import publish, run_night
from service.actions.nights import night_of
from service.actions.staff import gate_rows
from service.compounds import create_staff, import_scenario, resident_account
from service.db import make_engine, make_sessions, upgrade
from service.models import Account, Ballot, Compound, Household, Night, Run, Space
from service.schemas import BallotIn
from service.security import hash_secret

COMPOUND = "laiyang"
STAFF = ("staff", "staff-demo")
BALLOT_QUESTION = "明年起采用哪个夜间共享停车方案？"
# The demo's households have no registered floor areas: made up from the flat's number (60 to
# 139 m²), and every 97th left without one, as an office with an incomplete register would be.
MISSING_AREA_EVERY = 97
RESIDENT_PASSWORD = "resident-demo"
# Laiyang's plan shares no charge point: the demo adds a bay of them by the north gate so that
# charging can be tried, with their own hours, and books sessions for some cars that charge.
CHARGE_POINTS = 4
CHARGE_POINT_HOURS = ["17:00-09:00"]
CHARGING_SESSIONS = 10
SESSION_HOURS = [
    ("18:00", "21:00"),
    ("18:30", "22:00"),
    ("20:00", "23:30"),
    ("21:00", "01:00"),
    ("22:00", "06:00"),
]


@dataclass(frozen=True)
class Demo:
    evening: date
    # What each demo resident shows -> their household code (username: laiyang/<code>).
    residents: dict[str, str]

    def username(self, role: str) -> str:
        return f"{COMPOUND}/{self.residents[role]}"


def seed_demo(url: str, evening: date, now: datetime, solver_seconds: float = 20.0) -> Demo:
    """A new database at `url` holding Laiyang with its night moved to `evening`, allocated and
    published (at `now`)."""
    scenario, _ = load_scenario(LAIYANG)
    upgrade(url)
    engine = make_engine(url)
    sessions = make_sessions(engine)
    try:
        with sessions.begin() as session:
            tonight = with_charge_points(scenario.model_copy(update={"night": evening}))
            import_scenario(session, tonight, COMPOUND, now=now)
            create_staff(session, COMPOUND, *STAFF)
        run = run_night(
            sessions=sessions,
            compound_id=COMPOUND,
            evening=evening,
            account_id=None,
            time_limit=solver_seconds,
            now=now,
        )
        # Parking requests only: a household refused only a charger is not the refused resident.
        household_of = {r.id: r.household for r in run.scenario.requests if not r.charging}
        served = parked(run)
        renters = {s.renter for s in run.scenario.spaces if s.renter}
        residents = {
            # A renter whose car was served: shows a space on the map, and can release their own.
            "served tonight, rents a space": next(h for h in sorted(served) if h in renters),
            "refused tonight": next(
                household_of[u.request]
                for u in run.allocation.unassigned
                if u.request in household_of and household_of[u.request] not in served
            ),
        }
        with sessions.begin() as session:
            for code in residents.values():
                household = session.scalars(
                    select(Household).where(
                        Household.compound_id == COMPOUND, Household.code == code
                    )
                ).one()
                resident_account(session, household).password_hash = hash_secret(RESIDENT_PASSWORD)
            night = night_of(session, COMPOUND, evening)
            publish(session=session, night=night, account_id=None, now=now)
        _open_ballot(sessions, now)
    finally:
        engine.dispose()
    return Demo(evening, residents)


def with_charge_points(scenario: ScenarioFile) -> ScenarioFile:
    """The scenario with `CHARGE_POINTS` shared 7 kW charge points (kind ``charger``, kept for
    charging, one session per household a night) and `CHARGING_SESSIONS` sessions booked by the
    first cars that need a charger, in `SESSION_HOURS` by turns."""
    points = [
        SpaceModel(
            id=f"C-{i + 1:02d}",
            kind="charger",
            charger=ChargerModel(socket="ev", power_kw=7.0),
            x=2.0 + 3.0 * i,
            y=5.0,
            windows=CHARGE_POINT_HOURS,
        )
        for i in range(CHARGE_POINTS)
    ]
    charging_cars = [
        (household.id, car.plate)
        for household in scenario.households
        for car in household.cars
        if "ev_charger" in car.needs
    ][:CHARGING_SESSIONS]
    sessions = [
        RequestModel(
            id=f"C{i + 1:04d}",
            household=household,
            plate=plate,
            arrive=SESSION_HOURS[i % len(SESSION_HOURS)][0],
            depart=SESSION_HOURS[i % len(SESSION_HOURS)][1],
            needs=["ev_charger"],
            charging=True,
        )
        for i, (household, plate) in enumerate(charging_cars)
    ]
    policy = scenario.policy.model_copy(
        update={"charging_only_kinds": ["charger"], "charging_cap": 1}
    )
    return scenario.model_copy(
        update={
            "policy": policy,
            "spaces": [*scenario.spaces, *points],
            "requests": [*scenario.requests, *sessions],
        }
    )


def parked(run: Run) -> set[str]:
    """The households with a parking stay in the run (a charging session is not one): the demo's
    served resident is one of them, so that its page shows a space."""
    charging = {r.id for r in run.scenario.requests if r.charging}
    return {a.household for a in run.allocation.assignments if a.request not in charging}


def floor_area(index: int, code: str) -> float | None:
    if index % MISSING_AREA_EVERY == MISSING_AREA_EVERY - 1:
        return None
    return 60.0 + sum(ord(c) * (i + 1) for i, c in enumerate(code)) % 80 + 0.5 * (index % 2)


def _open_ballot(sessions: sessionmaker[Session], now: datetime) -> None:
    """An open ballot between the plan as voted and the earlier hours (and "none of these"),
    open for two weeks from `now`, its simulation done (as the worker would do it)."""
    with sessions.begin() as session:
        households = session.scalars(
            select(Household).where(Household.compound_id == COMPOUND).order_by(Household.id)
        ).all()
        for index, household in enumerate(households):
            household.floor_area = floor_area(index, household.code)
    with sessions() as session:
        staff = session.scalars(select(Account).where(Account.username == STAFF[0])).one()
        made = ballots.create_ballot(
            session=session,
            compound=session.get_one(Compound, COMPOUND),
            body=BallotIn(
                question=BALLOT_QUESTION,
                opens_at=now,
                closes_at=now + timedelta(days=14),
                options=[
                    {"bundled": "laiyang-voted"},
                    {"bundled": "earlier-hours"},
                    {"kind": "none"},
                ],
            ),
            account=staff,
            now=now,
        )
        job_id = ballots.job_of(
            session=session, compound=session.get_one(Compound, COMPOUND), ballot_id=made.id
        )
    ballots.run_simulation(sessions=sessions, job_id=job_id, clock=lambda: now)
    with sessions() as session:
        assert session.get_one(Ballot, made.id).simulation is not None


def existing_demo(url: str) -> Demo | None:
    """The demo already in the database at `url` (upgraded first: a demo made by an earlier
    version is served too), or None when it holds no demo compound. Its evening is the latest
    published night; its residents are the accounts with a password, named as `seed_demo` names
    them by that night's outcome."""
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_sessions(engine)() as session:
            night = session.scalars(
                select(Night)
                .where(Night.compound_id == COMPOUND, Night.published_run_id.is_not(None))
                .order_by(Night.evening.desc())
            ).first()
            if night is None or night.published_run_id is None:
                return None
            run = session.get_one(Run, night.published_run_id)
            served = parked(run)
            signed_up = session.scalars(
                select(Household.code)
                .join(Account, Account.household_id == Household.id)
                .where(Household.compound_id == COMPOUND, Account.password_hash.is_not(None))
                .order_by(Household.code)
            ).all()
    finally:
        engine.dispose()
    roles = {
        "served tonight, rents a space": [code for code in signed_up if code in served],
        "refused tonight": [code for code in signed_up if code not in served],
    }
    return Demo(night.evening, {role: codes[0] for role, codes in roles.items() if codes})


def rented_space(url: str, household: str) -> str:
    """The code of a space the household rents (for the tests' renter)."""
    engine = make_engine(url)
    try:
        with make_sessions(engine)() as session:
            code = session.scalars(
                select(Space.code)
                .join(Household, Space.renter_id == Household.id)
                .where(Household.compound_id == COMPOUND, Household.code == household)
                .order_by(Space.code)
            ).first()
            if code is None:
                raise ValueError(f"household {household} rents no space")
            return code
    finally:
        engine.dispose()


def space_tonight(url: str, demo: Demo, role: str) -> str | None:
    """The space the demo resident `role` has on the demo's night (for the address of its
    check-in code), or None."""
    engine = make_engine(url)
    try:
        with make_sessions(engine)() as session:
            rows = gate_rows(
                session=session, compound=session.get_one(Compound, COMPOUND), evening=demo.evening
            )
            household = demo.residents.get(role)
            # Its parking stay's space, not a charger it charges at.
            return next(
                (r.space for r in rows or () if r.household == household and not r.charging), None
            )
    finally:
        engine.dispose()
