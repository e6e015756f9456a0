"""A published night as it is lived: cars check in and out, stays are given back or not used
(no-shows), and a freed space is offered to the waiting list.

The published run stays as it was published; what happened since is kept beside it (`CheckIn`,
`Vacancy`, `Offer`) and `LiveNight` reads both together. Every published stay still standing is
kept where it is; freed room is offered by `engine.live.refill`, which re-solves only the freed
spaces (docs/live-night.md says why that part is the whole answer). Every change holds the
night's row first, so two changes to one night at once are taken one after the other.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import Enum
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.clock import format_clock, to_datetime
from engine.live import refill, waiting_list
from engine.model import CapAccount, Instance
from scenarios.mapping import to_instance
from scenarios.schema import NoShowModel
from service.actions import audit
from service.actions.calendar import StayHours, current_evening
from service.actions.errors import Conflict, InvalidField, NotFound
from service.actions.nights import (
    hold_night,
    night_of,
    released_spaces,
    request_key,
    request_number,
)
from service.actions.policies import plan_in_force
from service.csv_cells import inert_cell
from service.models import (
    Account,
    CheckIn,
    Compound,
    Household,
    Night,
    NightState,
    Offer,
    OfferState,
    ParkingRequest,
    Release,
    Run,
    Space,
    Vacancy,
    VacancyReason,
    as_utc,
)
from service.notify import outbox
from service.ordering import natural_key
from service.plates import canonical
from service.schemas import (
    GateAnswerOut,
    LiveNightOut,
    LiveStayOut,
    OfferOut,
    OthersStayOut,
    SpaceTonightOut,
    WaitingOut,
)
from service.security import masked_plate

log = logging.getLogger(__name__)


class StayState(str, Enum):
    """Where a stay of a published night stands now."""

    EXPECTED = "expected"  # published (or given since), the car not checked in yet
    OFFERED = "offered"  # offered from the waiting list, the answer awaited
    CHECKED_IN = "checked_in"
    LEFT = "left"  # the household said the car has gone
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"  # given back by its household


STANDING = (StayState.EXPECTED, StayState.OFFERED, StayState.CHECKED_IN, StayState.LEFT)
"""The states of a stay that holds its space."""


@dataclass(frozen=True)
class LiveStay(StayHours):
    """One stay of the night as it stands: published, or given or offered since."""

    request_id: int
    space: str
    kind: str
    plate: str
    household: str
    start: datetime  # local, in the compound's time zone
    end: datetime
    state: StayState
    # When the car is expected: its arrival, or for a space given since, when it was given.
    expected_from: datetime
    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = None
    offer_id: int | None = None
    offer_expires_at: datetime | None = None
    charging: bool = False  # a charging session, not a parking stay

    @property
    def standing(self) -> bool:
        return self.state in STANDING


def _moment(stored: datetime | None) -> datetime | None:
    return as_utc(stored) if stored is not None else None


@dataclass
class LiveNight:
    """A published night with what happened since: read it with `live_night`."""

    compound: Compound
    night: Night
    run: Run
    checkins: dict[int, CheckIn]
    vacancies: dict[int, Vacancy]
    offers: dict[int, Offer]
    # Rented spaces released for the evening after it was published (the renter is away after
    # all): in the pool from then on.
    released_since: frozenset[str] = frozenset()

    @cached_property
    def instance(self) -> Instance:
        """The night as the engine allocated it (its snapshot), with the spaces released since."""
        snapshot = to_instance(self.run.scenario, "night snapshot")
        if not self.released_since:
            return snapshot
        return replace(
            snapshot,
            spaces=tuple(
                replace(space, released=True)
                if space.id in self.released_since and space.renter is not None
                else space
                for space in snapshot.spaces
            ),
        )

    @cached_property
    def stays(self) -> list[LiveStay]:
        """Every stay, standing or not, in the order of the spaces (naturally: 1-103 before
        10-102), then of arrival."""
        zone = ZoneInfo(self.compound.timezone)
        scenario, allocation = self.run.scenario, self.run.allocation
        asked = {r.id: r for r in scenario.requests}
        kind_of = {s.id: s.kind for s in scenario.spaces}
        stays = []
        for a in allocation.assignments:
            stays.append(
                self._stay(
                    request_number(a.request),
                    a.space,
                    a.kind,
                    asked[a.request].plate,
                    a.household,
                    a.start.replace(tzinfo=zone),
                    a.end.replace(tzinfo=zone),
                    asked[a.request].charging,
                )
            )
        night_start = self._night_start
        in_run = {a.request for a in allocation.assignments}
        for request_id, offer in self.offers.items():
            if offer.state in (OfferState.PASSED.value, OfferState.EXPIRED.value):
                continue
            if request_key(request_id) in in_run:
                continue  # a later run kept it: it is one of the run's stays now
            request = self.instance.request_by_id[request_key(request_id)]
            stays.append(
                self._stay(
                    request_id,
                    offer.space_code,
                    kind_of.get(offer.space_code, ""),
                    request.plate,
                    request.household,
                    night_start + timedelta(minutes=request.arrive),
                    night_start + timedelta(minutes=request.depart),
                    request.charging,
                )
            )
        return sorted(stays, key=lambda s: (natural_key(s.space), s.start))

    def _stay(
        self,
        request_id: int,
        space: str,
        kind: str,
        plate: str,
        household: str,
        start: datetime,
        end: datetime,
        charging: bool,
    ) -> LiveStay:
        checkin, vacancy, offer = (
            self.checkins.get(request_id),
            self.vacancies.get(request_id),
            self.offers.get(request_id),
        )
        if vacancy is not None:
            state = (
                StayState.NO_SHOW
                if vacancy.reason == VacancyReason.NO_SHOW.value
                else StayState.CANCELLED
            )
        elif checkin is not None:
            state = StayState.LEFT if checkin.checked_out_at else StayState.CHECKED_IN
        elif offer is not None and offer.state == OfferState.OPEN.value:
            state = StayState.OFFERED
        else:
            state = StayState.EXPECTED
        return LiveStay(
            request_id=request_id,
            space=space,
            kind=kind,
            plate=plate,
            household=household,
            start=start,
            end=end,
            state=state,
            checked_in_at=self._local(checkin.checked_in_at) if checkin else None,
            checked_out_at=self._local(checkin.checked_out_at) if checkin else None,
            offer_id=offer.id if offer else None,
            offer_expires_at=self._local(offer.expires_at) if offer else None,
            charging=charging,
            expected_from=max(start, as_utc(offer.answered_at or offer.offered_at))
            if offer
            else start,
        )

    def _local(self, stored: datetime | None) -> datetime | None:
        """A stored moment in the compound's time zone, as the stays' hours are."""
        return as_utc(stored).astimezone(ZoneInfo(self.compound.timezone)) if stored else None

    def kept(self) -> dict[str, str]:
        """Request to space of every stay that holds its space (offers awaiting an answer too)."""
        return {request_key(s.request_id): s.space for s in self.stays if s.standing}

    @property
    def _night_start(self) -> datetime:
        """Midnight before the evening, in the compound's time zone: night minutes count from it."""
        return datetime.combine(
            self.night.evening, datetime.min.time(), ZoneInfo(self.compound.timezone)
        )

    @property
    def vacated_accounts(self) -> set[CapAccount]:
        """The accounts (a household's parking, or its charging) whose own stay was vacated
        tonight: they are not offered another; the household's other kind still is."""
        return {
            self.instance.request_by_id[request_key(r)].account
            for r in self.vacancies
            if request_key(r) in self.instance.request_by_id
        }

    def freed_spaces(self) -> set[str]:
        """Every space that gained room since publishing: a stay vacated on it, an offer of it
        let pass or expired, or released after publishing. The refill re-solves all of them:
        room one of them could not use before (a household's cap held by an offer since
        passed on) may be usable now."""
        return (
            {v.space_code for v in self.vacancies.values()}
            | {
                o.space_code
                for o in self.offers.values()
                if o.state in (OfferState.PASSED.value, OfferState.EXPIRED.value)
            }
            | set(self.released_since)
        ) & self.instance.space_by_id.keys()

    def waiting(self, now: datetime | None = None) -> list[int]:
        """Tonight's waiting list, as the engine ranks it: refused requests never offered a
        space, of accounts whose own stay was not vacated, leaving after `now` when given."""
        refused = [u.request for u in self.run.allocation.unassigned]
        left_out = self.vacated_accounts
        ranked = waiting_list(self.instance, refused)
        return [
            request_number(r)
            for r in ranked
            if request_number(r) not in self.offers
            and self.instance.request_by_id[r].account not in left_out
            and (
                now is None
                or self._night_start + timedelta(minutes=self.instance.request_by_id[r].depart)
                > now
            )
        ]

    def stay_of(self, request_id: int) -> LiveStay | None:
        return next((s for s in self.stays if s.request_id == request_id), None)


