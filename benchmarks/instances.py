"""Seeded benchmark nights: the same seed always builds the same `engine.Instance`.

Times are night minutes (minutes from midnight of the evening date): 18:00 = 1080, 22:00 = 1320,
00:00 = 1440, 07:00 next morning = 1860, 09:00 = 1980.

- `laiyang()`: the bundled Laiyang Xinjiayuan weeknight.
- `dense(n)`: n requests x n spaces, every request eligible for every space (n^2 pairs).
- `night_shift(...)`: many short stays, so a space takes several cars a night (CP-SAT path).
- `ev_and_sizes(n)`: sizes, EV chargers and accessible spaces restrict eligibility; a walking limit.
- `shared_chargers(points, sessions)`: a garage of shared chargers in a few banks, several
  charging sessions per point a night (multi-stay; the banks make groups of interchangeable
  points).
- `all_different(spaces, stays)`: short random stays on spaces no two of which are alike (no
  groups to merge): the grouped model's hardest multi-stay case.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from engine import (
    Household,
    HouseholdHistory,
    Instance,
    Policy,
    PriorityRule,
    Request,
    Size,
    Space,
    Window,
)

NIGHT = date(2026, 11, 24)

RENTED = (Window(1320, 1980),)  # 22:00-09:00, as voted
STREET = (Window(1140, 1860),)  # 19:00-07:00
EVENING = (Window(1080, 1920),)  # 18:00-08:00


def laiyang() -> Instance:
    from scenarios.loader import LAIYANG, load_scenario

    return load_scenario(LAIYANG)[1]


def _history(
    rng: np.random.Generator,
    households: list[Household],
    spaces: list[Space],
    share_refused: float,
    share_last: float,
) -> tuple[HouseholdHistory, ...]:
    """Recent refusals (inside the 14-night fairness window, some older) and last night's space."""
    entries = []
    for household in households:
        refused: tuple[date, ...] = ()
        last: str | None = None
        if rng.random() < share_refused:
            count = int(rng.integers(1, 6))
            days_back = sorted({int(d) for d in rng.integers(1, 21, size=count)})
            refused = tuple(NIGHT - timedelta(days=d) for d in days_back)
        if rng.random() < share_last:
            last = spaces[int(rng.integers(len(spaces)))].id
        if refused or last:
            entries.append(HouseholdHistory(household.id, refused, last))
    return tuple(entries)


def dense(n: int = 450, seed: int = 0) -> Instance:
    """n requests, n spaces, complete eligibility: every request fits every space.

    Half the spaces are rented (22:00-09:00), half street (19:00-07:00); every stay arrives
    22:00-23:59 and departs 05:00-06:59, so it lies inside both windows and all stays overlap (each
    space takes one car). Three priority levels (explicit), fairness history and last spaces,
    random coordinates on a 300 m site so that the walking tier decides who parks where.
    """
    rng = np.random.default_rng(seed)
    spaces = [
        Space(
            id=f"S{i:04d}",
            kind="rented" if i % 2 == 0 else "street",
            x=round(float(rng.uniform(0, 300)), 1),
            y=round(float(rng.uniform(0, 300)), 1),
        )
        for i in range(n)
    ]
    households = [
        Household(
            id=f"H{i:04d}",
            x=round(float(rng.uniform(0, 300)), 1),
            y=round(float(rng.uniform(0, 300)), 1),
        )
        for i in range(n)
    ]
    levels = rng.choice([3, 2, 1], size=n, p=[0.05, 0.55, 0.40])
    requests = []
    for i, household in enumerate(households):
        arrive = 1320 + int(rng.integers(0, 120))  # 22:00-23:59
        depart = 1740 + int(rng.integers(0, 120))  # 05:00-06:59 next morning
        requests.append(
            Request(
                id=f"R{i:04d}",
                household=household.id,
                arrive=arrive,
                depart=depart,
                priority=int(levels[i]),
            )
        )
    policy = Policy(
        windows={"rented": RENTED, "street": STREET}, turnover_minutes=10, household_cap=1
    )
    return Instance(
        name=f"dense {n}x{n} (seed {seed})",
        night=NIGHT,
        spaces=tuple(spaces),
        households=tuple(households),
        requests=tuple(requests),
        policy=policy,
        history=_history(rng, households, spaces, share_refused=0.3, share_last=0.3),
    )


