"""The night calibration as the simulator and the generator use it: a joint histogram of evening
arrival and next-morning departure per class of night, and what was measured alongside.

`scenarios.calibration` fits it from the sessions CSV and reads and writes the bundled JSON;
like the rest of the simulator, nothing here reads a file.

All times are minutes since midnight of the *evening date*, so a night is one increasing axis:
22:10 is 1330 and 07:40 the next morning is 1900.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import mean

import numpy as np

from engine.clock import DAY, format_clock, minutes_of_day
from simulation.model import WEEKDAYS

SAMPLE_STEP = 5  # minutes; sampled times are multiples of this
CLASSES = ("weeknight", "weekend")
WEEKEND_EVENINGS = frozenset({4, 5})  # Friday and Saturday: the next day is not a workday
_QUANTILE_PERCENTS = (10, 50, 90)


def _marginal_quantile(counts: np.ndarray, start: int, bin_minutes: int, q: float) -> float:
    """Quantile of a binned distribution, assuming times spread evenly within a bin."""
    cumulative = np.cumsum(counts)
    target = q * cumulative[-1]
    # First bin reaching the target; it has a non-zero count because target > 0.
    i = int(np.searchsorted(cumulative, target))
    before = cumulative[i] - counts[i]
    return float(start + (i + (target - before) / counts[i]) * bin_minutes)


@dataclass(frozen=True)
class NightCalibration:
    """The night calibration, mirroring the JSON written by `scenarios.calibration`."""

    source: str
    bin_minutes: int
    arrive_first_bin: str
    arrive_bins: int
    depart_first_bin: str
    depart_bins: int
    sessions_read: int
    sessions_overnight: dict[str, int]
    rows_skipped: int
    joint: dict[str, list[list[int]]]
    stay_out_share: dict[str, float]
    weekday_factor: list[float]
    habit_share: float
    habit_users: int

    def __post_init__(self) -> None:
        for night_class in CLASSES:
            if np.shape(self.joint[night_class]) != (self.arrive_bins, self.depart_bins):
                raise ValueError(f"joint[{night_class!r}] does not match the bin counts")
        if self.bin_minutes % SAMPLE_STEP:
            raise ValueError(f"bin_minutes must be a multiple of {SAMPLE_STEP}")
        # sample_stays relies on this to guarantee departure > arrival.
        if self.arrive_start + self.arrive_bins * self.bin_minutes > self.depart_start:
            raise ValueError("the arrival window must end before the departure window starts")
        if len(self.weekday_factor) != WEEKDAYS or min(self.weekday_factor) < 0:
            raise ValueError("weekday_factor must hold 7 non-negative values, Monday first")
        # Each value is rounded to 4 decimals, so the mean may miss 1.0 by up to 5e-5.
        if abs(mean(self.weekday_factor) - 1.0) > 1e-4:
            raise ValueError("weekday_factor must average 1.0")
        if not 0.0 <= self.habit_share <= 1.0:
            raise ValueError("habit_share must be in [0, 1]")
        if self.habit_users < 0:
            raise ValueError("habit_users must be non-negative")

    @property
    def arrive_start(self) -> int:
        """Start of the first arrival bin, minutes since the evening's midnight."""
        return minutes_of_day(self.arrive_first_bin)

    @property
    def depart_start(self) -> int:
        """Start of the first departure bin; departures are on the next morning by definition."""
        return DAY + minutes_of_day(self.depart_first_bin)

    def _counts(self, weekend: bool) -> np.ndarray:
        counts = np.asarray(self.joint["weekend" if weekend else "weeknight"], dtype=np.float64)
        if counts.sum() <= 0:
            raise ValueError("the calibration has no overnight sessions for this class")
        return counts

    def sample_stays(self, rng: np.random.Generator, n: int, weekend: bool = False) -> np.ndarray:
        """``n`` (arrival, departure) pairs in minutes since the evening's midnight, shape (n, 2).

        A histogram cell is drawn in proportion to its count, then a 5-minute slot uniformly
        inside it. Samples never leave their cell, and the arrival window ends where the
        departure window starts, so departure > arrival always holds.
        """
        counts = self._counts(weekend).ravel()
        cells = rng.choice(counts.size, size=n, p=counts / counts.sum())
        arrive_bin, depart_bin = np.divmod(cells, self.depart_bins)
        offsets = rng.integers(0, self.bin_minutes // SAMPLE_STEP, size=(n, 2)) * SAMPLE_STEP
        arrive = self.arrive_start + arrive_bin * self.bin_minutes + offsets[:, 0]
        depart = self.depart_start + depart_bin * self.bin_minutes + offsets[:, 1]
        return np.column_stack((arrive, depart)).astype(np.int64)

    def quantile_minutes(self, q: float, weekend: bool = False) -> tuple[float, float]:
        """The ``q`` quantile (0 < q <= 1) of arrival and of departure, in evening minutes."""
        if not 0.0 < q <= 1.0:
            raise ValueError("q must be in (0, 1]")
        counts = self._counts(weekend)
        return (
            _marginal_quantile(counts.sum(axis=1), self.arrive_start, self.bin_minutes, q),
            _marginal_quantile(counts.sum(axis=0), self.depart_start, self.bin_minutes, q),
        )

    def quantiles(self, weekend: bool = False) -> dict[str, dict[int, str]]:
        """10/50/90 % quantiles as clock times:
        ``{"arrive": {10: "HH:MM", ...}, "depart": ...}``."""
        pairs = {p: self.quantile_minutes(p / 100, weekend) for p in _QUANTILE_PERCENTS}
        return {
            "arrive": {p: format_clock(round(arrive)) for p, (arrive, _) in pairs.items()},
            "depart": {p: format_clock(round(depart)) for p, (_, depart) in pairs.items()},
        }
