"""A solver-independent check of an allocation against every hard rule.

It reads only the instance's plain dataclasses, pair by pair, so it shares no code path with the
vectorised eligibility or the solvers it checks. Family names match the solver's constraints.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from engine.model import Instance, PinAction
from engine.result import Result, Status


@dataclass(frozen=True)
class Violation:
    family: str
    message: str


def check_allocation(instance: Instance, result: Result) -> list[Violation]:
    """Every broken rule, empty when the allocation is valid."""
    violations: list[Violation] = []

    def broken(family: str, message: str) -> None:
        violations.append(Violation(family, message))

    placed = []
    for assignment in result.assignments:
        if (
            assignment.request in instance.request_by_id
            and assignment.space in instance.space_by_id
        ):
            placed.append(assignment)
        else:
            broken(
                "known_ids",
                f"assignment {assignment.request} -> {assignment.space} names an unknown request or space",
            )

    _every_request_accounted(instance, result, broken)
    if result.status is Status.INFEASIBLE and result.assignments:
        broken("infeasible_is_empty", "an infeasible result must assign nothing")

    for assignment in placed:
        request = instance.request_by_id[assignment.request]
        space = instance.space_by_id[assignment.space]
        household = instance.household_by_id[request.household]
        if (assignment.start, assignment.end) != (request.arrive, request.depart):
            broken(
                "whole_stay",
                f"{request.id} is placed {assignment.start}-{assignment.end}, not its stay {request.arrive}-{request.depart}",
            )
        if not space.in_pool:
            broken(
                "in_tonights_pool",
                f"{request.id} is on {space.id}, which its renter has not released",
            )
        if not space.open_to(household.compound):
            broken(
                "same_compound",
                f"{request.id} of compound {household.compound} is on {space.id} of compounds {sorted(space.compounds)}",
            )
        if not any(
            w.start <= request.arrive and request.depart <= w.end
            for w in instance.windows_of(space)
        ):
            broken("inside_window", f"{request.id} stays outside every window of {space.id}")
        if request.size > space.size:
            broken(
                "fits_space",
                f"{request.id} ({request.size.label}) is too large for {space.id} ({space.size.label})",
            )
        if not request.needs <= space.features:
            broken(
                "fits_space",
                f"{space.id} lacks {sorted(request.needs - space.features)} needed by {request.id}",
            )
        walk = household.walk_to(space)
        if assignment.walk_m != walk:
            broken(
                "within_walk",
                f"{request.id} on {space.id} reports {assignment.walk_m} m, the plan says {walk} m",
            )
        if instance.policy.max_walk_m is not None and walk > instance.policy.max_walk_m:
            broken(
                "within_walk",
                f"{request.id} walks {walk} m to {space.id}, more than {instance.policy.max_walk_m} m",
            )

    _one_space_per_request(placed, broken)
    _no_overlap_on_space(instance, placed, broken)
    _household_cap(instance, placed, broken)
    _pins(instance, result, placed, broken)
    return violations


def _every_request_accounted(instance: Instance, result: Result, broken) -> None:
    mentioned = Counter(
        [a.request for a in result.assignments] + [u.request for u in result.unassigned]
    )
    for request in instance.requests:
        if mentioned[request.id] == 0:
            broken(
                "every_request_accounted",
                f"{request.id} is neither assigned nor listed as unassigned",
            )
    for request_id, times in mentioned.items():
        if times > 1 and request_id in instance.request_by_id:
            broken(
                "every_request_accounted",
                f"{request_id} appears {times} times among assignments and unassigned",
            )


def _one_space_per_request(placed, broken) -> None:
    for request_id, times in Counter(a.request for a in placed).items():
        if times > 1:
            broken("one_space_per_request", f"{request_id} holds {times} spaces")


def _no_overlap_on_space(instance: Instance, placed, broken) -> None:
    by_space = defaultdict(list)
    for assignment in placed:
        by_space[assignment.space].append(instance.request_by_id[assignment.request])
    for space_id, stays in by_space.items():
        for i, first in enumerate(stays):
            for second in stays[i + 1 :]:
                if instance.overlaps(first, second):
                    broken(
                        "no_overlap_on_space",
                        f"{first.id} and {second.id} overlap on {space_id} (turnover {instance.policy.turnover_minutes} min)",
                    )


def _household_cap(instance: Instance, placed, broken) -> None:
    cap = instance.policy.household_cap
    if cap is None:
        return
    for household, held in Counter(
        instance.request_by_id[a.request].household for a in placed
    ).items():
        if held > cap:
            broken("household_cap", f"household {household} holds {held} shared spaces, cap {cap}")


def _pins(instance: Instance, result: Result, placed, broken) -> None:
    if result.status is Status.INFEASIBLE:
        return
    on = {(a.request, a.space) for a in placed}
    for pin in instance.pins:
        if pin.action is PinAction.FORCE and (pin.request, pin.space) not in on:
            broken("pins", f"{pin.request} is forced onto {pin.space} but is not there")
        if pin.action is PinAction.FORBID and (pin.request, pin.space) in on:
            broken("pins", f"{pin.request} is forbidden on {pin.space} but is there")
