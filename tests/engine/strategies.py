"""Hypothesis strategies for small, valid nights (`engine.model.Instance`).

Everything is drawn inside one `st.composite` with plain draws (no filters), so generation stays
fast. Times are night minutes: 19:00 = 1140, 22:00 = 1320, 07:00 next morning = 1860.

The stays mix short evening visits (19:00-21:00 and the like) with overnight stays
(22:00-07:00), so that some spaces can take two stays one after the other and others only one.
About one request in five is a charging session; plans may cap charging sessions apart from the
other stays and keep some kinds of space for charging.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from engine.model import (
    Household,
    HouseholdHistory,
    Instance,
    Pin,
    PinAction,
    Policy,
    PriorityRule,
    Request,
    Size,
    Space,
    Window,
)

NIGHT = date(2024, 3, 15)
FEATURES = ("ev_charger", "accessible")
TAGS = ("disabled", "night_shift", "carer")

# Availability patterns: overnight, late evening only, and split windows (two a night).
WINDOW_PATTERNS: tuple[tuple[Window, ...], ...] = (
    (Window(1080, 1920),),  # 18:00-08:00
    (Window(1080, 1920),),  # (twice: the common case)
    (Window(1260, 1860),),  # 21:00-07:00
    (Window(1140, 1290), Window(1310, 1900)),  # 19:00-21:30 and 21:50-07:40
    (Window(1320, 1950),),  # 22:00-08:30
    (Window(1100, 1500), Window(1500, 1900)),  # 18:20-01:00 and 01:00-07:40 (adjacent halves)
)

# Typical stays: pairs such as 19:00-21:00 / 22:00-07:00 share a space one after the other.
STAY_PATTERNS: tuple[tuple[int, int], ...] = (
    (1140, 1260),  # 19:00-21:00
    (1150, 1230),  # 19:10-20:30
    (1320, 1860),  # 22:00-07:00
    (1290, 1890),  # 21:30-07:30
    (1200, 1500),  # 20:00-01:00
    (1530, 1860),  # 01:30-07:00
    (1320, 1500),  # 22:00-01:00
    (1110, 1320),  # 18:30-22:00
)

SPACE_SIZES = st.sampled_from(
    (Size.STANDARD, Size.LARGE, Size.STANDARD, Size.SMALL, Size.STANDARD, Size.LARGE)
)
CAR_SIZES = st.sampled_from(
    (Size.STANDARD, Size.SMALL, Size.STANDARD, Size.SMALL, Size.STANDARD, Size.LARGE)
)


@st.composite
def _stay(draw) -> tuple[int, int]:
    if draw(st.integers(0, 2)):
        return draw(st.sampled_from(STAY_PATTERNS))
    arrive = draw(st.integers(108, 170)) * 10  # 18:00 .. 04:20, 10-minute steps
    length = draw(st.integers(3, 60)) * 10  # 30 min .. 10 h
    return arrive, min(arrive + length, 1920)


def _subset(draw, items, chance_none: int = 1):
    """A random subset of `items`; empty with probability about chance_none / (chance_none + 1)."""
    if draw(st.integers(0, chance_none)):
        return frozenset()
    return frozenset(draw(st.lists(st.sampled_from(items), max_size=len(items), unique=True)))


def _coordinate(draw) -> int:
    return draw(st.integers(0, 300))


@st.composite
def instances(
    draw, max_requests: int, max_spaces: int, min_requests: int = 1, min_spaces: int = 1
) -> Instance:
    n_kinds = draw(st.integers(1, 3))
    kinds = [f"k{i}" for i in range(n_kinds)]
    policy_windows = {kind: draw(st.sampled_from(WINDOW_PATTERNS)) for kind in kinds}
    use_compounds = draw(st.integers(0, 4)) == 4
    compounds = st.sampled_from((None, "north", "south")) if use_compounds else st.just(None)
    space_compounds = (
        st.sampled_from(
            (frozenset(), frozenset({"north"}), frozenset({"south"}), frozenset({"north", "south"}))
        )
        if use_compounds
        else st.just(frozenset())
    )

    # Households, each with 1-3 requests, up to max_requests in all.
    n_target = draw(st.integers(min_requests, max_requests))
    per_household: list[int] = []
    while sum(per_household) < n_target:
        per_household.append(
            min(draw(st.sampled_from((1, 1, 1, 2, 2, 3))), n_target - sum(per_household))
        )
    households = []
    for index in range(len(per_household)):
        households.append(
            Household(
                id=f"h{index}",
                x=_coordinate(draw),
                y=_coordinate(draw),
                tags=_subset(draw, TAGS, chance_none=2),
                has_space=draw(st.booleans()),
                compound=draw(compounds),
            )
        )

    n_spaces = draw(st.integers(min_spaces, max_spaces))
    spaces = []
    for index in range(n_spaces):
        kind = draw(st.sampled_from(kinds))
        own_windows = (
            draw(st.sampled_from(WINDOW_PATTERNS)) if draw(st.integers(0, 3)) == 3 else None
        )
        rented = draw(st.integers(0, 5)) == 5
        spaces.append(
            Space(
                id=f"s{index}",
                kind=kind,
                size=draw(SPACE_SIZES),
                features=_subset(draw, FEATURES, chance_none=1),
                x=_coordinate(draw),
                y=_coordinate(draw),
                windows=own_windows,
                renter=draw(st.sampled_from([h.id for h in households])) if rented else None,
                released=draw(st.booleans()) if rented else False,
                compounds=draw(space_compounds),
            )
        )

    requests = []
    for household, count in zip(households, per_household):
        for _ in range(count):
            arrive, depart = draw(_stay())
            explicit = draw(st.integers(1, 3)) if draw(st.integers(0, 3)) == 3 else None
            requests.append(
                Request(
                    id=f"r{len(requests)}",
                    household=household.id,
                    arrive=arrive,
                    depart=depart,
                    size=draw(CAR_SIZES),
                    needs=_subset(draw, FEATURES, chance_none=3),
                    priority=explicit,
                    charging=draw(st.integers(0, 4)) == 4,
                )
            )
    # Submission order is not household order.
    requests = draw(st.permutations(requests))

    rule_menu = (
        PriorityRule(3, "disabled residents", tags_any=frozenset({"disabled"})),
        PriorityRule(2, "first car without a space", has_space=False, first_car=True),
        PriorityRule(2, "night shift", tags_any=frozenset({"night_shift"})),
        PriorityRule(1, "second cars", first_car=False),
    )
    rules = tuple(draw(st.lists(st.sampled_from(rule_menu), max_size=3, unique=True)))
    policy = Policy(
        windows=policy_windows,
        turnover_minutes=draw(st.sampled_from((0, 0, 5, 10, 15, 30))),
        max_walk_m=draw(st.integers(100, 400)) if draw(st.integers(0, 2)) == 2 else None,
        priority_rules=rules,
        default_priority=1,
        household_cap=draw(st.sampled_from((None, None, 1, 2))),
        charging_cap=draw(st.sampled_from((None, None, 0, 1, 2))),
        # Kind k0 is never kept for charging, so parking stays always have some kind of space.
        charging_only_kinds=_subset(draw, kinds[1:], chance_none=2) if n_kinds > 1 else frozenset(),
        fairness_window_nights=draw(st.sampled_from((7, 14, 14, 20))),
        fairness_weight=draw(st.sampled_from((0, 1, 1, 2))),
        walk_weight=draw(st.sampled_from((0, 1, 1, 3))),
        stability_weight=draw(st.sampled_from((0, 1, 1, 2))),
        overstay_penalty_nights=draw(st.sampled_from((0, 0, 3, 7))),
        overstay_penalty_priority=draw(st.sampled_from((0, 1))),
    )

    history = []
    for household in households:
        if draw(st.integers(0, 2)) == 0:
            continue
        refused = tuple(
            sorted(
                {NIGHT - timedelta(days=d) for d in draw(st.lists(st.integers(1, 20), max_size=4))}
            )
        )
        last = draw(st.sampled_from([None, *(s.id for s in spaces)]))
        overstayed = tuple(
            sorted(
                {NIGHT - timedelta(days=d) for d in draw(st.lists(st.integers(1, 9), max_size=2))}
            )
        )
        history.append(
            HouseholdHistory(
                household.id, refused_nights=refused, last_space=last, overstayed_nights=overstayed
            )
        )

    pins = []
    pinned: set[tuple[str, str]] = set()
    for _ in range(draw(st.integers(0, 2))):
        pair = (
            draw(st.sampled_from([r.id for r in requests])),
            draw(st.sampled_from([s.id for s in spaces])),
        )
        if pair not in pinned:
            pinned.add(pair)
            pins.append(Pin(*pair, PinAction.FORBID, "staff"))
    if draw(st.integers(0, 4)) == 4:  # FORCE pins only sometimes; they may well be infeasible
        for _ in range(draw(st.integers(1, 2))):
            pair = (
                draw(st.sampled_from([r.id for r in requests])),
                draw(st.sampled_from([s.id for s in spaces])),
            )
            if pair not in pinned:
                pinned.add(pair)
                pins.append(Pin(*pair, PinAction.FORCE, "staff"))

    return Instance(
        name="generated",
        night=NIGHT,
        spaces=tuple(spaces),
        households=tuple(households),
        requests=tuple(requests),
        policy=policy,
        history=tuple(history),
        pins=tuple(pins),
    )


def tiny_instances() -> st.SearchStrategy[Instance]:
    """At most 8 requests and 5 spaces: small enough for the brute force."""
    return instances(max_requests=8, max_spaces=5)


def small_instances() -> st.SearchStrategy[Instance]:
    """At most 25 requests and 12 spaces."""
    return instances(max_requests=25, max_spaces=12, min_requests=6, min_spaces=3)
