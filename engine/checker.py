"""A solver-independent check of an allocation against every hard rule.

It reads only the instance's plain dataclasses, pair by pair, so it shares no code path with the
vectorised eligibility or the solvers it checks. A pair rule's family is its `Rule` value (the
rules' per-pair functions are in `engine.rules`); the families that concern the allocation as a
whole are named here, after the solver's constraint families.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from engine import rules
from engine.model import Instance, PinAction, Request
from engine.result import Assignment, Result, Status

# Records one broken rule: (family, message).
_Report = Callable[[str, str], None]


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    Attributes
    ----------
    family : str
        For a pair rule, the value of its `Rule`; otherwise one of
        "known_ids", "every_request_accounted", "infeasible_is_empty", "whole_stay",
        "reported_walk", "one_space_per_request", "no_overlap_on_space", "household_cap",
        "charging_cap", "pins".
    message : str
        What is wrong, naming the requests and spaces.
    """

    family: str
    message: str


def check_allocation(instance: Instance, result: Result) -> list[Violation]:
    """Every hard rule the result breaks.

    Parameters
    ----------
    instance : Instance
        The night the result claims to allocate.
    result : Result
        Any allocation: the engine's, a baseline's or a hand-made one.

    Returns
    -------
    list of Violation
        Empty when the allocation is valid: every request is accounted for once, each assigned
        request holds one space for its whole stay, every pair rule of `engine.rules.HARD_RULES`
        holds, stays on a space do not overlap, the household and charging caps and forced pins
        hold, the walks reported are the plan's, and an infeasible result assigns nothing.
    """
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
                f"assignment {assignment.request} -> {assignment.space} "
                "names an unknown request or space",
            )

    _every_request_accounted(instance, result, broken)
    if result.status is Status.INFEASIBLE and result.assignments:
        broken("infeasible_is_empty", "an infeasible result must assign nothing")

    for assignment in placed:
        request = instance.request_by_id[assignment.request]
        space = instance.space_by_id[assignment.space]
        if (assignment.start, assignment.end) != (request.arrive, request.depart):
            broken(
                "whole_stay",
                f"{request.id} is placed {assignment.start}-{assignment.end}, "
                f"not its stay {request.arrive}-{request.depart}",
            )
        walk = instance.household_by_id[request.household].walk_to(space)
        if assignment.walk_m != walk:
            broken(
                "reported_walk",
                f"{request.id} on {space.id} reports {assignment.walk_m} m, the plan says {walk} m",
            )
        for hard in rules.HARD_RULES:
            breach = hard.breach(instance, request, space)
            if breach is not None:
                broken(hard.rule.value, breach)

    _one_space_per_request(placed, broken)
    _no_overlap_on_space(instance, placed, broken)
    _caps(instance, placed, broken)
    _forced_pins(instance, result, placed, broken)
    return violations


def _every_request_accounted(instance: Instance, result: Result, broken: _Report) -> None:
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


def _one_space_per_request(placed: list[Assignment], broken: _Report) -> None:
    for request_id, times in Counter(a.request for a in placed).items():
        if times > 1:
            broken("one_space_per_request", f"{request_id} holds {times} spaces")


def _no_overlap_on_space(instance: Instance, placed: list[Assignment], broken: _Report) -> None:
    by_space: dict[str, list[Request]] = defaultdict(list)
    for assignment in placed:
        by_space[assignment.space].append(instance.request_by_id[assignment.request])
    for space_id, stays in by_space.items():
        for i, first in enumerate(stays):
            for second in stays[i + 1 :]:
                if instance.overlaps(first, second):
                    broken(
                        "no_overlap_on_space",
                        f"{first.id} and {second.id} overlap on {space_id} "
                        f"(turnover {instance.policy.turnover_minutes} min)",
                    )


def _caps(instance: Instance, placed: list[Assignment], broken: _Report) -> None:
    """The household cap over parking stays and the charging cap over charging sessions, each
    counted on its own from the dataclasses' fields."""
    policy = instance.policy
    requests = [instance.request_by_id[a.request] for a in placed]
    for family, cap, charging, counted in (
        ("household_cap", policy.household_cap, False, "shared spaces"),
        ("charging_cap", policy.charging_cap, True, "charging sessions"),
    ):
        if cap is None:
            continue
        held_by = Counter(
            {
                h.id: h.charging_held_elsewhere if charging else h.held_elsewhere
                for h in instance.households
            }
        )
        held_by.update(r.household for r in requests if r.charging is charging)
        for household, held in held_by.items():
            if held > cap:
                broken(family, f"household {household} holds {held} {counted}, cap {cap}")


def _forced_pins(
    instance: Instance, result: Result, placed: list[Assignment], broken: _Report
) -> None:
    # Forbid pins are a pair rule (Rule.FORBIDDEN); forcing one is about the whole allocation.
    if result.status is Status.INFEASIBLE:
        return
    on = {(a.request, a.space) for a in placed}
    for pin in instance.pins:
        if pin.action is PinAction.FORCE and (pin.request, pin.space) not in on:
            broken("pins", f"{pin.request} is forced onto {pin.space} but is not there")
