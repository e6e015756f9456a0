"""Whether a request could be served at all, before it is made, and the nearest stay that could.

The check asks the hard rules (`engine.rules.HARD_RULES`, the ones eligibility, the checker and
the explanations use) about each space of the night for one request, with nothing else placed.
A request no space fits is refused whatever happens; one some space fits is served when it is
the night's only request (unless the plan gives households no shared space at all). Whether the
other requests leave it a space is not known before the night is run.

Rented spaces may be released after a resident asks: by default the check counts every rented
space as if its renter released it (`released_later=True`), so "no space fits" is said only of
requests that no release could help.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import rules
from engine.explain import no_space_fits_message
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
        Some space takes the request as asked (and the plan gives households shared spaces).
    fitting : int
        How many spaces take it as asked.
    kinds : tuple of str
        The kinds of those spaces, sorted.
    reasons : tuple of Rule
        When nothing fits: the rules that are first to exclude some space, in rule order.
        Empty when it fits.
    no_household_space : bool
        The plan gives no shared space to a household (a cap of zero): nothing is served.
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


def _excluded(
    instance: Instance, request: Request, spaces: list[Space], released_later: bool
) -> dict[Rule, np.ndarray]:
    """For each rule, which of `spaces` it excludes (each rule asked on its own)."""
    excluded: dict[Rule, np.ndarray] = {}
    for hard in rules.HARD_RULES:
        if hard.rule is Rule.POOL and released_later:
            excluded[hard.rule] = np.zeros(len(spaces), dtype=bool)
            continue
        excluded[hard.rule] = np.array(
            [hard.breach(instance, request, space) is not None for space in spaces], dtype=bool
        )
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

    Returns
    -------
    Fit
        Served when alone if and only if `fits` (given the instance's pool when
        `released_later` is False); refused whatever else happens when not.
    """
    compound = instance.household_by_id[request.household].compound
    considered = [space for space in instance.spaces if space.open_to(compound)]
    excluded = _excluded(instance, request, considered, released_later)
    refused = np.logical_or.reduce(list(excluded.values())) if considered else np.zeros(0, bool)
    fitting = [space for space, no in zip(considered, refused.tolist()) if not no]
    no_household_space = instance.policy.household_cap == 0
    if fitting and not no_household_space:
        return Fit(True, len(fitting), tuple(sorted({s.kind for s in fitting})), (), False, (), "")
    if no_household_space:
        return Fit(False, len(fitting), (), (), True, (), phrases.no_household_space())
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