def stay_out(stay: LiveStay) -> LiveStayOut:
    return LiveStayOut(
        request_id=stay.request_id,
        space=stay.space,
        kind=stay.kind,
        plate=stay.plate,
        household=stay.household,
        start=stay.start,
        end=stay.end,
        state=stay.state.value,
        checked_in_at=stay.checked_in_at,
        left_at=stay.checked_out_at,
        offer_id=stay.offer_id,
        offer_expires_at=stay.offer_expires_at,
        charging=stay.charging,
    )


def waiting_rows(live: LiveNight, now: datetime | None = None) -> list[WaitingOut]:
    """Tonight's waiting list with each request's hours and priority level."""
    instance = live.instance
    rows = []
    for position, request_id in enumerate(live.waiting(now), start=1):
        request = instance.request_by_id[request_key(request_id)]
        rows.append(
            WaitingOut(
                position=position,
                request_id=request_id,
                household=request.household,
                plate=request.plate,
                arrive=format_clock(request.arrive),
                depart=format_clock(request.depart),
                priority=instance.priorities[request.id],
                charging=request.charging,
            )
        )
    return rows


def read_live_night(
    *, session: Session, compound: Compound, evening: date, now: datetime
) -> LiveNightOut:
    """Staff's view of a published night as it stands: every stay and the waiting list."""
    night = night_of(session, compound.id, evening)
    live = live_night(session, compound, night)
    if live is None:
        raise Conflict("not_published", f"the night of {night.evening} is not published yet")
    return LiveNightOut(
        evening=night.evening,
        stays=[stay_out(s) for s in live.stays],
        waiting=waiting_rows(live, now),
    )


