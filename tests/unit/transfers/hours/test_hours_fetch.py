"""How the hours transfer reads Severa: frugally, whole days, and the days entries left (in-process, a
recording stand-in client and ledger)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import yaml
from severa_netvisor.engine import RunContext, Skip, SourceRecord
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.hours import EmployeeDay
from severa_netvisor.severa.models import Case, HourEntry, User, WorkType
from severa_netvisor.state import Cursor, LedgerEntry, LedgerStatus, SourceRef
from severa_netvisor.transfers.hours import HoursRun, work_day

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
    """The run's ledger: what was sent for which ``system/type/id`` (target keys)."""

    def __init__(self, sent: dict[str, str] | None = None):
        self.sent = sent or {}
        self.asked: list[str] = []

    def _entry(self, ref: SourceRef) -> LedgerEntry:
        return LedgerEntry(ref, LedgerStatus.DONE, 1, self.sent[f"{ref.type}/{ref.id}"])

    def get(self, refs: Iterable[SourceRef]) -> dict[SourceRef, LedgerEntry]:
        wanted = list(refs)
        self.asked.extend(ref.id for ref in wanted)
        return {r: self._entry(r) for r in wanted if f"{r.type}/{r.id}" in self.sent}

    def entries_of(self, system: str, record_type: str, *, from_id: str = "") -> list[LedgerEntry]:
        return [
            self._entry(SourceRef(system, record_type, key.split("/", 1)[1]))
            for key in self.sent
            if key.startswith(f"{record_type}/") and key.split("/", 1)[1] >= from_id
        ]


class Clients:
    def __init__(self, severa: RecordingSevera, hours: MappingConfig):
        self.severa = severa
        self.netvisor: Any = None
        self.mapping = hours


def transfer(config: MappingConfig, severa: RecordingSevera, ledger: Ledger | None = None) -> HoursRun:
    run = RunContext("run-1", "hours", False, False, ledger=ledger or Ledger(), now=lambda: NOW)  # type: ignore[arg-type]
    return HoursRun(run, Clients(severa, config))  # type: ignore[arg-type]


def records(run: HoursRun, since: Cursor | None) -> list[SourceRecord]:
    return [record for page in run.fetch_pages(since, full_resync=False) for record in page]


def test_nothing_changed_and_nothing_sent_costs_one_severa_call() -> None:
    severa = RecordingSevera([], [])
    assert records(transfer(mapping(), severa), Cursor(NOW - timedelta(hours=1))) == []
    assert severa.calls == [f"changed_since {(NOW - timedelta(hours=1)).isoformat()}"]


def test_changed_entries_bring_their_whole_day_and_nothing_else() -> None:
    d1, d2 = date(2026, 11, 16), date(2026, 11, 18)
    edited = entry("e1", "u1", d1, "6")
    same_day = entry("e2", "u1", d1, "1.5")
    other_day = entry("e3", "u1", date(2026, 11, 17), "8")  # in the by-date span but not changed
    severa = RecordingSevera([edited, entry("e4", "u1", d2, "2", approved=False)], [same_day, other_day])
    moved = transfer(mapping(), severa)

    *found, end = records(moved, None)

    # A first run looks back over the open payroll period (45 days); a day either side of the days
    # asked for, whatever midnight Severa keeps the dates at.
    assert severa.calls == [
        f"changed_since {datetime(2026, 10, 6, tzinfo=UTC).isoformat()}",
        "by_date 2026-11-15..2026-11-19",
        "users",
        "work_types",
        "case case",
    ]
    assert [r.ref.id for r in found] == ["2026-11-16/u1", "2026-11-18/u1"]
    # Hour entries give no change time: the days sit at the window's start, a watermark at the read.
    assert all(r.changed_at < NOW for r in found)
    assert end.is_watermark
    assert end.changed_at == NOW
    first: EmployeeDay = found[0].data
    assert sorted(e.guid for e in first.entries) == ["e1", "e2"]
    planned = moved.prepare(found[0])
    assert not isinstance(planned, Skip)
    assert planned.summary["hours"] == "7.50"
    assert planned.summary["employee"] == "1001"
    skipped = moved.prepare(found[1])
    assert isinstance(skipped, Skip)
    assert "no approved hour entries" in skipped.reason


def test_switched_off_reads_nothing() -> None:
    severa = RecordingSevera([], [])
    assert records(transfer(mapping(enabled=False), severa), None) == []
    assert severa.calls == []


def test_the_work_day_is_the_finnish_calendar_day() -> None:
    utc_midnight = entry("e1", "u1", date(2026, 11, 16), "1")
    assert work_day(utc_midnight) == date(2026, 11, 16)
    finnish_midnight = utc_midnight.model_copy(update={"event_date": datetime(2026, 11, 15, 22, 0, tzinfo=UTC)})
    assert work_day(finnish_midnight) == date(2026, 11, 16)


def test_a_day_whose_approval_was_withdrawn_is_cleared_in_payroll() -> None:
    day = date(2026, 11, 18)
    withdrawn = entry("e1", "u1", day, "8", approved=False)
    severa = RecordingSevera([withdrawn], [withdrawn])
    ledger = Ledger({"workday/2026-11-18/u1": "1001/2026-11-18/11,100"})
    moved = transfer(mapping(), severa, ledger)

    (record, _) = records(moved, Cursor(NOW - timedelta(hours=1)))

    assert "2026-11-18/u1" in ledger.asked
    planned = moved.prepare(record)
    assert not isinstance(planned, Skip)
    assert [(h.collector_ratio, h.hours) for h in planned.payload.workday.hours] == [
        ("11", Decimal("0.00")),
        ("100", Decimal("0.00")),
    ]


def test_a_day_an_entry_left_and_a_day_whose_entries_were_deleted_are_both_sent_again() -> None:
    """Severa cannot list deleted hour entries: days sent before in the open period are read again and
    compared; an entry moved to another day brings the day it left."""
    moved_from, deleted_day, moved_to = date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 12)
    moved_entry = entry("e-moved", "u1", moved_to, "3")
    severa = RecordingSevera([moved_entry], [moved_entry])
    ledger = Ledger(
        {
            "hourentry/e-moved": "2026-11-10/u1",  # sent earlier on the 10th
            "workday/2026-11-10/u1": "1001/2026-11-10/11",
            "workday/2026-11-11/u1": "1001/2026-11-11/11",  # its only entry was deleted since
            "workday/2026-09-01/u1": "1001/2026-09-01/11",  # before the open period: left alone
        }
    )
    found = {r.ref.id: r for r in records(transfer(mapping(), severa, ledger), Cursor(NOW - timedelta(hours=1)))}
    assert set(found) == {"2026-11-10/u1", "2026-11-11/u1", "2026-11-12/u1", "!"}
    run = transfer(mapping(), severa, ledger)
    for day in (moved_from, deleted_day):
        planned = run.prepare(found[f"{day.isoformat()}/u1"])
        assert not isinstance(planned, Skip)
        assert [(h.collector_ratio, h.hours) for h in planned.payload.workday.hours] == [("11", Decimal("0.00"))]
    arrived = run.prepare(found[f"{moved_to.isoformat()}/u1"])
    assert not isinstance(arrived, Skip)
    assert arrived.summary["hours"] == "3.00"
