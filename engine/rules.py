"""The hard rules on one (request, space) pair, each decided in two independent ways and said.

A pair rule decides whether a space may take a request at all, whatever else is placed that
night. Every rule is a `Rule` with three functions, gathered in a `HardRule`:

- `refuses`, vectorised over the eligibility table's arrays: `EligibilityTable.failures` uses it
  to decide the pairs the solvers see and the rule an explanation names;
- `breach`, one pair over the plain dataclasses: `check_allocation` uses it. It is written apart
  from `refuses`, sharing no code with it, so that the checker checks the eligibility code rather
  than repeating it;
- `say`, the phrases that tell a resident, in a phrasebook's words, why the spaces it excludes do
  not fit (`engine.explain`).

`HARD_RULES` lists the rules in explanation order: a space that breaks several rules is counted
under the first. Eligibility, the checker, explanations and forced pins read `rules.HARD_RULES`
each time they run and name no rule themselves, so a new rule is added here, with its words in
the phrasebooks (recipe: docs/architecture.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np

from engine.clock import format_clock
from engine.model import Instance, PinAction, Request, Space
from engine.phrases import English

if TYPE_CHECKING:
    from engine.arrays import BoolArray
    from engine.eligibility import Block


class Rule(str, Enum):
    """A hard rule on one (request, space) pair, in explanation order.

    The values are the names stored and printed (forced-pin messages, checker families), so they
    do not change.
    """

    POOL = "pool"
    """The space is in tonight's pool: not rented, or released by its renter."""
    COMPOUND = "compound"
    """The space serves the household's compound: its list is empty or names it."""
    CHARGING_ONLY = "charging_only"
    """A space of a kind kept for charging (`Policy.charging_only_kinds`) takes only charging
    sessions. Before the window: a stay is told first that such a space is not for it at
    all, not when it opens."""
    WINDOW = "window"
    """The whole stay lies inside one availability window of the space."""
    SIZE = "size"
    """The car is no larger than the space."""
    FEATURES = "features"
    """The space has every feature the request needs."""
    WALK = "walk"
    """The walk from the household to the space is within the plan's limit."""
    FORBIDDEN = "forbidden"
    """Staff have not forbidden this space for this request."""


@dataclass(frozen=True)
class HardRule:
    """One rule's three functions.

    Attributes
    ----------
    rule : Rule
        Which rule; also the checker's family name for a breach (`rule.value`).
    refuses : Callable[[Block], BoolArray]
        Vectorised: for a block of requests x spaces, True where the rule excludes the space.
    breach : Callable[[Instance, Request, Space], str | None]
        One pair, from the dataclasses alone: what is broken when the request is on the space,
        None when the rule allows it.
    say : Callable[[Instance, Request, list[Space], English], list[str]]
        Phrases, in the phrasebook's language, for the spaces this rule is the first to exclude.
    """

    rule: Rule
    refuses: Callable[[Block], BoolArray]
    breach: Callable[[Instance, Request, Space], str | None]
    say: Callable[[Instance, Request, list[Space], English], list[str]]


def kinds_of(spaces: list[Space], phrases: English) -> str:
    """The kinds of `spaces` as one phrase ("rented/street").

    Parameters
    ----------
    spaces : list of Space
        The spaces a phrase is about.
    phrases : English
        The phrasebook (`ENGLISH` or `CHINESE`).

    Returns
    -------
    str
        Their distinct kinds, sorted, in the phrasebook's words.
    """
    return phrases.kinds(sorted({space.kind for space in spaces}))


# --- pool ------------------------------------------------------------------------------------


def _pool_refuses(block: Block) -> BoolArray:
    return np.broadcast_to(~block.table.space_in_pool[None, block.cols], block.shape)


def _pool_breach(instance: Instance, request: Request, space: Space) -> str | None:
    if space.in_pool:
        return None
    return f"{request.id} is on {space.id}, which its renter has not released"


def _pool_say(
    instance: Instance, request: Request, spaces: list[Space], phrases: English
) -> list[str]:
    return [phrases.not_released(len(spaces), kinds_of(spaces, phrases))]


# --- compound --------------------------------------------------------------------------------


