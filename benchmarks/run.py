"""The solve-time table: the engine against first-come-first-served and two naive exact models.

    .venv/bin/python -m benchmarks.run            # baselines get 60 s each (10 minutes in all)
    .venv/bin/python -m benchmarks.run --quick    # baselines get 10 s each
    .venv/bin/python -m benchmarks.run --only laiyang dense

Every allocation (ours, greedy, baselines) is checked with `engine.check_allocation`; a non-empty
result is printed as a problem, as is any disagreement between two proven optima, or a baseline
allocation that beats a bound the engine reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from benchmarks import instances
from benchmarks.baselines import BaselineRun, naive_formulation, run_plain_cpsat, run_scipy_milp
from engine import Instance, Result, Status, allocate_first_come, check_allocation, solve

ROOT = Path(__file__).resolve().parent.parent
OUR_TIME_LIMIT = 60.0
# HiGHS is run when the naive model has at most this many constraint rows.
MILP_MAX_ROWS = 500_000


@dataclass
class Row:
    name: str
    instance: Instance
    pairs: int
    ours: Result
    greedy: Result
    plain: BaselineRun
    milp: BaselineRun | None
    milp_skipped: str = ""
    problems: list[str] = field(default_factory=list)


def machine_line() -> str:
    import ortools

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} logical CPUs ({cpu}), OR-Tools {ortools.__version__}"
    )


def engine_digest() -> str:
    """A short hash of the engine's source, so that a table names the code it measured."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((ROOT / "engine").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def served_text(served: dict[int, int], levels: list[int]) -> str:
    return "/".join(str(served.get(level, 0)) for level in levels) if served else "-"


def lex(served: dict[int, int], levels: list[int]) -> tuple[int, ...]:
    return tuple(served.get(level, 0) for level in levels)


def status_text(status: str | Status) -> str:
    return status.value if isinstance(status, Status) else status


def measure(
    name: str, instance: Instance, baseline_limit: float, with_milp: bool, console: Console
) -> Row:
    levels = sorted(set(instance.priorities.values()), reverse=True)
    console.print(f"[dim]{name}: ours...[/dim]")
    ours = solve(instance, time_limit=OUR_TIME_LIMIT)
    greedy = allocate_first_come(instance)
    console.print(f"[dim]{name}: plain CP-SAT ({baseline_limit:g} s)...[/dim]")
    plain = run_plain_cpsat(instance, baseline_limit)
    milp, skipped = None, ""
    formulation = plain.formulation or naive_formulation(instance)
    rows = (
        len(formulation.by_request)
        + len(formulation.space_groups)
        + len(formulation.conflicts)
        + len(formulation.households)
    )
    if not with_milp:
        skipped = "not run"
    elif rows > MILP_MAX_ROWS:
        skipped = f"skipped: {rows:,} rows ({len(formulation.conflicts):,} pairwise)"
    else:
        console.print(f"[dim]{name}: HiGHS MILP ({baseline_limit:g} s)...[/dim]")
        milp = run_scipy_milp(instance, baseline_limit)
    row = Row(name, instance, len(formulation.request), ours, greedy, plain, milp, skipped)

    for label, result in (
        ("ours", ours),
        ("greedy", greedy),
        ("plain CP-SAT", plain.result),
        ("HiGHS", milp.result if milp else None),
    ):
        if result is None:
            continue
        violations = check_allocation(instance, result)
        if violations:
            row.problems.append(
                f"{label}: {len(violations)} rule violations, "
                f"e.g. {violations[0].family}: {violations[0].message}"
            )
    ours_served = lex(ours.served_by_priority, levels)
    for label, run in (("plain CP-SAT", plain), ("HiGHS", milp)):
        if run is None or run.result is None:
            continue
        theirs = lex(run.served_by_priority, levels)
        if run.status == "optimal" and ours.status is Status.OPTIMAL and theirs != ours_served:
            row.problems.append(
                f"DISAGREEMENT: ours and {label} are both proven optimal "
                f"but serve {ours_served} vs {theirs}"
            )
        # The engine's bound at level L holds with the levels above at ours' served counts.
        for i, level in enumerate(levels):
            bound = ours.bound_by_priority.get(level)
            if theirs[:i] == ours_served[:i] and theirs[i] > (bound or 0):
                row.problems.append(
                    f"BOUND VIOLATED: {label}'s valid allocation serves {theirs[i]} "
                    f"at level {level}, above the engine's bound {bound} (levels above equal)"
                )
        if theirs > ours_served:
            row.problems.append(
                f"{label} serves more than ours: {theirs} vs {ours_served} "
                f"(ours is {ours.status.value})"
            )
    for note in formulation.notes:
        row.problems.append(f"note: {note}")
    return row


