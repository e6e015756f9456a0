"""One plan, one seed, night after night with the real engine.

Each night: draw the residents' demand, build the engine's instance under the plan, allocate,
then play the morning out (late cars, renters coming home) and carry the household history
(refusals for fairness, last space for stability, overstays for the penalty) to the next night.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np

from engine import HouseholdHistory, Instance, Policy, Request, Result, Size, Space, Window, solve
from engine.eligibility import EligibilityTable
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
        self.last_space: dict[str, str] = {}

    def entries(self) -> tuple[HouseholdHistory, ...]:
        households = sorted(set(self.refused) | set(self.overstayed) | set(self.last_space))
        return tuple(
            HouseholdHistory(
                household,
                tuple(self.refused.get(household, ())),
                self.last_space.get(household),
                tuple(self.overstayed.get(household, ())),
            )
            for household in households
        )

    def record(
        self, tonight: date, refused: set[str], served_space: dict[str, str], overstayed: set[str]
    ) -> None:
        oldest = tonight - timedelta(days=self.keep_days - 1)
        for nights, new in ((self.refused, refused), (self.overstayed, overstayed)):
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

        morning = _morning(instance, result, demand, renter_index)
        for kind, kind_stays in morning.stays.items():
            start, leave = np.array(kind_stays).T
            run.occupancy[kind][index] = (
                (start[:, None] <= _HOURS) & (leave[:, None] > _HOURS)
            ).sum(axis=0)
        for space in spaces:
            run.capacity[space.kind][index] += 1
        asking = [household_index[r.household] for r in requests]
        np.add.at(run.asked[index], asking, 1)
        refused = {r.household for r in requests} - set(morning.served_space)
        run.refused[index, [household_index[h] for h in refused]] = True
        history.record(evening, refused, morning.served_space, morning.overstayed)
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


@dataclass
class _Morning:
    """How the night ended: who had which space, who stayed late, and whom that hurt."""

    served_space: dict[str, str] = field(default_factory=dict)  # household -> its (first) space
    overstayed: set[str] = field(default_factory=set)
    window_overstays: int = 0
    renter_conflicts: int = 0
    stays: dict[str, list[tuple[int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # kind -> (arrive, leave)


def _morning(
    instance: Instance, result: Result, demand: NightDemand, renter_index: dict[str, int]
) -> _Morning:
    """Each car leaves when it asked, plus its drawn lateness; past its window's end it has
    overstayed, and on a rented space whose renter comes back before it leaves, it is in the way."""
    morning = _Morning()
    for assignment in result.assignments:
        car = int(assignment.request.removeprefix("c"))
        space = instance.space_by_id[assignment.space]
        household = instance.request_by_id[assignment.request].household
        morning.served_space.setdefault(household, space.id)
        leaves = assignment.end + int(demand.late[car])
        morning.stays[space.kind].append((assignment.start, leaves))
        closes = _stay_window(instance.windows_of(space), assignment.start).end
        if leaves <= closes:
            continue
        morning.window_overstays += 1
        morning.overstayed.add(household)
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