PerRequest = TypeVar("PerRequest", CheckIn, Vacancy, Offer)


def _by_request(session: Session, model: type[PerRequest], night: Night) -> dict[int, PerRequest]:
    """The night's rows of `model` by request, read again from the database (a change holding
    the night must see what another committed before it, not the session's older copy)."""
    rows = session.scalars(
        select(model).where(model.night_id == night.id).execution_options(populate_existing=True)
    )
    return {row.request_id: row for row in rows}


def live_night(session: Session, compound: Compound, night: Night) -> LiveNight | None:
    """The night with what happened since it was published; None before publishing."""
    if night.published_run_id is None:
        return None

    return LiveNight(
        compound=compound,
        night=night,
        run=session.get_one(Run, night.published_run_id),
        checkins=_by_request(session, CheckIn, night),
        vacancies=_by_request(session, Vacancy, night),
        offers=_by_request(session, Offer, night),
        released_since=frozenset(released_spaces(session, compound.id, night.evening)),
    )


def _stay_now(session: Session, compound: Compound, night: Night, request_id: int) -> LiveStay:
    """A stay read again after a change was committed."""
    live = live_night(session, compound, night)
    stay = live.stay_of(request_id) if live is not None else None
    if stay is None:
        raise NotFound("no_such_stay", f"request {request_id} has no space tonight")
    return stay


def _held_live(session: Session, compound: Compound, evening_night: Night) -> LiveNight:
    """The night held for a change, with what happened since; Conflict unless it is published."""
    night = hold_night(session, evening_night)
    if night.state == NightState.CLOSED.value:
        raise Conflict(
            "night_closed",
            f"the night of {night.evening} is closed (its overstays are recorded); "
            "nothing about it can change",
        )
    live = live_night(session, compound, night)
    if live is None:
        raise Conflict("not_published", f"the night of {night.evening} is not published yet")
    return live


def no_show_rule(session: Session, compound: Compound, night: Night) -> NoShowModel:
    """The plan's no-show rule for that night."""
    return plan_in_force(session, compound, night.evening).no_show


# ---------------------------------------------------------------------------------------------
# Check-in, and saying the car has left


@dataclass(frozen=True)
class OthersStay(StayHours):
    """Another household's stay on a space, as a resident may see it: the plate masked."""

    plate: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class SpaceTonight:
    """What scanning a space's code tells a resident: their stay there (to check in), or whose
    space it is tonight and where their own is."""

    space: str
    evening: date
    mine: LiveStay | None
    others: list[OthersStay]
    elsewhere: list[LiveStay]  # the household's stays tonight on other spaces
    checked_in_now: bool = False
    published: bool = True

    def out(self) -> SpaceTonightOut:
        return SpaceTonightOut(
            space=self.space,
            evening=self.evening,
            published=self.published,
            checked_in_now=self.checked_in_now,
            mine=stay_out(self.mine) if self.mine else None,
            others=[OthersStayOut(plate=o.plate, start=o.start, end=o.end) for o in self.others],
        )


def _compound_space(live: LiveNight, space: str) -> None:
    if space not in live.instance.space_by_id:
        raise NotFound("no_such_space", f"no space {space} in this compound")


