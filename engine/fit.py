"""Whether a request could be served at all, before it is made, and the nearest stay that could.

The check asks the hard rules (`engine.rules.HARD_RULES`, the ones eligibility, the checker and
the explanations use) about each space of the night for one request, with nothing else placed.
A request no space fits is refused whatever happens; one some space fits is served when it is
the night's only request (unless its cap is zero: the household cap, or for a charging session
the charging cap). Whether the other requests leave it a space is not known before the night is
run.

Rented spaces may be released after a resident asks: by default the check counts every rented
space as if its renter released it (`released_later=True`), so "no space fits" is said only of
requests that no release could help.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from engine import rules
from engine.explain import cap_reached_message, no_space_fits_message
from engine.model import Instance, Request, Space, Window
from engine.phrases import ENGLISH, English
from engine.rules import Rule


@dataclass(frozen=True)
class Stay:
    """A stay that some space of `kind` could take, in night minutes.

    Attributes
    ----------
    kind : str
        The kind of the spaces that take it.
    arrive, depart : int
        Night minutes.
    change : int
        Minutes moved from the stay asked for, at both ends together.
    """

    kind: str
    arrive: int
    depart: int
    change: int


@dataclass(frozen=True)
class Fit:
    """What the hard rules say of one request on one night.

    Attributes
    ----------
    fits : bool
        Some space takes the request as asked (and its cap is not zero).
    fitting : int
        How many spaces take it as asked.
    kinds : tuple of str
        The kinds of those spaces, sorted.
    reasons : tuple of Rule
        When nothing fits: the rules that are first to exclude some space, in rule order.
        Empty when it fits.
    no_household_space : bool
        The plan gives a household no stay of this request's kind (a `household_cap` of zero,
        or a `charging_cap` of zero for a charging session): nothing is served.
    suggestions : tuple of Stay
        When nothing fits: for each kind, the nearest stay one of its spaces would take
        (changing only the hours), nearest first. Empty when it fits or when hours cannot help.
    message : str
        When nothing fits, why, in the phrasebook's words (the sentence a refusal would carry);
        else "".
    """

    fits: bool
    fitting: int
    kinds: tuple[str, ...]
    reasons: tuple[Rule, ...]
    no_household_space: bool
    suggestions: tuple[Stay, ...]
    message: str

    @property
    def nearest(self) -> Stay | None:
        """The suggestion that moves the stay least, or None."""
        return self.suggestions[0] if self.suggestions else None


# Of the hard rules, only the walk and staff's pins read a space's id or position; the others
# read what spaces of a group share (every field but id, x and y), so they are asked once per
# group: a night of 446 spaces has a handful of groups, and the check runs on every submission.
_POSITIONAL = frozenset({Rule.WALK, Rule.FORBIDDEN})
_SHARED_FIELDS = tuple(f.name for f in fields(Space) if f.name not in ("id", "x", "y"))


@dataclass(frozen=True)
class SpaceGroups:
    """A night's spaces in groups that every rule but the positional ones treats alike.

    Attributes
    ----------
    spaces : tuple of Space
        The spaces grouped, in order.
    representatives : tuple of Space
        One space per group.
    group_of : numpy.ndarray of int
        Per space, the index of its group.
    """

    spaces: tuple[Space, ...]
    representatives: tuple[Space, ...]
    group_of: np.ndarray


def space_groups(spaces: tuple[Space, ...]) -> SpaceGroups:
    """Group `spaces` for `check_fit`; build it once for spaces checked many times."""
    index: dict[tuple[object, ...], int] = {}
    representatives: list[Space] = []
    group_of = np.empty(len(spaces), dtype=np.int64)
    for position, space in enumerate(spaces):
        key = tuple(getattr(space, name) for name in _SHARED_FIELDS)
        group = index.setdefault(key, len(representatives))
        if group == len(representatives):
            representatives.append(space)
        group_of[position] = group
    return SpaceGroups(spaces, tuple(representatives), group_of)


def _excluded(
    instance: Instance,
    request: Request,
    considered: list[int],
    groups: SpaceGroups,
    released_later: bool,
) -> dict[Rule, np.ndarray]:
    """For each rule, which of the `considered` spaces (positions in `instance.spaces`) it
    excludes, each rule asked on its own."""
    spaces = instance.spaces
    members = groups.group_of[considered]
    excluded: dict[Rule, np.ndarray] = {}
    for hard in rules.HARD_RULES:
        if hard.rule is Rule.POOL and released_later:
            excluded[hard.rule] = np.zeros(len(considered), dtype=bool)
        elif hard.rule in _POSITIONAL:
            excluded[hard.rule] = np.array(
                [hard.breach(instance, request, spaces[i]) is not None for i in considered],
                dtype=bool,
            )
        else:
            per_group = np.array(
                [
                    hard.breach(instance, request, representative) is not None
                    for representative in groups.representatives
                ],
                dtype=bool,
            )
            excluded[hard.rule] = per_group[members]
    return excluded


def nearest_within(window: Window, arrive: int, depart: int) -> tuple[int, int]:
    """The stay inside `window` nearest to [arrive, depart): the part that overlaps it, or,
    when they do not overlap, the same length moved into it (shortened if it is longer)."""
    start, end = max(arrive, window.start), min(depart, window.end)
    if start < end:
        return start, end
    length = min(depart - arrive, window.end - window.start)
    if depart <= window.start:
        return window.start, window.start + length
    return window.end - length, window.end


def _suggestions(instance: Instance, request: Request, spaces: list[Space]) -> tuple[Stay, ...]:
    """For each kind among `spaces` (which only their hours exclude), its nearest stay."""
    best: dict[str, Stay] = {}
    for space in spaces:
        for window in instance.windows_of(space):
            arrive, depart = nearest_within(window, request.arrive, request.depart)
            change = abs(arrive - request.arrive) + abs(depart - request.depart)
            stay = Stay(space.kind, arrive, depart, change)
            known = best.get(space.kind)
            if known is None or (change, arrive) < (known.change, known.arrive):
                best[space.kind] = stay
    return tuple(sorted(best.values(), key=lambda s: (s.change, s.arrive, s.kind)))


def check_fit(
    instance: Instance,
    request: Request,
    *,
    released_later: bool = True,
    phrases: English = ENGLISH,
    groups: SpaceGroups | None = None,
) -> Fit:
    """Whether any space of the night could take `request`, and if not, why and what would.

    Parameters
    ----------
    instance : Instance
        The night: its spaces, plan and households (it need not hold `request`).
    request : Request
        The request, of one of the instance's households.
    released_later : bool, optional
        Count every rented space as released (default), since renters may still release theirs
        before the cutoff; False: only the spaces in tonight's pool as the instance has it.
    phrases : English, optional
        The phrasebook of `Fit.message`.
    groups : SpaceGroups, optional
        `space_groups(instance.spaces)`, made once by a caller that checks the same spaces
        often; made here when not given.

    Returns
    -------
    Fit
        Served when alone if and only if `fits` (given the instance's pool when
        `released_later` is False); refused whatever else happens when not.
    """
    compound = instance.household_by_id[request.household].compound
    if groups is None or groups.spaces is not instance.spaces:
        groups = space_groups(instance.spaces)
    positions = [i for i, space in enumerate(instance.spaces) if space.open_to(compound)]
    considered = [instance.spaces[i] for i in positions]
    excluded = _excluded(instance, request, positions, groups, released_later)
    refused = np.logical_or.reduce(list(excluded.values())) if considered else np.zeros(0, bool)
    fitting = [space for space, no in zip(considered, refused.tolist()) if not no]
    # A charging session is governed by the charging cap, any other stay by the household cap.
    no_household_space = instance.policy.cap_of(request.account) == 0
    if fitting and not no_household_space:
        return Fit(True, len(fitting), tuple(sorted({s.kind for s in fitting})), (), False, (), "")
    if no_household_space:
        return Fit(False, len(fitting), (), (), True, (), cap_reached_message(request, 0, phrases))
    first: set[Rule] = set()
    for position in range(len(considered)):
        first.add(next(rule for rule, out in excluded.items() if out[position]))
    only_hours = [
        space
        for position, space in enumerate(considered)
        if excluded[Rule.WINDOW][position]
        and not any(out[position] for rule, out in excluded.items() if rule is not Rule.WINDOW)
    ]
    return Fit(
        fits=False,
        fitting=0,
        kinds=(),
        reasons=tuple(rule for rule in Rule if rule in first),
        no_household_space=False,
        suggestions=_suggestions(instance, request, only_hours),
        message=no_space_fits_message(instance, request, excluded, considered, phrases),
    )
