"""The reconcile function's event: a month, a range, or (scheduled) the month before."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from severa_netvisor.handler import InvalidEventError
from severa_netvisor.reconcile.handler import parse_event
from severa_netvisor.reconcile.period import InvalidPeriod, Period

NOW = datetime(2026, 11, 29, 9, tzinfo=UTC)


def test_a_month() -> None:
    assert parse_event({"month": "2026-10"}).period(NOW) == Period.parse_month("2026-10")


def test_a_range() -> None:
    event = parse_event('{"from": "2026-10-01", "to": "2026-10-15"}')
    assert event.period(NOW) == Period(date(2026, 10, 1), date(2026, 10, 15))


def test_the_schedule_reconciles_the_month_before_its_time() -> None:
    event = parse_event({"scheduled_time": "2026-12-05T07:00:00+02:00", "execution_id": "abc"})
    assert event.period(NOW) == Period.parse_month("2026-11")
    assert event.store
    assert event.notify


def test_unfilled_scheduler_placeholders_mean_now() -> None:
    event = parse_event({"scheduled_time": "<aws.scheduler.scheduled-time>", "execution_id": "<aws.x>"})
    assert event.period(NOW) == Period.parse_month("2026-10")
    assert parse_event(None).period(NOW) == Period.parse_month("2026-10")


@pytest.mark.parametrize(
    ("event", "words"),
    [
        ({"month": "2026-10", "from": "2026-10-01"}, "either 'month' or 'from' and 'to'"),
        ({"from": "2026-10-01"}, "both 'from' and 'to'"),
        ({"mnoth": "2026-10"}, "'mnoth' is not a known option"),
        ({"from": "1.10.2026", "to": "2026-10-31"}, "'from'"),
        ("[1, 2]", "must be a JSON object"),
        ("{nope", "not JSON"),
    ],
)
def test_a_bad_event_names_the_field_and_the_fix(event: object, words: str) -> None:
    with pytest.raises((InvalidEventError, InvalidPeriod)) as raised:
        parse_event(event).period(NOW)
    assert words in raised.value.message
