"""The period a reconciliation covers: a calendar month by default, any date range on demand.

Dates are Finnish office dates (Europe/Helsinki), inclusive at both ends, as an accountant says
"October 2026" or "1.10.2026-15.10.2026".
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from severa_netvisor.errors import IntegrationError
from severa_netvisor.timezone import OFFICE_ZONE, finnish_date

#: A longer range is refused: split it (a run must finish within one Lambda invocation).
MAX_DAYS = 731
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


class InvalidPeriod(IntegrationError):
    """The requested period cannot be reconciled as given."""

    system = "event"


@dataclass(frozen=True)
class Period:
    start: date
    #: Inclusive.
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidPeriod(
                f"The period ends ({finnish_date(self.end)}) before it starts ({finnish_date(self.start)}). "
                "Give 'from' before 'to'."
            )
        days = (self.end - self.start).days + 1
        if days > MAX_DAYS:
            raise InvalidPeriod(
                f"The period {self.label} has {days} days; at most {MAX_DAYS} are reconciled at once. "
                "Split it into shorter periods (a month or a year each)."
            )

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise InvalidPeriod(f"There is no month {month}: give the month as YYYY-MM, e.g. 2026-10.")
        last = calendar.monthrange(year, month)[1]
        return cls(date(year, month, 1), date(year, month, last))

    @classmethod
    def parse_month(cls, text: str) -> Period:
        """``2026-10`` (or ``2026-1``) as the whole month."""
        found = _MONTH.match(text)
        if found is None:
            raise InvalidPeriod(f"'{text}' is not a month: give it as YYYY-MM, e.g. 2026-10.")
        return cls.month(int(found.group(1)), int(found.group(2)))

    @classmethod
    def previous_month(cls, moment: datetime) -> Period:
        """The month before ``moment``'s month in office time (what a schedule early in a month means)."""
        local = moment.astimezone(OFFICE_ZONE) if moment.tzinfo else moment
        first = local.date().replace(day=1)
        before = first - timedelta(days=1)
        return cls.month(before.year, before.month)

    @property
    def is_month(self) -> bool:
        return self.start.day == 1 and self.end == Period.month(self.start.year, self.start.month).end

    @property
    def label(self) -> str:
        """How a person names it: "10/2026", or "1.10.2026-15.10.2026"."""
        if self.is_month:
            return f"{self.start.month}/{self.start.year}"
        return f"{finnish_date(self.start)}-{finnish_date(self.end)}"

    @property
    def key(self) -> str:
        """A file-name-safe name: "2026-10", or "2026-10-01_2026-10-15"."""
        if self.is_month:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def windows(self, days: int) -> Iterator[tuple[date, date]]:
        """Consecutive inclusive windows of at most ``days`` days covering the period."""
        step = max(1, days)
        start = self.start
        while start <= self.end:
            end = min(self.end, start + timedelta(days=step - 1))
            yield start, end
            start = end + timedelta(days=1)


def month_of(day: date) -> str:
    """The accounting month of a date, as sorted text: "2026-10"."""
    return f"{day.year:04d}-{day.month:02d}"
