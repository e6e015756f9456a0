"""Guidance before a request is stored: whether any space of the night could take it (the engine's
`check_fit`, the one function the API, the pages and `parking explain` share), its priority level,
and how requests like it fared on the last published nights.

The check sees the compound's spaces, the household, its requests already made for the night and
its recent overstays (which set a penalty level); not the other households' requests, so it says
"could be served", never "will be". Rented spaces count as if released, since renters may still
release theirs before the cutoff.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from engine.clock import format_clock, to_datetime
from engine.fit import Fit, SpaceGroups, check_fit, space_groups
from engine.model import Instance
from engine.phrases import CHINESE
from scenarios.loader import parse_scenario
from scenarios.mapping import to_instance
from scenarios.schema import ResultFile
from service.actions.allocation import space_entries
from service.actions.nights import request_key
from service.actions.policies import plan_in_force, policy_in_force
from service.models import Car, Compound, Household, Night, ParkingRequest, Run, Space
from service.schemas import ChanceOut, FitOut, GuidanceOut, StayOut

CHECKED = "the stay being checked"
"""The request id the checked stay has in the night the check builds."""

HISTORY_NIGHTS = 28
"""How many of the last published nights the chance looks at."""

SIMILAR_MINUTES = 60
"""Requests are similar when arrival and departure each lie within this many minutes."""

LEAST_SIMILAR = 5
"""Fewer similar requests than this and no chance is given: too little to go on."""


@dataclass(frozen=True)
class Chance:
    """How requests like one fared: `served` of `similar` on the last `nights` published nights."""

    served: int
    similar: int
    nights: int


@dataclass(frozen=True)
class Unfit:
    """A stay no space of the night could take: the engine's answer, its message in Chinese."""

    fit: Fit
    message_zh: str


@dataclass(frozen=True)
class Guidance:
    """What a resident is told about a stay before (and after) asking for it.

    Attributes
    ----------
    fit : Fit
        The engine's answer, its message in English.
    message_zh : str
        The same message in Chinese ("" when it fits).
    priority : int
        The request's level under the compound's plan.
    penalised : bool
        The level is the overstay penalty's.
    chance : Chance or None
        None when fewer than `LEAST_SIMILAR` similar requests were decided lately.
    """

    fit: Fit
    message_zh: str
    priority: int
    penalised: bool
    chance: Chance | None


# The compound's spaces and plan as the engine reads them, per (compound, evening), kept while
# the compound's revision stays (it moves with every change to the plan or a space): the check
# runs on every submission, and reading and mapping 446 spaces would cost most of it.
_pools: WeakKeyDictionary[Engine, OrderedDict[tuple[str, date], tuple[int, Pool]]] = (
    WeakKeyDictionary()
)
_pools_lock = Lock()
_KEPT_POOLS = 256


@dataclass(frozen=True)
class Pool:
    """The night's spaces and plan as the engine reads them, and its spaces in groups."""

    instance: Instance
    groups: SpaceGroups


def _pool(session: Session, compound: Compound, evening: date) -> Pool:
    """The night's spaces without their renters (the hard rules other than the pool's read none,
    and the pool's is not asked: every rented space counts as released) and the plan."""
    key = (compound.id, evening)
    revision = compound.revision  # read before the spaces: what is kept is never older
    with _pools_lock:
        known = _pools.setdefault(session.get_bind().engine, OrderedDict())
        kept = known.get(key)
        if kept is not None and kept[0] == revision:
            known.move_to_end(key)
            return kept[1]
    spaces = session.execute(
        select(
            Space.id,
            Space.code,
            Space.kind,
            Space.size,
            Space.features,
            Space.x,
            Space.y,
            Space.windows,
            Space.renter_id,
        )
        .where(Space.compound_id == compound.id)
        .order_by(Space.id)
    ).all()
    document = {
        "name": compound.name,
        "night": evening.isoformat(),
        "policy": policy_in_force(session, compound, evening),
        "spaces": space_entries(spaces, None, set()),
        "households": [],
    }
    instance = to_instance(parse_scenario(document, "check"), "check")
    pool = Pool(instance, space_groups(instance.spaces))
    with _pools_lock:
        known[key] = (revision, pool)
        known.move_to_end(key)
        while len(known) > _KEPT_POOLS:
            known.popitem(last=False)  # the least recently used
    return pool


