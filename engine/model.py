"""The domain of one night: spaces, households, requests, the policy, history and pins.

The vocabulary is parking's, but nothing here is specific to cars: a *space* is any bookable
resource with availability windows, a size and features (a charge point, an e-bike socket), and a
*request* asks for one such resource for an interval, with needs.

Times are whole minutes counted from midnight at the start of the night's evening date, so
22:10 is 1330 and 07:40 the next morning is 1900. Converting clock strings is the edge's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum, IntEnum
from functools import cached_property
from math import hypot, isfinite
from typing import NamedTuple

# Eligibility keeps a space's features as bits of one 64-bit integer.
MAX_FEATURES = 62


class Size(IntEnum):
    """Ordered sizes: a car fits every space at least as large as itself."""

    SMALL = 1
    STANDARD = 2
    LARGE = 3

    @property
    def label(self) -> str:
        """The size in words: "small", "standard" or "large"."""
        return self.name.lower()


@dataclass(frozen=True)
class Window:
    """A half-open availability interval ``[start, end)`` in night minutes.

    Attributes
    ----------
    start, end : int
        Night minutes (22:00 is 1320, 07:00 the next morning 1860).

    Raises
    ------
    ValueError
        When it ends before it starts, or at its start.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")


def merged(windows: tuple[Window, ...]) -> tuple[Window, ...]:
    """Overlapping or touching windows as one: a stay may run across the seam.

    Parameters
    ----------
    windows : tuple of Window
        In any order.

    Returns
    -------
    tuple of Window
        Disjoint, not touching, by start.
    """
    result: list[Window] = []
    for window in sorted(windows, key=lambda w: w.start):
        if result and window.start <= result[-1].end:
            result[-1] = Window(result[-1].start, max(result[-1].end, window.end))
        else:
            result.append(window)
    return tuple(result)


def _check_location(label: str, x: float, y: float) -> None:
    if not (isfinite(x) and isfinite(y)):
        raise ValueError(f"{label}: coordinates must be finite numbers, got x={x}, y={y}")


@dataclass(frozen=True)
class Space:
    """A bookable resource: a parking space, a charge point, a bike locker.

    Attributes
    ----------
    id : str
        Unique within the night.
    kind : str
        Its kind ("rented", "street", ...), which names the policy's default windows for it.
    size : Size
        The largest car it takes.
    features : frozenset of str
        What it offers ("ev_charger", "accessible", "covered", ...).
    x, y : float
        Coordinates in metres on the site plan.
    windows : tuple of Window or None
        Its own availability, merged where windows touch; None: the policy's windows for its
        kind apply.
    renter : str or None
        The household that rents it; a rented space is shared only when `released`.
    released : bool
        Its renter releases it tonight.
    compounds : frozenset of str
        The compounds whose residents may use it (a street segment may serve several
        neighbours); empty: open to every compound of the instance.

    Raises
    ------
    ValueError
        For an empty id or kind, an explicit empty window list, or coordinates that are not
        finite.
    """

    id: str
    kind: str
    size: Size = Size.STANDARD
    features: frozenset[str] = frozenset()
    x: float = 0.0
    y: float = 0.0
    windows: tuple[Window, ...] | None = None
    renter: str | None = None
    released: bool = False
    compounds: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("space id is empty")
        if not self.kind:
            raise ValueError(f"space {self.id}: kind is empty")
        if self.windows is not None and not self.windows:
            raise ValueError(f"space {self.id}: an explicit window list must not be empty")
        if self.windows is not None:
            object.__setattr__(self, "windows", merged(self.windows))
        _check_location(f"space {self.id}", self.x, self.y)

    def open_to(self, compound: str | None) -> bool:
        """Residents of `compound` may use it (a household of no compound may use any space)."""
        return not self.compounds or compound is None or compound in self.compounds

    @property
    def in_pool(self) -> bool:
        """A rented space is shared only on nights its renter releases it."""
        return self.renter is None or self.released


