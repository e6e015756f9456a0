"""The one place that converts between the edge's pydantic models and the engine's dataclasses."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

from engine import (
    Household,
    HouseholdHistory,
    Instance,
    Pin,
    PinAction,
    Policy,
    PriorityRule,
    Request,
    Result,
    Size,
    Space,
    Window,
)
from engine.clock import DAY, format_clock, minutes_of_day, parse_clock, to_datetime
from scenarios.errors import ScenarioError
from scenarios.schema import (
    AssignmentRecord,
    ChargerModel,
    DemandSection,
    ObjectiveRecord,
    PlanFile,
    PolicyModel,
    RefusalRecord,
    ResultFile,
    ScenarioFile,
)
from simulation.calibration import NightCalibration
from simulation.demand import fit_repeat_share
from simulation.model import Car, DemandModel, Plan, Pool, Site

T = TypeVar("T")

_WINDOW = re.compile(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")


# (path, message) pairs, collected so that one run reports every problem.
Problems = list[tuple[str, str]]


def _parsed(parse: Callable[..., T], *args: Any, path: str, problems: Problems) -> T | None:
    """parse(*args), or None with its ValueError recorded against `path`."""
    try:
        return parse(*args)
    except ValueError as error:
        problems.append((path, str(error)))
        return None


def _windows(
    texts: list[str], path: str, problems: Problems, night: date, day_start: int = 12 * 60
) -> tuple[Window, ...]:
    """The windows listed at `path`, leaving out (and recording) each one that does not parse."""
    parsed = [
        _parsed(window_from_text, text, night, day_start, path=f"{path}[{i}]", problems=problems)
        for i, text in enumerate(texts)
    ]
    if not texts:
        problems.append((path, "must list at least one window such as '22:00-09:00'"))
    return tuple(window for window in parsed if window is not None)


FAST_CHARGER_KW = 22.0
"""From this power a charge point also has the feature ``fast_charger``."""


def charger_features(charger: ChargerModel | None) -> frozenset[str]:
    """The features a charge point gives its space: its socket's, and ``fast_charger`` if fast.

    Parameters
    ----------
    charger : ChargerModel or None
        The space's charge point, if any.

    Returns
    -------
    frozenset of str
        ``ev_charger`` or ``ebike_charger``, with ``fast_charger`` from `FAST_CHARGER_KW`; empty
        for a space without one.
    """
    if charger is None:
        return frozenset()
    socket = {"ev": "ev_charger", "ebike": "ebike_charger"}[charger.socket]
    return frozenset({socket, "fast_charger"} if charger.power_kw >= FAST_CHARGER_KW else {socket})


def to_instance(scenario: ScenarioFile, source: str = "scenario") -> Instance:
    problems: Problems = []
    day_start = _parsed(minutes_of_day, scenario.day_start, path="day_start", problems=problems)
    if day_start is None:
        day_start = 12 * 60
    night = scenario.night

    # Parse every time first, so that all problems are reported before any dataclass is built.
    policy_windows = {
        kind: _windows(texts, f"policy.windows.{kind}", problems, night, day_start)
        for kind, texts in scenario.policy.windows.items()
    }
    space_windows = [
        _windows(s.windows, f"spaces[{i}].windows", problems, night, day_start)
        if s.windows is not None
        else None
        for i, s in enumerate(scenario.spaces)
    ]
    stays: list[tuple[int, int]] = []
    for i, r in enumerate(scenario.requests):
        arrive = _parsed(
            parse_clock, r.arrive, night, day_start, path=f"requests[{i}].arrive", problems=problems
        )
        depart = _parsed(
            parse_clock, r.depart, night, day_start, path=f"requests[{i}].depart", problems=problems
        )
        if arrive is not None and depart is not None and depart <= arrive:
            problems.append(
                (
                    f"requests[{i}].depart",
                    f"{r.depart} is not after arrive {r.arrive} "
                    f"(times before {scenario.day_start} are the next morning)",
                )
            )
        stays.append((arrive or 0, depart or 0))
    if problems:
        raise ScenarioError(source, problems)

    policy = _policy(scenario.policy, policy_windows)
    renters = {s.renter for s in scenario.spaces if s.renter}
    spaces = tuple(
        Space(
            id=s.id,
            kind=s.kind,
            size=Size[s.size.upper()],
            features=frozenset(s.features) | charger_features(s.charger),
            x=s.x,
            y=s.y,
            windows=space_windows[i],
            renter=s.renter,
            released=s.released,
            compounds=frozenset(s.compounds),
        )
        for i, s in enumerate(scenario.spaces)
    )
    households = tuple(
        Household(
            id=h.id,
            x=h.x,
            y=h.y,
            tags=frozenset(h.tags),
            has_space=h.has_space if h.has_space is not None else h.id in renters,
            compound=h.compound,
        )
        for h in scenario.households
    )
    requests = tuple(
        Request(
            id=r.id,
            household=r.household,
            arrive=arrive,
            depart=depart,
            size=Size[r.size.upper()],
            needs=frozenset(r.needs),
            plate=r.plate,
            priority=r.priority,
            charging=r.charging,
        )
        for r, (arrive, depart) in zip(scenario.requests, stays)
    )
    try:
        return Instance(
            name=scenario.name,
            night=night,
            spaces=spaces,
            households=households,
            requests=requests,
            policy=policy,
            history=tuple(
                HouseholdHistory(
                    h.household,
                    tuple(h.refused),
                    h.last_space,
                    tuple(h.overstayed),
                    tuple(h.no_shows),
                )
                for h in scenario.history
            ),
            pins=tuple(
                Pin(p.request, p.space, PinAction(p.action), p.reason) for p in scenario.pins
            ),
        )
    except ValueError as error:
        # The edge checks what it can name by path; the engine's own checks are the last line.
        raise ScenarioError(source, [("", str(error))]) from None


def _policy(model: PolicyModel, windows: dict[str, tuple[Window, ...]]) -> Policy:
    return Policy(
        windows=windows,
        turnover_minutes=model.turnover_minutes,
        max_walk_m=model.max_walk_m,
        priority_rules=tuple(
            PriorityRule(
                priority=rule.priority,
                label=rule.label,
                has_space=rule.when.has_space,
                tags_any=frozenset(rule.when.tags_any),
                first_car=rule.when.first_car,
            )
            for rule in model.priority_rules
        ),
        default_priority=model.default_priority,
        household_cap=model.household_cap,
        charging_cap=model.charging_cap,
        charging_only_kinds=frozenset(model.charging_only_kinds),
        fairness_window_nights=model.fairness.window_nights,
        fairness_weight=model.fairness.weight,
        no_show_forfeit_nights=model.fairness.no_show_forfeit_nights,
        walk_weight=model.walk_weight,
        stability_weight=model.stability_weight,
        overstay_penalty_nights=model.overstay_penalty.nights,
        overstay_penalty_priority=model.overstay_penalty.priority,
    )


def to_plan(plan: PlanFile, source: str = "plan") -> Plan:
    """A plan file as the simulator's Plan; its windows are clock times, the same every night."""
    problems: Problems = []
    # Any evening will do: a plan's hours are clock times and mean the same on every night.
    evening = date(2026, 1, 5)
    windows = {
        kind: _windows(texts, f"policy.windows.{kind}", problems, evening)
        for kind, texts in plan.policy.windows.items()
    }
    if problems:
        raise ScenarioError(source, problems, what="plan")
    return Plan(
        name=plan.name,
        policy=_policy(plan.policy, windows),
        pools={
            kind: Pool(spaces=pool.spaces, shared=pool.shared) for kind, pool in plan.pools.items()
        },
        name_zh=plan.name_zh,
        summary=plan.summary,
        summary_zh=plan.summary_zh,
        no_show_after_minutes=plan.policy.no_show.after_minutes,
    )


