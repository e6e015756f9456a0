from dataclasses import replace

import numpy as np
import pytest

from scenarios.calibration import load_calibration
from simulation.calibration import NightCalibration


@pytest.fixture(scope="module")
def bundled() -> NightCalibration:
    return load_calibration()


@pytest.mark.parametrize(
    "change",
    [
        {"weekday_factor": [1.0] * 6},
        {"weekday_factor": [1.1] * 7},
        {"weekday_factor": [2.0, -1.0, 1.0, 1.0, 1.0, 1.0, 2.0]},
        {"habit_share": 1.5},
        {"habit_users": -1},
    ],
)
def test_invalid_calibration_is_rejected(bundled: NightCalibration, change):
    with pytest.raises(ValueError):
        replace(bundled, **change)


@pytest.mark.parametrize("weekend", [False, True])
def test_sample_stays(bundled: NightCalibration, weekend: bool):
    first = bundled.sample_stays(np.random.default_rng(7), 20_000, weekend=weekend)
    again = bundled.sample_stays(np.random.default_rng(7), 20_000, weekend=weekend)
    np.testing.assert_array_equal(first, again)

    assert first.shape == (20_000, 2)
    arrive, depart = first[:, 0], first[:, 1]
    assert np.all(depart > arrive)
    assert np.all(arrive % 5 == 0) and np.all(depart % 5 == 0)
    arrive_end = bundled.arrive_start + bundled.arrive_bins * bundled.bin_minutes
    depart_end = bundled.depart_start + bundled.depart_bins * bundled.bin_minutes
    assert bundled.arrive_start <= arrive.min() and arrive.max() < arrive_end
    assert bundled.depart_start <= depart.min() and depart.max() < depart_end

    median_arrive, _ = bundled.quantile_minutes(0.5, weekend=weekend)
    assert abs(np.median(arrive) - median_arrive) <= 30