def process_seconds(runs: int = 3) -> tuple[float, str]:
    """Whole-process time of `parking allocate <Laiyang> --format json`, best of `runs`."""
    command = [
        str(Path(sys.executable).with_name("parking")),
        "allocate",
        "scenarios/laiyang-xinjiayuan.yaml",
        "--format",
        "json",
    ]
    best, status = float("inf"), "?"
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        best = min(best, time.perf_counter() - started)
        try:
            document = json.loads(done.stdout)
            status = f"{document['status']}, solve_seconds {document['solve_seconds']:.3f}"
        except (ValueError, KeyError):
            status = f"exit {done.returncode}: {done.stderr.strip()[:200]}"
    return best, status


def ratio_text(plain: BaselineRun, ours: Result, limit: float) -> str:
    if ours.status is not Status.OPTIMAL:
        return "n/a (ours not proven)"
    value = plain.seconds / max(ours.solve_seconds, 1e-9)
    return (
        f"{value:,.0f}x"
        if plain.status == "optimal"
        else f">{value:,.0f}x (not proven in {limit:g} s)"
    )


def greedy_text(ours: Result, greedy: Result, levels: list[int]) -> str:
    a, b = lex(ours.served_by_priority, levels), lex(greedy.served_by_priority, levels)
    sign = ">" if a > b else ("=" if a == b else "<")
    diff = "/".join(f"{x - y:+d}" for x, y in zip(a, b))
    return f"{sign} ({diff}; total {sum(a) - sum(b):+d})"


def render(rows: list[Row], limit: float, console: Console) -> None:
    first = Table(
        title="Instances, ours and first-come-first-served (served per level, highest first)",
        box=box.MARKDOWN,
    )
    for column in (
        "instance",
        "requests",
        "spaces",
        "eligible pairs",
        "ours status",
        "ours s",
        "ours served",
        "bound",
        "method",
        "greedy s",
        "greedy served",
        "ours vs greedy",
    ):
        first.add_column(column)
    for row in rows:
        levels = sorted(set(row.instance.priorities.values()), reverse=True)
        first.add_row(
            row.name,
            str(len(row.instance.requests)),
            str(len(row.instance.spaces)),
            f"{row.pairs:,}",
            row.ours.status.value,
            f"{row.ours.solve_seconds:.3f}",
            served_text(row.ours.served_by_priority, levels),
            served_text(row.ours.bound_by_priority, levels),
            row.ours.method,
            f"{row.greedy.solve_seconds:.3f}",
            served_text(row.greedy.served_by_priority, levels),
            greedy_text(row.ours, row.greedy, levels),
        )
    console.print(first)
    second = Table(
        title=f"Naive exact models, {limit:g} s limit (seconds include building the model)",
        box=box.MARKDOWN,
    )
    for column in (
        "instance",
        "plain CP-SAT status",
        "s",
        "served",
        "HiGHS status",
        "s",
        "served",
        "plain CP-SAT s / ours s",
    ):
        second.add_column(column)
    for row in rows:
        levels = sorted(set(row.instance.priorities.values()), reverse=True)
        milp = row.milp
        second.add_row(
            row.name,
            row.plain.status,
            f"{row.plain.seconds:.2f}",
            served_text(row.plain.served_by_priority, levels),
            milp.status if milp else row.milp_skipped,
            f"{milp.seconds:.2f}" if milp else "-",
            served_text(milp.served_by_priority, levels) if milp else "-",
            ratio_text(row.plain, row.ours, limit),
        )
    console.print(second)
    for row in rows:
        for problem in row.problems:
            console.print(f"{row.name}: {problem}", markup=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="10 s per baseline instead of 60 s")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(instances.ALL), help="run only these instances"
    )
    parser.add_argument("--no-milp", action="store_true", help="skip HiGHS")
    args = parser.parse_args(argv)
    limit = 10.0 if args.quick else 60.0
    console = Console(width=260, highlight=False)
    digest = engine_digest()
    console.print(f"machine: {machine_line()}")
    console.print(f"engine source sha256: {digest}")
    console.print(
        f"command: .venv/bin/python -m benchmarks.run{' --quick' if args.quick else ''}; "
        f"ours: engine.solve(time_limit={OUR_TIME_LIMIT:g}); baselines: {limit:g} s, 2 workers"
    )
    rows = []
    for name in args.only or list(instances.ALL):
        built = time.perf_counter()
        instance = instances.ALL[name]()
        console.print(f"[dim]{name}: built in {time.perf_counter() - built:.2f} s[/dim]")
        rows.append(measure(name, instance, limit, not args.no_milp, console))
    render(rows, limit, console)
    seconds, status = process_seconds()
    console.print(
        "whole process: `parking allocate scenarios/laiyang-xinjiayuan.yaml --format json` "
        f"best of 3: {seconds:.2f} s ({status})"
    )
    if engine_digest() != digest:
        console.print(
            "WARNING: the engine's source changed during the run "
            f"({digest} -> {engine_digest()}); the in-process rows ran the code loaded at the "
            "start, the whole-process timing a newer one"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