@dataclass(frozen=True)
class Household:
    """A flat or house whose cars ask for spaces.

    Attributes
    ----------
    id : str
        Unique within the night.
    x, y : float
        Coordinates of its building's entrance in metres.
    tags : frozenset of str
        What priority rules may match ("disabled", "night_shift", ...).
    has_space : bool
        It rents a space of its own.
    compound : str or None
        Its compound; None: it may use every space.
    held_elsewhere : int
        Parking stays (charging sessions not counted) it already holds tonight outside this
        instance; they count towards `Policy.household_cap` (`engine.live` re-solves part of a
        published night this way).
    charging_held_elsewhere : int
        Charging sessions it already holds tonight outside this instance; they count towards
        `Policy.charging_cap`.

    Raises
    ------
    ValueError
        For an empty id, coordinates that are not finite or a negative count held elsewhere.
    """

    id: str
    x: float = 0.0
    y: float = 0.0
    tags: frozenset[str] = frozenset()
    has_space: bool = False
    compound: str | None = None
    held_elsewhere: int = 0
    charging_held_elsewhere: int = 0

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("household id is empty")
        for name in ("held_elsewhere", "charging_held_elsewhere"):
            if getattr(self, name) < 0:
                raise ValueError(f"household {self.id}: {name} must not be negative")
        _check_location(f"household {self.id}", self.x, self.y)

    def walk_to(self, space: Space) -> int:
        """Straight-line distance to `space` in whole metres (site plans give no footpaths)."""
        return round(hypot(space.x - self.x, space.y - self.y))


class CapAccount(NamedTuple):
    """What a stay counts towards: a household's parking stays or its charging sessions.

    Each account has its own cap (`Policy.cap_of`); a household has one of each.

    Attributes
    ----------
    household : str
        The household's id.
    charging : bool
        The account of its charging sessions; False: of its other (parking) stays.
    """

    household: str
    charging: bool

    @property
    def counted(self) -> str:
        """What the account counts, in words for staff: "shared spaces" or "charging sessions"."""
        return "charging sessions" if self.charging else "shared spaces"


@dataclass(frozen=True)
class Request:
    """One car asking for one space for one stay.

    Attributes
    ----------
    id : str
        Unique within the night.
    household : str
        The household's id.
    arrive, depart : int
        The stay in night minutes, ``[arrive, depart)``.
    size : Size
        The car's size.
    needs : frozenset of str
        Features the space must have.
    plate : str
        The number plate, for staff; never shown to other residents.
    priority : int or None
        A level set by staff; None: the policy's priority rules decide.
    charging : bool
        A charging session (its `needs` name the socket): it counts towards
        `Policy.charging_cap`, not `Policy.household_cap`, and only a charging session may use a
        space of a kind in `Policy.charging_only_kinds`.

    Raises
    ------
    ValueError
        For an empty id, or a stay that departs at or before its arrival.
    """

    id: str
    household: str
    arrive: int
    depart: int
    size: Size = Size.STANDARD
    needs: frozenset[str] = frozenset()
    plate: str = ""
    priority: int | None = None
    charging: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("request id is empty")
        if self.depart <= self.arrive:
            raise ValueError(
                f"request {self.id}: departs ({self.depart}) before it arrives ({self.arrive})"
            )

    @property
    def account(self) -> CapAccount:
        """The cap account it counts towards: its household's charging or parking account."""
        return CapAccount(self.household, self.charging)


@dataclass(frozen=True)
class PriorityRule:
    """Requests matching every given condition get `priority`; the first matching rule wins.

    Attributes
    ----------
    priority : int
        The level it gives; higher levels are served first.
    label : str
        Its name in words, quoted when a request's priority is explained.
    has_space : bool or None
        Match households that rent a space (True) or do not (False); None: either.
    tags_any : frozenset of str
        Match households with at least one of these tags; empty: any.
    first_car : bool or None
        Match a household's first parking request of the night (True) or its later ones and its
        charging sessions (False); None: either. A charging session is nobody's first car and
        does not make a later parking request a second one.
    """

    priority: int
    label: str = ""
    has_space: bool | None = None
    tags_any: frozenset[str] = frozenset()
    first_car: bool | None = None

    def matches(self, household: Household, is_first_car: bool) -> bool:
        """Every condition given holds for this household's request."""
        if self.has_space is not None and household.has_space != self.has_space:
            return False
        if self.tags_any and not (self.tags_any & household.tags):
            return False
        return self.first_car is None or self.first_car == is_first_car


