"""The simulator's domain: the site that stays, the plans compared, and how residents behave.

Like `engine.model`, plain validated dataclasses: the plan and scenario files are converted into
these by `scenarios.mapping`, and nothing here reads a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from engine import Household, Policy, Size, Space

WEEKDAYS = 7


@dataclass(frozen=True)
class Car:
    household: str
    plate: str
    size: Size = Size.STANDARD
    needs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Site:
    """What does not change from night to night: spaces, households and their cars."""

    name: str
    start: date
    spaces: tuple[Space, ...]
    households: tuple[Household, ...]
    cars: tuple[Car, ...]

    def __post_init__(self) -> None:
        known = {h.id for h in self.households}
        for car in self.cars:
            if car.household not in known:
                raise ValueError(f"car {car.plate}: unknown household {car.household!r}")
        for space in self.spaces:
            if space.renter is not None and space.renter not in known:
                raise ValueError(f"space {space.id}: unknown renter {space.renter!r}")

    @cached_property
    def spaces_rented_by(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for space in self.spaces:
            if space.renter is not None:
                counts[space.renter] = counts.get(space.renter, 0) + 1
        return counts

    @cached_property
    def shared_cars(self) -> tuple[Car, ...]:
        """Cars that need a shared space: every car beyond the household's own rented spaces."""
        seen: dict[str, int] = {}
        cars = []
        for car in self.cars:
            seen[car.household] = seen.get(car.household, 0) + 1
            if seen[car.household] > self.spaces_rented_by.get(car.household, 0):
                cars.append(car)
        return tuple(cars)

    @cached_property
    def renters(self) -> tuple[str, ...]:
        """Households renting a space, in the order of their first space."""
        return tuple(dict.fromkeys(s.renter for s in self.spaces if s.renter is not None))


@dataclass(frozen=True)
class Pool:
    """A plan's take on one kind of space."""

    # None: as many as the site has; more than it has: copies of its spaces (same size, place).
    spaces: int | None = None
    shared: bool = True

    def __post_init__(self) -> None:
        if self.spaces is not None and self.spaces < 0:
            raise ValueError("a pool's spaces must not be negative")


@dataclass(frozen=True)
class Plan:
    """A policy the residents may vote for, and which pools of spaces it shares."""

    name: str
    policy: Policy
    pools: Mapping[str, Pool] = field(default_factory=dict)
    name_zh: str = ""
    summary: str = ""
    summary_zh: str = ""
    # Minutes after its arrival time that a served car not checked in counts as a no-show and its
    # space goes to the waiting list (scenario `policy.no_show.after_minutes`); None: never, the
    # space of a car that does not come stands empty.
    no_show_after_minutes: int | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a plan needs a name")
        if self.no_show_after_minutes is not None and self.no_show_after_minutes < 0:
            raise ValueError("no_show_after_minutes must not be negative")

    def pool(self, kind: str) -> Pool:
        return self.pools.get(kind, Pool())


@dataclass(frozen=True)
class DemandModel:
    """How residents behave, night by night; docs/simulation.md says where each default comes
    from."""

    # Share of nights a car without a space of its own needs one, before the weekday factor.
    need_share_without_space: float = 0.9
    need_share_second_car: float = 0.8
    # Monday..Sunday evenings, averaging 1: more cars at home on some evenings than others.
    weekday_factor: tuple[float, ...] = (1.0,) * WEEKDAYS
    # Share of a car's nights within one bin of its median arrival and departure (as measured in
    # the data), and the chance of repeating its habit that reproduces it (fitted to it).
    habit_share: float = 0.0
    repeat_share: float = 0.0
    renter_away_share: float = 0.125
    away_spell_nights: float = 2.0
    # Residents who ask only for the part of their night that the plan's hours can hold.
    plan_aware_share: float = 0.9
    overstay_share: float = 0.05
    overstay_mean_minutes: float = 30.0
    # A renter back from a spell away arrives this many minutes after the window ends, at most.
    renter_return_within_minutes: int = 180
    # Share of cars that, given a space, do not come that night (and would let an offer from the
    # waiting list pass); 0: every served car comes.
    no_show_share: float = 0.0

    def __post_init__(self) -> None:
        for name in (
            "need_share_without_space",
            "need_share_second_car",
            "habit_share",
            "repeat_share",
            "renter_away_share",
            "plan_aware_share",
            "overstay_share",
            "no_show_share",
        ):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {getattr(self, name)}")
        if len(self.weekday_factor) != WEEKDAYS or any(f < 0 for f in self.weekday_factor):
            raise ValueError("weekday_factor must list 7 non-negative numbers, Monday to Sunday")
        if self.renter_away_share >= 1.0:
            raise ValueError("renter_away_share must be below 1 (someone must come home)")
        if self.away_spell_nights < 1.0:
            raise ValueError("away_spell_nights must be at least 1")
        if self.renter_away_share / (1 - self.renter_away_share) / self.away_spell_nights > 1.0:
            raise ValueError("renter_away_share is too high for spells this short")
        if self.overstay_mean_minutes <= 0:
            raise ValueError("overstay_mean_minutes must be positive")
        if self.renter_return_within_minutes < 0:
            raise ValueError("renter_return_within_minutes must not be negative")
