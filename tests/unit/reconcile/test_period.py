"""The period a reconciliation covers, as an accountant names it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from severa_netvisor.reconcile.period import MAX_DAYS, InvalidPeriod, Period


def test_a_month_is_its_first_to_its_last_day() -> None:
    assert Period.parse_month("2026-02") == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert Period.parse_month("2028-2").end == date(2028, 2, 29)
    assert Period.parse_month("2026-10").label == "10/2026"
    assert Period.parse_month("2026-10").key == "2026-10"


def test_a_range_is_named_with_finnish_dates() -> None:
    period = Period(date(2026, 10, 1), date(2026, 10, 15))
    assert period.label == "1.10.2026-15.10.2026"
    assert period.key == "2026-10-01_2026-10-15"
    assert not period.is_month


def test_the_scheduled_run_reconciles_the_month_before_in_office_time() -> None:
    # 1.11.2026 00:30 in Helsinki is still 31.10. in UTC: November has begun, so October is reconciled.
    assert Period.previous_month(datetime(2026, 10, 31, 22, 30, tzinfo=UTC)) == Period.parse_month("2026-10")
    assert Period.previous_month(datetime(2027, 1, 5, 7, tzinfo=UTC)) == Period.parse_month("2026-12")


@pytest.mark.parametrize("text", ["2026-13", "10/2026", "2026", "", "2026-00"])
def test_a_bad_month_says_how_to_write_it(text: str) -> None:
    with pytest.raises(InvalidPeriod, match="YYYY-MM"):
        Period.parse_month(text)


def test_a_backwards_or_too_long_range_is_refused_with_the_fix() -> None:
    with pytest.raises(InvalidPeriod, match="before it starts"):
        Period(date(2026, 10, 31), date(2026, 10, 1))
    with pytest.raises(InvalidPeriod, match=f"at most {MAX_DAYS}"):
        Period(date(2020, 1, 1), date(2026, 1, 1))


def test_windows_cover_the_period_once() -> None:
    period = Period.parse_month("2026-10")
    windows = list(period.windows(7))
    assert windows[0] == (date(2026, 10, 1), date(2026, 10, 7))
    assert windows[-1] == (date(2026, 10, 29), date(2026, 10, 31))
    days = [(end - start).days + 1 for start, end in windows]
    assert sum(days) == 31
    assert list(period.windows(31)) == [(period.start, period.end)]