@dataclass(frozen=True)
class Policy:
    """The plan the residents voted for.

    The objective is strictly lexicographic: served requests per priority level (highest level
    first), then fairness (refused nights, then how recently), then walking, then stability. A
    zero weight drops that term.

    Attributes
    ----------
    windows : mapping of str to tuple of Window
        Default availability per space kind, merged where windows touch.
    turnover_minutes : int
        Gap required between two stays on one space.
    max_walk_m : int or None
        Walking limit in metres; None: no limit.
    priority_rules : tuple of PriorityRule
        Tried in order; the first that matches gives a request its level.
    default_priority : int
        The level of a request no rule matches.
    household_cap : int or None
        Shared spaces one household may take a night, charging sessions not counted; None: no
        cap.
    charging_cap : int or None
        Charging sessions one household may book a night; None: no cap.
    charging_only_kinds : frozenset of str
        Kinds of space kept for charging sessions (a bay of shared charge points): no other stay
        may use them.
    fairness_window_nights : int
        How many past nights a refusal counts for fairness.
    fairness_weight : int
        Points a household earns for each night it was refused within the window.
    walk_weight, stability_weight : int
        Weights of the walking and stability terms (zero drops the term).
    overstay_penalty_nights : int
        For this many nights after an overstay, the household's requests drop to at most
        `overstay_penalty_priority` (a priority staff set on a request stands: theirs is the
        later decision); zero turns the penalty off.
    overstay_penalty_priority : int
        The level an overstay drops a household to.
    no_show_forfeit_nights : int
        Refused nights of fairness credit one no-show (a car given a space that never came)
        takes away, within the fairness window; zero: a no-show costs no fairness.

    Raises
    ------
    ValueError
        For a negative count, limit or weight, or an empty window list for a kind.
    """

    windows: Mapping[str, tuple[Window, ...]] = field(default_factory=dict)
    turnover_minutes: int = 0
    max_walk_m: int | None = None
    priority_rules: tuple[PriorityRule, ...] = ()
    default_priority: int = 1
    household_cap: int | None = None
    charging_cap: int | None = None
    charging_only_kinds: frozenset[str] = frozenset()
    fairness_window_nights: int = 14
    fairness_weight: int = 1
    walk_weight: int = 1
    stability_weight: int = 1
    overstay_penalty_nights: int = 0
    overstay_penalty_priority: int = 0
    no_show_forfeit_nights: int = 0

    def __post_init__(self) -> None:
        if self.turnover_minutes < 0:
            raise ValueError("turnover_minutes must not be negative")
        if self.max_walk_m is not None and self.max_walk_m < 0:
            raise ValueError("max_walk_m must not be negative")
        if self.household_cap is not None and self.household_cap < 0:
            raise ValueError("household_cap must not be negative")
        if self.charging_cap is not None and self.charging_cap < 0:
            raise ValueError("charging_cap must not be negative")
        if self.fairness_window_nights < 0:
            raise ValueError("fairness_window_nights must not be negative")
        if self.overstay_penalty_nights < 0:
            raise ValueError("overstay_penalty_nights must not be negative")
        if self.no_show_forfeit_nights < 0:
            raise ValueError("no_show_forfeit_nights must not be negative")
        for name in ("fairness_weight", "walk_weight", "stability_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for kind, windows in self.windows.items():
            if not windows:
                raise ValueError(f"policy windows for kind {kind!r} must not be empty")
        object.__setattr__(
            self, "windows", {kind: merged(windows) for kind, windows in self.windows.items()}
        )

    def cap_of(self, account: CapAccount) -> int | None:
        """The cap of `account`: `charging_cap` for charging sessions, else `household_cap`."""
        return self.charging_cap if account.charging else self.household_cap


@dataclass(frozen=True)
class HouseholdHistory:
    """What past nights tell about one household.

    Attributes
    ----------
    household : str
        The household's id.
    refused_nights : tuple of date
        Evenings on which a request of it was refused.
    last_space : str or None
        The space it had last night, if any.
    overstayed_nights : tuple of date
        Evenings whose car stayed on a shared space after its window closed.
    no_show_nights : tuple of date
        Evenings whose car was given a space and never came.
    """

    household: str
    refused_nights: tuple[date, ...] = ()
    last_space: str | None = None
    overstayed_nights: tuple[date, ...] = ()
    no_show_nights: tuple[date, ...] = ()


class PinAction(str, Enum):
    """What a staff pin does."""

    FORCE = "force"
    """The request must use the space."""
    FORBID = "forbid"
    """The request must not use the space."""


@dataclass(frozen=True)
class Pin:
    """A staff decision: this request must (force) or must not (forbid) use this space.

    Attributes
    ----------
    request, space : str
        Their ids.
    action : PinAction
        Force or forbid.
    reason : str
        Staff's words, for the record.
    """

    request: str
    space: str
    action: PinAction
    reason: str = ""


@dataclass(frozen=True)
class Instance:
    """One night of one or several compounds: everything the engine needs to allocate it.

    Attributes
    ----------
    name : str
        For messages and results.
    night : date
        The evening date; night minutes count from its midnight.
    spaces, households, requests : tuple
        Of `Space`, `Household` and `Request`; ids unique within each. Requests are in
        submission order, which breaks ties.
    policy : Policy
        The plan.
    history : tuple of HouseholdHistory
        At most one entry per household.
    pins : tuple of Pin
        Staff decisions for tonight.

    Raises
    ------
    ValueError
        For duplicate ids, references to unknown households, requests or spaces, a space
        without windows of its own or of its kind, more than `MAX_FEATURES` distinct features,
        or a pin given twice.
    """

    name: str
    night: date
    spaces: tuple[Space, ...]
    households: tuple[Household, ...]
    requests: tuple[Request, ...]
    policy: Policy = field(default_factory=Policy)
    history: tuple[HouseholdHistory, ...] = ()
    pins: tuple[Pin, ...] = ()

    def __post_init__(self) -> None:
        for label, items in (
            ("space", self.spaces),
            ("household", self.households),
            ("request", self.requests),
        ):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(f"duplicate {label} id {item.id!r}")
                seen.add(item.id)
        for request in self.requests:
            if request.household not in self.household_by_id:
                raise ValueError(f"request {request.id}: unknown household {request.household!r}")
        for space in self.spaces:
            if space.windows is None and space.kind not in self.policy.windows:
                raise ValueError(
                    f"space {space.id}: no windows given "
                    f"and the policy has none for kind {space.kind!r}"
                )
            if space.renter is not None and space.renter not in self.household_by_id:
                raise ValueError(f"space {space.id}: unknown renter {space.renter!r}")
        features = {f for space in self.spaces for f in space.features}
        if len(features) > MAX_FEATURES:
            raise ValueError(
                f"spaces name {len(features)} distinct features; "
                f"at most {MAX_FEATURES} are supported"
            )
        seen_history: set[str] = set()
        for entry in self.history:
            if entry.household not in self.household_by_id:
                raise ValueError(f"history: unknown household {entry.household!r}")
            if entry.household in seen_history:
                raise ValueError(f"history: household {entry.household!r} appears twice")
            seen_history.add(entry.household)
        pinned: set[tuple[str, str]] = set()
        for pin in self.pins:
            if pin.request not in self.request_by_id:
                raise ValueError(f"pin: unknown request {pin.request!r}")
            if pin.space not in self.space_by_id:
                raise ValueError(f"pin: unknown space {pin.space!r}")
            if (pin.request, pin.space) in pinned:
                raise ValueError(
                    f"pin: request {pin.request!r} is pinned to space {pin.space!r} twice"
                )
            pinned.add((pin.request, pin.space))

    @cached_property
    def space_by_id(self) -> dict[str, Space]:
        """Spaces by id."""
        return {space.id: space for space in self.spaces}

    @cached_property
    def household_by_id(self) -> dict[str, Household]:
        """Households by id."""
        return {household.id: household for household in self.households}

    @cached_property
    def request_by_id(self) -> dict[str, Request]:
        """Requests by id."""
        return {request.id: request for request in self.requests}

    @cached_property
    def history_by_household(self) -> dict[str, HouseholdHistory]:
        """History entries by household id."""
        return {entry.household: entry for entry in self.history}

    def windows_of(self, space: Space) -> tuple[Window, ...]:
        """The space's availability: its own windows, else the policy's for its kind."""
        return space.windows if space.windows is not None else self.policy.windows[space.kind]

    @cached_property
    def priorities(self) -> dict[str, int]:
        """Each request's priority level: its own, else the first matching policy rule."""
        return {request_id: level for request_id, (level, _) in self.priority_sources.items()}

    @cached_property
    def priority_sources(self) -> dict[str, tuple[int, str]]:
        """Each request's priority level and, in words, where it comes from."""
        decided: dict[str, tuple[int, str]] = {}
        households_seen: set[str] = set()
        for request in self.requests:
            # Only parking stays are cars in the sense of the plan's "first car": a charging
            # session is nobody's first car and leaves the household's first car to come.
            is_first_car = not request.charging and request.household not in households_seen
            if not request.charging:
                households_seen.add(request.household)
            if request.priority is not None:
                decided[request.id] = (request.priority, "set on the request")
                continue
            household = self.household_by_id[request.household]
            rule = next(
                (
                    rule
                    for rule in self.policy.priority_rules
                    if rule.matches(household, is_first_car)
                ),
                None,
            )
            if rule is None:
                decided[request.id] = (self.policy.default_priority, "the plan's default")
            else:
                decided[request.id] = (
                    rule.priority,
                    f"plan rule: {rule.label}" if rule.label else "a plan rule",
                )
            overstayed = self.recent_overstays.get(request.household)
            if (
                overstayed is not None
                and self.policy.overstay_penalty_priority < decided[request.id][0]
            ):
                decided[request.id] = (
                    self.policy.overstay_penalty_priority,
                    f"overstay penalty: overstayed the night of {overstayed.isoformat()}",
                )
        return decided

    @cached_property
    def recent_overstays(self) -> dict[str, date]:
        """Households still under the overstay penalty, with their latest overstay inside it."""
        nights = self.policy.overstay_penalty_nights
        latest: dict[str, date] = {}
        for entry in self.history:
            recent = [
                night
                for night in entry.overstayed_nights
                if 0 < (self.night - night).days <= nights
            ]
            if recent:
                latest[entry.household] = max(recent)
        return latest

    @cached_property
    def fairness_points(self) -> dict[str, int]:
        """Points per household: refused nights inside the fairness window, less those its
        no-shows there forfeit (never below zero), times the weight."""
        policy = self.policy

        def recent(nights: tuple[date, ...]) -> int:
            window = policy.fairness_window_nights
            return sum(1 for night in nights if 0 < (self.night - night).days <= window)

        points: dict[str, int] = {}
        for entry in self.history:
            credit = recent(entry.refused_nights) - policy.no_show_forfeit_nights * recent(
                entry.no_show_nights
            )
            points[entry.household] = max(credit, 0) * policy.fairness_weight
        return points

    @cached_property
    def rotation_points(self) -> dict[str, int]:
        """Among households with equal fairness points, the one refused most recently goes first.

        A refusal a night ago gives `fairness_window_nights` points, one at the window's far end
        gives 1; without it, ties in refused nights would be broken the same way night after night
        and the same households would take the extra refusals.
        """
        window = self.policy.fairness_window_nights
        points: dict[str, int] = {}
        for entry in self.history:
            ages = [(self.night - night).days for night in entry.refused_nights]
            recent = [age for age in ages if 0 < age <= window]
            if recent:
                points[entry.household] = window + 1 - min(recent)
        return points

    @cached_property
    def cap_accounts(self) -> tuple[CapAccount, ...]:
        """Every household's two cap accounts: its parking stays, then its charging sessions."""
        return tuple(
            CapAccount(household.id, charging)
            for household in self.households
            for charging in (False, True)
        )

    def held_elsewhere(self, account: CapAccount) -> int:
        """What `account`'s household holds tonight outside this instance, towards its cap."""
        household = self.household_by_id[account.household]
        return household.charging_held_elsewhere if account.charging else household.held_elsewhere

    def last_space_of(self, household: str) -> str | None:
        """The id of the space the household had last night, if any."""
        entry = self.history_by_household.get(household)
        return entry.last_space if entry else None

    def overlaps(self, first: Request, second: Request) -> bool:
        """The two stays cannot share a space: neither leaves the turnover gap before the other
        arrives."""
        gap = self.policy.turnover_minutes
        return first.arrive < second.depart + gap and second.arrive < first.depart + gap
