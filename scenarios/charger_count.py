"""How many shared charge points: the Trondheim replay for several point counts, per method.

For a compound weighing how many shared chargers to install, the real sessions of the shared
charge points of a Trondheim housing cooperative (`scenarios.trondheim`; Sørensen et al., Data in
Brief 36, 2021, CC BY 4.0) are replayed night by night on a garage of each point count, once
first come, first served (what the garage did: a session finding every point taken is refused)
and once by the engine (which knows the night's sessions beforehand, as with requests made before
a cutoff, and rotates refusals over the users).

What the replay can say about waiting: the data holds when each car was plugged in and out, not
what a refused resident would have done. So for a refused session it reports how long after its
plug-in a point became free for the rest of its stay under that method's allocation (the wait had
the resident come back to plug in then, everyone else kept as served), or that no point was free
before its plug-out.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import median

import numpy as np

from engine import Instance, Request, Result, Status, allocate_first_come, solve
from scenarios.trondheim import (
    FAIRNESS_NIGHTS,
    Session,
    night_of,
    replay,
    replay_nights,
    sessions_by_night,
)
from simulation.metrics import gini

FIRST_COME = "first come, first served"
ENGINE = "engine"
METHODS = (FIRST_COME, ENGINE)
DEFAULT_POINTS = (1, 2, 3, 4, 6)


@dataclass(frozen=True)
class MethodOutcome:
    """One method's figures on one garage, over the replayed period.

    Attributes
    ----------
    points : int
        Shared charge points in the garage.
    method : str
        `FIRST_COME` or `ENGINE`.
    sessions, served, refused : int
        Sessions replayed; of them given a point, and not.
    kwh, kwh_served : float
        Energy the sessions charged in reality (`El_kWh`), all and that of the served ones.
    hours, hours_served : float
        Hours plugged in (cut at noon, as replayed), all and of the served sessions.
    users, users_refused : int
        Users with a session in the period; of them refused on at least one night.
    most_refused_nights : int
        The most nights one user had a session refused.
    refused_gini : float
        Gini coefficient of refused nights over all `users` (0: refusals shared equally, towards
        1: one user takes them all).
    waits : tuple of int
        For each refused session for which a point became free before its plug-out, the
        minutes from its plug-in until then (see the module's note on waiting).
    refused_no_point : int
        Refused sessions for which no point became free before their plug-out.
    proven_nights : int
        Nights whose allocation is proven best (first come, first served proves nothing).
    seconds : float
        Time to allocate every night.
    served_by_night : tuple of int
        Served sessions on each replayed night, in date order.
    """

    points: int
    method: str
    sessions: int
    served: int
    refused: int
    kwh: float
    kwh_served: float
    hours: float
    hours_served: float
    users: int
    users_refused: int
    most_refused_nights: int
    refused_gini: float
    waits: tuple[int, ...]
    refused_no_point: int
    proven_nights: int
    seconds: float
    served_by_night: tuple[int, ...] = field(repr=False)

    @property
    def served_share(self) -> float:
        return self.served / self.sessions if self.sessions else 1.0

    @property
    def kwh_share(self) -> float | None:
        """None when the sessions' energy is not known (a compound's own export has none)."""
        return self.kwh_served / self.kwh if self.kwh else None

    @property
    def median_wait(self) -> float | None:
        """Median minutes of `waits`; None when no refused session had a point free later."""
        return median(self.waits) if self.waits else None


@dataclass(frozen=True)
class ChargerReplay:
    """The figures of every point count and method on one period.

    Attributes
    ----------
    nights : tuple of date
        The evenings replayed (those with a session), in order.
    users : int
        Users with a session in the period.
    fairness_nights : int
        The engine's fairness window.
    outcomes : tuple of MethodOutcome
        By point count, then method in `METHODS` order.
    """

    nights: tuple[date, ...]
    users: int
    fairness_nights: int
    outcomes: tuple[MethodOutcome, ...]


def sessions_between(
    sessions: Sequence[Session], first: date | None, last: date | None
) -> list[Session]:
    """The sessions whose night (`scenarios.trondheim.night_of`) is from `first` to `last`.

    Parameters
    ----------
    sessions : sequence of Session
        All sessions.
    first, last : date or None
        The first and last evenings kept; None keeps from the start, or to the end.

    Returns
    -------
    list of Session
        In the order given.
    """
    return [
        session
        for session in sessions
        if (first is None or night_of(session) >= first)
        and (last is None or night_of(session) <= last)
    ]


def minutes_until_free(request: Request, night: Instance, result: Result) -> int | None:
    """How long after a refused request's arrival some point is free for the rest of its stay.

    Parameters
    ----------
    request : Request
        A request the allocation refused.
    night : Instance
        Its night.
    result : Result
        The allocation.

    Returns
    -------
    int or None
        Minutes from the request's arrival until the earliest moment from which a point holds
        no served stay until its departure; None when no point is free before the departure.
    """
    stays_on: dict[str, list[Request]] = defaultdict(list)
    for assignment in result.assignments:
        stays_on[assignment.space].append(night.request_by_id[assignment.request])
    soonest: int | None = None
    for space in night.spaces:
        # The point is free from the last departure of the stays it holds during the request's.
        free_from = max(
            (
                stay.depart
                for stay in stays_on[space.id]
                if stay.arrive < request.depart and stay.depart > request.arrive
            ),
            default=request.arrive,
        )
        if free_from < request.depart and (soonest is None or free_from < soonest):
            soonest = free_from
    return None if soonest is None else soonest - request.arrive


def replay_method(
    sessions: Sequence[Session],
    points: int,
    method: str,
    fairness_nights: int = FAIRNESS_NIGHTS,
    time_limit: float = 10.0,
) -> MethodOutcome:
    """Replay the sessions night by night on `points` points with one method.

    Parameters
    ----------
    sessions : sequence of Session
        The sessions of the period.
    points : int
        Shared charge points.
    method : str
        `FIRST_COME` or `ENGINE`.
    fairness_nights : int, optional
        The fairness window: refusals of this many nights before count for the engine.
    time_limit : float, optional
        The engine's seconds per night.

    Returns
    -------
    MethodOutcome
        The method's figures.
    """
    allocate: Callable[[Instance], Result]
    if method == FIRST_COME:
        allocate = allocate_first_come
    elif method == ENGINE:
        allocate = lambda night: solve(night, time_limit=time_limit)  # noqa: E731
    else:
        raise ValueError(f"method {method!r}: give one of {', '.join(METHODS)}")
    grouped = sessions_by_night(list(sessions))
    users = sorted({session.user for session in sessions})
    refused_nights: Counter[str] = Counter()
    served_by_night, waits = [], []
    kwh_served = hours_served = 0.0
    refused_no_point = proven = 0
    started = time.perf_counter()
    nights = replay_nights(list(sessions), points, fairness_nights)
    for (night, result), tonight in zip(replay(nights, allocate), grouped.values(), strict=True):
        # The i-th request of a night is its i-th session (`replay_nights`).
        session_of = dict(zip((r.id for r in night.requests), tonight, strict=True))
        served = {assignment.request for assignment in result.assignments}
        served_by_night.append(len(served))
        proven += result.status is Status.OPTIMAL and method == ENGINE
        for request in night.requests:
            if request.id in served:
                kwh_served += session_of[request.id].kwh
                hours_served += (request.depart - request.arrive) / 60
                continue
            wait = minutes_until_free(request, night, result)
            if wait is None:
                refused_no_point += 1
            else:
                waits.append(wait)
        refused_nights.update({night.request_by_id[u.request].household for u in result.unassigned})
    seconds = time.perf_counter() - started
    total = sum(len(night.requests) for night in nights)
    return MethodOutcome(
        points=points,
        method=method,
        sessions=total,
        served=sum(served_by_night),
        refused=total - sum(served_by_night),
        kwh=sum(session.kwh for session in sessions),
        kwh_served=kwh_served,
        hours=sum((r.depart - r.arrive) / 60 for night in nights for r in night.requests),
        hours_served=hours_served,
        users=len(users),
        users_refused=len(refused_nights),
        most_refused_nights=max(refused_nights.values(), default=0),
        refused_gini=gini(np.array([refused_nights[user] for user in users])),
        waits=tuple(waits),
        refused_no_point=refused_no_point,
        proven_nights=proven,
        seconds=seconds,
        served_by_night=tuple(served_by_night),
    )


def replay_point_counts(
    sessions: Sequence[Session],
    point_counts: Sequence[int] = DEFAULT_POINTS,
    fairness_nights: int = FAIRNESS_NIGHTS,
    time_limit: float = 10.0,
    done: Callable[[MethodOutcome], None] = lambda outcome: None,
) -> ChargerReplay:
    """Replay the sessions on a garage of each point count, with each method.

    Parameters
    ----------
    sessions : sequence of Session
        The sessions of the period.
    point_counts : sequence of int, optional
        The garages to try.
    fairness_nights : int, optional
        The engine's fairness window.
    time_limit : float, optional
        The engine's seconds per night.
    done : callable, optional
        Called with each outcome as it is ready (for a progress bar).

    Returns
    -------
    ChargerReplay
        Every point count's outcomes.
    """
    outcomes = []
    for points in point_counts:
        for method in METHODS:
            outcomes.append(replay_method(sessions, points, method, fairness_nights, time_limit))
            done(outcomes[-1])
    return ChargerReplay(
        nights=tuple(sessions_by_night(list(sessions))),
        users=len({session.user for session in sessions}),
        fairness_nights=fairness_nights,
        outcomes=tuple(outcomes),
    )


@dataclass(frozen=True)
class Figure:
    """One row of the table: its label and how one outcome shows in it."""

    label: str
    text: Callable[[MethodOutcome], str]


def _minutes(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def figures(sessions: int, users: int) -> tuple[Figure, ...]:
    """The table's rows, for a period of `sessions` sessions of `users` users."""
    return (
        Figure(f"Sessions served (of {sessions})", lambda o: str(o.served)),
        Figure("Share of sessions served (%)", lambda o: f"{100 * o.served_share:.1f}"),
        Figure("Share of energy (kWh) served (%)", lambda o: _share(o.kwh_share)),
        Figure("Sessions refused", lambda o: str(o.refused)),
        Figure(f"Users refused (of {users})", lambda o: str(o.users_refused)),
        Figure("Most nights one user was refused", lambda o: str(o.most_refused_nights)),
        Figure("Gini of refused nights (0 = shared equally)", lambda o: f"{o.refused_gini:.2f}"),
        Figure("Refused: median wait for a free charger (min)", lambda o: _minutes(o.median_wait)),
        Figure("Refused: no charger free before plug-out", lambda o: str(o.refused_no_point)),
    )


def replay_to_dict(figures: ChargerReplay, data: str) -> dict:
    """The replay as plain JSON values: the period, then one record per point count and method.

    Parameters
    ----------
    figures : ChargerReplay
        The replay's figures.
    data : str
        Where the sessions were read from.

    Returns
    -------
    dict
        Every field of each `MethodOutcome` (the waits and the served count per night in full)
        with the table's derived figures beside them.
    """
    return {
        "data": data,
        "first": figures.nights[0].isoformat() if figures.nights else None,
        "last": figures.nights[-1].isoformat() if figures.nights else None,
        "nights": [night.isoformat() for night in figures.nights],
        "users": figures.users,
        "fairness_nights": figures.fairness_nights,
        "outcomes": [
            {
                **{name: getattr(o, name) for name in o.__dataclass_fields__},
                "waits": list(o.waits),
                "served_by_night": list(o.served_by_night),
                "served_share": o.served_share,
                "kwh_share": o.kwh_share,
                "median_wait_minutes": o.median_wait,
            }
            for o in figures.outcomes
        ],
    }
