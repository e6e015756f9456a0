"""Scale table: districts of many compounds, each family in a fresh process for a clean peak memory.

    .venv/bin/python -m benchmarks.scale        # 10k requests, subdistrict (50), district (500)
    .venv/bin/python -m benchmarks.scale --only subdistrict --workers 2

Every compound is a generated site with 400 requests a night (330 households without a space, 110
second cars, 90% of them asking); clusters of 2-4 compounds share a street of tidal spaces.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date

FAMILIES = {"1 compound": 1, "5 compounds": 5, "10k": 25, "subdistrict": 50, "district": 500}


def measure(compounds: int, check: bool, workers: int) -> dict:
    from engine import allocate_first_come, check_allocation, solve
    from scenarios.generate import SiteParameters, generate_district
    from scenarios.loader import parse_scenario
    from scenarios.mapping import to_instance

    site = SiteParameters(households_without_space=330, second_cars=110)
    started = time.perf_counter()
    document = generate_district(1, date(2026, 11, 24), compounds=compounds, site=site)
    generated = time.perf_counter()
    night = to_instance(parse_scenario(document))
    del document
    loaded = time.perf_counter()
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            result = solve(night, time_limit=300, executor=pool)
    else:
        result = solve(night, time_limit=300)
    solved = time.perf_counter()
    greedy = allocate_first_come(night)
    greedy_seconds = time.perf_counter() - solved
    levels = sorted(result.served_by_priority, reverse=True)
    return {
        "compounds": compounds,
        "workers": workers,
        "requests": len(night.requests),
        "spaces": len(night.spaces),
        "pairs": result.stats.get("eligible_pairs", 0),
        "components": result.stats.get("components", 0),
        "status": result.status.value,
        "method": result.method,
        "served": "/".join(str(result.served_by_priority[level]) for level in levels),
        "gap": sum(
            result.bound_by_priority[level] - result.served_by_priority[level] for level in levels
        ),
        "generate_s": round(generated - started, 1),
        "load_s": round(loaded - generated, 1),
        "solve_s": round(solved - loaded, 2),
        "greedy_s": round(greedy_seconds, 2),
        "greedy_served": "/".join(str(greedy.served_by_priority[level]) for level in levels),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "violations": len(check_allocation(night, result)) if check else None,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", choices=list(FAMILIES), default=list(FAMILIES))
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help="also run check_allocation")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="solve independent groups of compounds in this many processes",
    )
    parser.add_argument(
        "--plot", help="write a log-log plot of solve time against requests here (needs matplotlib)"
    )
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.check, args.workers)))
        return 0
    columns = (
        "family",
        "compounds",
        "workers",
        "requests",
        "spaces",
        "pairs",
        "components",
        "status",
        "method",
        "served",
        "gap",
        "generate_s",
        "load_s",
        "solve_s",
        "greedy_s",
        "greedy_served",
        "peak_mb",
        "violations",
    )
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    rows = []
    for family in args.only:
        command = [
            sys.executable,
            "-m",
            "benchmarks.scale",
            "--child",
            str(FAMILIES[family]),
            "--workers",
            str(args.workers),
        ]
        command += ["--check"] if args.check else []
        row = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        rows.append(row)
        print(
            "| "
            + " | ".join(str(row.get(c, family)) if c != "family" else family for c in columns)
            + " |",
            flush=True,
        )
    if args.plot:
        _plot(rows, args.plot)
    return 0


def _plot(rows: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    requests = [row["requests"] for row in rows]
    seconds = [row["solve_s"] for row in rows]
    figure, axes = pyplot.subplots(figsize=(6, 4.2))
    axes.loglog(requests, seconds, "o-", label="engine.solve (proven optimal)")
    # A line of slope 1 through the first point: what linear growth would look like.
    axes.loglog(
        requests,
        [seconds[0] * n / requests[0] for n in requests],
        "--",
        color="grey",
        label="linear growth",
    )
    for row in rows:
        axes.annotate(
            f"{row['compounds']} compounds",
            (row["requests"], row["solve_s"]),
            textcoords="offset points",
            xytext=(5, -12),
            fontsize=8,
        )
    axes.set_xlabel("requests in the night")
    axes.set_ylabel("solve time, seconds")
    axes.set_title("Solve time against size (2-core machine)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