def to_site(scenario: ScenarioFile, instance: Instance) -> Site:
    """What the simulator keeps of a scenario: spaces, households, cars (not tonight's requests)."""
    cars = tuple(
        Car(household.id, car.plate, Size[car.size.upper()], frozenset(car.needs))
        for household in scenario.households
        for car in household.cars
    )
    return Site(instance.name, instance.night, instance.spaces, instance.households, cars)


def to_demand_model(section: DemandSection, calibration: NightCalibration) -> DemandModel:
    """The scenario's demand section; what it leaves out is taken from the calibration."""
    values = section.model_dump()
    values["weekday_factor"] = tuple(
        section.weekday_factor if section.weekday_factor is not None else calibration.weekday_factor
    )
    values["habit_share"] = (
        section.habit_share if section.habit_share is not None else calibration.habit_share
    )
    values["repeat_share"] = fit_repeat_share(calibration, values["habit_share"])
    return DemandModel(**values)


def window_from_text(text: str, night, day_start: int = 12 * 60) -> Window:
    """A window such as "22:00-09:00"; one ending at or before its start runs into the next day."""
    match = _WINDOW.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a window like '22:00-09:00'")
    start, end = (parse_clock(part, night, day_start) for part in match.groups())
    while end <= start:
        end += DAY
    return Window(start, end)


