"""Multi-stay nights: the grouped mixed-integer program (today's path) against per-pair CP-SAT
and the two naive exact models of `benchmarks.baselines`.

    .venv/bin/python -m benchmarks.multistay                 # 60 s per solve (about 15 minutes)
    .venv/bin/python -m benchmarks.multistay --limit 10 --only chargers trondheim
    .venv/bin/python -m benchmarks.multistay --paths new      # the engine only (issue 16's goals)
    .venv/bin/python -m benchmarks.multistay --paths new plain-cpsat highs-naive

"new" is `engine.solve` as it is (method "auto": the grouped program on parts whose spaces take
several stays); "old" is `solve(..., method="cp-sat")`, the per-pair CP-SAT model these parts
went to before (issue 16). "plain-cpsat" and "highs-naive" are `benchmarks.baselines`' naive
model (one boolean per eligible pair, x_a + x_b <= 1 for two stays that overlap on a space,
turnover included, one big-M objective) solved by CP-SAT (2 workers) and by HiGHS; their
seconds include building the model, within the same limit. The naive model grows with the
square of the stays a space may take: a baseline is skipped ("skipped: N rows") when the model
would have more rows than it can build and solve (HiGHS: run.py's `MILP_MAX_ROWS`; plain CP-SAT:
`PLAIN_MAX_ROWS`), counted without building it. A baseline's bound is its served counts when
it proves its optimum; otherwise only the highest level's, from the solver's bound on the
weighted objective ("-" for the levels below). `--paths` picks the paths.

"tiers" is how many of the grouped program's objective tiers were proven, of how many (served
per level, fairness, rotation, walking, stability), and where the limit stopped a stage,
HiGHS's gap on that stage's combined objective, relative to the value reached. Every
allocation, the baselines' included, is checked with `engine.check_allocation`; a violation,
two proven optima that differ (whole objective between new and old, served per level with a
baseline), an allocation above the engine's bound, or one that serves more than the engine, is
printed as a problem. The Trondheim replay (`scenarios.trondheim`) solves each night with the
refusals of the nights before as history and compares the paths with first come, first served;
it is skipped when ``../shared/data`` is not there.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from rich import box
from rich.console import Console
from rich.table import Table

from benchmarks import instances
from benchmarks.baselines import BaselineRun, naive_size, run_plain_cpsat, run_scipy_milp
from benchmarks.run import MILP_MAX_ROWS, engine_digest, machine_line
from engine import Instance, Result, Status, allocate_first_come, check_allocation, solve

POINTS = 2  # the replay's shared points: the data's garages had 12 for 52 users
# Plain CP-SAT is run when the naive model has at most this many rows: all_different_100's
# 2.9 million take about 11 s and 1.6 GB to build; night_shift_1500's 116 million cannot be.
PLAIN_MAX_ROWS = 5_000_000


@dataclass
class Outcome:
    """One path on one case: status, seconds, served per level (highest first) and bounds."""

    status: str
    seconds: float
    served: str
    bound: str
    problems: list[str]
    tiers: str = "-"
    notes: list[str] = field(default_factory=list)


def _levels(instance: Instance) -> list[int]:
    return sorted(set(instance.priorities.values()), reverse=True)


def _served(counts: dict[int, int], levels: list[int]) -> str:
    return "/".join(str(counts.get(level, 0)) for level in levels)


def _checked(instance: Instance, result: Result) -> list[str]:
    return [f"{v.family}: {v.message}" for v in check_allocation(instance, result)[:1]]


def _one(instance: Instance, solver: Callable[[Instance], Result]) -> tuple[Outcome, Result]:
    result = solver(instance)
    levels = _levels(instance)
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
        _checked(instance, result),
        tiers,
    )
    return outcome, result


def _baseline(
    instance: Instance, path: str, limit: float
) -> tuple[Outcome, Result | None, BaselineRun | None]:
    """One naive model on one case, or the reason it was skipped."""
    size = naive_size(instance)
    most = PLAIN_MAX_ROWS if path == "plain-cpsat" else MILP_MAX_ROWS
    if size.rows > most:
        status = f"skipped: {size.rows:,} rows ({size.pairwise:,} pairwise)"
        return Outcome(status, 0.0, "-", "-", []), None, None
    run = (
        run_plain_cpsat(instance, limit)
        if path == "plain-cpsat"
        else run_scipy_milp(instance, limit)
    )
    levels = _levels(instance)
    if run.status == "optimal":
        bound = _served(run.served_by_priority, levels)
    else:
        top = run.top_level_bound()
        bound = "/".join([str(top) if top is not None else "-", *["-"] * (len(levels) - 1)])
    notes = list(run.formulation.notes) if run.formulation else []
    if run.result is None and run.message:
        notes.append(f"no allocation: {run.message}")
    outcome = Outcome(
        run.status,
        run.seconds,
        _served(run.served_by_priority, levels) if run.result is not None else "-",
        bound,
        _checked(instance, run.result) if run.result is not None else [],
        "-",
        notes,
    )
    return outcome, run.result, run


class _NoAllocation(Exception):
    pass


def _replay(limit: float, path: str, console: Console) -> tuple[Outcome, dict[str, float]]:
    from scenarios.trondheim import read_sessions, replay, replay_nights

    nights = replay_nights(read_sessions(), POINTS)
    started = time.perf_counter()
    proven, served, refused, problems = 0, 0, Counter[str](), []
    allocate: Callable[[Instance], Result]
    if path == "first-come":
        allocate = allocate_first_come
    elif path in BASELINES:
        run_baseline = run_plain_cpsat if path == "plain-cpsat" else run_scipy_milp

        def allocate(night: Instance) -> Result:
            run = run_baseline(night, limit)
            if run.result is None:
                raise _NoAllocation(f"{night.night}: {run.status} ({run.message})")
            return run.result

    else:
        allocate = lambda night: solve(night, time_limit=limit, method=PATHS[path])  # noqa: E731
    status = ""
    try:
        for night, result in replay(nights, allocate):
            proven += result.status is Status.OPTIMAL
            served += len(result.assignments)
            refused.update(night.request_by_id[u.request].household for u in result.unassigned)
            problems += [f"{night.night}: {p}" for p in _checked(night, result)]
    except _NoAllocation as stopped:
        status = f"stopped: no allocation on {stopped}"
    seconds = time.perf_counter() - started
    sessions = sum(len(n.requests) for n in nights)
    console.print(f"[dim]trondheim {path}: {seconds:.1f} s[/dim]")
    figures = {
        "nights": len(nights),
        "sessions": sessions,
        "served": served,
        "users refused": len(refused),
        "most refusals of one user": max(refused.values(), default=0),
    }
    if not status:
        status = f"{proven}/{len(nights)} optimal" if path != "first-come" else "feasible"
    return Outcome(status, seconds, str(served), "-", problems), figures


CASES: dict[str, Callable[[], Instance]] = {
    "night_shift": lambda: instances.night_shift(300, 60),
    "night_shift_1500": lambda: instances.night_shift(1500, 300),
    "chargers_20": lambda: instances.shared_chargers(20, 120),
    "chargers": lambda: instances.shared_chargers(200, 1200),
    "chargers_500": lambda: instances.shared_chargers(500, 4000),
    "all_different": lambda: instances.all_different(40, 200),
    "all_different_100": lambda: instances.all_different(100, 500),
}
PATHS = {"new": "auto", "old": "cp-sat"}  # engine.solve's method per engine path
BASELINES = ("plain-cpsat", "highs-naive")
ALL_PATHS = [*PATHS, *BASELINES]


def _compare(
    name: str,
    instance: Instance,
    results: dict[str, Result],
    problems: list[str],
    notes: list[str],
) -> None:
    """Problems: proven optima that differ, an allocation above the engine's bound. Notes: an
    allocation that serves more than the engine's (lexicographically) when it is not proven."""
    new, old = results.get("new"), results.get("old")
    if (
        new is not None
        and old is not None
        and new.status is old.status is Status.OPTIMAL
        and new.objective != old.objective
    ):
        problems.append(f"{name}: DISAGREEMENT {new.objective} vs {old.objective}")
    if new is None:
        return
    levels = _levels(instance)
    ours = [new.served_by_priority.get(level, 0) for level in levels]
    for path, result in results.items():
        if path == "new":
            continue
        theirs = [result.served_by_priority.get(level, 0) for level in levels]
        if new.status is result.status is Status.OPTIMAL and theirs != ours:
            problems.append(f"{name}: DISAGREEMENT new serves {ours}, {path} {theirs}")
        for i, level in enumerate(levels):
            bound = new.bound_by_priority.get(level, 0)
            if theirs[:i] == ours[:i] and theirs[i] > bound:
                problems.append(
                    f"{name}: BOUND VIOLATED: {path} serves {theirs[i]} at level {level}, "
                    f"above new's bound {bound} (levels above equal)"
                )
        if theirs > ours:
            notes.append(
                f"{name}: {path} serves more than new: {theirs} vs {ours} (new {new.status.value})"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--limit", type=float, default=60.0, help="seconds per solve")
    parser.add_argument("--only", nargs="*", choices=[*CASES, "trondheim"], help="cases to run")
    parser.add_argument(
        "--paths", nargs="*", choices=ALL_PATHS, default=ALL_PATHS, help="paths to run"
    )
    args = parser.parse_args(argv)
    console = Console(width=200)
    digest = engine_digest()
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
    notes: list[str] = []
    for name, build in CASES.items():
        if args.only and name not in args.only:
            continue
        instance = build()
        rows = []
        results: dict[str, Result] = {}
        for path in ALL_PATHS:
            if path not in args.paths:
                continue
            console.print(f"[dim]{name}: {path}...[/dim]")
            result: Result | None
            if path in PATHS:
                outcome, result = _one(
                    instance,
                    lambda night, m=PATHS[path]: solve(night, time_limit=args.limit, method=m),  # type: ignore[misc]
                )
            else:
                outcome, result, _ = _baseline(instance, path, args.limit)
            if result is not None:
                results[path] = result
            rows.append((path, outcome))
            problems += [f"{name} {path}: {p}" for p in outcome.problems]
            notes += [f"{name} {path}: {n}" for n in outcome.notes]
        _compare(name, instance, results, problems, notes)
        grouped = results.get("new") or results.get("old")
        groups = str(grouped.stats.get("space_groups", "-")) if grouped else "-"
        for path, outcome in rows:
            table.add_row(
                name,
                str(len(instance.requests)),
                str(len(instance.spaces)),
                groups,
                path,
                outcome.status,
                outcome.tiers,
                f"{outcome.seconds:.2f}" if not outcome.status.startswith("skipped") else "-",
                outcome.served,
                outcome.bound,
            )
    replay_figures = {}
    if not args.only or "trondheim" in args.only:
        from scenarios.trondheim import DATA

        if DATA.exists():
            for path in (*ALL_PATHS, "first-come"):
                if path != "first-come" and path not in args.paths:
                    continue
                outcome, replay_figures[path] = _replay(args.limit, path, console)
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
            notes.append(f"trondheim: {DATA} not found, replay skipped")
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
    console.print(f"engine source {digest}")
    if engine_digest() != digest:
        console.print(f"WARNING: the engine's source changed during the run (-> {engine_digest()})")
    for note in notes:
        console.print(f"note: {note}", markup=False)
    for problem in problems:
        console.print(f"[red]problem:[/red] {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
