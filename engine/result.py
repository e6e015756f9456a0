"""What a night's allocation returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Status(str, Enum):
    OPTIMAL = "optimal"  # proven: no allocation is lexicographically better
    FEASIBLE = "feasible"  # every hard rule holds, optimality not proven (time limit)
    INFEASIBLE = "infeasible"  # the pins cannot all hold; nothing is assigned


class Reason(str, Enum):
    NO_SPACE_FITS = "no_space_fits"
    ALL_FITTING_SPACES_TAKEN = "all_fitting_spaces_taken"
    HOUSEHOLD_CAP = "household_cap"
    NOT_ALLOCATED = "not_allocated"  # only when the night is infeasible


@dataclass(frozen=True)
class Assignment:
    request: str
    space: str
    start: int
    end: int
    walk_m: int


@dataclass(frozen=True)
class Unassigned:
    request: str
    reason: Reason
    message: str


@dataclass(frozen=True)
class Objective:
    """The lexicographic objective's terms, in order of importance."""

    served_by_priority: dict[int, int]
    fairness_points: int
    # Fairness's tie-break: the served households' most recent refusals (see Instance.rotation_points).
    rotation_points: int
    walk_m: int
    same_space_as_last_night: int


@dataclass(frozen=True)
class Result:
    status: Status
    objective: Objective
    # An upper bound per level: with the levels above held at their served counts, no allocation
    # serves more at this level. Equal to the served count once proven.
    bound_by_priority: dict[int, int]
    assignments: tuple[Assignment, ...]
    unassigned: tuple[Unassigned, ...]
    solve_seconds: float
    method: str
    message: str = ""
    stats: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def served_by_priority(self) -> dict[int, int]:
        return self.objective.served_by_priority

    @property
    def proven_optimal(self) -> bool:
        return self.status is Status.OPTIMAL

    def assignment_of(self, request_id: str) -> Assignment | None:
        return next((a for a in self.assignments if a.request == request_id), None)

    def unassigned_of(self, request_id: str) -> Unassigned | None:
        return next((u for u in self.unassigned if u.request == request_id), None)