def result_file(instance: Instance, result: Result) -> ResultFile:
    """The engine's result as the typed file other tools read (keys documented in the README)."""
    levels = sorted(result.served_by_priority, reverse=True)
    refused = dict.fromkeys(levels, 0)
    for unassigned in result.unassigned:
        refused[instance.priorities[unassigned.request]] += 1

    def by_level(counts: Mapping[int, int]) -> dict[str, int]:
        return {str(level): counts[level] for level in levels}

    return ResultFile(
        scenario=instance.name,
        night=instance.night,
        status=result.status.value,
        proven_optimal=result.proven_optimal,
        method=result.method,
        message=result.message,
        served_by_priority=by_level(result.served_by_priority),
        bound_by_priority=by_level(result.bound_by_priority),
        refused_by_priority=by_level(refused),
        objective=ObjectiveRecord(
            served_by_priority=by_level(result.served_by_priority),
            fairness_points=result.objective.fairness_points,
            rotation_points=result.objective.rotation_points,
            walk_m=result.objective.walk_m,
            same_space_as_last_night=result.objective.same_space_as_last_night,
        ),
        assignments=[
            AssignmentRecord(
                request=a.request,
                household=instance.request_by_id[a.request].household,
                space=a.space,
                kind=instance.space_by_id[a.space].kind,
                start=to_datetime(instance.night, a.start),
                end=to_datetime(instance.night, a.end),
                walk_m=a.walk_m,
                priority=instance.priorities[a.request],
            )
            for a in result.assignments
        ],
        unassigned=[
            RefusalRecord(
                request=u.request,
                reason=u.reason.value,
                message=u.message,
                priority=instance.priorities[u.request],
                arrive=to_datetime(instance.night, instance.request_by_id[u.request].arrive),
                depart=to_datetime(instance.night, instance.request_by_id[u.request].depart),
            )
            for u in result.unassigned
        ],
        solve_seconds=round(result.solve_seconds, 4),
        stats=result.stats,
    )


def result_to_dict(instance: Instance, result: Result) -> dict[str, Any]:
    """The JSON result, as `parking allocate --format json` prints it."""
    return result_file(instance, result).model_dump(mode="json", exclude_none=True)


CSV_COLUMNS = (
    "request",
    "household",
    "priority",
    "space",
    "kind",
    "start",
    "end",
    "walk_m",
    "reason",
    "message",
)


def result_rows(instance: Instance, result: Result) -> list[dict[str, Any]]:
    """One row per request, assigned or not, for the gate list and spreadsheets."""
    rows = []
    assignment_of = {a.request: a for a in result.assignments}
    unassigned_of = {u.request: u for u in result.unassigned}
    for request in instance.requests:
        row: dict[str, Any] = dict.fromkeys(CSV_COLUMNS, "")
        row.update(
            request=request.id,
            household=request.household,
            priority=instance.priorities[request.id],
        )
        assignment, unassigned = assignment_of.get(request.id), unassigned_of.get(request.id)
        if assignment is not None:
            space = instance.space_by_id[assignment.space]
            row.update(
                space=space.id,
                kind=space.kind,
                start=format_clock(assignment.start),
                end=format_clock(assignment.end),
                walk_m=assignment.walk_m,
            )
        elif unassigned is not None:
            row.update(reason=unassigned.reason.value, message=unassigned.message)
        rows.append(row)
    return rows