def _with_stay(
    session: Session,
    compound: Compound,
    household: Household,
    evening: date,
    stay: dict[str, Any],
    *,
    ranked: bool,
) -> tuple[Instance, SpaceGroups]:
    """The night's pool with the household and `stay` (id `CHECKED`); `ranked` adds what decides
    the stay's priority level: the household's requests made before for the night ("first
    car") and its recent overstays (the penalty)."""
    earlier: list[tuple[ParkingRequest, Car]] = []
    overstayed: list[str] = []
    if ranked:
        earlier = [
            (r, c)
            for r, c in session.execute(
                select(ParkingRequest, Car)
                .join(Car, ParkingRequest.car_id == Car.id)
                .join(Night, ParkingRequest.night_id == Night.id)
                .where(
                    ParkingRequest.household_id == household.id,
                    Night.compound_id == compound.id,
                    Night.evening == evening,
                    ParkingRequest.car_id != stay["car_id"],
                )
                .order_by(ParkingRequest.created_at, ParkingRequest.id)
            )
        ]
        reach = plan_in_force(session, compound, evening).overstay_penalty.nights
        overstayed = [
            past.isoformat()
            for past, households in session.execute(
                select(Night.evening, Night.overstays).where(
                    Night.compound_id == compound.id,
                    Night.evening < evening,
                    Night.evening >= evening - timedelta(days=reach),
                )
            )
            if household.code in (households or ())
        ]

    def moment(minutes: int) -> str:
        return to_datetime(evening, minutes).isoformat(timespec="minutes")

    requests = [
        {
            "id": request_key(r.id),
            "household": household.code,
            "arrive": moment(r.arrive),
            "depart": moment(r.depart),
            "size": car.size,
            "needs": car.needs if r.needs is None else r.needs,
            "charging": r.charging,
        }
        for r, car in earlier
    ]
    requests.append(
        {
            "id": CHECKED,
            "household": household.code,
            "arrive": moment(stay["arrive"]),
            "depart": moment(stay["depart"]),
            "size": stay["size"],
            "needs": stay["needs"],
            "charging": stay["charging"],
        }
    )
    document = {
        "name": compound.name,
        "night": evening.isoformat(),
        "policy": policy_in_force(session, compound, evening),
        "spaces": [],
        "households": [
            {
                "id": household.code,
                "x": household.x,
                "y": household.y,
                "tags": household.tags,
                "has_space": household.has_space,
            }
        ],
        "requests": requests,
        "history": [{"household": household.code, "overstayed": overstayed}] if overstayed else [],
    }
    stays = to_instance(parse_scenario(document, "check"), "check")
    pool = _pool(session, compound, evening)
    instance = replace(
        pool.instance,
        households=stays.households,
        requests=stays.requests,
        history=stays.history,
    )
    return instance, pool.groups


def _stay(
    car: Car, arrive: int, depart: int, needs: list[str] | None, charging: bool
) -> dict[str, Any]:
    return {
        "car_id": car.id,
        "arrive": arrive,
        "depart": depart,
        "size": car.size,
        "needs": car.needs if needs is None else needs,
        "charging": charging,
    }


def _fit(instance: Instance, groups: SpaceGroups) -> tuple[Fit, str]:
    """The fit of the checked stay, and its message in Chinese ("" when it fits)."""
    request = instance.request_by_id[CHECKED]
    fit = check_fit(instance, request, groups=groups)
    if fit.fits:
        return fit, ""
    return fit, check_fit(instance, request, phrases=CHINESE, groups=groups).message


def fit_of(
    *,
    session: Session,
    compound: Compound,
    household: Household,
    evening: date,
    car: Car,
    arrive: int,
    depart: int,
    needs: list[str] | None,
    charging: bool = False,
) -> tuple[Fit, str]:
    """Whether any space could take this stay of `car` (night minutes, `needs` None: the car's),
    with the message in Chinese: the submission's check, without level or chance."""
    stay = _stay(car, arrive, depart, needs, charging)
    return _fit(*_with_stay(session, compound, household, evening, stay, ranked=False))


def guidance_of(
    *,
    session: Session,
    compound: Compound,
    household: Household,
    evening: date,
    car: Car,
    arrive: int,
    depart: int,
    needs: list[str] | None,
    charging: bool = False,
) -> Guidance:
    """The guidance for one stay of `car` (night minutes), with `needs` (None: the car's)."""
    stay = _stay(car, arrive, depart, needs, charging)
    instance, groups = _with_stay(session, compound, household, evening, stay, ranked=True)
    fit, message_zh = _fit(instance, groups)
    level, source = instance.priority_sources[CHECKED]
    return Guidance(
        fit=fit,
        message_zh=message_zh,
        priority=level,
        penalised=source.startswith("overstay penalty"),
        chance=chance_of(session, compound, evening, level, arrive, depart, charging),
    )


