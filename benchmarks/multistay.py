"""Multi-stay nights: the grouped mixed-integer program (today's path) against per-pair CP-SAT.

    .venv/bin/python -m benchmarks.multistay                 # 60 s per solve (about 10 minutes)
    .venv/bin/python -m benchmarks.multistay --limit 10 --only chargers trondheim
    .venv/bin/python -m benchmarks.multistay --paths new      # the engine only (issue 16's goals)

"new" is `engine.solve` as it is (method "auto": the grouped program on parts whose spaces take
several stays); "old" is `solve(..., method="cp-sat")`, the per-pair CP-SAT model these parts
went to before (issue 16); `--paths new` leaves it out. "tiers" is how many of the grouped
program's objective tiers were proven, of how many (served per level, fairness, rotation,
walking, stability), and where the limit stopped a stage, HiGHS's gap on that stage's combined
objective, relative to the value reached. Every allocation is checked with
`engine.check_allocation`; a violation, or two proven optima that differ, is printed as a
problem. The Trondheim replay
(`scenarios.trondheim`) solves each night with the refusals of the nights before as history and
compares the engine with first come, first served; it is skipped when ``../shared/data`` is not
there.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.table import Table

from benchmarks import instances
from benchmarks.run import engine_digest, machine_line
from engine import Instance, Result, Status, allocate_first_come, check_allocation, solve

POINTS = 2  # the replay's shared points: the data's garages had 12 for 52 users


@dataclass
class Outcome:
    """One path on one case: status, seconds, served per level (highest first) and bounds."""

    status: str
    seconds: float
    served: str
    bound: str
    problems: list[str]
    tiers: str = "-"


def _levels(result: Result) -> list[int]:
    return sorted(result.served_by_priority, reverse=True)


def _served(counts: dict[int, int], levels: list[int]) -> str:
    return "/".join(str(counts.get(level, 0)) for level in levels)


def _one(instance: Instance, solver: Callable[[Instance], Result]) -> tuple[Outcome, Result]:
    result = solver(instance)
    levels = _levels(result)
    problems = [f"{v.family}: {v.message}" for v in check_allocation(instance, result)[:1]]
    tiers = (
        f"{result.stats['milp_tiers_proven']}/{result.stats['milp_tiers']}"
        if "milp_tiers" in result.stats
        else "-"
    )
    if "milp_stopped_gap" in result.stats:
        tiers += f" (gap {100 * float(result.stats['milp_stopped_gap']):.3g}%)"
    outcome = Outcome(
        result.status.value,
        result.solve_seconds,
        _served(result.served_by_priority, levels),
        _served(result.bound_by_priority, levels),
        problems,
        tiers,
    )
    return outcome, result


def _replay(limit: float, method: str, console: Console) -> tuple[Outcome, dict[str, float]]:
    from scenarios.trondheim import read_sessions, replay, replay_nights

    nights = replay_nights(read_sessions(), POINTS)
    started = time.perf_counter()
    proven, served, refused, problems = 0, 0, Counter[str](), []
    allocate: Callable[[Instance], Result]
    if method == "first-come":
        allocate = allocate_first_come
    else:
        allocate = lambda night: solve(night, time_limit=limit, method=method)  # noqa: E731
    for night, result in replay(nights, allocate):
        proven += result.status is Status.OPTIMAL
        served += len(result.assignments)
        refused.update(night.request_by_id[u.request].household for u in result.unassigned)
        problems += [f"{night.night}: {v.message}" for v in check_allocation(night, result)[:1]]
    seconds = time.perf_counter() - started
    sessions = sum(len(n.requests) for n in nights)
    console.print(f"[dim]trondheim {method}: {seconds:.1f} s[/dim]")
    figures = {
        "nights": len(nights),
        "sessions": sessions,
        "served": served,
        "users refused": len(refused),
        "most refusals of one user": max(refused.values(), default=0),
    }
    status = f"{proven}/{len(nights)} optimal" if method != "first-come" else "feasible"
    return Outcome(status, seconds, str(served), "-", problems), figures


CASES: dict[str, Callable[[], Instance]] = {
    "night_shift": lambda: instances.night_shift(300, 60),
    "night_shift_1500": lambda: instances.night_shift(1500, 300),
    "chargers": lambda: instances.shared_chargers(200, 1200),
    "chargers_500": lambda: instances.shared_chargers(500, 4000),
    "all_different": lambda: instances.all_different(40, 200),
    "all_different_100": lambda: instances.all_different(100, 500),
}
PATHS = {"new": "auto", "old": "cp-sat"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=60.0, help="seconds per solve")
    parser.add_argument("--only", nargs="*", choices=[*CASES, "trondheim"], help="cases to run")
    parser.add_argument(
        "--paths", nargs="*", choices=list(PATHS), default=list(PATHS), help="paths to run"
    )
    args = parser.parse_args()
    console = Console(width=160)
    table = Table(
        title=f"Multi-stay nights, {args.limit:g} s per solve (served and bound per level)",
        box=box.MARKDOWN,
    )
    columns = (
        "case",
        "stays",
        "spaces",
        "groups",
        "path",
        "status",
        "tiers",
        "s",
        "served",
        "bound",
    )
    for column in columns:
        table.add_column(column)
    problems: list[str] = []
    for name, build in CASES.items():
        if args.only and name not in args.only:
            continue
        instance = build()
        rows = []
        results = {}
        for path, method in PATHS.items():
            if path not in args.paths:
                continue
            console.print(f"[dim]{name}: {path}...[/dim]")
            outcome, results[path] = _one(
                instance,
                lambda night, m=method: solve(night, time_limit=args.limit, method=m),  # type: ignore[misc]
            )
            rows.append((path, outcome))
            problems += [f"{name} {path}: {p}" for p in outcome.problems]
        new, old = results.get("new"), results.get("old")
        if (
            new is not None
            and old is not None
            and new.status is old.status is Status.OPTIMAL
            and new.objective != old.objective
        ):
            problems.append(f"{name}: DISAGREEMENT {new.objective} vs {old.objective}")
        groups = str(next(iter(results.values())).stats.get("space_groups", "-"))
        for path, outcome in rows:
            table.add_row(
                name,
                str(len(instance.requests)),
                str(len(instance.spaces)),
                groups,
                path,
                outcome.status,
                outcome.tiers,
                f"{outcome.seconds:.2f}",
                outcome.served,
                outcome.bound,
            )
    replay_figures = {}
    if not args.only or "trondheim" in args.only:
        from scenarios.trondheim import DATA

        if DATA.exists():
            for path, method in (("new", "auto"), ("old", "cp-sat"), ("first-come", "first-come")):
                if path in PATHS and path not in args.paths:
                    continue
                outcome, replay_figures[path] = _replay(args.limit, method, console)
                problems += [f"trondheim {path}: {p}" for p in outcome.problems]
                table.add_row(
                    f"trondheim replay ({POINTS} points)",
                    str(replay_figures[path]["sessions"]),
                    str(POINTS),
                    "1",
                    path,
                    outcome.status,
                    "-",
                    f"{outcome.seconds:.2f}",
                    outcome.served,
                    "-",
                )
        else:
            problems.append(f"trondheim: {DATA} not found, replay skipped")
    console.print(table)
    if replay_figures:
        fairness = Table(title="Trondheim replay: sessions and refusals", box=box.MARKDOWN)
        fairness.add_column("path")
        keys = list(next(iter(replay_figures.values())))
        for key in keys:
            fairness.add_column(key)
        for path, figures in replay_figures.items():
            fairness.add_row(path, *(f"{figures[k]:g}" for k in keys))
        console.print(fairness)
    console.print(f"machine: {machine_line()}")
    console.print(f"engine source {engine_digest()}")
    for problem in problems:
        console.print(f"[red]problem:[/red] {problem}")


if __name__ == "__main__":
    main()
