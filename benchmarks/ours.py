"""The engine alone on the single-stay benchmark nights: the median of a few solves each, to compare
two trees in one sitting (no baselines, so it takes seconds, not minutes).

    .venv/bin/python -m benchmarks.ours [--repeat 7]
    PYTHONPATH=<other checkout> .venv/bin/python -m benchmarks.ours     # the same on other code
"""

from __future__ import annotations

import argparse
import json
import statistics

from benchmarks import instances
from engine import solve

NIGHTS = ("laiyang", "dense", "ev_and_sizes")


def measure(repeat: int) -> dict[str, dict[str, object]]:
    """Per night: median and least `Result.solve_seconds` of `repeat` solves, status, served."""
    figures: dict[str, dict[str, object]] = {}
    for name in NIGHTS:
        night = instances.ALL[name]()
        results = [solve(night, time_limit=60) for _ in range(repeat)]
        seconds = [result.solve_seconds for result in results]
        last = results[-1]
        levels = sorted(last.served_by_priority, reverse=True)
        figures[name] = {
            "median_s": round(statistics.median(seconds), 4),
            "least_s": round(min(seconds), 4),
            "status": last.status.value,
            "served": "/".join(str(last.served_by_priority[level]) for level in levels),
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ours", description=__doc__)
    parser.add_argument("--repeat", type=int, default=7, help="solves per night (default 7)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.repeat), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