def _compound_refuses(block: Block) -> BoolArray:
    table = block.table
    closed = np.zeros(block.shape, dtype=bool)
    compounds = table.request_compound[block.rows]
    for compound in np.unique(compounds).tolist():
        open_here = table.open_spaces(compound)
        if len(open_here) < len(table.space_size):  # else every space is open to it
            closed[compounds == compound] = ~np.isin(block.cols, open_here)[None, :]
    return closed


def _compound_breach(instance: Instance, request: Request, space: Space) -> str | None:
    compound = instance.household_by_id[request.household].compound
    if space.open_to(compound):
        return None
    return (
        f"{request.id} of compound {compound} is on {space.id} "
        f"of compounds {sorted(space.compounds)}"
    )


def _compound_say(
    instance: Instance, request: Request, spaces: list[Space], phrases: English
) -> list[str]:
    return [phrases.another_compound(len(spaces), kinds_of(spaces, phrases))]


# --- window ----------------------------------------------------------------------------------


def _window_refuses(block: Block) -> BoolArray:
    table = block.table
    arrive = table.request_arrive[block.rows, None, None]
    depart = table.request_depart[block.rows, None, None]
    within: BoolArray = np.any(
        (table.window_start[None, block.cols] <= arrive)
        & (depart <= table.window_end[None, block.cols]),
        axis=2,
    )
    return ~within


def _window_breach(instance: Instance, request: Request, space: Space) -> str | None:
    if any(
        window.start <= request.arrive and request.depart <= window.end
        for window in instance.windows_of(space)
    ):
        return None
    return f"{request.id} stays outside every window of {space.id}"


def _window_say(
    instance: Instance, request: Request, spaces: list[Space], phrases: English
) -> list[str]:
    """Group the spaces by how their hours miss this stay: opening too late, closing too early,
    or neither."""
    late_opening: dict[int, set[str]] = defaultdict(set)
    early_closing: dict[int, set[str]] = defaultdict(set)
    elsewhere: set[str] = set()
    # Many spaces share their hours: decide once per distinct (label, windows).
    hours = {
        (
            space.kind if space.windows is None else phrases.own_hours(space.kind),
            instance.windows_of(space),
        )
        for space in spaces
    }
    for label, windows in hours:
        started = [w for w in windows if w.start <= request.arrive < w.end]
        if started:
            early_closing[max(w.end for w in started)].add(label)
        elif all(request.arrive < w.start for w in windows) or any(
            request.arrive < w.start <= request.depart for w in windows
        ):
            # The first window opening after the arrival that holds the departure, else the
            # first one.
            later = sorted((w for w in windows if w.start > request.arrive), key=lambda w: w.start)
            opening = next((w for w in later if request.depart <= w.end), later[0])
            late_opening[opening.start].add(label)
            # Both ends can miss: say so, or the resident fixes the arrival and is refused again.
            if request.depart > opening.end:
                early_closing[opening.end].add(label)
        else:
            elsewhere.add(label)

    def labels(kinds: set[str]) -> str:
        return phrases.kinds(sorted(kinds))

    said = []
    if late_opening:
        said.append(
            phrases.opens_too_late(
                format_clock(request.arrive),
                [(labels(kinds), format_clock(t)) for t, kinds in sorted(late_opening.items())],
            )
        )
    if early_closing:
        said.append(
            phrases.closes_too_early(
                format_clock(request.depart),
                [(labels(kinds), format_clock(t)) for t, kinds in sorted(early_closing.items())],
            )
        )
    if elsewhere:
        said.append(phrases.not_shared_at(labels(elsewhere), format_clock(request.arrive)))
    return said


# --- size ------------------------------------------------------------------------------------


def _size_refuses(block: Block) -> BoolArray:
    table = block.table
    return table.space_size[None, block.cols] < table.request_size[block.rows, None]


def _size_breach(instance: Instance, request: Request, space: Space) -> str | None:
    if request.size <= space.size:
        return None
    return f"{request.id} ({request.size.label}) is too large for {space.id} ({space.size.label})"


def _size_say(
    instance: Instance, request: Request, spaces: list[Space], phrases: English
) -> list[str]:
    return [phrases.too_small(len(spaces), kinds_of(spaces, phrases), request.size.label)]


# --- features --------------------------------------------------------------------------------