def night_shift(n_requests: int = 300, n_spaces: int = 60, seed: int = 0) -> Instance:
    """Short stays (1-4 h) spread over 18:00-08:00 on few spaces: each space takes several cars.

    Spaces are open 18:00-08:00 (visitor) or 22:00-09:00 (rented); turnover is 10 minutes. About
    one household in six sends a second car and the cap is one space per household, so caps bind.
    Priorities come from policy rules (tags and has_space).
    """
    rng = np.random.default_rng(seed)
    spaces = [
        Space(
            id=f"N{i:03d}",
            kind="visitor" if i % 3 else "rented",
            x=round(float(rng.uniform(0, 300)), 1),
            y=round(float(rng.uniform(0, 300)), 1),
        )
        for i in range(n_spaces)
    ]
    households, owners = _households_with_cars(
        rng, n_requests, site_m=300, tag="night_shift", tag_share=0.1, has_space_share=0.3
    )
    requests = []
    for i, owner in enumerate(owners):
        length = int(rng.integers(6, 25)) * 10  # 1 h .. 4 h
        arrive = (
            1080 + int(rng.integers(0, (1920 - 1080 - length) // 5 + 1)) * 5
        )  # 18:00 .. 08:00 - length
        requests.append(
            Request(id=f"R{i:04d}", household=owner, arrive=arrive, depart=arrive + length)
        )
    policy = Policy(
        windows={"visitor": EVENING, "rented": RENTED},
        turnover_minutes=10,
        household_cap=1,
        priority_rules=(
            PriorityRule(
                priority=3, label="night-shift workers", tags_any=frozenset({"night_shift"})
            ),
            PriorityRule(priority=2, label="households without a space", has_space=False),
        ),
        default_priority=1,
    )
    return Instance(
        name=f"night shift {n_requests} stays / {n_spaces} spaces (seed {seed})",
        night=NIGHT,
        spaces=tuple(spaces),
        households=tuple(households),
        requests=tuple(requests),
        policy=policy,
        history=_history(rng, households, spaces, share_refused=0.25, share_last=0.2),
    )


def ev_and_sizes(n: int = 400, seed: int = 0) -> Instance:
    """Sizes, EV chargers and accessible spaces restrict who may park where; walking limit 250 m.

    0.85 n spaces on a 400 m site (small/standard/large; 15% with a charger, 5% accessible), 0.85 n
    households of which about one in six sends two cars (cap one space per household, so caps
    bind). Overnight stays, mostly inside both windows, some evening arrivals that only the street
    (19:00-07:00) or late departures that only rented spaces (22:00-09:00) can hold.
    """
    rng = np.random.default_rng(seed)
    n_spaces = round(0.85 * n)
    space_sizes = rng.choice(
        [Size.SMALL, Size.STANDARD, Size.LARGE], size=n_spaces, p=[0.2, 0.6, 0.2]
    )
    spaces = []
    for i in range(n_spaces):
        features = set()
        if rng.random() < 0.15:
            features.add("ev_charger")
        if rng.random() < 0.05:
            features.add("accessible")
        spaces.append(
            Space(
                id=f"E{i:04d}",
                kind="rented" if rng.random() < 0.7 else "street",
                size=Size(int(space_sizes[i])),
                features=frozenset(features),
                x=round(float(rng.uniform(0, 400)), 1),
                y=round(float(rng.uniform(0, 400)), 1),
            )
        )
    households, owners = _households_with_cars(
        rng, n, site_m=400, tag="disabled", tag_share=0.04, has_space_share=0.35
    )
    by_id = {h.id: h for h in households}
    car_sizes = rng.choice([Size.SMALL, Size.STANDARD, Size.LARGE], size=n, p=[0.25, 0.55, 0.20])
    requests = []
    for i, owner in enumerate(owners):
        needs = set()
        if rng.random() < 0.10:
            needs.add("ev_charger")
        if "disabled" in by_id[owner].tags or rng.random() < 0.01:
            needs.add("accessible")
        shape = rng.random()
        if shape < 0.75:  # fits both windows
            arrive, depart = 1320 + int(rng.integers(0, 120)), 1740 + int(rng.integers(0, 120))
        elif shape < 0.875:  # evening arrival: street only
            arrive, depart = 1140 + int(rng.integers(0, 180)), 1740 + int(rng.integers(0, 120))
        else:  # late departure: rented only
            arrive, depart = 1320 + int(rng.integers(0, 120)), 1860 + int(rng.integers(0, 120))
        requests.append(
            Request(
                id=f"R{i:04d}",
                household=owner,
                arrive=arrive,
                depart=depart,
                size=Size(int(car_sizes[i])),
                needs=frozenset(needs),
            )
        )
    policy = Policy(
        windows={"rented": RENTED, "street": STREET},
        turnover_minutes=10,
        max_walk_m=250,
        household_cap=1,
        priority_rules=(
            PriorityRule(
                priority=3, label="residents with a disability", tags_any=frozenset({"disabled"})
            ),
            PriorityRule(priority=2, label="households without a space", has_space=False),
            PriorityRule(priority=1, label="second cars", has_space=True),
        ),
        default_priority=1,
    )
    return Instance(
        name=f"EV and sizes {n} requests (seed {seed})",
        night=NIGHT,
        spaces=tuple(spaces),
        households=tuple(households),
        requests=tuple(requests),
        policy=policy,
        history=_history(rng, households, spaces, share_refused=0.3, share_last=0.25),
    )


def shared_chargers(points: int = 200, sessions: int = 1200, seed: int = 0) -> Instance:
    """A garage of shared chargers: `points` charge points in four banks, `sessions` sessions.

    Each bank stands at one place, so its points are interchangeable; one bank in four is fast
    (feature "ev_fast" besides "ev_charger"). Sessions arrive 16:00-23:00 and last 1-5 h; one in
    five needs a fast point. Households (one car each) live on a 200 m site; no household cap.
    Priorities: residents who tagged themselves "commuter" (they need the car charged by
    morning) at 2, the rest at 1. Turnover 5 minutes.
    """
    rng = np.random.default_rng(seed)
    banks = [(float(x), float(y)) for x, y in rng.uniform(0, 200, size=(4, 2)).round(1)]
    spaces = []
    for i in range(points):
        bank = i % len(banks)
        features = {"ev_charger", "ev_fast"} if bank == 0 else {"ev_charger"}
        spaces.append(
            Space(
                id=f"C{i:04d}",
                kind="charger",
                features=frozenset(features),
                x=banks[bank][0],
                y=banks[bank][1],
            )
        )
    households, owners = _households_with_cars(
        rng, sessions, site_m=200, tag="commuter", tag_share=0.3, has_space_share=0.5
    )
    requests = []
    for i, owner in enumerate(owners):
        arrive = 960 + int(rng.integers(0, 85)) * 5  # 16:00 .. 23:00
        length = int(rng.integers(12, 61)) * 5  # 1 h .. 5 h
        needs = {"ev_charger", "ev_fast"} if rng.random() < 0.2 else {"ev_charger"}
        requests.append(
            Request(
                id=f"R{i:05d}",
                household=owner,
                arrive=arrive,
                depart=arrive + length,
                needs=frozenset(needs),
            )
        )
    policy = Policy(
        windows={"charger": (Window(900, 1980),)},  # 15:00-09:00
        turnover_minutes=5,
        priority_rules=(
            PriorityRule(priority=2, label="commuters", tags_any=frozenset({"commuter"})),
        ),
        default_priority=1,
    )
    return Instance(
        name=f"shared chargers {points} points / {sessions} sessions (seed {seed})",
        night=NIGHT,
        spaces=tuple(spaces),
        households=tuple(households),
        requests=tuple(requests),
        policy=policy,
        history=_history(rng, households, spaces, share_refused=0.25, share_last=0.0),
    )


def all_different(n_spaces: int = 40, n_stays: int = 200, seed: int = 0) -> Instance:
    """Short random stays on spaces no two of which are alike.

    Each space has its own place on a 300 m site, its own size and its own window (18:00-08:00
    or a later start); stays last 1-4 h between 18:00 and 08:00. Cap one space per household;
    priorities by tag and has_space, as in `night_shift`.
    """
    rng = np.random.default_rng(seed)
    sizes = (Size.SMALL, Size.STANDARD, Size.LARGE)
    spaces = [
        Space(
            id=f"D{i:03d}",
            kind="visitor",
            size=sizes[int(rng.choice(3, p=[0.2, 0.6, 0.2]))],
            x=round(float(rng.uniform(0, 300)), 1),
            y=round(float(rng.uniform(0, 300)), 1),
            windows=(Window(1080 + 30 * int(rng.integers(0, 8)), 1920),),
        )
        for i in range(n_spaces)
    ]
    households, owners = _households_with_cars(
        rng, n_stays, site_m=300, tag="night_shift", tag_share=0.1, has_space_share=0.3
    )
    requests = []
    for i, owner in enumerate(owners):
        length = int(rng.integers(6, 25)) * 10
        arrive = 1080 + int(rng.integers(0, (1920 - 1080 - length) // 5 + 1)) * 5
        requests.append(
            Request(
                id=f"R{i:04d}",
                household=owner,
                arrive=arrive,
                depart=arrive + length,
                size=sizes[int(rng.choice(3, p=[0.3, 0.55, 0.15]))],
            )
        )
    policy = Policy(
        windows={"visitor": EVENING},
        turnover_minutes=10,
        household_cap=1,
        priority_rules=(
            PriorityRule(
                priority=3, label="night-shift workers", tags_any=frozenset({"night_shift"})
            ),
            PriorityRule(priority=2, label="households without a space", has_space=False),
        ),
        default_priority=1,
    )
    return Instance(
        name=f"all different {n_spaces} spaces / {n_stays} stays (seed {seed})",
        night=NIGHT,
        spaces=tuple(spaces),
        households=tuple(households),
        requests=tuple(requests),
        policy=policy,
        history=_history(rng, households, spaces, share_refused=0.25, share_last=0.2),
    )


ALL = {
    "laiyang": laiyang,
    "dense": dense,
    "night_shift": night_shift,
    "ev_and_sizes": ev_and_sizes,
    "shared_chargers": shared_chargers,
    "all_different": all_different,
}


def _households_with_cars(
    rng, cars: int, site_m: float, tag: str, tag_share: float, has_space_share: float
) -> tuple[list[Household], list[str]]:
    """Households on a square site, about one in six with two cars, until there are `cars` cars.

    Returns the households and each car's household id, in order.
    """
    households: list[Household] = []
    owners: list[str] = []
    while len(owners) < cars:
        tags = frozenset({tag}) if rng.random() < tag_share else frozenset()
        household = Household(
            id=f"H{len(households):04d}",
            x=round(float(rng.uniform(0, site_m)), 1),
            y=round(float(rng.uniform(0, site_m)), 1),
            tags=tags,
            has_space=bool(rng.random() < has_space_share),
        )
        households.append(household)
        owners.extend([household.id] * (2 if rng.random() < 0.17 else 1))
    return households, owners[:cars]