def scan_space(
    *, session: Session, household: Household, space: str, now: datetime, check_in: bool
) -> SpaceTonight:
    """A resident scanned `space`'s code: with `check_in`, the household's stay there tonight is
    checked in."""
    compound = session.get_one(Compound, household.compound_id)
    evening = current_evening(compound.timezone, now)
    night = night_of(session, compound.id, evening)
    live = live_night(session, compound, night)
    if live is None:
        return SpaceTonight(space, evening, None, [], [], published=False)
    _compound_space(live, space)
    standing = [s for s in live.stays if s.standing]
    mine = _stay_to_scan(
        [s for s in standing if s.space == space and s.household == household.code], now
    )
    others = [
        OthersStay(masked_plate(s.plate), s.start, s.end)
        for s in standing
        if s.space == space and s.household != household.code
    ]
    elsewhere = [s for s in standing if s.space != space and s.household == household.code]
    if mine is None or not check_in or mine.state is not StayState.EXPECTED:
        return SpaceTonight(space, evening, mine, others, elsewhere)
    live = _held_live(session, compound, night)
    fresh = live.stay_of(mine.request_id)  # a no-show may have been recorded meanwhile
    if fresh is None or fresh.household != household.code:
        raise Conflict("not_expected", f"your stay on {space} no longer stands")
    _check_in(session, live, fresh, via="code", account_id=None, now=now)
    session.commit()
    return SpaceTonight(
        space,
        evening,
        _stay_now(session, compound, night, mine.request_id),
        others,
        elsewhere,
        checked_in_now=True,
    )


def _stay_to_scan(stays: list[LiveStay], now: datetime) -> LiveStay | None:
    """Of a household's stays on one space tonight (a charging session, then a parking stay),
    the one a scan is about: the first still expected and not over, else the one checked in,
    else the first."""
    return (
        next((s for s in stays if s.state is StayState.EXPECTED and s.end > now), None)
        or next((s for s in stays if s.state is StayState.CHECKED_IN), None)
        or next(iter(stays), None)
    )


def _check_in(
    session: Session,
    live: LiveNight,
    stay: LiveStay,
    *,
    via: str,
    account_id: int | None,
    now: datetime,
) -> None:
    if stay.request_id in live.checkins or stay.state is StayState.OFFERED:
        raise Conflict(
            "not_expected", f"{stay.plate} on {stay.space} is {stay.state.value}, not expected"
        )
    if stay.state in (StayState.NO_SHOW, StayState.CANCELLED):
        raise Conflict(
            "stay_vacated",
            f"the stay of {stay.plate} on {stay.space} no longer stands ({stay.state.value}); "
            "its space went to the waiting list",
        )
    if now >= stay.end:
        raise Conflict("stay_over", f"the stay of {stay.plate} on {stay.space} ended {stay.until}")
    session.add(
        CheckIn(
            night_id=live.night.id,
            request_id=stay.request_id,
            space_code=stay.space,
            checked_in_at=now,
            via=via,
            account_id=account_id,
        )
    )
    audit.record(
        session,
        compound_id=live.compound.id,
        account_id=account_id,
        at=now,
        action="check in" if via == "code" else "gate check in",
        evening=live.night.evening,
        space=stay.space,
        plate=stay.plate,
    )


def record_leaving(
    *, session: Session, household: Household, space: str, now: datetime
) -> LiveStay:
    """The household's car left `space` tonight (optional: the morning round then skips it)."""
    compound = session.get_one(Compound, household.compound_id)
    night = night_of(session, compound.id, current_evening(compound.timezone, now))
    live = _held_live(session, compound, night)
    _compound_space(live, space)
    mine = next(
        (
            s
            for s in live.stays
            if s.space == space
            and s.household == household.code
            and s.state is StayState.CHECKED_IN
        ),
        None,
    )
    if mine is None:
        raise Conflict("not_checked_in", f"no car of your household is checked in on {space}")
    live.checkins[mine.request_id].checked_out_at = now
    audit.record(
        session,
        compound_id=compound.id,
        account_id=None,
        at=now,
        action="left",
        evening=night.evening,
        space=space,
        plate=mine.plate,
    )
    session.commit()
    return _stay_now(session, compound, night, mine.request_id)


# ---------------------------------------------------------------------------------------------
# The gate


@dataclass(frozen=True)
class GateAnswer:
    """May this car park tonight? Each stay of a matching plate, standing or not, and where
    matching requests stand on the waiting list."""

    query: str
    stays: list[LiveStay]
    waiting: list[WaitingOut]

    @property
    def may_park(self) -> bool:
        return any(s.standing for s in self.stays)

    def out(self) -> GateAnswerOut:
        return GateAnswerOut(
            query=self.query,
            may_park=self.may_park,
            stays=[stay_out(s) for s in self.stays],
            waiting=self.waiting,
        )


