import json

import numpy as np
import pytest

from scenarios.calibration import (
    BUNDLED_PATH,
    DATA_PATH,
    NightCalibration,
    build_calibration,
)

HEADER = (
    "session_ID;Garage_ID;User_ID;User_type;Shared_ID;Start_plugin;Start_plugin_hour;"
    "End_plugout;End_plugout_hour;El_kWh;Duration_hours;month_plugin;weekdays_plugin"
)
# 7 Jan 2019 is a Monday, 11 Jan 2019 a Friday.
ROWS = [
    # Monday evening 22:10 -> Tuesday 07:40: weeknight, arrival bin 20 (22:00), departure bin 7 (07:30).
    "1;G;G-1;Private;NA;07.01.2019 22:10;22;08.01.2019 07:40;7;12,5;9,5;Jan;Monday",
    # Daytime session: plugged in at 10:00, not overnight, excluded.
    "2;G;G-1;Private;NA;08.01.2019 10:00;10;08.01.2019 16:00;16;8,1;6;Jan;Tuesday",
    # Friday 01:15 -> 06:05 belongs to Thursday evening: weeknight, bins 26 (01:00) and 4 (06:00).
    "3;G;G-1;Private;NA;11.01.2019 01:15;1;11.01.2019 06:05;6;9,0;4,833333333;Jan;Friday",
    # Friday 18:00 -> Saturday 08:00: weekend, bins 12 (18:00) and 8 (08:00).
    "4;G;G-2;Private;NA;11.01.2019 18:00;18;12.01.2019 08:00;8;20,0;14;Jan;Friday",
    # Inside both windows but 24.5 h long: skipped.
    "5;G;G-2;Private;NA;13.01.2019 12:10;12;14.01.2019 12:40;12;30,0;24,5;Jan;Sunday",
    # No plug-out: skipped.
    "6;G;G-2;Private;NA;14.01.2019 20:00;20;NA;NA;3,0;NA;Jan;Monday",
]


@pytest.fixture(scope="module")
def bundled() -> NightCalibration:
    return NightCalibration.load()


def test_build_from_synthetic_csv(tmp_path):
    path = tmp_path / "sessions.csv"
    path.write_text("\r\n".join([HEADER, *ROWS]) + "\r\n", encoding="utf-8")

    calibration = build_calibration(path)

    assert calibration["sessions_read"] == 6
    assert calibration["rows_skipped"] == 2
    assert calibration["sessions_overnight"] == {"weeknight": 2, "weekend": 1}
    weeknight = np.array(calibration["joint"]["weeknight"])
    weekend = np.array(calibration["joint"]["weekend"])
    assert weeknight.shape == weekend.shape == (32, 18)
    expected_weeknight = np.zeros((32, 18), dtype=int)
    expected_weeknight[20, 7] = expected_weeknight[26, 4] = 1
    expected_weekend = np.zeros((32, 18), dtype=int)
    expected_weekend[12, 8] = 1
    np.testing.assert_array_equal(weeknight, expected_weeknight)
    np.testing.assert_array_equal(weekend, expected_weekend)
    # G-1 spans the evenings Mon 7 .. Thu 10 Jan and parks overnight on Mon and Thu: 2 of 4
    # weeknights away. G-2's only usable session is its single (Friday) evening: 0 of 1.
    assert calibration["stay_out_share"] == {"weeknight": 0.5, "weekend": 0.0}
    NightCalibration(**calibration)  # the built dict is a valid calibration


@pytest.mark.skipif(not DATA_PATH.exists(), reason=f"real sessions CSV not found at {DATA_PATH}")
def test_bundled_json_matches_rebuild_from_real_data():
    bundled = json.loads(BUNDLED_PATH.read_text(encoding="utf-8"))
    assert bundled == build_calibration(DATA_PATH)


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
