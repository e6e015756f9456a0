"""One plan, one seed, night after night with the real engine.

Each night: draw the residents' demand, build the engine's instance under the plan, allocate,
play the evening out (cars that do not come; under a plan that detects them, their spaces
offered to the waiting list with `engine.live.refill`), then the morning (late cars, renters
coming home), and carry the household history (refusals for fairness, last space for
stability, overstays for the penalty, detected no-shows for their forfeit) to the next night.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np

from engine import (
    Assignment,
    HouseholdHistory,
    Instance,
    Policy,
    Request,
    Result,
    Size,
    Space,
    Window,
    solve,
)
from engine.eligibility import EligibilityTable
from engine.live import refill
from engine.model import CapAccount
from simulation.calibration import NightCalibration
from simulation.demand import DemandStream, NightDemand, longest_part_inside
from simulation.model import DemandModel, Plan, Site

# Occupancy is sampled on the hour, from 18:00 to 11:00 the next morning.
HOURS = tuple(18 * 60 + 60 * k for k in range(18))
_HOURS = np.array(HOURS)


@dataclass
class RunResult:
    """What one (plan, seed) run produced: a row per night, and arrays per household and hour."""

    plan: str
    seed: int
    rows: list[dict] = field(default_factory=list)
    # nights x households: requests made, and nights the household asked and got nothing.
    asked: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int16))
    refused: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    # kind -> nights x HOURS: cars present on that kind's shared spaces; and spaces it offered.
    occupancy: dict[str, np.ndarray] = field(default_factory=dict)
    capacity: dict[str, np.ndarray] = field(default_factory=dict)


def plan_problems(site: Site, plan: Plan) -> list[tuple[str, str]]:
    """(path, message) for each way the plan does not fit the site."""
    kinds = {space.kind for space in site.spaces}
    rented_kinds = {space.kind for space in site.spaces if space.renter is not None}
    problems = []
    has = f"(it has {', '.join(sorted(kinds))})"
    for kind, pool in plan.pools.items():
        if kind not in kinds:
            problems.append((f"pools.{kind}", f"the site has no spaces of kind {kind!r} {has}"))
        elif pool.spaces is not None and kind in rented_kinds:
            problems.append(
                (
                    f"pools.{kind}.spaces",
                    f"{kind} spaces belong to their renters; "
                    "a plan can share them or not, not add or remove them",
                )
            )
        elif pool.spaces is not None and not pool.shared:
            problems.append(
                (
                    f"pools.{kind}.spaces",
                    "a pool that is not shared has no spaces to count; "
                    "drop spaces or shared: false",
                )
            )
    for kind in plan.policy.windows:
        if kind not in kinds:
            problems.append(
                (f"policy.windows.{kind}", f"the site has no spaces of kind {kind!r} {has}")
            )
    if all(not plan.pool(kind).shared or plan.pool(kind).spaces == 0 for kind in kinds):
        problems.append(("pools", "the plan shares no spaces at all"))
    for kind in sorted(kinds):
        without_windows = any(s.kind == kind and s.windows is None for s in site.spaces)
        if plan.pool(kind).shared and without_windows and kind not in plan.policy.windows:
            problems.append(
                (
                    "policy.windows",
                    f"no hours for the {kind!r} spaces; "
                    f"give them, or set pools.{kind}.shared: false",
                )
            )
    return problems


def plan_spaces(site: Site, plan: Plan) -> tuple[tuple[Space, ...], dict[str, Space]]:
    """(spaces always shared under the plan, released copies of the rented spaces by renter-less
    id)."""
    always: list[Space] = []
    released: dict[str, Space] = {}
    by_kind: dict[str, list[Space]] = defaultdict(list)
    for space in site.spaces:
        by_kind[space.kind].append(space)
    for kind, spaces in by_kind.items():
        pool = plan.pool(kind)
        if not pool.shared:
            continue
        if any(space.renter is not None for space in spaces):
            released.update(
                (space.id, replace(space, released=True))
                for space in spaces
                if space.renter is not None
            )
            always.extend(space for space in spaces if space.renter is None)
            continue
        wanted = len(spaces) if pool.spaces is None else pool.spaces
        always.extend(spaces[:wanted])
        always.extend(
            replace(spaces[k % len(spaces)], id=f"{spaces[k % len(spaces)].id}+{k // len(spaces)}")
            for k in range(len(spaces), wanted)
        )
    return tuple(always), released


def _stay_window(windows: tuple[Window, ...], start: int) -> Window:
    return next(w for w in windows if w.start <= start < w.end)


class _History:
    """What the engine needs to remember about households from one night to the next."""

    def __init__(self, plan: Plan) -> None:
        self.keep_days = max(
            plan.policy.fairness_window_nights, plan.policy.overstay_penalty_nights
        )
        self.refused: dict[str, list[date]] = {}
        self.overstayed: dict[str, list[date]] = {}
        self.no_shows: dict[str, list[date]] = {}
        self.last_space: dict[str, str] = {}

    def entries(self) -> tuple[HouseholdHistory, ...]:
        households = sorted(
            set(self.refused) | set(self.overstayed) | set(self.no_shows) | set(self.last_space)
        )
        return tuple(
            HouseholdHistory(
                household,
                tuple(self.refused.get(household, ())),
                self.last_space.get(household),
                tuple(self.overstayed.get(household, ())),
                tuple(self.no_shows.get(household, ())),
            )
            for household in households
        )

    def record(
        self,
        tonight: date,
        refused: set[str],
        served_space: dict[str, str],
        overstayed: set[str],
        no_shows: set[str] = frozenset(),
    ) -> None:
        oldest = tonight - timedelta(days=self.keep_days - 1)
        for nights, new in (
            (self.refused, refused),
            (self.overstayed, overstayed),
            (self.no_shows, no_shows),
        ):
            for household in new:
                nights.setdefault(household, []).append(tonight)
            # Nights the engine will no longer count are dropped, so the history stays small.
            for household in [h for h, kept in nights.items() if kept[0] < oldest]:
                kept = [night for night in nights[household] if night >= oldest]
                if kept:
                    nights[household] = kept
                else:
                    del nights[household]
        # Stability rewards the space of *last* night only.
        self.last_space = dict(served_space)


def simulate_run(
    site: Site,
    plan: Plan,
    model: DemandModel,
    calibration: NightCalibration,
    nights: int,
    seed: int,
    time_limit: float = 10.0,
) -> RunResult:
    stream = DemandStream(site, model, calibration, seed, nights)
    always, released_copy = plan_spaces(site, plan)
    rented = {space.id: space for space in site.spaces if space.renter is not None}
    renter_index = {household: i for i, household in enumerate(site.renters)}
    household_index = {h.id: i for i, h in enumerate(site.households)}
    kinds = sorted(
        {space.kind for space in always} | {space.kind for space in released_copy.values()}
    )
    run = RunResult(
        plan=plan.name,
        seed=seed,
        asked=np.zeros((nights, len(site.households)), dtype=np.int16),
        refused=np.zeros((nights, len(site.households)), dtype=bool),
        occupancy={kind: np.zeros((nights, len(HOURS)), dtype=np.int32) for kind in kinds},
        capacity={kind: np.zeros(nights, dtype=np.int32) for kind in kinds},
    )
    history = _History(plan)
    for index in range(nights):
        evening = site.start + timedelta(days=index)
        demand = stream.night(index, evening)
        away = {site.renters[i] for i in np.flatnonzero(demand.away)}
        spaces = always + tuple(
            copy for space_id, copy in released_copy.items() if rented[space_id].renter in away
        )
        requests = _requests(site, demand, spaces, plan.policy)
        instance = Instance(
            site.name, evening, spaces, site.households, requests, plan.policy, history.entries()
        )
        result = solve(instance, time_limit=time_limit, explain=False)
        no_fit = _fitting_nowhere(instance, result)
        lived = _evening(instance, result, demand, plan.no_show_after_minutes, time_limit)

        morning = _morning(instance, lived.stays, demand, renter_index)
        for kind, kind_stays in morning.stays.items():
            start, leave = np.array(kind_stays).T
            run.occupancy[kind][index] = (
                (start[:, None] <= _HOURS) & (leave[:, None] > _HOURS)
            ).sum(axis=0)
        for space in spaces:
            run.capacity[space.kind][index] += 1
        asking = [household_index[r.household] for r in requests]
        np.add.at(run.asked[index], asking, 1)
        refused = {r.household for r in requests} - lived.given
        run.refused[index, [household_index[h] for h in refused]] = True
        history.record(evening, refused, lived.last_space, morning.overstayed, lived.detected)
        run.rows.append(
            {
                "plan": plan.name,
                "seed": seed,
                "night": evening.isoformat(),
                "weekday": evening.weekday(),
                "requests": len(requests),
                "served": len(result.assignments),
                "refused": len(requests) - len(result.assignments),
                # Of the refused: requests no space of tonight could take at all (hours outside
                # every window, a need no space offers), as against refusals for lack of space.
                "refused_no_fit": no_fit,
                "served_by_priority": json.dumps(
                    {str(k): v for k, v in sorted(result.served_by_priority.items(), reverse=True)}
                ),
                "shared_spaces": len(spaces),
                "renters_away": len(away),
                "walk_m_mean": round(result.objective.walk_m / len(result.assignments), 1)
                if result.assignments
                else 0.0,
                "window_overstays": morning.window_overstays,
                "renters_back": int(demand.returns.sum()),
                "renter_conflicts": morning.renter_conflicts,
                # Served cars that did not come; waiting requests given their spaces (each offer
                # taken); served after both (cars that came to a space given them); and hours
                # of the no-shows' stays that no car used.
                "no_shows": len(lived.no_shows),
                "refilled": len(lived.refilled),
                "served_after": len(result.assignments) - len(lived.no_shows) + len(lived.refilled),
                "idle_space_hours": round(lived.idle_minutes / 60, 2),
                "status": result.status.value,
                "solve_seconds": round(result.solve_seconds, 4),
                "demand": demand.digest(),
            }
        )
    return run


def _fitting_nowhere(instance: Instance, result: Result) -> int:
    """How many refused requests no space of the night could take, whatever else was placed
    (the engine's `no_space_fits`), counted without writing the explanations."""
    served = {a.request for a in result.assignments}
    unserved = np.array(
        [i for i, r in enumerate(instance.requests) if r.id not in served], dtype=np.int64
    )
    if not len(unserved):
        return 0
    table = EligibilityTable(instance)
    count = 0
    for rows, cols in table.blocks(unserved):
        excluded = np.logical_or.reduce(list(table.failures(rows, cols=cols).values()))
        count += int(excluded.all(axis=1).sum())
    return count


@dataclass(frozen=True)
class _Stay:
    request: str
    space: str
    start: int  # when the car is there: its asked arrival, or when it was offered the space
    end: int


@dataclass
class _Evening:
    """How the evening went: which served cars did not come, who had their spaces instead."""

    stays: list[_Stay] = field(default_factory=list)  # the cars that came, on their spaces
    no_shows: list[str] = field(default_factory=list)  # served requests whose car did not come
    refilled: dict[str, str] = field(default_factory=dict)  # waiting request -> space taken
    given: set[str] = field(default_factory=set)  # households given a space (not refused)
    last_space: dict[str, str] = field(default_factory=dict)  # what stability remembers
    detected: set[str] = field(default_factory=set)  # households with a no-show the plan saw
    idle_minutes: int = 0  # of the no-shows' stays, minutes no car stood on the space


def _car(request: str) -> int:
    return int(request.removeprefix("c"))


def _evening(
    instance: Instance,
    result: Result,
    demand: NightDemand,
    after_minutes: int | None,
    time_limit: float,
) -> _Evening:
    """Served cars drawn as no-shows do not come. Under a plan that detects them (`after_minutes`
    set), each no-show, in the order they are noticed (arrival + after_minutes), frees its
    space to the waiting list through `engine.live.refill`, keeping every other stay; each offer
    is taken at once, the car standing there from the later of its asked arrival and the moment
    of the offer. A car drawn as a no-show that is waiting would let an offer pass, so it is not
    on the waiting list. Without detection a no-show's space stands empty for its hours."""
    household_of = {r.id: r.household for r in instance.requests}
    lived = _Evening()
    absent = demand.no_show
    for a in result.assignments:
        lived.given.add(household_of[a.request])
        if absent[_car(a.request)]:
            lived.no_shows.append(a.request)
        else:
            lived.stays.append(_Stay(a.request, a.space, a.start, a.end))
    detects = after_minutes is not None
    if lived.no_shows and after_minutes is not None:
        kept = {stay.request: stay.space for stay in lived.stays}
        published = {a.request: a for a in result.assignments}
        # The refused (the night was solved without explanations, so not `result.unassigned`).
        waiting = [
            r.id for r in instance.requests if r.id not in published and not absent[_car(r.id)]
        ]
        # Accounts (a household's parking or charging) not offered another; households noticed.
        vacated: set[CapAccount] = set()
        detected: set[str] = set()
        for request in sorted(
            lived.no_shows, key=lambda r: (published[r].start + after_minutes, r)
        ):
            noticed = published[request].start + after_minutes
            vacated.add(instance.request_by_id[request].account)
            detected.add(household_of[request])
            # A waiting car whose night is over by then cannot take the space.
            still = [
                r for r in waiting if r not in kept and instance.request_by_id[r].depart > noticed
            ]
            if not still:
                continue
            done = refill(
                instance,
                kept=kept,
                freed=[published[request].space],
                waiting=still,
                vacated=vacated,
                time_limit=time_limit,
            )
            for offered, space in done.offers.items():
                wanted = instance.request_by_id[offered]
                kept[offered] = space
                lived.refilled[offered] = space
                lived.given.add(wanted.household)
                lived.stays.append(
                    _Stay(offered, space, max(wanted.arrive, noticed), wanted.depart)
                )
        lived.detected = detected
    # What tomorrow's stability term remembers: the space the compound knows each household had.
    remembered = (
        lived.stays
        if detects
        else [_Stay(a.request, a.space, a.start, a.end) for a in result.assignments]
    )
    for stay in remembered:
        lived.last_space.setdefault(household_of[stay.request], stay.space)
    absent_stays = set(lived.no_shows)
    lived.idle_minutes = _idle_minutes(
        [a for a in result.assignments if a.request in absent_stays], lived.stays
    )
    return lived


def _idle_minutes(vacated: list[Assignment], stays: list[_Stay]) -> int:
    """Minutes of the vacated stays during which no car stood on their space."""
    idle = 0
    for gone in vacated:
        empty = np.ones(gone.end - gone.start, dtype=bool)
        for stay in stays:
            if stay.space == gone.space and stay.start < gone.end and stay.end > gone.start:
                empty[max(stay.start, gone.start) - gone.start : stay.end - gone.start] = False
        idle += int(empty.sum())
    return idle


@dataclass
class _Morning:
    """How the night ended: who stayed late, and whom that hurt."""

    overstayed: set[str] = field(default_factory=set)
    window_overstays: int = 0
    renter_conflicts: int = 0
    stays: dict[str, list[tuple[int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # kind -> (arrive, leave)


def _morning(
    instance: Instance, stays: list[_Stay], demand: NightDemand, renter_index: dict[str, int]
) -> _Morning:
    """Each car that came leaves when it asked, plus its drawn lateness; past its window's end
    it has overstayed, and on a rented space whose renter comes back before it leaves, it is in
    the way."""
    morning = _Morning()
    for stay in stays:
        space = instance.space_by_id[stay.space]
        request = instance.request_by_id[stay.request]
        leaves = stay.end + int(demand.late[_car(stay.request)])
        morning.stays[space.kind].append((stay.start, leaves))
        closes = _stay_window(instance.windows_of(space), request.arrive).end
        if leaves <= closes:
            continue
        morning.window_overstays += 1
        morning.overstayed.add(request.household)
        renter = renter_index.get(space.renter) if space.renter else None
        if (
            renter is not None
            and demand.returns[renter]
            and leaves > closes + int(demand.return_after[renter])
        ):
            morning.renter_conflicts += 1
    return morning


def _requests(
    site: Site, demand: NightDemand, spaces: tuple[Space, ...], policy: Policy
) -> tuple[Request, ...]:
    """Tonight's requests. A resident who reads the plan asks for the longest part of the night
    that one of tonight's spaces fitting the car (size, needs) holds; the others ask for their
    real times."""
    asking = np.flatnonzero(demand.asks)
    cars = site.shared_cars
    arrive, depart = demand.arrive[asking].copy(), demand.depart[asking].copy()
    aware_by_kind: dict[tuple[Size, frozenset[str]], list[int]] = defaultdict(list)
    for position in np.flatnonzero(demand.aware[asking]).tolist():
        car = cars[int(asking[position])]
        aware_by_kind[car.size, car.needs].append(position)
    for (size, needs), positions in aware_by_kind.items():
        fitting = {
            w
            for s in spaces
            if s.size >= size and needs <= s.features
            for w in (s.windows if s.windows is not None else policy.windows[s.kind])
        }
        chosen = np.array(positions)
        arrive[chosen], depart[chosen] = longest_part_inside(
            arrive[chosen], depart[chosen], sorted(fitting, key=lambda w: (w.start, w.end))
        )
    return tuple(
        Request(
            f"c{k}",
            cars[k].household,
            int(a),
            int(d),
            size=cars[k].size,
            needs=cars[k].needs,
            plate=cars[k].plate,
        )
        for k, a, d in zip(asking.tolist(), arrive.tolist(), depart.tolist())
    )