def plate_matches(query: str, plate: str) -> bool:
    """Part of a plate, typed any way (with or without its province character, dots, spaces,
    lower case, fullwidth), is found in the plate's normal form."""
    wanted = canonical(query)
    return bool(wanted) and wanted in canonical(plate)


def gate_lookup(*, session: Session, compound: Compound, evening: date, query: str) -> GateAnswer:
    """The gate's question for a plate (or part of one) on a published night."""
    night = night_of(session, compound.id, evening)
    live = live_night(session, compound, night)
    if live is None:
        raise Conflict("not_published", f"the night of {night.evening} is not published yet")
    return GateAnswer(
        query=query,
        stays=[s for s in live.stays if plate_matches(query, s.plate)],
        waiting=[w for w in waiting_rows(live) if plate_matches(query, w.plate)],
    )


def gate_check_in(
    *,
    session: Session,
    compound: Compound,
    evening: date,
    request_id: int,
    account: Account,
    now: datetime,
) -> LiveStay:
    """Staff at the gate check a car in (a car without its phone, a resident who did not scan)."""
    night = night_of(session, compound.id, evening)
    live = _held_live(session, compound, night)
    stay = live.stay_of(request_id)
    if stay is None:
        raise NotFound("no_such_stay", f"request {request_id} has no space tonight")
    _check_in(session, live, stay, via="gate", account_id=account.id, now=now)
    session.commit()
    return _stay_now(session, compound, night, request_id)


def report_unauthorised(
    *,
    session: Session,
    compound: Compound,
    evening: date,
    plate: str,
    space: str,
    note: str,
    account: Account,
    now: datetime,
) -> None:
    """Staff found a car with no stay tonight: it goes in the audit log."""
    night = night_of(session, compound.id, evening)
    if not canonical(plate):
        raise InvalidField("plate", "say the plate of the car found")
    audit.record(
        session,
        compound_id=compound.id,
        account_id=account.id,
        at=now,
        action="unauthorised car",
        evening=night.evening,
        plate=canonical(plate),
        space=space or "-",
        note=note or "-",
    )
    session.commit()


# ---------------------------------------------------------------------------------------------
# Vacancies and the waiting list


def _vacate(
    session: Session,
    live: LiveNight,
    stay: LiveStay,
    reason: VacancyReason,
    account_id: int | None,
    now: datetime,
) -> None:
    vacancy = Vacancy(
        night_id=live.night.id,
        request_id=stay.request_id,
        space_code=stay.space,
        reason=reason.value,
        at=now,
        account_id=account_id,
    )
    session.add(vacancy)
    live.vacancies[stay.request_id] = vacancy
    live.__dict__.pop("stays", None)
    if reason is VacancyReason.NO_SHOW:
        outbox.no_show(
            session,
            compound=live.compound,
            night_id=live.night.id,
            evening=live.night.evening,
            request_id=stay.request_id,
            household=stay.household,
            plate=stay.plate,
            space=stay.space,
            now=now,
        )  # read again with the vacancy
    audit.record(
        session,
        compound_id=live.compound.id,
        account_id=account_id,
        at=now,
        action="no show" if reason is VacancyReason.NO_SHOW else "give back",
        evening=live.night.evening,
        space=stay.space,
        plate=stay.plate,
        household=stay.household,
    )


@dataclass(frozen=True)
class Offered:
    """One offer made: to whom, which space, why them."""

    request_id: int
    household: str
    plate: str
    space: str
    position: int  # on the waiting list when offered, from 1


