"""The hours transfer: approved Severa hour entries -> Netvisor payroll (workday.nv), per employee-day.

- Fetch: the hour entries changed since the cursor (``GetHourEntriesChangedSince``) name the
  employee-days to (re)send; one ``GetHourEntriesByDate`` over their date span gives each such day
  whole. Users, work types and projects are read once per run, only when a day needs them. A run
  with nothing changed makes one Severa call.
- One record per employee-day (``severa/workday/<user GUID>/<date>``); its content hash covers the
  day's figures, so an entry edited after transfer re-sends its day (``replace``), and an unchanged
  day read again is skipped by the ledger.
- Severa hour entries carry no change time, so every record of a run is positioned at the time the
  run read Severa: the cursor then moves to that time once every day is settled.
- A day sent before whose entries are no longer approved is sent as zero hours for the record types
  sent before (read from the ledger), so payroll does not keep hours Severa withdrew.
- A day Netvisor refuses (already acknowledged or approved in payroll) is a failure carrying
  Netvisor's text and the day's figures.
- ``hours.enabled`` false (the default: importing hours switches on paid payroll in Netvisor): the
  run reads nothing, sends nothing, and logs why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from severa_netvisor.engine import PlannedWrite, Skip, SourceRecord, TransferBase, stops_run
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.hours import (
    EmployeeDay,
    HourLine,
    ProjectInfo,
    UserInfo,
    WorkdayPlan,
    WorkTypeInfo,
    build_workday,
    eligible,
    ratios_of_key,
    target_key,
    with_cleared_ratios,
)
from severa_netvisor.netvisor import xmlbuild
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.netvisor.errors import NetvisorError
from severa_netvisor.observability import logger
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.severa.models import HourEntry
from severa_netvisor.state import Cursor, LedgerEntry, LedgerStatus, SourceRef, StateStore
from severa_netvisor.transfers.context import TransferContext

TRANSFER_NAME = "hours"
#: Without a cursor or ``since``, a first run looks this far back (payroll periods are monthly).
FIRST_RUN_LOOKBACK = timedelta(days=31)
#: "Everything": Severa's changed-since reads need a start.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: UserGetOptions.IncludeInactive: a user who left still has hours to pay.
INCLUDE_INACTIVE = 2
PAGE_SIZE = 100


class Ledger(Protocol):
    """The engine's ledger, read for what was sent for a day before (``StateStore``)."""

    def get_ledger(self, refs: Iterable[SourceRef]) -> Mapping[SourceRef, LedgerEntry]: ...


class Clients(Protocol):
    @property
    def severa(self) -> SeveraClient: ...

    @property
    def netvisor(self) -> NetvisorClient: ...


#: What a run says when the mapping switches hours off.
DISABLED_MESSAGE = (
    "hours.enabled is false in the mapping: no hours were read or sent (importing hours switches on paid "
    "payroll in Netvisor; set hours.enabled in the mapping and enable the schedule to use it)"
)


class WorkdayRefused(NetvisorError):
    """Netvisor refused a day (typically: already acknowledged or approved in payroll)."""

    code = "WORKDAY_REFUSED"
    action = (
        "If the day is approved in Netvisor payroll, enter the correction there by hand (or reopen the day "
        "and replay the record); otherwise fix what Netvisor's message names and replay it."
    )


def _finnish_time() -> tzinfo:
    try:
        return ZoneInfo("Europe/Helsinki")
    except ZoneInfoNotFoundError:  # a runtime without tz data: UTC is the honest fallback
        return UTC


FINNISH_TIME = _finnish_time()


def work_day(entry: HourEntry) -> date:
    """The calendar day of an entry in Finnish time: right whether Severa sends the date as UTC midnight
    (the model reads a time without offset as UTC) or as Finnish midnight with its offset."""
    return entry.event_date.astimezone(FINNISH_TIME).date()


def _line(entry: HourEntry) -> HourLine:
    return HourLine(
        guid=entry.guid or "",
        quantity=entry.quantity,
        approved=entry.is_approved,
        work_type_guid=entry.work_type_guid or "",
        overtime_guid=entry.over_time_guid or "",
        case_guid=entry.case_guid or "",
        description=(entry.description or "").strip(),
    )


