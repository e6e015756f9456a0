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

# Clock times read the same on any evening; for hours and standing requests, which have no date.
ANY_EVENING = date(2026, 1, 5)
# The evenings the service takes: within them every date and the morning after exist.
FIRST_EVENING, LAST_EVENING = date(2000, 1, 1), date(2099, 12, 31)


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


def stay_minutes(arrive: str, depart: str, evening: date) -> tuple[int, int]:
    """A stay given as clock times (before 12:00 is the next morning) in night minutes."""

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
    return first, last
