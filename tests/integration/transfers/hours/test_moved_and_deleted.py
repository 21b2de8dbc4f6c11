"""Hours moved, deleted and dated at Helsinki midnight, through both simulators (issue 12, item 6).

Severa's SOAP API lists no deleted hour entries, and an entry moved to another day changes only its
new day: the transfer remembers each sent entry's day and re-reads the open payroll period by date, so
the day an entry left is replaced (with the hours still there, or zero). Whatever midnight Severa keeps
``EventDate`` at, a day is always sent whole: a replace with a partial day would wipe hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sandbox.aws import LocalAws
from sandbox.severa import build_state
from sandbox.severa.cases import HOUR_CASES, delete_hour_entry, hour_entry, move_hour_entry
from sandbox.severa.state import SeveraState
from tests.integration.rig import World, world

TODAY = date.today()


def day(days_before: int) -> date:
    return TODAY - timedelta(days=days_before)


@pytest.fixture
def severa() -> SeveraState:
    return build_state(1206, accounts=2, invoices=0, hour_entries=0, real_world=HOUR_CASES)


@pytest.fixture
def systems(local_aws: LocalAws, severa: SeveraState) -> Iterator[World]:
    with world(local_aws, severa_state=severa) as running:
        yield running


def hours_in_payroll(systems: World) -> dict[tuple[str, date], Decimal]:
    """Normal hours (record type 11) per employee and day, as payroll holds them now."""
    found: dict[tuple[str, date], Any] = {}
    for workday in systems.netvisor.state.workdays:  # later imports replace earlier ones
        if workday.collector_ratio == "11":
            found[(workday.employee, workday.day)] = workday.hours
    return found


def test_an_entry_moved_to_another_day_leaves_its_old_day_with_what_remains(systems: World) -> None:
    severa = systems.severa.state
    first = systems.run_engine("hours")
    assert first.failed == 0, first
    assert hours_in_payroll(systems)[("1001", day(5))] == Decimal("7.00")

    move_hour_entry(severa, hour_entry(severa, "hours_moved", "moves")["GUID"], days=1)
    second = systems.run_engine("hours")

    payroll = hours_in_payroll(systems)
    assert payroll[("1001", day(5))] == Decimal("4.00"), "the old day is replaced with what remains"
    assert payroll[("1001", day(4))] == Decimal("3.00")
    assert (second.created, second.updated, second.failed) == (1, 1, 0), second


def test_entries_deleted_in_severa_are_taken_out_of_payroll(systems: World) -> None:
    severa = systems.severa.state
    systems.run_engine("hours")
    assert hours_in_payroll(systems)[("1002", day(6))] == Decimal("7.00")
    assert hours_in_payroll(systems)[("1002", day(7))] == Decimal("6.00")

    delete_hour_entry(severa, hour_entry(severa, "hours_deleted", "deleted")["GUID"])
    delete_hour_entry(severa, hour_entry(severa, "hours_deleted", "deleted-alone")["GUID"])
    second = systems.run_engine("hours")

    payroll = hours_in_payroll(systems)
    assert payroll[("1002", day(6))] == Decimal("5.00")
    assert payroll[("1002", day(7))] == Decimal("0.00"), "a day left with no entry is replaced by zero"
    assert (second.updated, second.failed) == (2, 0), second
    # Nothing changed since: the next run sends nothing.
    third = systems.run_engine("hours")
    assert (third.created, third.updated) == (0, 0), third


def test_a_day_is_sent_whole_whatever_midnight_its_entries_are_dated_at(systems: World) -> None:
    severa = systems.severa.state
    systems.run_engine("hours")
    payroll = hours_in_payroll(systems)
    # One entry at UTC midnight, one at Helsinki midnight (the evening before in UTC): the same day.
    assert payroll[("1003", day(3))] == Decimal("5.50")
    assert payroll[("1003", day(2))] == Decimal("1.00")
    assert ("1003", day(4)) not in payroll, "the Helsinki-midnight entry is not put on the UTC day before"

    # Only the Helsinki-midnight entry changes: its day is replaced whole, not with that entry alone.
    changed = hour_entry(severa, "hours_local_midnight", "helsinki-midnight")
    changed["Quantity"] = Decimal("4")
    severa.touch(changed)
    second = systems.run_engine("hours")

    payroll = hours_in_payroll(systems)
    assert payroll[("1003", day(3))] == Decimal("6.00")
    assert payroll[("1003", day(2))] == Decimal("1.00")
    assert (second.updated, second.failed) == (1, 0), second


def test_a_control_character_in_an_entry_fails_its_day_alone(systems: World) -> None:
    severa = systems.severa.state
    entry = hour_entry(severa, "hours_moved", "stays")
    entry["Description"] = "Työtä\x01"

    summary = systems.run_engine("hours")

    assert summary.failed == 1, summary
    assert ("1001", day(5)) not in hours_in_payroll(systems)
    assert ("1002", day(6)) in hours_in_payroll(systems)
    [failure] = systems.open_failures("hours")
    assert f"hour entry {entry['GUID']}: field description holds a control character (U+0001)" in failure.reason
