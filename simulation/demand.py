"""Nightly demand drawn from a seed: who is away, which cars ask for a space, and when.

Every random number depends only on (seed, night), never on the plan: the same seed gives every
plan the same residents doing the same things (common random numbers), so differences between
plans come from the plans. Each night draws the same fixed set of arrays whatever happened
before, and away spells are drawn for the whole run up front.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from engine import Window
from simulation.calibration import SAMPLE_STEP, WEEKEND_EVENINGS, NightCalibration
from simulation.model import DemandModel, Site

# A stay is shaped to a plan's hours only if at least this much of it fits.
MIN_SHAPED_MINUTES = 60


def longest_part_inside(
    arrive: np.ndarray, depart: np.ndarray, windows: Sequence[Window]
) -> tuple[np.ndarray, np.ndarray]:
    """Each stay cut to the longest part one window holds if that is at least an hour, else kept.

    This is how a resident who has read the plan fills in the form: "the street is free until
    07:00, so I ask until 07:00". Ties go to the first window listed.
    """
    arrive = np.asarray(arrive, dtype=np.int64)
    depart = np.asarray(depart, dtype=np.int64)
    if not windows:
        return arrive, depart
    starts = np.array([w.start for w in windows], dtype=np.int64)
    ends = np.array([w.end for w in windows], dtype=np.int64)
    lo = np.maximum(arrive[:, None], starts[None, :])
    hi = np.minimum(depart[:, None], ends[None, :])
    best = np.argmax(hi - lo, axis=1)
    rows = np.arange(len(arrive))
    fits = (hi - lo)[rows, best] >= MIN_SHAPED_MINUTES
    return np.where(fits, lo[rows, best], arrive), np.where(fits, hi[rows, best], depart)


def habitual_share(arrive_bins: np.ndarray, depart_bins: np.ndarray) -> float:
    """The calibration's habit measure on nights x cars arrays of bins: the share of nights within
    one bin of the car's (lower) median arrival and median departure bin."""
    middle = (arrive_bins.shape[0] - 1) // 2
    arrive_centre = np.sort(arrive_bins, axis=0)[middle]
    depart_centre = np.sort(depart_bins, axis=0)[middle]
    return float(
        (
            (np.abs(arrive_bins - arrive_centre) <= 1) & (np.abs(depart_bins - depart_centre) <= 1)
        ).mean()
    )


# The data's habit share comes from 50 residents with 2,627 overnight sessions, about 52 each.
_FIT_CARS, _FIT_NIGHTS, _FIT_STEPS = 1000, 52, 16


def fit_nights(calibration: NightCalibration) -> tuple[int, int]:
    """(weeknights, weekend nights) of a resident in the data: 52 nights in the data's mix."""
    counts = calibration.sessions_overnight
    weekend = round(_FIT_NIGHTS * counts["weekend"] / (counts["weeknight"] + counts["weekend"]))
    return _FIT_NIGHTS - weekend, weekend


def fit_repeat_share(calibration: NightCalibration, habit_share: float) -> float:
    """The chance of repeating the habit (within a bin) at which simulated residents show the data's
    `habit_share`, measured as in the data: 52 nights in its weeknight/weekend mix around one
    median. Fresh draws alone already land near a resident's median on some nights, so the two
    differ; found by bisection on a fixed synthetic population, hence deterministic."""
    weeknights, weekend_nights = fit_nights(calibration)
    habit_p = _habit_probabilities(calibration)

    # One synthetic population for every step: only which nights repeat the habit depends on the
    # share.
    rng = np.random.default_rng(0)
    habit = rng.choice(habit_p.size, size=_FIT_CARS, p=habit_p)
    fresh = np.concatenate(
        [
            rng.choice(p.size, size=(nights, _FIT_CARS), p=p)
            for p, nights in (
                (_cell_probabilities(calibration, False), weeknights),
                (_cell_probabilities(calibration, True), weekend_nights),
            )
        ]
    )
    jitter = rng.integers(-1, 2, size=(2, _FIT_NIGHTS, _FIT_CARS))
    uniform = rng.random((_FIT_NIGHTS, _FIT_CARS))

    def measured(repeat: float) -> float:
        arrive, depart = _habit_or_fresh(calibration, habit, fresh, jitter, uniform < repeat)
        return habitual_share(arrive, depart)

    low, high = 0.0, 1.0
    if measured(low) >= habit_share:
        return 0.0
    for _ in range(_FIT_STEPS):
        middle = (low + high) / 2
        low, high = (middle, high) if measured(middle) < habit_share else (low, middle)
    return round((low + high) / 2, 4)


def _cell_probabilities(calibration: NightCalibration, weekend: bool) -> np.ndarray:
    counts = np.asarray(
        calibration.joint["weekend" if weekend else "weeknight"], dtype=np.float64
    ).ravel()
    return counts / counts.sum()


def _habit_probabilities(calibration: NightCalibration) -> np.ndarray:
    """A car's habit is drawn from every overnight session, weeknight or weekend, as the data's
    residents have one median over both."""
    counts = sum(
        np.asarray(calibration.joint[kind], dtype=np.float64).ravel()
        for kind in ("weeknight", "weekend")
    )
    return counts / counts.sum()


