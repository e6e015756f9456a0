"""Pure allocation engine: domain dataclasses, rules, solvers, checker and explanations.

No web, no database, no pydantic: the edges (scenarios, service, CLI) map their data onto
`Instance` and read back a `Result`.
"""

from engine.checker import Violation, check_allocation
from engine.model import (
    Household,
    HouseholdHistory,
    Instance,
    Pin,
    PinAction,
    Policy,
    PriorityRule,
    Request,
    Size,
    Space,
    Window,
)
from engine.result import Assignment, Objective, Reason, Result, Status, Unassigned
from engine.solver import METHODS, Method, allocate_first_come, objective_of, solve

__all__ = [
    "METHODS",
    "Assignment",
    "Household",
    "HouseholdHistory",
    "Instance",
    "Method",
    "Objective",
    "Pin",
    "PinAction",
    "Policy",
    "PriorityRule",
    "Reason",
    "Request",
    "Result",
    "Size",
    "Space",
    "Status",
    "Unassigned",
    "Violation",
    "Window",
    "allocate_first_come",
    "check_allocation",
    "objective_of",
    "solve",
]
