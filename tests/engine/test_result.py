"""What a result says about itself."""

from __future__ import annotations

from engine import solve
from tests.engine.builders import force, household, instance, request, space


def _night(**extra):
    # Two spaces, three cars: the priority-2 car and one priority-1 car are served.
    return instance(
        [space("S1"), space("S2", x=10)],
        [household("a"), household("b"), household("c")],
        [request("ra", "a", priority=2), request("rb", "b"), request("rc", "c")],
        **extra,
    )


def test_refused_by_priority_counts_the_unserved_at_each_level():
    result = solve(_night())
    assert result.refused_by_priority == {2: 0, 1: 1}
    assert solve(_night(), explain=False).refused_by_priority == {2: 0, 1: 1}


def test_the_summary_says_status_levels_bound_time_and_method():
    result = solve(_night())
    lines = result.summary().splitlines()
    assert lines[:3] == [
        "status: optimal",
        "priority 2: 1 served, 0 refused, bound 1",
        "priority 1: 1 served, 1 refused, bound 1",
    ]
    assert lines[3] == f"time: {result.solve_seconds:.3f} s"
    assert lines[4] == "method: assignment"


def test_an_infeasible_summary_says_why():
    result = solve(_night(pins=[force("rb", "S1"), force("rc", "S1")]))
    assert result.summary().splitlines()[:2] == [
        "status: infeasible "
        "(requests rb and rc are both forced onto space S1 at overlapping times)",
        "priority 2: 0 served, 1 refused, bound 0",
    ]