def offer_freed(
    session: Session, live: LiveNight, freed: Iterable[str], now: datetime
) -> list[Offered]:
    """Offer the room on the spaces freed tonight to the waiting list (`engine.live.refill`), in
    the caller's transaction: each offer stored, audited with the engine's reason and notified.
    `freed` are the spaces that just gained room; every space freed earlier tonight is re-solved
    with them (`LiveNight.freed_spaces`)."""
    just_freed = set(freed)
    if not just_freed:
        return []
    freed = just_freed | live.freed_spaces()
    rule = no_show_rule(session, live.compound, live.night)
    waiting = live.waiting(now)
    if not waiting:
        return []
    position = {r: i for i, r in enumerate(waiting, start=1)}
    done = refill(
        live.instance,
        kept=live.kept(),
        freed=freed,
        waiting=[request_key(r) for r in waiting],
        vacated=live.vacated_accounts,
    )
    made = []
    priorities = live.instance.priorities
    for key, space in done.offers.items():
        request_id = request_number(key)
        request = live.instance.request_by_id[key]
        given = rule.offer_minutes == 0
        offer = Offer(
            night_id=live.night.id,
            request_id=request_id,
            space_code=space,
            state=(OfferState.GIVEN if given else OfferState.OPEN).value,
            offered_at=now,
            expires_at=None if given else now + timedelta(minutes=rule.offer_minutes),
            answered_at=now if given else None,
        )
        session.add(offer)
        session.flush()
        live.offers[request_id] = offer
        made.append(
            Offered(request_id, request.household, request.plate, space, position[request_id])
        )
        audit.record(
            session,
            compound_id=live.compound.id,
            account_id=None,
            at=now,
            action="space given" if given else "space offered",
            evening=live.night.evening,
            space=space,
            plate=request.plate,
            household=request.household,
            position=position[request_id],
            priority=priorities[key],
        )
    live.__dict__.pop("stays", None)
    if made:
        outbox.spaces_offered(
            session,
            compound=live.compound,
            night_id=live.night.id,
            evening=live.night.evening,
            offers=[
                outbox.OfferNote(
                    offer_id=live.offers[o.request_id].id,
                    household=o.household,
                    plate=o.plate,
                    space=o.space,
                    expires_at=live.offers[o.request_id].expires_at,
                )
                for o in made
            ],
            now=now,
        )
    return made


def give_back(
    *, session: Session, household: Household, request_id: int, now: datetime
) -> list[Offered]:
    """The household will not use its space tonight after all: the stay is given back and its
    space offered to the waiting list."""
    compound = session.get_one(Compound, household.compound_id)
    request = session.get(ParkingRequest, request_id)
    if request is None or request.household_id != household.id:
        raise NotFound("no_such_request", f"no request {request_id} in your household")
    live = _held_live(session, compound, session.get_one(Night, request.night_id))
    stay = live.stay_of(request_id)
    if stay is None or not stay.standing or stay.state is StayState.OFFERED:
        raise Conflict("no_stay", f"request {request_id} holds no space tonight")
    if stay.state is StayState.CHECKED_IN:
        raise Conflict(
            "still_checked_in",
            f"your car is checked in on {stay.space}: say it has left, then give the space back",
        )
    if now >= stay.end:
        raise Conflict("stay_over", f"the stay on {stay.space} ended {stay.until}")
    _vacate(session, live, stay, VacancyReason.CANCELLED, None, now)
    made = offer_freed(session, live, {stay.space}, now)
    session.commit()
    return made


def release_tonight(
    *, session: Session, household: Household, space: str, now: datetime
) -> list[Offered]:
    """The renter will not be home tonight after all, the night already published: the rented
    space is released for this evening and offered to the waiting list at once."""
    compound = session.get_one(Compound, household.compound_id)
    rented = session.scalar(
        select(Space).where(
            Space.compound_id == compound.id,
            Space.code == space,
            Space.renter_id == household.id,
        )
    )
    if rented is None:
        raise NotFound("no_rented_space", f"your household rents no space {space!r}")
    evening = current_evening(compound.timezone, now)
    live = _held_live(session, compound, night_of(session, compound.id, evening))
    if space in live.released_since or any(
        s.id == space and s.released for s in live.instance.spaces
    ):
        raise Conflict("release_overlaps", f"{space} is already released tonight")
    session.add(Release(space_id=rented.id, first_evening=evening, last_evening=evening))
    audit.record(
        session,
        compound_id=compound.id,
        account_id=None,
        at=now,
        action="release tonight",
        evening=evening,
        space=space,
        household=household.code,
    )
    live.released_since = live.released_since | {space}
    for cached in ("instance", "stays"):
        live.__dict__.pop(cached, None)
    made = offer_freed(session, live, {space}, now)
    session.commit()
    return made


