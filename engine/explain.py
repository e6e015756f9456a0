"""Why a request got its space, or none, in words a resident can read.

Every sentence is computed from the instance and the allocation, so it can be checked: the rules
named really exclude the spaces counted, and the taken spaces really are occupied at that time.
Other residents are only ever described by priority level, never by name or plate.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from engine import rules
from engine.arrays import BoolArray, IntArray
from engine.clock import format_clock
from engine.eligibility import EligibilityTable
from engine.model import CapAccount, Instance, PinAction, Request, Space
from engine.phrases import ENGLISH, English, count_noun
from engine.result import Assignment, Reason, Unassigned
from engine.rules import Rule


def unassigned_reasons(
    instance: Instance,
    table: EligibilityTable,
    assignments: list[Assignment],
    phrases: English = ENGLISH,
) -> list[Unassigned]:
    """The reason, in words, of every request the allocation leaves without a space.

    Parameters
    ----------
    instance : Instance
        The night.
    table : EligibilityTable
        Its eligibility table (``EligibilityTable(instance)``).
    assignments : list of Assignment
        The allocation.
    phrases : English, optional
        The phrasebook: `ENGLISH` (default) or `CHINESE`.

    Returns
    -------
    list of Unassigned
        In request order: `Reason.NO_SPACE_FITS` naming the rules that exclude every space,
        `Reason.HOUSEHOLD_CAP` (the cap of the request's account: `household_cap`, or
        `charging_cap` for a charging session), or `Reason.ALL_FITTING_SPACES_TAKEN` counting
        the fitting spaces and the priority levels of the stays that hold them.
    """
    served = {a.request for a in assignments}
    unserved = np.array(
        [i for i, r in enumerate(instance.requests) if r.id not in served], dtype=np.int64
    )
    if not len(unserved):
        return []
    stays = PlacedStays.of(instance, assignments)
    held_by: Counter[CapAccount] = Counter(
        {account: instance.held_elsewhere(account) for account in instance.cap_accounts}
    )
    for assignment in assignments:
        held_by[instance.request_by_id[assignment.request].account] += 1
    reasons: dict[int, Unassigned] = {}
    for rows, cols in table.blocks(unserved):
        failures = table.failures(rows, cols=cols)
        considered = [instance.spaces[s] for s in cols.tolist()]
        for position, row in enumerate(rows.tolist()):
            request = instance.requests[row]
            excluded = {rule: refused[position] for rule, refused in failures.items()}
            fits = ~np.logical_or.reduce(list(excluded.values()))
            cap = instance.policy.cap_of(request.account)
            if not fits.any():
                message = no_space_fits_message(instance, request, excluded, considered, phrases)
                reasons[row] = Unassigned(request.id, Reason.NO_SPACE_FITS, message)
            elif cap is not None and held_by[request.account] >= cap:
                message = cap_reached_message(request, held_by[request.account], phrases)
                reasons[row] = Unassigned(request.id, Reason.HOUSEHOLD_CAP, message)
            else:
                reasons[row] = Unassigned(
                    request.id,
                    Reason.ALL_FITTING_SPACES_TAKEN,
                    all_taken_message(instance, request, cols[fits], stays, phrases),
                )
    return [reasons[row] for row in sorted(reasons)]


def cap_reached_message(request: Request, held: int, phrases: English = ENGLISH) -> str:
    """Why a request its household's cap refuses: the plan gives none, or the household holds
    as many as it allows.

    Parameters
    ----------
    request : Request
        The refused request; a charging session is told of the charging cap, any other stay of
        the household cap.
    held : int
        What its cap account holds tonight: as many as its cap allows, 0 for a cap of zero.
    phrases : English, optional
        The phrasebook (`ENGLISH` or `CHINESE`).

    Returns
    -------
    str
        One phrase, such as "your household already has 1 charging session tonight, the most
        the plan allows".
    """
    if request.charging:
        return phrases.charging_full(held) if held else phrases.no_household_charging()
    return phrases.household_full(held) if held else phrases.no_household_space()


def no_space_fits_message(
    instance: Instance,
    request: Request,
    excluded: dict[Rule, BoolArray],
    considered: list[Space],
    phrases: English = ENGLISH,
) -> str:
    """Name, rule by rule, what excludes every space; each space is counted under its first
    failing rule.

    Parameters
    ----------
    instance : Instance
        The night.
    request : Request
        A request that no space fits.
    excluded : dict of Rule to BoolArray
        For each rule, in `engine.rules.HARD_RULES` order, which of `considered` it excludes.
    considered : list of Space
        The spaces open to the request's compound; the others are counted as belonging to other
        compounds.
    phrases : English, optional
        The phrasebook (`ENGLISH` or `CHINESE`).

    Returns
    -------
    str
        One sentence without a capital or a full stop, such as "departs 08:30 but street spaces
        must be empty by 07:00 and 1 rented space is not released tonight".
    """
    if not instance.spaces:
        return phrases.no_spaces()
    hard_rules = rules.HARD_RULES
    first_rule = np.full(len(considered), -1)
    for position in reversed(range(len(hard_rules))):
        first_rule[excluded[hard_rules[position].rule]] = position
    by_rule: dict[Rule, list[Space]] = defaultdict(list)
    for space, position in zip(considered, first_rule.tolist()):
        by_rule[hard_rules[position].rule].append(space)
    # Spaces this stay could never have come last, those kept for charging and then the
    # unreleased ones: they are the background, the other rules are the news.
    background = {Rule.CHARGING_ONLY: 1, Rule.POOL: 2}
    said_order = sorted(hard_rules, key=lambda hard: background.get(hard.rule, 0))
    said = [
        phrase
        for hard in said_order
        if by_rule.get(hard.rule)
        for phrase in hard.say(instance, request, by_rule[hard.rule], phrases)
    ]
    elsewhere = len(instance.spaces) - len(considered)
    if elsewhere:
        said.insert(0, phrases.in_other_compounds(elsewhere))
    return phrases.join(said)


class PlacedStays:
    """An allocation's stays as arrays, to count quickly those that meet a stay on some spaces.

    Attributes
    ----------
    space, arrive, leave, level : IntArray
        Per assigned stay: its space's position in ``instance.spaces``, its arrival, its
        departure plus the turnover gap, and its request's priority level.
    """

    def __init__(self, space: IntArray, arrive: IntArray, leave: IntArray, level: IntArray):
        self.space, self.arrive, self.leave, self.level = space, arrive, leave, level

    @classmethod
    def of(cls, instance: Instance, assignments: list[Assignment]) -> PlacedStays:
        """The stays of `assignments` on `instance`."""
        position = {space.id: i for i, space in enumerate(instance.spaces)}
        requests = [instance.request_by_id[a.request] for a in assignments]
        gap = instance.policy.turnover_minutes
        return cls(
            np.array([position[a.space] for a in assignments], dtype=np.int64),
            np.array([r.arrive for r in requests], dtype=np.int64),
            np.array([r.depart + gap for r in requests], dtype=np.int64),
            np.array([instance.priorities[r.id] for r in requests], dtype=np.int64),
        )

    def levels_meeting(self, request: Request, gap: int, spaces: IntArray) -> Counter[int]:
        """Per priority level, the stays on `spaces` (positions) that overlap `request`'s
        (`Instance.overlaps`: neither leaves the turnover gap before the other arrives)."""
        on = np.zeros(int(self.space.max(initial=-1)) + 1, dtype=bool)
        on[spaces[spaces < len(on)]] = True
        meets = (
            on[self.space] & (request.arrive < self.leave) & (self.arrive < request.depart + gap)
        )
        levels, counts = np.unique(self.level[meets], return_counts=True)
        return Counter(dict(zip(levels.tolist(), counts.tolist())))


def all_taken_message(
    instance: Instance,
    request: Request,
    fitting: IntArray,
    stays: PlacedStays,
    phrases: English = ENGLISH,
) -> str:
    """Why a request that some spaces fit got none: they were all taken for its stay.

    Parameters
    ----------
    instance : Instance
        The night.
    request : Request
        The refused request.
    fitting : IntArray
        The positions in ``instance.spaces`` of the spaces that fit it.
    stays : PlacedStays
        The allocation's stays.
    phrases : English, optional
        The phrasebook.

    Returns
    -------
    str
        How many spaces fit, and the priority levels (with counts) of the stays that overlap
        this one on them; never who they are.
    """
    levels = stays.levels_meeting(request, instance.policy.turnover_minutes, fitting)
    return phrases.all_taken(
        len(fitting),
        format_clock(request.arrive),
        format_clock(request.depart),
        sorted(levels.items(), reverse=True),
        instance.priorities[request.id],
    )


def _why_not_nearest(instance: Instance, request: Request, proven: bool) -> str:
    if any(pin.request == request.id and pin.action is PinAction.FORCE for pin in instance.pins):
        return "staff pinned this request to its space"
    if not instance.policy.walk_weight:
        return "this plan does not minimise walking"
    if not proven:
        return "this allocation is not proven optimal: the solver stopped at its time limit"
    return "no rule of the plan explains this; please report it"


def explain_request(
    instance: Instance,
    table: EligibilityTable,
    request_id: str,
    assignments: list[Assignment],
    unassigned: Unassigned | None,
    proven: bool = True,
) -> list[str]:
    """A few plain lines on one request: its priority, the spaces that fit, and the outcome.

    Parameters
    ----------
    instance : Instance
        The night.
    table : EligibilityTable
        Its eligibility table.
    request_id : str
        The request to explain.
    assignments : list of Assignment
        The allocation.
    unassigned : Unassigned or None
        The request's reason when it got no space (`Result.unassigned_of`).
    proven : bool, optional
        The allocation is proven optimal; otherwise a free nearer space may be the time limit's
        doing, and the lines say so.

    Returns
    -------
    list of str
        English sentences, each with its full stop, for `parking explain`.

    Raises
    ------
    ValueError
        When the request got no space and `unassigned` is None.
    """
    index = next(i for i, r in enumerate(instance.requests) if r.id == request_id)
    request = instance.requests[index]
    stay = f"{format_clock(request.arrive)}–{format_clock(request.depart)}"
    needs = f", needs {', '.join(sorted(request.needs))}" if request.needs else ""
    lines = [
        f"Request {request.id}: {stay}, {request.size.label} car{needs}",
        "Priority {} ({}).".format(*instance.priority_sources[request.id]),
    ]
    points = instance.fairness_points.get(request.household, 0)
    if points:
        window = instance.policy.fairness_window_nights
        last = window + 1 - instance.rotation_points[request.household]
        lines.append(
            f"Fairness: {points} point(s) for nights refused in the last {window}, "
            f"the latest {count_noun(last, 'night')} ago; "
            "served before others of the same priority."
        )
    walk = table.walk(np.array([index]))[0]
    failures = table.failures(np.array([index]), walk[None, :])
    fits = ~np.logical_or.reduce([refused[0] for refused in failures.values()])
    fitting = int(fits.sum())
    lines.append(
        f"{count_noun(fitting, 'space')} of {len(instance.spaces)} "
        f"fit{'s' if fitting == 1 else ''} this request."
    )
    own = next((a for a in assignments if a.request == request_id), None)
    if own is None:
        if unassigned is None:
            raise ValueError(f"request {request_id} has no space and no reason was given")
        message = unassigned.message
        lines.append(f"No space: {unassigned.reason.value}. {message[0].upper()}{message[1:]}.")
        return lines
    lines.append(
        f"Assigned space {own.space}, {own.walk_m} m from your building, "
        f"{format_clock(own.start)}–{format_clock(own.end)}."
    )
    busy = {
        a.space
        for a in assignments
        if a.request != request_id and instance.overlaps(request, instance.request_by_id[a.request])
    }
    nearer = [instance.spaces[s] for s in np.flatnonzero(fits & (walk < own.walk_m))]
    taken = sum(1 for space in nearer if space.id in busy)
    if not nearer:
        lines.append("It is the nearest space that fits.")
    elif taken == len(nearer):
        lines.append(
            f"{count_noun(taken, 'nearer fitting space')} {'was' if taken == 1 else 'were'} "
            "taken by other cars for at least part of this stay."
        )
    else:
        lines.append(
            f"{count_noun(len(nearer), 'nearer fitting space')}: {taken} taken by other cars, "
            f"{len(nearer) - taken} left free ({_why_not_nearest(instance, request, proven)})."
        )
    return lines
