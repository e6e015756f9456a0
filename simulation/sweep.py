"""Every (plan, seed) run of a comparison, here or on any `concurrent.futures` executor.

A run is sequential over its nights (each night's history feeds the next), so the unit of work
sent to a worker is one whole run. A local process pool and a Dask cluster's
`client.get_executor()` are used the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass

from simulation.calibration import NightCalibration
from simulation.metrics import PlanSummary, summarise
from simulation.model import DemandModel, Plan, Site
from simulation.run import RunResult, simulate_run


@dataclass(frozen=True)
class Comparison:
    """All runs of all plans, and each plan's summary, in the order the plans were given."""

    runs: dict[str, list[RunResult]]  # plan name -> one run per seed, in seed order
    summaries: list[PlanSummary]


def compare_plans(
    site: Site,
    plans: Sequence[Plan],
    model: DemandModel,
    calibration: NightCalibration,
    nights: int,
    seeds: Sequence[int],
    executor: Executor | None = None,
    on_run_done: Callable[[RunResult], None] = lambda run: None,
    refused_over: int = 5,
    time_limit: float = 10.0,
) -> Comparison:
    names = [plan.name for plan in plans]
    if len(set(names)) != len(names):
        raise ValueError("two plans have the same name; the report could not tell them apart")
    tasks = [(plan, seed) for plan in plans for seed in seeds]
    done: dict[tuple[str, int], RunResult] = {}
    if executor is None:
        for plan, seed in tasks:
            run = simulate_run(site, plan, model, calibration, nights, seed, time_limit)
            done[plan.name, seed] = run
            on_run_done(run)
    else:
        futures = [
            executor.submit(simulate_run, site, plan, model, calibration, nights, seed, time_limit)
            for plan, seed in tasks
        ]
        for future in as_completed(futures):
            run = future.result()
            done[run.plan, run.seed] = run
            on_run_done(run)
    runs = {plan.name: [done[plan.name, seed] for seed in seeds] for plan in plans}
    return Comparison(
        runs, [summarise(site, plan, runs[plan.name], refused_over) for plan in plans]
    )
