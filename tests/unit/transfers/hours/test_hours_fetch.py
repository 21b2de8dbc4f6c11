"""How the hours transfer reads Severa: frugally, and whole days (in-process, a recording stand-in client)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import yaml
from severa_netvisor.engine import Skip, SourceRecord
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.hours import EmployeeDay
from severa_netvisor.severa.models import Case, HourEntry, User, WorkType
from severa_netvisor.state import Cursor, LedgerEntry, LedgerStatus, SourceRef
from severa_netvisor.transfers.hours import FIRST_RUN_LOOKBACK, HoursTransfer, work_day

from sandbox.environment import SANDBOX_MAPPING

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def mapping(**hours: Any) -> MappingConfig:
    data = yaml.safe_load(SANDBOX_MAPPING.read_text("utf-8"))
    data["hours"].update(hours)
    return MappingConfig.model_validate(data)


def entry(guid: str, user: str, day: date, quantity: str, *, approved: bool | None = True) -> HourEntry:
    return HourEntry.model_validate(
        {
            "GUID": guid, "UserGUID": user, "EventDate": datetime(day.year, day.month, day.day),
            "Quantity": Decimal(quantity), "IsApproved": approved, "IsBillable": True, "IsReadOnly": False,
            "UnitCost": 0, "UnitPrice": 0, "UnitPriceInBaseCurrency": 0, "WorkTypeGUID": "wt", "CaseGUID": "case",
        }
    )  # fmt: skip


class RecordingSevera:
    def __init__(self, changed: list[HourEntry], by_date: list[HourEntry]):
        self.changed, self.by_date = changed, by_date
        self.calls: list[str] = []

    def hour_entries_changed_since(self, since: datetime) -> list[HourEntry]:
        self.calls.append(f"changed_since {since.isoformat()}")
        return self.changed

    def hour_entries_by_date(self, start: datetime, end: datetime) -> list[HourEntry]:
        self.calls.append(f"by_date {start.date()}..{end.date()}")
        return self.by_date

    def users_changed_since(self, since: datetime, options: int = 0) -> list[User]:
        self.calls.append("users")
        return [User.model_validate({"GUID": "u1", "Code": "U001", "IsActive": True, "SendDailyMail": False,
                                     "SendWeeklyMail": False})]  # fmt: skip

    def all_work_types(self) -> list[WorkType]:
        self.calls.append("work_types")
        return [WorkType.model_validate({"GUID": "wt", "Code": "KONS", "Name": "Konsultointi", "IsActive": True,
                                         "IsDefault": True, "IsProductive": True})]  # fmt: skip

    def case(self, guid: str) -> Case | None:
        self.calls.append(f"case {guid}")
        return None


class Ledger:
    def __init__(self, sent: dict[str, str] | None = None):
        self.sent = sent or {}
        self.asked: list[str] = []

    def get_ledger(self, refs: Iterable[SourceRef]) -> dict[SourceRef, LedgerEntry]:
        wanted = list(refs)
        self.asked.extend(ref.id for ref in wanted)
        return {r: LedgerEntry(r, LedgerStatus.DONE, 1, self.sent[r.id]) for r in wanted if r.id in self.sent}


class Clients:
    def __init__(self, severa: RecordingSevera):
        self.severa = severa
        self.netvisor: Any = None


def records(transfer: HoursTransfer, since: Cursor | None) -> list[SourceRecord]:
    return [record for page in transfer.fetch_pages(since, full_resync=False) for record in page]


def test_nothing_changed_costs_one_severa_call() -> None:
    severa = RecordingSevera([], [])
    transfer = HoursTransfer(mapping=mapping(), clients=Clients(severa), state=Ledger(), clock=lambda: NOW)  # type: ignore[arg-type]
    assert records(transfer, Cursor(NOW - timedelta(hours=1))) == []
    assert severa.calls == [f"changed_since {(NOW - timedelta(hours=1)).isoformat()}"]


def test_changed_entries_bring_their_whole_day_and_nothing_else() -> None:
    d1, d2 = date(2026, 11, 16), date(2026, 11, 18)
    edited = entry("e1", "u1", d1, "6")
    same_day = entry("e2", "u1", d1, "1.5")
    other_day = entry("e3", "u1", date(2026, 11, 17), "8")  # in the by-date span but not changed
    severa = RecordingSevera([edited, entry("e4", "u1", d2, "2", approved=False)], [same_day, other_day])
    transfer = HoursTransfer(mapping=mapping(), clients=Clients(severa), state=Ledger(), clock=lambda: NOW)  # type: ignore[arg-type]

    found = records(transfer, None)

    assert severa.calls == [
        f"changed_since {(NOW - FIRST_RUN_LOOKBACK).isoformat()}",
        "by_date 2026-11-16..2026-11-18",
        "users",
        "work_types",
        "case case",
    ]
    assert [r.ref.id for r in found] == ["u1/2026-11-16", "u1/2026-11-18"]
    assert all(r.changed_at == NOW for r in found)
    first: EmployeeDay = found[0].data
    assert sorted(e.guid for e in first.entries) == ["e1", "e2"]
    planned = transfer.prepare(found[0])
    assert not isinstance(planned, Skip)
    assert planned.summary["hours"] == "7.50"
    assert planned.summary["employee"] == "1001"
    skipped = transfer.prepare(found[1])
    assert isinstance(skipped, Skip)
    assert "no approved hour entries" in skipped.reason


def test_switched_off_reads_nothing() -> None:
    severa = RecordingSevera([], [])
    transfer = HoursTransfer(mapping=mapping(enabled=False), clients=Clients(severa), state=Ledger())  # type: ignore[arg-type]
    assert records(transfer, None) == []
    assert severa.calls == []


def test_the_work_day_is_the_finnish_calendar_day() -> None:
    utc_midnight = entry("e1", "u1", date(2026, 11, 16), "1")
    assert work_day(utc_midnight) == date(2026, 11, 16)
    finnish_midnight = utc_midnight.model_copy(update={"event_date": datetime(2026, 11, 15, 22, 0, tzinfo=UTC)})
    assert work_day(finnish_midnight) == date(2026, 11, 16)


def test_a_day_whose_approval_was_withdrawn_is_cleared_in_payroll() -> None:
    day = date(2026, 11, 18)
    severa = RecordingSevera([entry("e1", "u1", day, "8", approved=False)], [])
    ledger = Ledger({"u1/2026-11-18": "1001/2026-11-18/11,100"})
    transfer = HoursTransfer(mapping=mapping(), clients=Clients(severa), state=ledger, clock=lambda: NOW)  # type: ignore[arg-type]

    (record,) = records(transfer, Cursor(NOW - timedelta(hours=1)))

    assert ledger.asked == ["u1/2026-11-18"]
    planned = transfer.prepare(record)
    assert not isinstance(planned, Skip)
    assert [(h.collector_ratio, h.hours) for h in planned.payload.workday.hours] == [
        ("11", Decimal("0.00")),
        ("100", Decimal("0.00")),
    ]
