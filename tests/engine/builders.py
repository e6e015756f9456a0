"""Terse builders for hand-written instances: clock strings in, engine dataclasses out."""

from __future__ import annotations

from datetime import date, timedelta

from engine import (
    Household,
    HouseholdHistory,
    Instance,
    Pin,
    PinAction,
    Policy,
    Request,
    Size,
    Space,
    Window,
)
from engine.clock import parse_clock

NIGHT = date(2026, 11, 27)


def t(clock: str) -> int:
    return parse_clock(clock, NIGHT)


def window(text: str) -> Window:
    start, end = (t(part) for part in text.split("-"))
    return Window(start, end if end > start else end + 24 * 60)


def policy(**overrides) -> Policy:
    settings = {
        "windows": {"street": (window("19:00-07:00"),), "rented": (window("22:00-09:00"),)}
    } | overrides
    return Policy(**settings)


def space(
    id: str,
    kind: str = "street",
    x: float = 0,
    y: float = 0,
    size: str = "standard",
    features=(),
    **extra,
) -> Space:
    return Space(id, kind, size=Size[size.upper()], features=frozenset(features), x=x, y=y, **extra)


def household(id: str, x: float = 0, y: float = 0, tags=(), **extra) -> Household:
    return Household(id, x, y, tags=frozenset(tags), **extra)


def request(
    id: str,
    household: str,
    arrive: str = "22:00",
    depart: str = "06:00",
    size: str = "standard",
    needs=(),
    **extra,
) -> Request:
    return Request(
        id,
        household,
        t(arrive),
        t(depart),
        size=Size[size.upper()],
        needs=frozenset(needs),
        **extra,
    )


def instance(spaces, households, requests, pins=(), history=(), **policy_overrides) -> Instance:
    return Instance(
        "test",
        NIGHT,
        tuple(spaces),
        tuple(households),
        tuple(requests),
        policy(**policy_overrides),
        tuple(history),
        tuple(pins),
    )


def force(request_id: str, space_id: str) -> Pin:
    return Pin(request_id, space_id, PinAction.FORCE)


def forbid(request_id: str, space_id: str) -> Pin:
    return Pin(request_id, space_id, PinAction.FORBID)


def history(
    household_id: str,
    refused_nights_ago=(),
    last_space: str | None = None,
    overstayed_nights_ago=(),
) -> HouseholdHistory:
    def nights(ago) -> tuple[date, ...]:
        return tuple(NIGHT - timedelta(days=n) for n in ago)

    return HouseholdHistory(
        household_id, nights(refused_nights_ago), last_space, nights(overstayed_nights_ago)
    )
