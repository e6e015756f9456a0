"""One no-show on the subdistrict-size night: `engine.live.refill` against re-solving the night.

    .venv/bin/python -m benchmarks.live                  # 50 compounds, about 20,000 requests
    .venv/bin/python -m benchmarks.live --compounds 5 --no-shows 3 --repeat 3    # a quick look

The night is built as `benchmarks.scale` builds its "subdistrict" family (generated compounds of
400 requests, clusters sharing a street) and solved once: that is the published night. Then
served requests are picked at random (seeded) as no-shows, one at a time, each against the same
published night. For each, `refill` is timed (median of `--repeat` calls on the warm night, and
once on a fresh copy whose cached priorities and fairness points are computed inside the call,
as a service that has just loaded the night would), and so is the naive alternative: the whole
night solved again with every kept stay forced and the same waiting requests (the oracle of
tests/engine/test_live.py), within `--full-limit` seconds. The refill's offer must serve as many
at each priority level as that re-solve does; a difference is printed as a problem.

The issue's goal (14): the re-optimisation after one no-show answers in under 1 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from dataclasses import replace
from datetime import date
from functools import partial

from rich import box
from rich.console import Console
from rich.table import Table

from benchmarks.run import engine_digest, machine_line
from engine import Instance, Result, Status, solve
from engine.live import refill
from engine.model import Pin, PinAction

SUBDISTRICT = 50  # compounds, as benchmarks.scale.FAMILIES["subdistrict"]


def build_night(compounds: int) -> Instance:
    from scenarios.generate import SiteParameters, generate_district
    from scenarios.loader import parse_scenario
    from scenarios.mapping import to_instance

    site = SiteParameters(households_without_space=330, second_cars=110)
    document = generate_district(1, date(2026, 11, 24), compounds=compounds, site=site)
    return to_instance(parse_scenario(document))


def whole_night_forced(
    night: Instance, kept: dict[str, str], waiting: set[str], vacated: set[str]
) -> Instance:
    """The naive alternative: every kept stay forced where it is, the waiting requests (less
    those of the vacated household) free to go anywhere, each request at its night's level."""
    priorities = night.priorities
    eligible = {r for r in waiting if night.request_by_id[r].household not in vacated}
    return replace(
        night,
        requests=tuple(
            replace(r, priority=priorities[r.id])
            for r in night.requests
            if r.id in kept or r.id in eligible
        ),
        pins=tuple(Pin(r, s, PinAction.FORCE) for r, s in kept.items())
        + tuple(p for p in night.pins if p.action is PinAction.FORBID and p.request in eligible),
    )


def by_level(priorities: dict[str, int], requests) -> Counter[int]:
    return Counter(priorities[r] for r in requests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.live", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--compounds", type=int, default=SUBDISTRICT)
    parser.add_argument("--no-shows", type=int, default=3, help="no-shows tried, one at a time")
    parser.add_argument("--repeat", type=int, default=7, help="refill calls timed per no-show")
    parser.add_argument(
        "--full-limit", type=float, default=300.0, help="time limit of the whole-night re-solve"
    )
    parser.add_argument("--seed", type=int, default=0, help="picks the no-shows")
    args = parser.parse_args(argv)
    console = Console(width=240)
    console.print(machine_line(), highlight=False)
    console.print(f"engine {engine_digest()}", highlight=False)

    night = build_night(args.compounds)
    started = time.perf_counter()
    published: Result = solve(night, time_limit=300, explain=False)
    publish_seconds = time.perf_counter() - started
    console.print(
        f"published: {len(night.requests):,} requests, {len(night.spaces):,} spaces, "
        f"{len(published.assignments):,} served, {published.status.value}, "
        f"{publish_seconds:.1f} s",
        highlight=False,
    )
    space_of = {a.request: a.space for a in published.assignments}
    refused = {r.id for r in night.requests} - space_of.keys()
    priorities = night.priorities

    table = Table(
        title=(
            f"One no-show on a night of {len(night.requests):,} requests: refill against the "
            f"whole night re-solved (limit {args.full_limit:g} s); seconds"
        ),
        box=box.MARKDOWN,
    )
    for column in (
        "no-show",
        "requests",
        "spaces",
        "refill s (median)",
        "refill s (cold)",
        "part spaces/requests",
        "full re-solve s",
        "full status",
        "offer",
        "same served per level",
    ):
        table.add_column(column)
    problems: list[str] = []
    picks = random.Random(args.seed).sample(sorted(space_of), k=args.no_shows)
    for vacated_request in picks:
        household = night.request_by_id[vacated_request].household
        kept = {r: s for r, s in space_of.items() if r != vacated_request}
        call = partial(
            refill,
            kept=kept,
            freed=[space_of[vacated_request]],
            waiting=refused,
            vacated={night.request_by_id[vacated_request].account},
        )
        cold_started = time.perf_counter()
        call(replace(night))
        cold = time.perf_counter() - cold_started
        timings, done = [], None
        for _ in range(args.repeat):
            call_started = time.perf_counter()
            done = call(night)
            timings.append(time.perf_counter() - call_started)
        assert done is not None
        if done.result.status is not Status.OPTIMAL:
            problems.append(f"{vacated_request}: refill {done.result.status.value}")

        whole = whole_night_forced(night, kept, refused, {household})
        full_started = time.perf_counter()
        oracle = solve(whole, time_limit=args.full_limit, explain=False)
        full = time.perf_counter() - full_started
        mine = by_level(priorities, [*kept, *done.offers])
        theirs = by_level(priorities, (a.request for a in oracle.assignments))
        same = mine == theirs
        if not same:
            problems.append(
                f"{vacated_request}: refill serves {dict(mine)} per level, "
                f"the re-solve {dict(theirs)} ({oracle.status.value})"
            )
        offer = (
            ", ".join(f"{r} (level {priorities[r]}) -> {s}" for r, s in done.offers.items())
            or "none (no waiting request fits)"
        )
        table.add_row(
            f"{vacated_request} on {space_of[vacated_request]}",
            f"{len(night.requests):,}",
            f"{len(night.spaces):,}",
            f"{statistics.median(timings):.3f}",
            f"{cold:.3f}",
            f"{len(done.part.spaces)}/{len(done.part.requests):,}",
            f"{full:.1f}",
            oracle.status.value,
            offer,
            "yes" if same else "NO",
        )
    console.print(table)
    for problem in problems:
        console.print(f"[red]problem:[/red] {problem}", highlight=False)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
