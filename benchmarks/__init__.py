"""Solve-time benchmarks: seeded instances, naive baselines, the table.

The table is `python -m benchmarks.run`; see docs/performance.md.
"""