def _features_refuses(block: Block) -> BoolArray:
    table = block.table
    needs = table.request_needs[block.rows, None]
    lacking: BoolArray = (table.space_features[None, block.cols] & needs) != needs
    return lacking | table.request_unknown_need[block.rows, None]


def _features_breach(instance: Instance, request: Request, space: Space) -> str | None:
    if request.needs <= space.features:
        return None
    return f"{space.id} lacks {sorted(request.needs - space.features)} needed by {request.id}"


def _features_say(
    instance: Instance, request: Request, spaces: list[Space], phrases: English
) -> list[str]:
    # Name the needs that none of these spaces meets; when each meets some, name them all.
    missing = sorted(
        request.needs - frozenset.intersection(*(space.features for space in spaces))
    ) or sorted(request.needs)
    return [phrases.lacking(len(spaces), kinds_of(spaces, phrases), missing)]


# --- charging only ---------------------------------------------------------------------------


def _charging_only_refuses(block: Block) -> BoolArray:
    table = block.table
    return table.space_charging_only[None, block.cols] & ~table.request_charging[block.rows, None]


def _charging_only_breach(instance: Instance, request: Request, space: Space) -> str | None:
    if request.charging or space.kind not in instance.policy.charging_only_kinds:
        return None
    return (
        f"{request.id} is not a charging session but is on {space.id}, "
        f"a {space.kind} space kept for charging"
    )


def _charging_only_say(
    instance: Instance, request: Request, spaces: list[Space], phrases: English
) -> list[str]:
    return [phrases.kept_for_charging(len(spaces), kinds_of(spaces, phrases))]


# --- walk ------------------------------------------------------------------------------------


def _walk_refuses(block: Block) -> BoolArray:
    limit = block.table.max_walk
    if limit is None:
        return np.zeros(block.shape, dtype=bool)
    return block.walk > limit


def _walk_breach(instance: Instance, request: Request, space: Space) -> str | None:
    limit = instance.policy.max_walk_m
    walk = instance.household_by_id[request.household].walk_to(space)
    if limit is None or walk <= limit:
        return None
    return f"{request.id} walks {walk} m to {space.id}, more than {limit} m"


def _walk_say(
    instance: Instance, request: Request, spaces: list[Space], phrases: English
) -> list[str]:
    limit = instance.policy.max_walk_m
    assert limit is not None, "without a walking limit the walk rule excludes nothing"
    return [phrases.too_far(len(spaces), kinds_of(spaces, phrases), limit)]


# --- forbidden -------------------------------------------------------------------------------


def _forbidden_refuses(block: Block) -> BoolArray:
    forbidden = block.table.forbidden
    refused = np.zeros(block.shape, dtype=bool)
    if forbidden:
        row_position = {row: i for i, row in enumerate(block.rows.tolist())}
        col_position = {col: j for j, col in enumerate(block.cols.tolist())}
        for request, space in forbidden:
            if request in row_position and space in col_position:
                refused[row_position[request], col_position[space]] = True
    return refused


def _forbidden_breach(instance: Instance, request: Request, space: Space) -> str | None:
    if not any(
        pin.action is PinAction.FORBID and pin.request == request.id and pin.space == space.id
        for pin in instance.pins
    ):
        return None
    return f"{request.id} is forbidden on {space.id} but is there"


def _forbidden_say(
    instance: Instance, request: Request, spaces: list[Space], phrases: English
) -> list[str]:
    return [phrases.excluded_by_staff(len(spaces))]


HARD_RULES: tuple[HardRule, ...] = (
    HardRule(Rule.POOL, _pool_refuses, _pool_breach, _pool_say),
    HardRule(Rule.COMPOUND, _compound_refuses, _compound_breach, _compound_say),
    HardRule(Rule.CHARGING_ONLY, _charging_only_refuses, _charging_only_breach, _charging_only_say),
    HardRule(Rule.WINDOW, _window_refuses, _window_breach, _window_say),
    HardRule(Rule.SIZE, _size_refuses, _size_breach, _size_say),
    HardRule(Rule.FEATURES, _features_refuses, _features_breach, _features_say),
    HardRule(Rule.WALK, _walk_refuses, _walk_breach, _walk_say),
    HardRule(Rule.FORBIDDEN, _forbidden_refuses, _forbidden_breach, _forbidden_say),
)
"""Every pair rule, in explanation order (the order of `Rule`)."""
