"""A published night as it is lived: the waiting list, and freed spaces offered to it.

After publishing, a space can free up: a car that never came, a stay cancelled. Every other
published stay is kept where it is (its household was told the space; a checked-in car stands on
it), so the only new room is on the freed spaces. `refill` re-solves just that part of the night:
the freed spaces with the stays still on them (forced), and the waiting requests, each at the
priority level the whole night gave it, with the household's stays elsewhere counted towards its
caps: parking stays towards the household cap (`Household.held_elsewhere`), charging sessions
towards the charging cap (`Household.charging_held_elsewhere`). Fairness, rotation, walking and
stability rank the waiting requests as they ranked the night.

Why the part is the whole answer: the published allocation was the night's optimum, so no
waiting request fitted any space's free hours outside the freed spaces (else serving it would
have been better), unless its household's cap stopped it. A cap relaxes only for a household
whose own stay was vacated, or whose offer was let pass or expired. The first is not offered
another of the same kind tonight (a car that never came has no claim to a second space; a
session given back none to a second charger); for the second the
caller passes every space freed tonight, not only the latest (`service.actions.live`), so room
that a cap kept from a request before is offered now. Either way the part is exact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from engine.model import CapAccount, Instance, Pin, PinAction, Request, Space
from engine.result import Result
from engine.rules import HARD_RULES
from engine.solver import solve


def _allowed(instance: Instance, request: Request, space: Space) -> bool:
    return all(rule.breach(instance, request, space) is None for rule in HARD_RULES)


def waiting_list(instance: Instance, refused: Iterable[str]) -> list[str]:
    """The refused requests in the order the engine ranks them.

    Parameters
    ----------
    instance : Instance
        The night as it was allocated.
    refused : iterable of str
        Ids of its refused requests.

    Returns
    -------
    list of str
        Highest priority level first, then most fairness points, then the household refused
        most recently (rotation), then submission order: the order of the objective's tiers.
    """
    priorities = instance.priorities
    fairness, rotation = instance.fairness_points, instance.rotation_points
    position = {request.id: i for i, request in enumerate(instance.requests)}

    def rank(request_id: str) -> tuple[int, int, int, int]:
        household = instance.request_by_id[request_id].household
        return (
            -priorities[request_id],
            -fairness.get(household, 0),
            -rotation.get(household, 0),
            position[request_id],
        )

    return sorted(set(refused), key=rank)


@dataclass(frozen=True)
class Refill:
    """What the freed spaces can take from the waiting list.

    Attributes
    ----------
    offers : dict of str to str
        Waiting request to the space it may have, in waiting-list order.
    part : Instance
        The part of the night that was re-solved.
    result : Result
        The engine's result on `part` (its status says whether it is proven).
    """

    offers: dict[str, str]
    part: Instance
    result: Result


def refill(
    instance: Instance,
    *,
    kept: Mapping[str, str],
    freed: Iterable[str],
    waiting: Iterable[str],
    vacated: Iterable[CapAccount] = (),
    time_limit: float = 5.0,
    seed: int = 0,
) -> Refill:
    """Offer the room on the freed spaces to the waiting list, moving no kept stay.

    Parameters
    ----------
    instance : Instance
        The night as it was allocated (its requests, spaces, policy, history and pins).
    kept : mapping of str to str
        Every stay that stands tonight, request to space: the published ones not vacated, and
        those given or offered since.
    freed : iterable of str
        Ids of the spaces that gained room.
    waiting : iterable of str
        Ids of the requests that may be offered a space (refused, not yet offered).
    vacated : iterable of CapAccount
        The accounts (a household's parking, or its charging) whose own stay was vacated
        tonight; their waiting requests are left out, the household's others are not.
    time_limit, seed : optional
        As for `engine.solver.solve`, on the part.

    Returns
    -------
    Refill
        The offers and the part's result. Kept stays are forced where they are, so none moves.
    """
    freed_ids = set(freed) & instance.space_by_id.keys()
    freed_spaces = [instance.space_by_id[s] for s in sorted(freed_ids)]
    left_out = set(vacated)
    # Only a request some freed space takes under every hard rule can be offered one: asked pair
    # by pair here, so that a district's waiting list is not copied into the part.
    candidates = {
        r
        for r in waiting
        if r not in kept
        and instance.request_by_id[r].account not in left_out
        and any(_allowed(instance, instance.request_by_id[r], space) for space in freed_spaces)
    }
    staying = {r: s for r, s in kept.items() if s in freed_ids}
    held_elsewhere = Counter(
        instance.request_by_id[r].account for r, s in kept.items() if s not in freed_ids
    )
    priorities = instance.priorities
    requests = tuple(
        replace(request, priority=priorities[request.id])
        for request in instance.requests
        if request.id in staying or request.id in candidates
    )
    spaces = tuple(s for s in instance.spaces if s.id in freed_ids)
    involved = {r.household for r in requests} | {s.renter for s in spaces if s.renter}
    households = tuple(
        replace(
            h,
            held_elsewhere=h.held_elsewhere + held_elsewhere[CapAccount(h.id, charging=False)],
            charging_held_elsewhere=h.charging_held_elsewhere
            + held_elsewhere[CapAccount(h.id, charging=True)],
        )
        for h in instance.households
        if h.id in involved
    )
    part = replace(
        instance,
        name=f"{instance.name} (freed spaces)",
        spaces=spaces,
        households=households,
        requests=requests,
        history=tuple(entry for entry in instance.history if entry.household in involved),
        pins=tuple(
            Pin(request, space, PinAction.FORCE, "kept: published or given since")
            for request, space in sorted(staying.items())
        )
        + tuple(
            pin
            for pin in instance.pins
            if pin.action is PinAction.FORBID
            and pin.request in candidates
            and pin.space in freed_ids
        ),
    )
    result = solve(part, time_limit=time_limit, seed=seed, explain=False)
    given = {a.request: a.space for a in result.assignments if a.request in candidates}
    order = waiting_list(instance, given)
    return Refill(offers={r: given[r] for r in order}, part=part, result=result)
