"""Evening-arrival / morning-departure calibration from real residential parking sessions.

The Trondheim data set (Sørensen et al., Data in Brief 36 (2021) 107105, CC BY 4.0) logs when
residents of a housing cooperative plug their EVs in at home and unplug them again. Sessions
that span a night give a real joint distribution of evening arrival and next-morning
departure, which the scenario generator samples to time simulated nightly parking requests.

Only the derived histogram (``scenarios/data/night-calibration.json``) is bundled; the data
itself stays outside the project and ``python -m scenarios.calibration`` rebuilds the JSON.
:func:`load_calibration` reads it into the simulator's plain
:class:`simulation.calibration.NightCalibration`.

All times are minutes since midnight of the *evening date*, so a night is one increasing axis:
22:10 is 1330 and 07:40 the next morning is 1900.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from statistics import mean, median_low
from typing import Any, NamedTuple

import numpy as np

from engine.clock import DAY, format_clock
from simulation.calibration import CLASSES, WEEKEND_EVENINGS, NightCalibration

DATA_PATH = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "trondheim-residential-ev-sessions.csv"
)
BUNDLED_PATH = Path(__file__).resolve().parent / "data" / "night-calibration.json"

SOURCE = (
    "Sørensen et al., Data in Brief 36 (2021) 107105, CC BY 4.0 — Trondheim residential EV sessions"
)

BIN_MINUTES = 30
ARRIVE_START = 12 * 60  # 12:00 on the evening date
DEPART_START = DAY + 4 * 60  # 04:00 next morning; the arrival window ends here too
DEPART_END = DAY + 13 * 60  # 13:00 next morning
ARRIVE_BINS = (DEPART_START - ARRIVE_START) // BIN_MINUTES
DEPART_BINS = (DEPART_END - DEPART_START) // BIN_MINUTES
MAX_SESSION_HOURS = 24.0

_TIMESTAMP = "%d.%m.%Y %H:%M"
_REQUIRED_COLUMNS = ("User_ID", "User_type", "Start_plugin", "End_plugout", "Duration_hours")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HABIT_MIN_SESSIONS = 10  # fewer overnight sessions give no stable median to be habitual around
HABIT_RADIUS_BINS = 1  # "habitual" = within one 30-minute bin of the user's median


class _Session(NamedTuple):
    user: str
    private: bool
    plugin: datetime
    plugout: datetime


def _parse_row(row: Mapping[str, str]) -> _Session | None:
    """The usable session in ``row``, or None for a malformed or longer-than-24-h row."""
    try:
        plugin = datetime.strptime(row["Start_plugin"], _TIMESTAMP)
        plugout = datetime.strptime(row["End_plugout"], _TIMESTAMP)
        # The logged elapsed time, not the stamp difference: the stamps are wall-clock
        # times and jump at daylight-saving changes.
        hours = float(row["Duration_hours"].replace(",", "."))
    except ValueError:
        return None
    if not 0.0 <= hours <= MAX_SESSION_HOURS:
        return None
    return _Session(row["User_ID"], row["User_type"] == "Private", plugin, plugout)


def _read_sessions(csv_path: Path) -> tuple[list[_Session], int, int]:
    """(usable sessions, rows read, rows skipped)."""
    sessions: list[_Session] = []
    read = 0
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";", restval="")
        missing = set(_REQUIRED_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            # A wrong file must fail loudly rather than yield an empty histogram.
            raise ValueError(f"{csv_path}: missing columns {sorted(missing)}")
        for row in reader:
            read += 1
            session = _parse_row(row)
            if session is not None:
                sessions.append(session)
    return sessions, read, read - len(sessions)


def _clock_minutes(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _evening_of(moment: datetime) -> date:
    """The evening a plug-in belongs to: small-hours plug-ins continue the previous night."""
    if _clock_minutes(moment) < DEPART_START - DAY:
        return moment.date() - timedelta(days=1)
    return moment.date()


def _night_class(evening: date) -> str:
    return "weekend" if evening.weekday() in WEEKEND_EVENINGS else "weeknight"


def _overnight_stay(session: _Session) -> tuple[date, int, int] | None:
    """(evening, arrival, departure) if the session covers a night, else None."""
    evening = _evening_of(session.plugin)
    midnight = datetime.combine(evening, time())
    arrive = int((session.plugin - midnight).total_seconds()) // 60
    depart = int((session.plugout - midnight).total_seconds()) // 60
    if ARRIVE_START <= arrive < DEPART_START <= depart < DEPART_END:
        return evening, arrive, depart
    return None


def _private_users(sessions: Iterable[_Session]) -> set[str]:
    """Users with at least one session at a private charge point.

    A private point belongs to one household, so its user's sessions follow one car; all of
    such a user's sessions then count, including any at shared points.
    """
    return {s.user for s in sessions if s.private}


def _stay_out_share(sessions: list[_Session], nights: Mapping[str, set[date]]) -> dict[str, float]:
    """Share of private users' evenings with no overnight session, pooled over users.

    Each user counts from the evening of their first to that of their last session. This
    over-estimates absence: an EV owner at home does not plug in every night, and multi-day
    stays (skipped as > 24 h) leave their nights empty as well. It is therefore stored for
    reference only; the scenario generator takes "about one renter in eight away" from the
    Laiyang article instead.
    """
    private_users = _private_users(sessions)
    spans: dict[str, tuple[date, date]] = {}
    for s in sessions:
        if s.user in private_users:
            evening = _evening_of(s.plugin)
            first, last = spans.get(s.user, (evening, evening))
            spans[s.user] = (min(first, evening), max(last, evening))

    absent = dict.fromkeys(CLASSES, 0)
    total = dict.fromkeys(CLASSES, 0)
    for user, (first, last) in spans.items():
        present = nights.get(user, set())
        for offset in range((last - first).days + 1):
            evening = first + timedelta(days=offset)
            night_class = _night_class(evening)
            total[night_class] += 1
            absent[night_class] += evening not in present
    # A class with no observed evenings gives no evidence of absence.
    return {c: round(absent[c] / total[c], 4) if total[c] else 0.0 for c in CLASSES}


def _weekday_factor(sessions: list[_Session], evenings: Iterable[date]) -> list[float]:
    """Overnight sessions per calendar evening of each weekday (Monday first), mean 1.0.

    ``evenings`` holds one evening per overnight session. Counts are divided by how many
    evenings of that weekday the data spans (first to last evening of any usable session), so
    a span that is not a whole number of weeks does not favour the weekdays it has once more.
    A weekday the span lacks, or data with no overnight session, gives no evidence of a
    deviation and gets the neutral 1.0.
    """
    counts = Counter(evening.weekday() for evening in evenings)
    calendar = [0] * len(WEEKDAYS)
    if sessions:
        first = min(_evening_of(s.plugin) for s in sessions)
        last = max(_evening_of(s.plugin) for s in sessions)
        for offset in range((last - first).days + 1):
            calendar[(first + timedelta(days=offset)).weekday()] += 1
    rates = {d: counts[d] / calendar[d] for d in range(len(WEEKDAYS)) if calendar[d]}
    average = mean(rates.values()) if rates else 0.0
    if average == 0.0:
        return [1.0] * len(WEEKDAYS)
    return [round(rates[d] / average, 4) if d in rates else 1.0 for d in range(len(WEEKDAYS))]


def _habit_share(cells: Mapping[str, list[tuple[int, int]]]) -> tuple[float, int]:
    """(share of habitual overnight sessions, users counted): how strongly times repeat.

    ``cells`` maps a user to the (arrival bin, departure bin) of each overnight session. Users
    with fewer than ``HABIT_MIN_SESSIONS`` are left out. A session is habitual when its arrival
    and its departure bin each lie within ``HABIT_RADIUS_BINS`` of the user's median arrival
    and median departure bin; the lower median keeps the centre on an actual bin, so the
    window is always three bins wide. Pooled over users, each session weighing the same. No
    qualifying user gives no evidence of habit: 0.0, i.e. every night is a fresh draw.
    """
    habitual = counted = users = 0
    for user_cells in cells.values():
        if len(user_cells) < HABIT_MIN_SESSIONS:
            continue
        arrive_centre = median_low(a for a, _ in user_cells)
        depart_centre = median_low(d for _, d in user_cells)
        users += 1
        counted += len(user_cells)
        habitual += sum(
            abs(a - arrive_centre) <= HABIT_RADIUS_BINS
            and abs(d - depart_centre) <= HABIT_RADIUS_BINS
            for a, d in user_cells
        )
    return (round(habitual / counted, 4) if counted else 0.0), users


def build_calibration(csv_path: Path | str) -> dict[str, Any]:
    """Rebuild the night calibration (the bundled JSON's content) from the sessions CSV.

    A session is overnight when it is plugged in between 12:00 and 03:59 (after midnight it
    belongs to the previous evening) and unplugged between 04:00 and 12:59 on the day after
    that evening. ``rows_skipped`` counts malformed rows and sessions longer than 24 h.
    ``weekday_factor`` and ``habit_share`` count the same overnight sessions as ``joint``.
    """
    sessions, read, skipped = _read_sessions(Path(csv_path))
    joint = {c: np.zeros((ARRIVE_BINS, DEPART_BINS), dtype=np.int64) for c in CLASSES}
    nights: dict[str, set[date]] = defaultdict(set)
    evenings: list[date] = []
    cells: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for session in sessions:
        stay = _overnight_stay(session)
        if stay is None:
            continue
        evening, arrive, depart = stay
        arrive_bin = (arrive - ARRIVE_START) // BIN_MINUTES
        depart_bin = (depart - DEPART_START) // BIN_MINUTES
        joint[_night_class(evening)][arrive_bin, depart_bin] += 1
        nights[session.user].add(evening)
        evenings.append(evening)
        cells[session.user].append((arrive_bin, depart_bin))

    private_users = _private_users(sessions)
    habit_share, habit_users = _habit_share(
        {user: user_cells for user, user_cells in cells.items() if user in private_users}
    )

    return {
        "source": SOURCE,
        "bin_minutes": BIN_MINUTES,
        "arrive_first_bin": format_clock(ARRIVE_START),
        "arrive_bins": ARRIVE_BINS,
        "depart_first_bin": format_clock(DEPART_START),
        "depart_bins": DEPART_BINS,
        "sessions_read": read,
        "sessions_overnight": {c: int(joint[c].sum()) for c in CLASSES},
        "rows_skipped": skipped,
        "joint": {c: joint[c].tolist() for c in CLASSES},
        "stay_out_share": _stay_out_share(sessions, nights),
        "weekday_factor": _weekday_factor(sessions, evenings),
        "habit_share": habit_share,
        "habit_users": habit_users,
    }


def load_calibration(path: Path | str | None = None) -> NightCalibration:
    """The calibration in ``path``, by default the bundled one."""
    with Path(path or BUNDLED_PATH).open(encoding="utf-8") as handle:
        return NightCalibration(**json.load(handle))


def _to_json(calibration: Mapping[str, Any]) -> str:
    text = json.dumps(calibration, indent=2, ensure_ascii=False)
    # One histogram row (or the weekday factors) per line keeps the file short and readable
    # in a diff.
    return (
        re.sub(
            r"\[([\d.,\s]+)\]",
            lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]",
            text,
        )
        + "\n"
    )


def _summary(calibration: NightCalibration) -> str:
    overnight = calibration.sessions_overnight
    share = calibration.stay_out_share
    lines = [
        f"sessions read {calibration.sessions_read}, skipped {calibration.rows_skipped}, "
        f"overnight: weeknight {overnight['weeknight']}, weekend {overnight['weekend']}",
        f"stay-out share (over-estimate): weeknight {share['weeknight']:.3f}, "
        f"weekend {share['weekend']:.3f}",
        "weekday factor (evenings): "
        + "  ".join(f"{day} {f:.3f}" for day, f in zip(WEEKDAYS, calibration.weekday_factor)),
        f"habit share {calibration.habit_share:.3f} ({calibration.habit_users} private users "
        f"with >= {HABIT_MIN_SESSIONS} overnight sessions)",
    ]
    for night_class in CLASSES:
        quantiles = calibration.quantiles(weekend=night_class == "weekend")
        for key, label in (("arrive", "arrival"), ("depart", "departure")):
            values = "  ".join(f"{p}% {t}" for p, t in quantiles[key].items())
            lines.append(f"{night_class:9s} {label:9s} {values}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m scenarios.calibration",
        description="Rebuild the night arrival/departure calibration from the Trondheim CSV.",
    )
    parser.add_argument(
        "csv", nargs="?", type=Path, default=DATA_PATH, help=f"sessions CSV (default {DATA_PATH})"
    )
    parser.add_argument(
        "--out", type=Path, default=BUNDLED_PATH, help=f"JSON to write (default {BUNDLED_PATH})"
    )
    args = parser.parse_args(argv)

    calibration = build_calibration(args.csv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(_to_json(calibration), encoding="utf-8")
    print(_summary(NightCalibration(**calibration)))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
