"""Simulator throughput: plans x nights x seeds of the bundled Laiyang scenario, wall-clock.

    .venv/bin/python -m benchmarks.simulate                        # 2 plans x 365 nights x 10 seeds
    .venv/bin/python -m benchmarks.simulate --nights 90 --seeds 4 --workers 1

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

from scenarios.calibration import NightCalibration
from scenarios.loader import LAIYANG, PLANS, load_plan, load_scenario
from scenarios.mapping import to_demand_model, to_site
from simulation.sweep import compare_plans

DEFAULT_PLANS = ("laiyang-voted", "earlier-hours")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.simulate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", nargs="+", default=list(DEFAULT_PLANS), help="bundled plan names")
    parser.add_argument("--nights", type=int, default=365)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    scenario, instance = load_scenario(LAIYANG)
    site = to_site(scenario, instance)
    calibration = NightCalibration.load()
    model = to_demand_model(scenario.demand, calibration)
    plans = [load_plan(PLANS / f"{name}.yaml") for name in args.plans]
    seeds = list(range(args.seeds))
    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            comparison = compare_plans(site, plans, model, calibration, args.nights, seeds, pool)
    else:
        comparison = compare_plans(site, plans, model, calibration, args.nights, seeds)
    elapsed = time.perf_counter() - started

    nights = len(plans) * args.nights * args.seeds
    solve_seconds = sum(row["solve_seconds"] for runs in comparison.runs.values() for run in runs for row in run.rows)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{'plans':>5} {'nights':>6} {'seeds':>5} {'workers':>7} {'nights run':>10} {'wall s':>7} {'ms/night (wall)':>15} {'engine ms/night':>15} {'proven':>7}")
    proven = min(s.proven_share for s in comparison.summaries)
    print(
        f"{len(plans):>5} {args.nights:>6} {args.seeds:>5} {args.workers:>7} {nights:>10} {elapsed:>7.1f} "
        f"{1000 * elapsed / nights:>15.2f} {1000 * solve_seconds / nights:>15.2f} {100 * proven:>6.1f}%"
    )
    for summary in comparison.summaries:
        print(f"  {summary.plan.name}: served per night {summary.served_per_night.text()}, refused nights per household per month {summary.refused_nights_mean.text(2)}")


if __name__ == "__main__":
    main()
