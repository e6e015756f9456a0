"""What a night's allocation returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Status(str, Enum):
    """How far an allocation is proven."""

    OPTIMAL = "optimal"
    """Proven: no allocation is lexicographically better."""
    FEASIBLE = "feasible"
    """Every hard rule holds; optimality not proven (the time limit stopped HiGHS or CP-SAT)."""
    INFEASIBLE = "infeasible"
    """The forced pins cannot all hold; nothing is assigned."""


class Reason(str, Enum):
    """Why a request got no space."""

    NO_SPACE_FITS = "no_space_fits"
    """Every space breaks a pair rule for it (`engine.rules`)."""
    ALL_FITTING_SPACES_TAKEN = "all_fitting_spaces_taken"
    """Spaces fit, but all are taken for at least part of its stay."""
    HOUSEHOLD_CAP = "household_cap"
    """Its household already holds as many shared spaces as the plan allows."""
    NOT_ALLOCATED = "not_allocated"
    """The night is infeasible, so no request was allocated."""


@dataclass(frozen=True)
class Assignment:
    """One request on one space.

    Attributes
    ----------
    request, space : str
        Their ids.
    start, end : int
        The stay in night minutes (always the request's whole stay).
    walk_m : int
        Whole metres from the household to the space.
    """

    request: str
    space: str
    start: int
    end: int
    walk_m: int


@dataclass(frozen=True)
class Unassigned:
    """One request without a space, and why.

    Attributes
    ----------
    request : str
        Its id.
    reason : Reason
        The kind of reason.
    message : str
        The reason in words, for the resident (lower case, no full stop).
    """

    request: str
    reason: Reason
    message: str


@dataclass(frozen=True)
class Objective:
    """The lexicographic objective's terms, in order of importance.

    Attributes
    ----------
    served_by_priority : dict of int to int
        Requests served at each priority level present tonight (maximised, highest level first).
    fairness_points : int
        Sum over served requests of their household's fairness points (maximised).
    rotation_points : int
        Fairness's tie-break: the served households' most recent refusals (see
        `Instance.rotation_points`; maximised).
    walk_m : int
        Total walk of the served requests in metres (minimised).
    same_space_as_last_night : int
        Served requests on their household's space of last night (maximised).
    """

    served_by_priority: dict[int, int]
    fairness_points: int
    rotation_points: int
    walk_m: int
    same_space_as_last_night: int


@dataclass(frozen=True)
class Result:
    """A night's allocation, how far it is proven, and why the refused were refused.

    Attributes
    ----------
    status : Status
        Proven optimal, feasible, or infeasible.
    objective : Objective
        The allocation's objective terms.
    bound_by_priority : dict of int to int
        An upper bound per level: with the levels above held at their served counts, no
        allocation serves more at this level. Equal to the served count once proven.
    refused_by_priority : dict of int to int
        Requests not served at each level.
    assignments : tuple of Assignment
        In request order.
    unassigned : tuple of Unassigned
        Every request without a space, with its reason; empty when solved with
        ``explain=False``.
    solve_seconds : float
        From the call to the result (eligibility, solving, reasons).
    method : str
        The methods that solved the night's parts, joined by "+" ("assignment", "flow",
        "cp-sat"), "first-come-first-served", or "none".
    message : str
        Why the night is infeasible; empty otherwise.
    stats : dict
        Counts for benchmarks: components per method, eligible pairs, parts.
    """

    status: Status
    objective: Objective
    bound_by_priority: dict[int, int]
    refused_by_priority: dict[int, int]
    assignments: tuple[Assignment, ...]
    unassigned: tuple[Unassigned, ...]
    solve_seconds: float
    method: str
    message: str = ""
    stats: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def served_by_priority(self) -> dict[int, int]:
        """Requests served at each level (`objective.served_by_priority`)."""
        return self.objective.served_by_priority

    @property
    def proven_optimal(self) -> bool:
        """The status is `Status.OPTIMAL`."""
        return self.status is Status.OPTIMAL

    def assignment_of(self, request_id: str) -> Assignment | None:
        """The request's assignment, or None when it got no space."""
        return next((a for a in self.assignments if a.request == request_id), None)

    def unassigned_of(self, request_id: str) -> Unassigned | None:
        """The request's reason for getting no space, or None when it got one (or was not
        explained)."""
        return next((u for u in self.unassigned if u.request == request_id), None)

    def summary(self) -> str:
        """A few plain lines: status, served and refused per level with the bound, time, method.

        Returns
        -------
        str
            For example::

                status: optimal
                priority 2: 101 served, 8 refused, bound 101
                priority 1: 34 served, 16 refused, bound 34
                time: 0.012 s
                method: assignment
        """
        status = self.status.value + (f" ({self.message})" if self.message else "")
        lines = [f"status: {status}"]
        for level in sorted(self.served_by_priority, reverse=True):
            lines.append(
                f"priority {level}: {self.served_by_priority[level]} served, "
                f"{self.refused_by_priority[level]} refused, bound {self.bound_by_priority[level]}"
            )
        lines.append(f"time: {self.solve_seconds:.3f} s")
        lines.append(f"method: {self.method}")
        return "\n".join(lines)