def _habit_or_fresh(
    calibration: NightCalibration,
    habit: np.ndarray,
    fresh: np.ndarray,
    jitter: np.ndarray,
    repeat: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(arrival bins, departure bins): the habit moved by at most a bin where `repeat`, else the
    fresh cell."""
    habit_arrive, habit_depart = np.divmod(habit, calibration.depart_bins)
    fresh_arrive, fresh_depart = np.divmod(fresh, calibration.depart_bins)
    arrive = np.where(
        repeat, np.clip(habit_arrive + jitter[0], 0, calibration.arrive_bins - 1), fresh_arrive
    )
    depart = np.where(
        repeat, np.clip(habit_depart + jitter[1], 0, calibration.depart_bins - 1), fresh_depart
    )
    return arrive, depart


@dataclass(frozen=True)
class NightDemand:
    """One night's draws. Renter arrays follow `Site.renters`, car arrays `Site.shared_cars`."""

    evening: date
    away: np.ndarray  # the renter is away tonight and releases the space
    returns: np.ndarray  # away tonight, home tomorrow: comes back in the morning
    return_after: np.ndarray  # minutes after the space's window ends that the renter comes back
    asks: np.ndarray  # the car needs a shared space tonight
    arrive: np.ndarray  # real arrival, night minutes
    depart: np.ndarray  # real departure
    aware: np.ndarray  # asks only for what the plan's hours hold
    late: np.ndarray  # minutes the car leaves after the time it asked for (0 for most)
    # The car does not come tonight, whatever it is given (all False when the share is 0).
    no_show: np.ndarray

    def digest(self) -> str:
        """A fingerprint of everything drawn, to show two plans saw the same night."""
        hasher = hashlib.sha256(self.evening.isoformat().encode())
        for array in (
            self.away,
            self.returns,
            self.return_after,
            self.asks,
            self.arrive,
            self.depart,
            self.aware,
            self.late,
        ):
            hasher.update(np.ascontiguousarray(array).tobytes())
        # Only when some car stays away, so that nights without no-shows keep their fingerprint.
        if self.no_show.any():
            hasher.update(np.ascontiguousarray(self.no_show).tobytes())
        return hasher.hexdigest()[:16]


class DemandStream:
    """The nights of one seed, in order."""

    def __init__(
        self, site: Site, model: DemandModel, calibration: NightCalibration, seed: int, nights: int
    ) -> None:
        self.site, self.model, self.calibration, self.seed = site, model, calibration, seed
        cars = site.shared_cars
        renter_index = {household: i for i, household in enumerate(site.renters)}
        # -1: the car's household rents nothing, so it is never away in this model.
        self._car_renter = np.array(
            [renter_index.get(car.household, -1) for car in cars], dtype=np.int64
        )
        has_space = {h.id: h.has_space for h in site.households}
        self._need_share = np.array(
            [
                model.need_share_second_car
                if has_space[car.household]
                else model.need_share_without_space
                for car in cars
            ]
        )
        self._cell_p = {
            weekend: _cell_probabilities(calibration, weekend) for weekend in (False, True)
        }
        habits = np.random.default_rng([seed, 0])
        habit_p = _habit_probabilities(calibration)
        self._habit_cell = habits.choice(habit_p.size, size=len(cars), p=habit_p)
        self._away = self._away_spells(
            np.random.default_rng([seed, 2]), len(site.renters), nights + 1
        )

    def _away_spells(self, rng: np.random.Generator, renters: int, nights: int) -> np.ndarray:
        """A two-state chain per renter whose away share and mean spell length are the model's."""
        share, spell = self.model.renter_away_share, self.model.away_spell_nights
        stay_away = 1.0 - 1.0 / spell
        leave = share / (1.0 - share) / spell
        draws = rng.random((nights, renters))
        away = np.empty((nights, renters), dtype=bool)
        away[0] = draws[0] < share
        for night in range(1, nights):
            away[night] = np.where(away[night - 1], draws[night] < stay_away, draws[night] < leave)
        return away

    def night(self, index: int, evening: date) -> NightDemand:
        model, calibration = self.model, self.calibration
        rng = np.random.default_rng([self.seed, 1, index])
        cars, renters = len(self.site.shared_cars), len(self.site.renters)
        weekend = evening.weekday() in WEEKEND_EVENINGS
        away = self._away[index]
        # Index -1 (a car whose household rents nothing) reads the appended "never away".
        household_away = np.append(away, False)[self._car_renter]
        share = np.minimum(1.0, self._need_share * model.weekday_factor[evening.weekday()])
        asks = (rng.random(cars) < share) & ~household_away
        fresh = rng.choice(self._cell_p[weekend].size, size=cars, p=self._cell_p[weekend])
        # A repeated habit is within a bin either way, as "habitual" is measured in the data.
        jitter = rng.integers(-1, 2, size=(2, cars))
        repeat = rng.random(cars) < model.repeat_share
        arrive_bin, depart_bin = _habit_or_fresh(
            calibration, self._habit_cell, fresh, jitter, repeat
        )
        offsets = (
            rng.integers(0, calibration.bin_minutes // SAMPLE_STEP, size=(2, cars)) * SAMPLE_STEP
        )
        late = np.ceil(rng.exponential(model.overstay_mean_minutes, size=cars)).astype(np.int64)
        # A stream of its own, so that the other draws are the same whatever the share; one
        # uniform per car, so a higher share keeps tonight's no-shows and adds to them.
        no_show = np.random.default_rng([self.seed, 3, index]).random(cars) < model.no_show_share
        return NightDemand(
            evening=evening,
            away=away,
            returns=away & ~self._away[index + 1],
            return_after=rng.integers(0, model.renter_return_within_minutes + 1, size=renters),
            asks=asks,
            arrive=calibration.arrive_start + arrive_bin * calibration.bin_minutes + offsets[0],
            depart=calibration.depart_start + depart_bin * calibration.bin_minutes + offsets[1],
            aware=rng.random(cars) < model.plan_aware_share,
            late=np.where(rng.random(cars) < model.overstay_share, late, 0),
            no_show=no_show,
        )