class HoursTransfer(TransferBase[WorkdayPlan]):
    name = TRANSFER_NAME
    #: A corrected day is re-sent with ``replace`` semantics.
    allows_update = True
    matches_existing = False
    writes_back = False

    def __init__(self, *, mapping: MappingConfig, clients: Clients, state: Ledger, clock: Any = None):
        self.mapping = mapping
        self.clients = clients
        self.state = state
        self._now = clock or (lambda: datetime.now(UTC))
        self._work_types: dict[str, WorkTypeInfo] | None = None
        self._projects: dict[str, ProjectInfo] = {}

    # -- fetch ------------------------------------------------------------------------------------
    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        if not self.mapping.hours.enabled:
            # Not an error: off is the default. The run ends empty (no alarm) and the log says why.
            logger.warning(DISABLED_MESSAGE)
            return
        # Per run: a warm Lambda keeps this object, and work types and projects change between runs.
        self._work_types, self._projects = None, {}
        severa = self.clients.severa
        read_at: datetime = self._now()
        start = since.changed_at if since is not None else read_at - FIRST_RUN_LOOKBACK
        changed = [e for e in severa.hour_entries_changed_since(start) if e.user_guid and e.guid]
        if not changed:
            logger.info("no hour entries changed", extra={"since": start.isoformat()})
            return
        wanted = {(e.user_guid or "", work_day(e)) for e in changed}
        first, last = min(day for _, day in wanted), max(day for _, day in wanted)
        by_guid: dict[str, HourEntry] = {}
        for entry in severa.hour_entries_by_date(_midnight(first), _midnight(last)):
            if entry.guid and (entry.user_guid or "", work_day(entry)) in wanted:
                by_guid[entry.guid] = entry
        for entry in changed:  # what the changed read said wins (and covers a by-date read that missed it)
            by_guid[entry.guid or ""] = entry
        grouped: dict[tuple[str, date], list[HourEntry]] = defaultdict(list)
        for entry in by_guid.values():
            grouped[(entry.user_guid or "", work_day(entry))].append(entry)
        users = self._users(severa)
        days = []
        for (user_guid, day), entries in grouped.items():
            user = users.get(user_guid, UserInfo(user_guid))
            lines = tuple(sorted((_line(e) for e in entries), key=lambda line: line.guid))
            days.append(EmployeeDay(user, day, lines))
        days = self._with_sent_ratios(days)
        self._load_lookups(severa, days)
        records = sorted(
            (SourceRecord(_ref(d), read_at, d) for d in days),
            key=lambda r: r.ref.id,
        )
        logger.info("hour entries read", extra={"changed": len(changed), "days": len(records)})
        for offset in range(0, len(records), PAGE_SIZE):
            yield records[offset : offset + PAGE_SIZE]

    def _with_sent_ratios(self, days: list[EmployeeDay]) -> list[EmployeeDay]:
        """Days with nothing eligible now learn from the ledger what was sent for them before."""
        empty = {_ref(d): d for d in days if not eligible(d.entries, self.mapping.hours)}
        if not empty:
            return days
        sent = {
            ref: ratios_of_key(entry.target_key)
            for ref, entry in self.state.get_ledger(empty).items()
            if entry.status is LedgerStatus.DONE
        }
        return [replace(d, sent_ratios=tuple(sent.get(_ref(d), ()))) if _ref(d) in empty else d for d in days]

    def _users(self, severa: SeveraClient) -> dict[str, UserInfo]:
        users = {}
        for user in severa.users_changed_since(EPOCH, options=INCLUDE_INACTIVE):
            if user.guid:
                name = " ".join(p for p in (user.first_name, user.last_name) if p)
                users[user.guid] = UserInfo(user.guid, user.code or "", user.email or "", name)
        return users

    def _load_lookups(self, severa: SeveraClient, days: Sequence[EmployeeDay]) -> None:
        lines = [line for day in days for line in eligible(day.entries, self.mapping.hours)]
        if not lines:
            return
        if self._work_types is None:
            self._work_types = {
                w.guid: WorkTypeInfo(w.guid, w.code or "", w.name or "") for w in severa.all_work_types() if w.guid
            }
        if self.mapping.dimensions.project:
            for guid in sorted({line.case_guid for line in lines if line.case_guid} - set(self._projects)):
                case = severa.case(guid)
                if case is not None:
                    number = str(case.case_number) if case.case_number is not None else ""
                    self._projects[guid] = ProjectInfo(guid, number, case.name or "")

    # -- map --------------------------------------------------------------------------------------
    def prepare(self, record: SourceRecord) -> PlannedWrite[WorkdayPlan] | Skip:
        day: EmployeeDay = record.data
        plan = build_workday(
            day,
            hours=self.mapping.hours,
            dimensions=self.mapping.dimensions,
            work_types=self._work_types or {},
            projects=self._projects,
        )
        if plan is None:
            waiting = len(day.entries)
            return Skip(f"no approved hour entries on this day ({waiting} waiting for approval)")
        summary = {
            "employee": plan.employee,
            "date": day.day.isoformat(),
            "hours": f"{plan.total:f}",
            "rows": plan.figures(),
        }
        preview = xmlbuild.build_workday(plan.workday).decode("utf-8")
        return PlannedWrite(record, plan, preview, summary=summary)

    # -- target (Netvisor) ------------------------------------------------------------------------
    def write(self, planned: PlannedWrite[WorkdayPlan], existing_key: str | None) -> str:
        plan = planned.payload
        workday = with_cleared_ratios(plan, ratios_of_key(existing_key))
        try:
            self.clients.netvisor.import_workday(workday)
        except NetvisorError as error:
            if stops_run(error) or error.retryable:
                raise
            day: EmployeeDay = planned.record.data
            raise WorkdayRefused(
                f"Netvisor refused the workday of employee {plan.employee} ({day.user.describe()}) on "
                f"{day.day.isoformat()}: {error.remote_text or error.message}. The day's figures: {plan.figures()}.",
                remote_text=error.remote_text,
                resource="workday.nv",
                http_status=error.http_status,
            ) from error
        return target_key(plan)


def _ref(day: EmployeeDay) -> SourceRef:
    return SourceRef("severa", "workday", day.record_id)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def build_transfer(settings: Settings) -> HoursTransfer:
    context = TransferContext.from_settings(settings)
    return HoursTransfer(mapping=context.mapping, clients=context, state=StateStore(settings.state_table_name))
