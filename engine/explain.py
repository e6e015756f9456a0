"""Why a request got its space, or none, in words a resident can read.

Every sentence is computed from the instance and the allocation, so it can be checked: the rules
named really exclude the spaces counted, and the taken spaces really are occupied at that time.
Other residents are only ever described by priority level, never by name or plate.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from engine.clock import format_clock
from engine.eligibility import RULES, EligibilityTable
from engine.model import Instance, PinAction, Request, Space
from engine.result import Assignment, Reason, Unassigned


def unassigned_reasons(instance: Instance, table: EligibilityTable, assignments: list[Assignment]) -> list[Unassigned]:
    served = {a.request for a in assignments}
    unserved = np.array([i for i, r in enumerate(instance.requests) if r.id not in served], dtype=np.int64)
    if not len(unserved):
        return []
    stays_on = defaultdict(list)
    held_by = Counter()
    for assignment in assignments:
        stays_on[assignment.space].append(instance.request_by_id[assignment.request])
        held_by[instance.request_by_id[assignment.request].household] += 1
    cap = instance.policy.household_cap
    reasons = {}
    for rows, cols in table.blocks(unserved):
        failures = table.failures(rows, cols=cols)
        considered = [instance.spaces[s] for s in cols.tolist()]
        for position, row in enumerate(rows.tolist()):
            request = instance.requests[row]
            excluded = {rule: failures[rule][position] for rule in RULES}
            fits = ~np.logical_or.reduce(list(excluded.values()))
            if not fits.any():
                message = no_space_fits_message(instance, request, excluded, considered)
                reasons[row] = Unassigned(request.id, Reason.NO_SPACE_FITS, message)
            elif cap is not None and held_by[request.household] >= cap:
                message = (
                    "the plan gives no shared space to a household" if cap == 0
                    else f"your household already has {_count(held_by[request.household], 'shared space')} tonight, the most the plan allows"
                )
                reasons[row] = Unassigned(request.id, Reason.HOUSEHOLD_CAP, message)
            else:
                fitting = [considered[j] for j in np.flatnonzero(fits).tolist()]
                reasons[row] = Unassigned(request.id, Reason.ALL_FITTING_SPACES_TAKEN, all_taken_message(instance, request, fitting, stays_on))
    return [reasons[row] for row in sorted(reasons)]


def no_space_fits_message(instance: Instance, request: Request, excluded: dict[str, np.ndarray], considered: list[Space]) -> str:
    """Name, rule by rule, what excludes every space; each space is counted under its first failing rule.

    `considered` are the spaces open to the request's compound (`excluded` is over them); the
    others are counted as belonging to other compounds.
    """
    if not instance.spaces:
        return "there are no spaces in this plan"
    first_rule = np.full(len(considered), -1)
    for position in reversed(range(len(RULES))):
        first_rule[excluded[RULES[position]]] = position
    by_rule: dict[str, list[Space]] = defaultdict(list)
    for space, position in zip(considered, first_rule.tolist()):
        by_rule[RULES[position]].append(space)
    # Unreleased spaces come last: they are the background, the other rules are the news.
    order = [rule for rule in RULES if rule != "pool"] + ["pool"]
    phrases = [phrase for rule in order if by_rule.get(rule) for phrase in _rule_phrases(instance, request, rule, by_rule[rule])]
    elsewhere = len(instance.spaces) - len(considered)
    if elsewhere:
        phrases.insert(0, f"{_count(elsewhere, 'space')} belong{'s' if elsewhere == 1 else ''} to other compounds")
    return _join(phrases)


# (what a space with the feature is, what one without it is)
_FEATURE_PHRASES = {
    "ev_charger": ("has an EV charger", "has no EV charger"),
    "accessible": ("is accessible", "is not accessible"),
    "covered": ("is covered", "is not covered"),
}


def _feature_phrase(feature: str, present: bool) -> str:
    words = feature.replace("_", " ")
    has, lacks = _FEATURE_PHRASES.get(feature, (f"has {words}", f"lacks {words}"))
    return has if present else lacks


def _rule_phrases(instance: Instance, request: Request, rule: str, spaces: list[Space]) -> list[str]:
    count = len(spaces)
    kinds = _kinds(spaces)
    are = "is" if count == 1 else "are"
    if rule == "pool":
        return [f"{_count(count, f'{kinds} space')} {are} not released tonight"]
    if rule == "compound":
        return [f"{_count(count, f'{kinds} space')} belong{'s' if count == 1 else ''} to another compound"]
    if rule == "window":
        return _window_phrases(instance, request, spaces)
    if rule == "size":
        return [f"{_count(count, f'{kinds} space')} {are} too small for a {request.size.label} car"]
    if rule == "features":
        missing = sorted(request.needs - frozenset.intersection(*(s.features for s in spaces))) or sorted(request.needs)
        if count == 1:
            return [f"1 {kinds} space {_join([_feature_phrase(f, present=False) for f in missing])}"]
        return [f"none of {count} {kinds} spaces {_join([_feature_phrase(f, present=True) for f in missing])}"]
    if rule == "walk":
        return [f"{_count(count, f'{kinds} space')} {are} more than {instance.policy.max_walk_m} m from your building"]
    return [f"staff have excluded {_count(count, 'space')} for this request"]


def _window_phrases(instance: Instance, request: Request, spaces: list[Space]) -> list[str]:
    """Group the spaces by the way their hours miss this stay: opening too late, closing too early, or neither."""
    late_opening: dict[int, set[str]] = defaultdict(set)
    early_closing: dict[int, set[str]] = defaultdict(set)
    elsewhere: set[str] = set()
    # Many spaces share their hours: decide once per distinct (label, windows).
    hours = {(space.kind if space.windows is None else f"{space.kind} (own hours)", instance.windows_of(space)) for space in spaces}
    for label, windows in hours:
        started = [w for w in windows if w.start <= request.arrive < w.end]
        if started:
            early_closing[max(w.end for w in started)].add(label)
        elif all(request.arrive < w.start for w in windows) or any(request.arrive < w.start <= request.depart for w in windows):
            late_opening[min(w.start for w in windows if w.start > request.arrive)].add(label)
        else:
            elsewhere.add(label)
    phrases = []
    if late_opening:
        parts = [f"{'/'.join(sorted(kinds))} spaces open at {format_clock(t)}" for t, kinds in sorted(late_opening.items())]
        phrases.append(f"arrives {format_clock(request.arrive)} but {_join(parts)}")
    if early_closing:
        parts = [f"{'/'.join(sorted(kinds))} spaces must be empty by {format_clock(t)}" for t, kinds in sorted(early_closing.items())]
        phrases.append(f"departs {format_clock(request.depart)} but {_join(parts)}")
    if elsewhere:
        phrases.append(f"{'/'.join(sorted(elsewhere))} spaces are not shared at {format_clock(request.arrive)}")
    return phrases


def all_taken_message(instance: Instance, request: Request, fitting: list[Space], stays_on: dict[str, list[Request]]) -> str:
    gap = instance.policy.turnover_minutes
    levels: Counter[int] = Counter(
        instance.priorities[other.id]
        for space in fitting
        for other in stays_on[space.id]
        if request.arrive < other.depart + gap and other.arrive < request.depart + gap  # Instance.overlaps, inlined: hot loop
    )
    takers = _join([f"priority {level} ({count})" for level, count in sorted(levels.items(), reverse=True)])
    return (
        f"{_count(len(fitting), 'space')} {'fits' if len(fitting) == 1 else 'fit'} this car from "
        f"{format_clock(request.arrive)} to {format_clock(request.depart)}; "
        f"all were taken for that time by requests of {takers} "
        f"(this request is priority {instance.priorities[request.id]})"
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
    instance: Instance, table: EligibilityTable, request_id: str, assignments: list[Assignment], unassigned: Unassigned | None, proven: bool = True
) -> list[str]:
    """A few plain lines on one request: its priority, the spaces that fit, and the outcome."""
    index = next(i for i, r in enumerate(instance.requests) if r.id == request_id)
    request = instance.requests[index]
    lines = [
        f"Request {request.id}: {format_clock(request.arrive)}–{format_clock(request.depart)}, {request.size.label} car"
        + (f", needs {', '.join(sorted(request.needs))}" if request.needs else ""),
        "Priority {} ({}).".format(*instance.priority_sources[request.id]),
    ]
    points = instance.fairness_points.get(request.household, 0)
    if points:
        window = instance.policy.fairness_window_nights
        last = window + 1 - instance.rotation_points[request.household]
        lines.append(
            f"Fairness: {points} point(s) for nights refused in the last {window}, the latest {_count(last, 'night')} ago; "
            "served before others of the same priority."
        )
    walk = table.walk(np.array([index]))[0]
    failures = table.failures(np.array([index]), walk[None, :])
    fits = ~np.logical_or.reduce([failures[r][0] for r in RULES])
    lines.append(f"{_count(int(fits.sum()), 'space')} of {len(instance.spaces)} fit{'s' if fits.sum() == 1 else ''} this request.")
    own = next((a for a in assignments if a.request == request_id), None)
    if own is None:
        lines.append(f"No space: {unassigned.reason.value}. {unassigned.message[0].upper()}{unassigned.message[1:]}.")
        return lines
    lines.append(f"Assigned space {own.space}, {own.walk_m} m from your building, {format_clock(own.start)}–{format_clock(own.end)}.")
    busy = {a.space for a in assignments if a.request != request_id and instance.overlaps(request, instance.request_by_id[a.request])}
    nearer = [instance.spaces[s] for s in np.flatnonzero(fits & (walk < own.walk_m))]
    taken = sum(1 for space in nearer if space.id in busy)
    if not nearer:
        lines.append("It is the nearest space that fits.")
    elif taken == len(nearer):
        lines.append(f"{_count(taken, 'nearer fitting space')} {'was' if taken == 1 else 'were'} taken by other cars for at least part of this stay.")
    else:
        lines.append(
            f"{_count(len(nearer), 'nearer fitting space')}: {taken} taken by other cars, "
            f"{len(nearer) - taken} left free ({_why_not_nearest(instance, request, proven)})."
        )
    return lines


def _kinds(spaces: list[Space]) -> str:
    kinds = sorted({s.kind for s in spaces})
    return kinds[0] if len(kinds) == 1 else "/".join(kinds)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _join(phrases: list[str], last: str = "and") -> str:
    """'a', 'a and b', 'a, b, and c' (and 'a, and b' when a phrase has an 'and' of its own)."""
    if len(phrases) <= 1:
        return "".join(phrases)
    if len(phrases) == 2 and not any(" and " in phrase for phrase in phrases):
        return f" {last} ".join(phrases)
    if len(phrases) == 2:
        return f"{phrases[0]}, {last} {phrases[1]}"
    return ", ".join(phrases[:-1]) + f", {last} " + phrases[-1]
