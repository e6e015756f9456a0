"""Solve-time benchmarks: seeded instances, naive baselines, the table (`python -m benchmarks.run`)."""
