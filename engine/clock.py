"""Night minutes and the clock times people write and read."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
DAY = 24 * 60
"""Minutes in a day."""


def minutes_of_day(text: str) -> int:
    """Minutes after midnight of a clock time.

    Parameters
    ----------
    text : str
        "HH:MM", 00:00 to 23:59 (surrounding spaces allowed).

    Returns
    -------
    int
        0 to 1439.

    Raises
    ------
    ValueError
        For anything else.
    """
    match = _CLOCK.match(text.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"{text!r} is not a clock time (HH:MM, 00:00 to 23:59)")
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_clock(text: str, night: date, day_start: int = 12 * 60) -> int:
    """Night minutes of a clock time or a date-time.

    Parameters
    ----------
    text : str
        "HH:MM", or an ISO date-time without a time zone on the evening date or the next day.
    night : date
        The evening date; night minutes count from its midnight.
    day_start : int, optional
        A clock time before this (minutes after midnight; default 12:00) is the next
        morning's: "07:30" is 07:30 the day after the evening date.

    Returns
    -------
    int
        Minutes from midnight of `night`, 0 to 2880.

    Raises
    ------
    ValueError
        For text that is neither, a date without a time, a date-time with a time zone, or one
        outside the night (that day or the next).
    """
    if _CLOCK.match(text.strip()):
        value = minutes_of_day(text)
        return value + DAY if value < day_start else value
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is neither a clock time (HH:MM) nor an ISO date-time") from None
    if len(text.strip()) <= len("2026-11-27"):
        raise ValueError(f"{text!r} is a date without a time; give a clock time or a date-time")
    if moment.tzinfo is not None:
        raise ValueError(f"{text!r} carries a time zone; give the compound's local time")
    minutes = round((moment - datetime.combine(night, time())).total_seconds() / 60)
    if not 0 <= minutes <= 2 * DAY:
        raise ValueError(
            f"{text!r} is not within the night of {night.isoformat()} (that day or the next)"
        )
    return minutes


def format_clock(minutes: int) -> str:
    """The clock time, "HH:MM", of night minutes (1860 is "07:00")."""
    return f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}"


def to_datetime(night: date, minutes: int) -> datetime:
    """The date-time of night minutes of the evening `night`."""
    return datetime.combine(night, time()) + timedelta(minutes=minutes)
