import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from scenarios.calibration import BUNDLED_PATH, DATA_PATH, build_calibration
from simulation.calibration import NightCalibration

HEADER = (
    "session_ID;Garage_ID;User_ID;User_type;Shared_ID;Start_plugin;Start_plugin_hour;"
    "End_plugout;End_plugout_hour;El_kWh;Duration_hours;month_plugin;weekdays_plugin"
)
# 7 Jan 2019 is a Monday, 11 Jan 2019 a Friday.
ROWS = [
    # Monday evening 22:10 -> Tuesday 07:40: weeknight, arrival bin 20 (22:00), departure bin 7
    # (07:30).
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


def _write_csv(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "sessions.csv"
    path.write_text("\r\n".join([HEADER, *rows]) + "\r\n", encoding="utf-8")
    return path


def _row(number: int, user: str, plugin: str, plugout: str, user_type: str = "Private") -> str:
    """A CSV row for a session from ``plugin`` to ``plugout`` ("DD.MM.YYYY HH:MM")."""
    start, end = (datetime.strptime(t, "%d.%m.%Y %H:%M") for t in (plugin, plugout))
    hours = f"{(end - start).total_seconds() / 3600:g}".replace(".", ",")
    return f"{number};G;{user};{user_type};NA;{plugin};;{plugout};;1,0;{hours};Jan;"


def _night(
    number: int, user: str, day: int, arrive: str, depart: str, user_type: str = "Private"
) -> str:
    """A row plugged in on ``day`` January 2019 at ``arrive`` and out the next day at ``depart``."""
    evening = datetime(2019, 1, day)
    plugout = evening + timedelta(days=1)
    return _row(
        number, user, f"{evening:%d.%m.%Y} {arrive}", f"{plugout:%d.%m.%Y} {depart}", user_type
    )


def test_build_from_synthetic_csv(tmp_path):
    calibration = build_calibration(_write_csv(tmp_path, ROWS))

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
    # The span is the evenings Mon 7 .. Fri 11 Jan, one each, with overnight sessions on Mon,
    # Thu and Fri: rates 1, 0, 0, 1, 1 average 0.6, so those weekdays get 1 / 0.6 and 0. The
    # span has no Saturday or Sunday: no evidence, neutral 1.0.
    assert calibration["weekday_factor"] == [1.6667, 0.0, 0.0, 1.6667, 1.6667, 1.0, 1.0]
    # No user has 10 overnight sessions: no evidence of habit.
    assert (calibration["habit_share"], calibration["habit_users"]) == (0.0, 0)
    NightCalibration(**calibration)  # the built dict is a valid calibration


def test_weekday_factor_per_calendar_evening(tmp_path):
    rows = [
        _night(1, "W-1", 7, "22:00", "07:00"),  # Mon 7
        _night(2, "W-1", 8, "23:00", "06:30"),  # Tue 8
        _night(3, "W-1", 9, "18:00", "08:00"),  # Wed 9
        _night(4, "W-2", 11, "20:00", "09:00", "Shared"),  # Fri 11: shared points count too
        _night(5, "W-1", 12, "19:00", "10:00"),  # Sat 12
        _night(6, "W-2", 14, "21:00", "07:00", "Shared"),  # Mon 14
        _night(7, "W-1", 15, "22:00", "07:30"),  # Tue 15
        _row(8, "W-1", "17.01.2019 10:00", "17.01.2019 15:00"),  # Thu 17, daytime: not overnight
        _night(9, "W-1", 18, "19:30", "08:30"),  # Fri 18
        # Tue 22 at 01:30 continues Monday 21's night, so the span ends on Monday 21.
        _row(10, "W-1", "22.01.2019 01:30", "22.01.2019 07:00"),
        # 30 h long: skipped, so it does not stretch the span to Tuesday 22.
        _row(11, "W-2", "22.01.2019 12:00", "23.01.2019 18:00", "Shared"),
    ]
    calibration = build_calibration(_write_csv(tmp_path, rows))

    # Evenings Mon 7 .. Mon 21 Jan: 15, i.e. 3 Mondays and 2 of every other weekday.
    # Overnight sessions per weekday, Mon..Sun: 3, 2, 1, 0, 2, 1, 0.
    # Per calendar evening: 3/3, 2/2, 1/2, 0/2, 2/2, 1/2, 0/2 = 1, 1, .5, 0, 1, .5, 0; mean 4/7.
    # Divided by the mean (times 7/4): 1.75, 1.75, .875, 0, 1.75, .875, 0.
    # (Raw counts over their mean 9/7 would give Monday 2.3333 instead.)
    assert calibration["weekday_factor"] == [1.75, 1.75, 0.875, 0.0, 1.75, 0.875, 0.0]
    NightCalibration(**calibration)


def test_habit_share_pools_sessions_of_habitual_private_users(tmp_path):
    # Bins: arrival 19:00 -> 14, 21:00 -> 18, 21:40 -> 19, 22:10 -> 20, 22:40 -> 21, 23:10 -> 22;
    # departure 06:30 -> 5, 07:10 -> 6, 07:40 -> 7, 08:10 -> 8, 08:40 -> 9, 09:10 -> 10.
    nights = {
        # 10 nights. Arrivals 19, 20 x7, 21, 22 and departures 6, 7 x7, 8, 10: lower medians
        # 20 and 7. Habitual: the six (20, 7), (21, 8) and (19, 6); not (22, 7) or (20, 10).
        # 8 of 10.
        "H-1": [("22:10", "07:40")] * 6
        + [("22:40", "08:10"), ("21:40", "07:10"), ("23:10", "07:40"), ("22:10", "09:10")],
        # 12 nights. Arrivals 14 x6, 18 x6: lower median 14 (the midpoint 16 would make none
        # habitual, the upper median 18 six). Departures 5 x9, 9 x3: median 5. Habitual: the
        # three (14, 5). 3 of 12.
        "H-3": [("19:00", "06:30")] * 3 + [("19:00", "08:40")] * 3 + [("21:00", "06:30")] * 6,
        # Left out although perfectly regular: H-2 has only 9 nights, S-1 is not private.
        "H-2": [("22:10", "07:40")] * 9,
        "S-1": [("22:10", "07:40")] * 10,
    }
    rows = []
    for user, times in nights.items():
        user_type = "Shared" if user == "S-1" else "Private"
        for day, (arrive, depart) in enumerate(times, start=1):
            rows.append(_night(len(rows) + 1, user, day, arrive, depart, user_type))
    calibration = build_calibration(_write_csv(tmp_path, rows))

    # Pooled, each session weighing the same: (8 + 3) / (10 + 12) = 0.5 (the mean of the
    # users' shares would be (0.8 + 0.25) / 2 = 0.525).
    assert calibration["habit_share"] == 0.5
    assert calibration["habit_users"] == 2
    NightCalibration(**calibration)


@pytest.mark.skipif(not DATA_PATH.exists(), reason=f"real sessions CSV not found at {DATA_PATH}")
def test_bundled_json_matches_rebuild_from_real_data():
    bundled = json.loads(BUNDLED_PATH.read_text(encoding="utf-8"))
    assert {"weekday_factor", "habit_share", "habit_users"} <= bundled.keys()
    assert bundled == build_calibration(DATA_PATH)
