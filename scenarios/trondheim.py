"""A replay of real shared-charger sessions, night by night, with fewer charge points than users.

The sessions are those at the shared charge points (`Shared_ID`) of a housing cooperative's
garages in Trondheim, Norway, December 2018 to January 2020, from ``../shared/data/
trondheim-residential-ev-sessions.csv``. Source: Å. L. Sørensen, K. B. Lindberg, I. Sartori,
I. Andresen, "Residential electric vehicle charging datasets from apartment buildings", Data in
Brief 36 (2021) 107105, CC BY 4.0. The file is read where it lies, never copied into the project.

Each session becomes one request for a charge point, from plug-in to plug-out; a session belongs
to the night whose evening date is its plug-in's date less twelve hours (noon to noon), and one
still plugged in at the next noon is cut there. All users share one garage of `points`
identical points (ev_charger), so the points make a single group of interchangeable spaces. What
the garage did is first come, first served: `engine.allocate_first_come` with requests in plug-in
order. The engine instead serves the most sessions and, with refusals carried from night to night
(`replay`), rotates them over the users.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from engine import Household, HouseholdHistory, Instance, Policy, Request, Result, Space, Window

DATA = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "data"
    / "trondheim-residential-ev-sessions.csv"
)
"""Where the sessions are read from: ``shared/data`` beside the project's checkout."""

NOON = 12 * 60
FAIRNESS_NIGHTS = 14


@dataclass(frozen=True)
class Session:
    """One charging session at a shared point.

    Attributes
    ----------
    user : str
        The resident (`User_ID`).
    plug_in, plug_out : datetime
        When the car was plugged in and out.
    kwh : float, optional
        The energy charged (`El_kWh`); 0 where the file says NA (no session at a shared point
        does).
    """

    user: str
    plug_in: datetime
    plug_out: datetime
    kwh: float = 0.0


def read_sessions(path: Path = DATA) -> list[Session]:
    """The sessions at shared charge points, in plug-in order.

    Parameters
    ----------
    path : Path, optional
        The semicolon-separated file (day-first timestamps such as ``21.12.2018 10:20``).

    Returns
    -------
    list of Session
        Sessions whose `Shared_ID` is set, whose plug-out is known (10 are not) and whose car
        stayed at least a minute.
    """
    sessions = []
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file, delimiter=";"):
            if "NA" in (row["Shared_ID"], row["Start_plugin"], row["End_plugout"]):
                continue
            plug_in = datetime.strptime(row["Start_plugin"], "%d.%m.%Y %H:%M")
            plug_out = datetime.strptime(row["End_plugout"], "%d.%m.%Y %H:%M")
            # Decimal commas: "29,87".
            kwh = 0.0 if row["El_kWh"] == "NA" else float(row["El_kWh"].replace(",", "."))
            if plug_out - plug_in >= timedelta(minutes=1):
                sessions.append(Session(row["User_ID"], plug_in, plug_out, kwh))
    return sorted(sessions, key=lambda s: (s.plug_in, s.user))


def night_of(session: Session) -> date:
    """The evening a session belongs to: its plug-in's date less twelve hours (noon to noon)."""
    return (session.plug_in - timedelta(minutes=NOON)).date()


def sessions_by_night(sessions: list[Session]) -> dict[date, list[Session]]:
    """The sessions of each evening that has some, by date, each evening's in plug-in order.

    `replay_nights` makes the i-th request of a night from the i-th session here.
    """
    by_night: dict[date, list[Session]] = defaultdict(list)
    for session in sessions:
        by_night[night_of(session)].append(session)
    return {
        night: sorted(tonight, key=lambda s: (s.plug_in, s.user))
        for night, tonight in sorted(by_night.items())
    }


def replay_nights(
    sessions: list[Session], points: int, fairness_nights: int = FAIRNESS_NIGHTS
) -> list[Instance]:
    """One night per evening with sessions, on a garage of `points` shared charge points.

    Parameters
    ----------
    sessions : list of Session
        The sessions to replay.
    points : int
        Charge points in the garage.
    fairness_nights : int, optional
        The policy's fairness window: refusals of this many nights before count.

    Returns
    -------
    list of Instance
        By evening date; requests in plug-in order (the i-th from the i-th session of
        `sessions_by_night`), one household per user (all at the garage, so walking decides
        nothing), the points open noon to noon, no household cap, no history (`replay` adds it).
    """
    spaces = tuple(
        Space(f"P{i + 1:02d}", "charger", features=frozenset({"ev_charger"}), x=0, y=0)
        for i in range(points)
    )
    policy = Policy(
        windows={"charger": (Window(NOON, NOON + 24 * 60),)},
        turnover_minutes=0,
        household_cap=None,
        fairness_window_nights=fairness_nights,
        walk_weight=0,
        stability_weight=0,
    )
    nights = []
    for night, tonight in sessions_by_night(sessions).items():
        evening = datetime.combine(night, datetime.min.time())
        requests = []
        for index, session in enumerate(tonight):
            arrive = int((session.plug_in - evening).total_seconds() // 60)
            depart = min(int((session.plug_out - evening).total_seconds() // 60), NOON + 24 * 60)
            requests.append(
                Request(
                    f"s{index + 1:02d}",
                    session.user,
                    arrive,
                    depart,
                    needs=frozenset({"ev_charger"}),
                )
            )
        users = sorted({r.household for r in requests})
        nights.append(
            Instance(
                name=f"Trondheim shared chargers, {points} points, {night.isoformat()}",
                night=night,
                spaces=spaces,
                households=tuple(Household(user, 0, 0) for user in users),
                requests=tuple(requests),
                policy=policy,
            )
        )
    return nights


def replay(
    nights: list[Instance], allocate: Callable[[Instance], Result]
) -> Iterator[tuple[Instance, Result]]:
    """Allocate the nights in order, each with the refusals of the nights before as history
    (those within its policy's fairness window).

    Parameters
    ----------
    nights : list of Instance
        From `replay_nights`.
    allocate : callable
        E.g. ``engine.solve`` or ``engine.allocate_first_come``.

    Yields
    ------
    tuple of (Instance, Result)
        Each night with its history, and its allocation.
    """
    refused: dict[str, list[date]] = defaultdict(list)
    for night in nights:
        since = night.night - timedelta(days=night.policy.fairness_window_nights)
        history = tuple(
            HouseholdHistory(h.id, tuple(d for d in refused[h.id] if d >= since))
            for h in night.households
            if refused[h.id]
        )
        tonight = replace(night, history=history)
        result = allocate(tonight)
        for unassigned in result.unassigned:
            household = tonight.request_by_id[unassigned.request].household
            if not refused[household] or refused[household][-1] != night.night:
                refused[household].append(night.night)
        yield tonight, result