# A published run never changes, so what the chance needs of it is kept once read: for each
# decided request, its level, its stay (night minutes) and whether it was served. Kept per
# database (run ids are only unique within one), and forgotten with it.
Decided = tuple[tuple[int, int, int, bool, bool], ...]  # level, arrive, depart, served, charging
_decided: WeakKeyDictionary[Engine, OrderedDict[int, Decided]] = WeakKeyDictionary()
_decided_lock = Lock()
_KEPT_RUNS = 4096


def _minutes(evening: date, moment: datetime) -> int:
    days: int = (moment.date() - evening).days
    return days * 24 * 60 + moment.hour * 60 + moment.minute


def _decided_in(evening: date, result: ResultFile, charging: set[str]) -> Decided:
    """The decided requests of one run; `charging`: the ids of its charging sessions."""
    served = [
        (
            a.priority,
            _minutes(evening, a.start),
            _minutes(evening, a.end),
            True,
            a.request in charging,
        )
        for a in result.assignments
        if a.priority is not None
    ]
    refused = [
        (
            u.priority,
            _minutes(evening, u.arrive),
            _minutes(evening, u.depart),
            False,
            u.request in charging,
        )
        for u in result.unassigned
        if u.priority is not None and u.arrive is not None and u.depart is not None
    ]
    return tuple(served + refused)


def chance_of(
    session: Session,
    compound: Compound,
    evening: date,
    level: int,
    arrive: int,
    depart: int,
    charging: bool = False,
) -> Chance | None:
    """How requests of the same kind (stays, or charging sessions) at `level` arriving and
    departing within `SIMILAR_MINUTES` of this stay fared on the compound's last
    `HISTORY_NIGHTS` published nights before `evening`. Results stored before levels were kept
    with each row count as nights with no similar request."""
    nights = session.execute(
        select(Night.evening, Run.id)
        .join(Run, Night.published_run_id == Run.id)
        .where(
            Night.compound_id == compound.id,
            Night.evening < evening,
        )
        .order_by(Night.evening.desc())
        .limit(HISTORY_NIGHTS)
    ).all()
    with _decided_lock:
        known = _decided.setdefault(session.get_bind().engine, OrderedDict())
        missing = [run_id for _, run_id in nights if run_id not in known]
    if missing:
        runs = {
            run.id: run
            for run in session.scalars(select(Run).where(Run.id.in_(missing)))
            if run.result is not None
        }
        read = {
            run_id: _decided_in(
                past,
                runs[run_id].allocation,
                {r.id for r in runs[run_id].scenario.requests if r.charging},
            )
            for past, run_id in nights
            if run_id in runs
        }
        with _decided_lock:
            known.update(read)
            while len(known) > _KEPT_RUNS:
                known.popitem(last=False)  # the oldest read
    with _decided_lock:
        decided = [known.get(run_id, ()) for _, run_id in nights]
    similar = [
        served
        for rows in decided
        for row_level, row_arrive, row_depart, served, row_charging in rows
        if row_level == level
        and row_charging == charging
        and abs(row_arrive - arrive) <= SIMILAR_MINUTES
        and abs(row_depart - depart) <= SIMILAR_MINUTES
    ]
    if len(similar) < LEAST_SIMILAR:
        return None
    return Chance(served=sum(similar), similar=len(similar), nights=len(nights))


def fit_out(fit: Fit, message_zh: str) -> FitOut:
    """The fit as the API says it."""
    return FitOut(
        fits=fit.fits,
        fitting_spaces=fit.fitting,
        kinds=list(fit.kinds),
        reasons=[rule.value for rule in fit.reasons],
        no_household_space=fit.no_household_space,
        message=fit.message,
        message_zh=message_zh,
        suggestions=[
            StayOut(
                kind=stay.kind,
                arrive=format_clock(stay.arrive),
                depart=format_clock(stay.depart),
                change_minutes=stay.change,
            )
            for stay in fit.suggestions
        ],
    )


def guidance_out(guidance: Guidance) -> GuidanceOut:
    """The guidance as the API says it."""
    chance = guidance.chance
    return GuidanceOut(
        fit=fit_out(guidance.fit, guidance.message_zh),
        priority=guidance.priority,
        priority_penalised=guidance.penalised,
        chance=(
            None
            if chance is None
            else ChanceOut(
                served=chance.served,
                similar=chance.similar,
                nights=chance.nights,
                similar_minutes=SIMILAR_MINUTES,
            )
        ),
    )