def answer_offer(
    *, session: Session, household: Household, offer_id: int, accept: bool, now: datetime
) -> Offer:
    """The household takes the space offered, or lets it pass on at once. Another household's
    offer is answered as none (404), as everything a resident touches."""
    found = session.execute(
        select(Offer.night_id, Offer.request_id).where(Offer.id == offer_id)
    ).first()
    night = session.get(Night, found.night_id) if found else None
    asked = session.get(ParkingRequest, found.request_id) if found else None
    if (
        found is None
        or night is None
        or asked is None
        or night.compound_id != household.compound_id
        or asked.household_id != household.id
    ):
        raise NotFound("no_such_offer", f"no offer {offer_id} for your household")
    compound = session.get_one(Compound, household.compound_id)
    # Held before the offer is read: the clock may have let it expire and offered the space on.
    live = _held_live(session, compound, night)
    offer = live.offers[found.request_id]
    if offer.state != OfferState.OPEN.value:
        raise Conflict(
            "offer_closed", f"offer {offer_id} is {offer.state}; it can no longer be answered"
        )
    if offer.expires_at is not None and now >= as_utc(offer.expires_at):
        _expire(session, live, offer, now)
        offer_freed(session, live, {offer.space_code}, now)
        session.commit()
        raise Conflict("offer_closed", f"offer {offer_id} expired; it passed on")
    offer.state = (OfferState.ACCEPTED if accept else OfferState.PASSED).value
    offer.answered_at = now
    audit.record(
        session,
        compound_id=compound.id,
        account_id=None,
        at=now,
        action="offer taken" if accept else "offer passed on",
        evening=live.night.evening,
        space=offer.space_code,
        household=household.code,
    )
    live.__dict__.pop("stays", None)
    if not accept:
        offer_freed(session, live, {offer.space_code}, now)
    session.commit()
    return offer


def close_open_offers(session: Session, night: Night, now: datetime) -> None:
    """Offers still unanswered when the night closes expire with it (nothing is offered on)."""
    session.execute(
        update(Offer)
        .where(Offer.night_id == night.id, Offer.state == OfferState.OPEN.value)
        .values(state=OfferState.EXPIRED.value, answered_at=now)
    )


def offer_out(offer: Offer) -> OfferOut:
    return OfferOut(
        id=offer.id,
        space=offer.space_code,
        state=OfferState(offer.state).value,
        expires_at=_moment(offer.expires_at),
    )


def _expire(session: Session, live: LiveNight, offer: Offer, now: datetime) -> None:
    offer.state, offer.answered_at = OfferState.EXPIRED.value, now
    live.__dict__.pop("stays", None)
    audit.record(
        session,
        compound_id=live.compound.id,
        account_id=None,
        at=now,
        action="offer expired",
        evening=live.night.evening,
        space=offer.space_code,
        household=live.instance.request_by_id[request_key(offer.request_id)].household,
    )


@dataclass(frozen=True)
class Sweep:
    """What one pass of the night's clock did."""

    no_shows: int
    expired: int
    offered: int

    def __add__(self, other: Sweep) -> Sweep:
        return Sweep(
            self.no_shows + other.no_shows,
            self.expired + other.expired,
            self.offered + other.offered,
        )


def sweep_night(*, session: Session, compound: Compound, evening: date, now: datetime) -> Sweep:
    """The night's clock: offers not answered in time pass on; with the plan's no-show rule, a
    car not checked in `after_minutes` after its arrival is a no-show and its space goes to the
    waiting list. Idempotent: a second pass at the same moment does nothing."""
    night = night_of(session, compound.id, evening)
    if night.state != NightState.PUBLISHED.value:
        return Sweep(0, 0, 0)
    rule = no_show_rule(session, compound, night)
    offer_due = session.scalar(
        select(Offer.id).where(
            Offer.night_id == night.id,
            Offer.state == OfferState.OPEN.value,
            Offer.expires_at <= now,
        )
    )
    if rule.after_minutes is None and offer_due is None:
        session.rollback()  # nothing can be due: no lock taken, no snapshot read
        return Sweep(0, 0, 0)
    live = _held_live(session, compound, night)
    freed: set[str] = set()
    expired = 0
    for offer in list(live.offers.values()):
        expires = _moment(offer.expires_at)
        if offer.state == OfferState.OPEN.value and expires is not None and expires <= now:
            _expire(session, live, offer, now)
            freed.add(offer.space_code)
            expired += 1
    no_shows = 0
    if rule.after_minutes is not None:
        late = timedelta(minutes=rule.after_minutes)
        for stay in live.stays:
            if stay.state is StayState.EXPECTED and stay.expected_from + late <= now < stay.end:
                _vacate(session, live, stay, VacancyReason.NO_SHOW, None, now)
                freed.add(stay.space)
                no_shows += 1
    offered = len(offer_freed(session, live, freed, now))
    session.commit()
    return Sweep(no_shows, expired, offered)


def sweep_current_nights(session: Session, now: datetime) -> Sweep:
    """`sweep_night` for every compound's published night under way (the worker's clock)."""
    # The nights under way are at most a day apart across time zones: read the few candidates.
    recent = session.execute(
        select(Night.evening, Compound)
        .join(Compound, Night.compound_id == Compound.id)
        .where(
            Night.state == NightState.PUBLISHED.value,
            Night.evening >= (now - timedelta(days=2)).date(),
        )
    ).all()
    session.rollback()
    totals = Sweep(0, 0, 0)
    for evening, compound in recent:
        if evening != current_evening(compound.timezone, now):
            continue
        try:
            totals += sweep_night(session=session, compound=compound, evening=evening, now=now)
        except Exception:  # one night's trouble must not stop the others' clocks
            session.rollback()
            log.exception("the clock of %s's night of %s failed", compound.id, evening)
    return totals


