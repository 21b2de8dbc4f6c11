"""Finnish office time: how people in the company read dates and times, and how Netvisor writes them.

One definition for the whole package. A runtime without time-zone data falls back to UTC, the honest
choice (a wrong zone would shift dates silently).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

OFFICE_ZONE_NAME = "Europe/Helsinki"


def _office_zone() -> tzinfo:
    try:
        return ZoneInfo(OFFICE_ZONE_NAME)
    except ZoneInfoNotFoundError:
        return UTC


OFFICE_ZONE: tzinfo = _office_zone()


def finnish_date(day: date) -> str:
    """A date as a Finnish accountant writes it: 5.11.2026."""
    return f"{day.day}.{day.month}.{day.year}"


def finnish_time(moment: datetime) -> str:
    """A moment as a Finnish accountant reads it, in office time: 2.7.2026 00:30."""
    local = moment.astimezone(OFFICE_ZONE)
    return f"{finnish_date(local.date())} {local:%H:%M}"


def office_date(moment: datetime) -> date:
    """The calendar day of ``moment`` in Finnish office time."""
    return moment.astimezone(OFFICE_ZONE).date()


def office_midnight(day: date) -> datetime:
    """The start of ``day`` in Finnish office time (timezone-aware)."""
    return datetime(day.year, day.month, day.day, tzinfo=OFFICE_ZONE)


def to_office_naive(moment: datetime) -> datetime:
    """``moment`` as Finnish wall-clock time without an offset (how Netvisor writes and filters times)."""
    return moment.astimezone(OFFICE_ZONE).replace(tzinfo=None)


def from_office_naive(moment: datetime) -> datetime:
    """A Finnish wall-clock time without an offset, as an aware UTC time."""
    return moment.replace(tzinfo=OFFICE_ZONE).astimezone(UTC)
