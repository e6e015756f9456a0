"""Simulator throughput: plans x nights x seeds of the bundled Laiyang scenario, wall-clock.

    .venv/bin/python -m benchmarks.simulate                        # 2 plans x 365 nights x 10 seeds
    .venv/bin/python -m benchmarks.simulate --nights 90 --seeds 4 --workers 1 --baseline

The target (issue 4) is 2 plans x 365 nights x 10 seeds in under 60 s on the project's 2-core
machine. Timed from loading the files to the summaries, as `parking simulate` does (process
pool start-up included; the report and the raw file are not written).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from functools import partial
from unittest import mock

import simulation.run
from engine import solve
from scenarios.calibration import load_calibration
from scenarios.loader import LAIYANG, PLANS, load_plan, load_scenario
from scenarios.mapping import to_demand_model, to_site
from simulation.sweep import compare_plans

DEFAULT_PLANS = ("laiyang-voted", "earlier-hours")
FLOW_ONLY = "min-cost flow only"


def measure(
    plan_names: list[str], nights: int, seeds: int, workers: int
) -> tuple[float, float, float, list]:
    """(wall seconds, engine seconds per night, share proven optimal, summaries)."""
    started = time.perf_counter()
    scenario, instance = load_scenario(LAIYANG)
    site = to_site(scenario, instance)
    calibration = load_calibration()
    model = to_demand_model(scenario.demand, calibration)
    plans = [load_plan(PLANS / f"{name}.yaml") for name in plan_names]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            comparison = compare_plans(
                site, plans, model, calibration, nights, list(range(seeds)), pool
            )
    else:
        comparison = compare_plans(site, plans, model, calibration, nights, list(range(seeds)))
    elapsed = time.perf_counter() - started
    rows = [row for runs in comparison.runs.values() for run in runs for row in run.rows]
    proven = sum(row["status"] == "optimal" for row in rows) / len(rows)
    return (
        elapsed,
        sum(row["solve_seconds"] for row in rows) / len(rows),
        proven,
        comparison.summaries,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.simulate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--plans", nargs="+", default=list(DEFAULT_PLANS), help="bundled plan names"
    )
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also run the same sweep with min-cost flow only (no dense assignment), one process",
    )
    args = parser.parse_args(argv)

    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(
        f"{'matching solver':<22} {'plans':>5} {'nights':>6} {'seeds':>5} {'workers':>7} "
        f"{'nights run':>10} {'wall s':>7} {'ms/night (wall)':>15} {'engine ms/night':>15} "
        f"{'proven':>7}"
    )
    variants = [("assignment, else flow", args.workers)]
    if args.baseline:
        variants.append((FLOW_ONLY, 1))
    for name, workers in variants:
        # The baseline runs in this one process, where the simulator's solver can be swapped.
        solver = (
            mock.patch.object(simulation.run, "solve", partial(solve, method="flow"))
            if name == FLOW_ONLY
            else nullcontext()
        )
        with solver:
            elapsed, engine, proven, summaries = measure(
                args.plans, args.nights, args.seeds, workers
            )
        nights = len(args.plans) * args.nights * args.seeds
        print(
            f"{name:<22} {len(args.plans):>5} {args.nights:>6} {args.seeds:>5} {workers:>7} "
            f"{nights:>10} {elapsed:>7.1f} "
            f"{1000 * elapsed / nights:>15.2f} {1000 * engine:>15.2f} {100 * proven:>6.1f}%"
        )
    for summary in summaries:
        print(
            f"  {summary.plan.name}: served per night {summary.served_per_night.text()}, "
            "refused nights per household per month "
            f"{summary.refused_nights_mean.text(2)}"
        )


if __name__ == "__main__":
    main()