def mark_no_show(
    *,
    session: Session,
    compound: Compound,
    evening: date,
    request_id: int,
    account: Account,
    now: datetime,
) -> list[Offered]:
    """Staff say a car did not come (the plan may have no automatic rule): its space goes to the
    waiting list at once."""
    night = night_of(session, compound.id, evening)
    live = _held_live(session, compound, night)
    stay = live.stay_of(request_id)
    if stay is None or stay.state is not StayState.EXPECTED:
        raise Conflict(
            "not_expected",
            f"request {request_id} is not a stay still expected tonight",
        )
    if not stay.start <= now < stay.end:
        raise Conflict(
            "not_under_way",
            f"the stay of {stay.plate} on {stay.space} runs from {stay.since} to {stay.until}: "
            "a car is a no-show only between",
        )
    _vacate(session, live, stay, VacancyReason.NO_SHOW, account.id, now)
    made = offer_freed(session, live, {stay.space}, now)
    session.commit()
    return made


# The session files of the Trondheim data set's layout: `python -m scenarios.calibration` reads
# the stays (a compound's own check-ins calibrate the simulator's arrivals and departures), and
# `parking chargers --data` the charging sessions (a compound's own demand, replayed on fewer or
# more chargers).
SESSION_COLUMNS = ("User_ID", "User_type", "Start_plugin", "End_plugout", "Duration_hours")
CHARGING_COLUMNS = (
    "User_ID",
    "User_type",
    "Shared_ID",
    "Start_plugin",
    "End_plugout",
    "Duration_hours",
    "El_kWh",
)
SESSION_TIMESTAMP = "%d.%m.%Y %H:%M"
LONGEST_EXPORT_DAYS = 366


def sessions_csv(
    *, session: Session, compound: Compound, first: date, last: date, charging: bool = False
) -> str:
    """The published nights from `first` to `last` as sessions. Without `charging`: every parking
    stay that checked in and said it left, its arrival and departure as lived (the compound's
    time). With `charging`: every charging session asked for, served or not (the demand a count
    of chargers must meet), its hours as asked and the charger it was given (`Shared_ID`;
    ``none`` when refused: the replay skips only ``NA``); energy is not metered here (``El_kWh``
    is ``NA``)."""
    if last < first:
        raise InvalidField("last", "the last evening comes before the first")
    if (last - first).days >= LONGEST_EXPORT_DAYS:
        raise InvalidField("last", f"at most {LONGEST_EXPORT_DAYS} evenings at a time")
    nights = session.scalars(
        select(Night)
        .where(
            Night.compound_id == compound.id,
            Night.evening >= first,
            Night.evening <= last,
            Night.published_run_id.is_not(None),
        )
        .order_by(Night.evening)
    ).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(CHARGING_COLUMNS if charging else SESSION_COLUMNS)
    for night in nights:
        lived = live_night(session, compound, night)
        if lived is None:
            continue
        writer.writerows(_charging_rows(lived) if charging else _stay_rows(lived))
    session.commit()
    return buffer.getvalue()


def _stay_rows(lived: LiveNight) -> Iterable[list[str]]:
    for stay in lived.stays:
        if stay.charging or stay.checked_in_at is None or stay.checked_out_at is None:
            continue
        hours = (stay.checked_out_at - stay.checked_in_at).total_seconds() / 3600
        yield [
            inert_cell(stay.household),
            "Private",
            f"{stay.checked_in_at:{SESSION_TIMESTAMP}}",
            f"{stay.checked_out_at:{SESSION_TIMESTAMP}}",
            f"{hours:.2f}",
        ]


def _charging_rows(lived: LiveNight) -> Iterable[list[str]]:
    given = {request_key(s.request_id): s.space for s in lived.stays if s.standing}
    for request in lived.instance.requests:
        if not request.charging:
            continue
        start = to_datetime(lived.night.evening, request.arrive)
        end = to_datetime(lived.night.evening, request.depart)
        yield [
            inert_cell(request.household),
            "Shared",
            inert_cell(given.get(request.id, "none")),
            f"{start:{SESSION_TIMESTAMP}}",
            f"{end:{SESSION_TIMESTAMP}}",
            f"{(request.depart - request.arrive) / 60:.2f}",
            "NA",
        ]
