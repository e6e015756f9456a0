"""Which evening is meant, when its requests close, and stays given as clock times.

An evening is a date in the compound's time zone; its night runs to the next morning. Every
function takes the moment it is asked about (`now`), so that tests and the CLI give the clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.clock import parse_clock
from service.actions.errors import InvalidField
from service.models import Compound, Release

# The evenings the service takes: within them every date and the morning after exist.
from service.schemas import FIRST_EVENING, LAST_EVENING  # noqa: F401 (the pages read them here)

# Clock times read the same on any evening; for hours and standing requests, which have no date.
ANY_EVENING = date(2026, 1, 5)
# A release covers a year at most, and starts within the next year.
LONGEST_RELEASE_EVENINGS = 366
RELEASE_AHEAD_DAYS = 365


def cutoff_of(compound: Compound, evening: date) -> datetime:
    """When requests for the evening close, as an aware datetime in the compound's time zone."""
    return datetime.combine(
        evening, time.fromisoformat(compound.cutoff), ZoneInfo(compound.timezone)
    )


def current_evening(zone: str, now: datetime) -> date:
    """The night under way or ahead in time zone `zone`: before noon it is still last evening's
    night (cars parked until the morning), from noon on it is this evening's."""
    local = now.astimezone(ZoneInfo(zone))
    return local.date() - timedelta(days=1) if local.hour < 12 else local.date()


def in_compound_time(compound: Compound, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(compound.timezone))


def evenings_of(release: Release) -> list[date]:
    days = (release.last_evening - release.first_evening).days
    return [release.first_evening + timedelta(days=d) for d in range(days + 1)]


# The longest stay taken: the bundled plans' widest window is 19:00-09:00 (14 hours); 16 leaves
# room for a compound whose spaces open at 17:00 or 18:00 and close at 9:00 or 10:00. Longer is a
# day's booking, not a night's (clock times allow up to 12:00-11:59, 23 h 59 min).
LONGEST_STAY_HOURS = 16


def stay_minutes(arrive: str, depart: str, evening: date) -> tuple[int, int]:
    """A stay given as clock times (before 12:00 is the next morning) in night minutes; at most
    LONGEST_STAY_HOURS long."""

    def minutes(text: str, field: str) -> int:
        try:
            return parse_clock(text, evening)
        except ValueError as error:
            raise InvalidField(field, str(error)) from None

    first, last = minutes(arrive, "arrive"), minutes(depart, "depart")
    if last <= first:
        raise InvalidField(
            "depart", f"{depart} is not after {arrive} (times before 12:00 are the next morning)"
        )
    if last - first > LONGEST_STAY_HOURS * 60:
        hours, rest = divmod(last - first, 60)
        raise InvalidField(
            "depart",
            f"a stay lasts {LONGEST_STAY_HOURS} hours at most; {arrive} to {depart} is "
            f"{hours} h {rest} min",
            code="stay_too_long",
        )
    return first, last


class StayHours:
    """The clock times of a stay whose `start` and `end` are aware moments in the compound's time
    zone, as the pages and lists show them (a base of the stays' dataclasses)."""

    start: datetime
    end: datetime

    @property
    def since(self) -> str:
        return f"{self.start:%H:%M}"

    @property
    def until(self) -> str:
        return f"{self.end:%H:%M}"
