"""The hours transfer: approved Severa hour entries -> Netvisor payroll (workday.nv), per employee-day.

- One record per employee-day (``severa/workday/<date>/<user GUID>``); its content hash covers the
  day's figures, so a day whose entries changed is re-sent whole (workday.nv with ``replace``: sending
  the same day twice is harmless), and an unchanged day read again is skipped by the ledger.
- Which days: those of the hour entries changed since the cursor (``GetHourEntriesChangedSince``);
  the days those entries were on before, when they moved to another day or user (the ``hourentry``
  side ledger remembers each sent entry's day); and every day of the open payroll period
  (``hours.open_period_days``), re-read by date, together with every day sent before in that period
  (the ledger, by date). Severa's SOAP API cannot list deleted hour entries: a day that lost entries
  is found by comparing it with what was sent, and replaced (with zero hours when nothing is left).
- A day is read whole, whatever Severa's ``EventDate`` convention (UTC midnight or Finnish midnight):
  the by-date read spans a day either side, and entries are grouped by their Finnish calendar day,
  so a replace never sends a partial day.
- Hour entries carry no change time: every day of a read sits at the start of the window read, and a
  watermark at the time of the read ends it, so a run that stops early reads the window again.
- ``hours.enabled`` false (the default: importing hours switches on paid payroll in Netvisor): the
  run reads nothing, sends nothing, and logs why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from severa_netvisor.engine import PlannedWrite, RunBase, RunContext, Skip, SourceRecord, content_hash
from severa_netvisor.engine.contract import watermark, window
from severa_netvisor.errors import RecordError
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
from severa_netvisor.netvisor.errors import NetvisorError
from severa_netvisor.netvisor.xmlbuild import build_workday as build_workday_xml
from severa_netvisor.observability import logger
from severa_netvisor.severa.characters import refuse_forbidden_characters
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.severa.models import HourEntry
from severa_netvisor.state import Cursor, LedgerStatus, SourceRef
from severa_netvisor.timezone import office_date
from severa_netvisor.transfers.context import Clients, TransferContext

TRANSFER_NAME = "hours"
WORKDAY_TYPE = "workday"
#: Side ledger: a sent hour entry's GUID -> the day record it was sent in (to find days it left).
ENTRY_TYPE = "hourentry"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: UserGetOptions.IncludeInactive: a user who left still has hours to pay.
INCLUDE_INACTIVE = 2
PAGE_SIZE = 100
#: Above this many projects to look up, one read of every case costs fewer Severa calls.
BULK_CASE_READ = 5

#: What a run says when the mapping switches hours off.
DISABLED_MESSAGE = (
    "hours.enabled is false in the mapping: no hours were read or sent (importing hours switches on paid "
    "payroll in Netvisor; set hours.enabled in the mapping and enable the schedule to use it)"
)


class WorkdayRefused(RecordError):
    """Netvisor refused a day (typically: already acknowledged or approved in payroll)."""

    system = "netvisor"
    for_author = False
    action = (
        "If the day is approved in Netvisor payroll, enter the correction there by hand (or reopen the day "
        "and replay the record); otherwise fix what Netvisor's message names and replay it."
    )


def work_day(entry: HourEntry) -> date:
    """The calendar day of an entry in Finnish time: right whether Severa sends the date as UTC midnight
    (the model reads a time without offset as UTC) or as Finnish midnight with its offset."""
    return office_date(entry.event_date)


def day_ref(user_guid: str, day: date) -> SourceRef:
    return SourceRef("severa", WORKDAY_TYPE, f"{day.isoformat()}/{user_guid}")


def entry_ref(entry_guid: str) -> SourceRef:
    return SourceRef("severa", ENTRY_TYPE, entry_guid)


def parse_day_ref(ref: SourceRef) -> tuple[str, date]:
    day_text, user_guid = ref.id.split("/", 1)
    return user_guid, date.fromisoformat(day_text)


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


def _utc_day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class HoursTransfer:
    name = TRANSFER_NAME

    def __init__(self, context: TransferContext):
        self.context = context

    def start(self, run: RunContext) -> HoursRun:
        return HoursRun(run, self.context.for_run(run.planner))


class HoursRun(RunBase[WorkdayPlan]):
    #: A corrected day is re-sent with ``replace`` semantics.
    allows_update = True
    idempotent_writes = True

    def __init__(self, run: RunContext, clients: Clients):
        self.run = run
        self.clients = clients
        self.mapping = clients.mapping
        self._users: dict[str, UserInfo] | None = None
        self._work_types: dict[str, WorkTypeInfo] | None = None
        self._projects: dict[str, ProjectInfo] = {}

    # -- fetch ------------------------------------------------------------------------------------
    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        if not self.mapping.hours.enabled:
            # Not an error: off is the default. The run ends empty (no alarm) and the log says why.
            logger.warning(DISABLED_MESSAGE)
            return
        read_at = self.run.now()
        today = office_date(read_at)
        period_start = today - timedelta(days=self.mapping.hours.open_period_days)
        asked, placed = window(since, read_at, self.run.overlap, _utc_day_start(period_start))
        severa = self.clients.severa
        changed = [e for e in severa.hour_entries_changed_since(asked) if e.user_guid and e.guid]
        sent = self._days_sent_since(period_start)
        wanted = {(e.user_guid or "", work_day(e)) for e in changed} | self._days_left(changed)
        if not wanted and not sent:
            logger.info("no hour entries changed", extra={"since": asked.isoformat()})
            return
        # Days sent before in the open period are read again whole: entries deleted (or moved away)
        # in Severa since are found by what is missing.
        days = self._read_days(severa, wanted | sent, (period_start, today) if sent else None, changed)
        records = [self._record(d, placed) for d in self._with_sent_ratios(days)]
        logger.info("hour entries read", extra={"changed": len(changed), "days": len(records)})
        records.sort(key=lambda r: r.ref.id)
        records.append(watermark(TRANSFER_NAME, read_at))
        for offset in range(0, len(records), PAGE_SIZE):
            yield records[offset : offset + PAGE_SIZE]

    def fetch_one(self, ref: SourceRef) -> SourceRecord | None:
        user_guid, day = parse_day_ref(ref)
        days = self._read_days(self.clients.severa, {(user_guid, day)}, None)
        days = self._with_sent_ratios(days)
        return next((self._record(d, self.run.now()) for d in days if d.user.guid == user_guid), None)

    def _record(self, day: EmployeeDay, placed: datetime) -> SourceRecord:
        return SourceRecord(day_ref(day.user.guid, day.day), placed, day, label=day.describe())

    def _days_left(self, changed: Sequence[HourEntry]) -> set[tuple[str, date]]:
        """The days changed entries were sent in before (an entry moved to another day or user)."""
        if not changed:
            return set()
        found: set[tuple[str, date]] = set()
        for entry in self.run.ledger.get(entry_ref(e.guid or "") for e in changed).values():
            if entry.status is LedgerStatus.DONE and entry.target_key:
                found.add(parse_day_ref(SourceRef("severa", WORKDAY_TYPE, entry.target_key)))
        return found

    def _days_sent_since(self, start: date) -> set[tuple[str, date]]:
        """Every day sent before in the open payroll period: one that lost all its entries is re-sent."""
        return {
            parse_day_ref(entry.ref)
            for entry in self.run.ledger.entries_of("severa", WORKDAY_TYPE, from_id=start.isoformat())
            if entry.status is LedgerStatus.DONE
        }

    def _read_days(
        self,
        severa: SeveraClient,
        wanted: set[tuple[str, date]],
        period: tuple[date, date] | None,
        changed: Sequence[HourEntry] = (),
    ) -> list[EmployeeDay]:
        """Whole days: the wanted ones, and (when a period is given) every day of the period. What the
        changed read said of an entry wins over the by-date read (and covers one it missed)."""
        span = [d for _, d in wanted] + (list(period) if period else [])
        if not span:
            return []
        first, last = min(span), max(span)
        # A day either side: whatever midnight Severa keeps EventDate at, no entry of a day is missed.
        entries = severa.hour_entries_by_date(
            _utc_day_start(first - timedelta(days=1)), _utc_day_start(last + timedelta(days=1))
        )
        by_guid = {e.guid: e for e in entries if e.guid} | {e.guid: e for e in changed if e.guid}
        grouped: dict[tuple[str, date], list[HourEntry]] = defaultdict(list)
        for entry in by_guid.values():
            key = (entry.user_guid or "", work_day(entry))
            in_period = period is not None and period[0] <= key[1] <= period[1]
            if entry.user_guid and (key in wanted or in_period):
                grouped[key].append(entry)
        for key in wanted:
            grouped.setdefault(key, [])  # a day that lost every entry: replaced by zero hours
        users = self._user_infos(severa)
        days = [
            EmployeeDay(users.get(user, UserInfo(user)), day, tuple(sorted(map(_line, found), key=lambda x: x.guid)))
            for (user, day), found in grouped.items()
        ]
        self._load_lookups(severa, days)
        return days

    def _with_sent_ratios(self, days: list[EmployeeDay]) -> list[EmployeeDay]:
        """Days with nothing eligible now learn from the ledger what was sent for them before."""
        empty = {day_ref(d.user.guid, d.day): d for d in days if not eligible(d.entries, self.mapping.hours)}
        if not empty:
            return days
        sent = {
            ref: ratios_of_key(entry.target_key)
            for ref, entry in self.run.ledger.get(empty).items()
            if entry.status is LedgerStatus.DONE
        }
        return [
            replace(d, sent_ratios=tuple(sent.get(day_ref(d.user.guid, d.day), ())))
            if day_ref(d.user.guid, d.day) in empty
            else d
            for d in days
        ]

    def _user_infos(self, severa: SeveraClient) -> dict[str, UserInfo]:
        if self._users is None:
            self._users = {}
            for user in severa.users_changed_since(EPOCH, options=INCLUDE_INACTIVE):
                if user.guid:
                    name = " ".join(p for p in (user.first_name, user.last_name) if p)
                    self._users[user.guid] = UserInfo(user.guid, user.code or "", user.email or "", name)
        return self._users

    def _load_lookups(self, severa: SeveraClient, days: Iterable[EmployeeDay]) -> None:
        lines = [line for day in days for line in eligible(day.entries, self.mapping.hours)]
        if not lines:
            return
        if self._work_types is None:
            self._work_types = {
                w.guid: WorkTypeInfo(w.guid, w.code or "", w.name or "") for w in severa.all_work_types() if w.guid
            }
        if self.mapping.dimensions.project:
            missing = sorted({line.case_guid for line in lines if line.case_guid} - set(self._projects))
            # A few projects one by one; more in one read of every case (Severa's quota counts calls).
            cases = (
                [severa.case(guid) for guid in missing]
                if len(missing) <= BULK_CASE_READ
                else severa.cases_changed_since(EPOCH, options=INCLUDE_INACTIVE)
            )
            for case in cases:
                if case is not None and case.guid:
                    number = str(case.case_number) if case.case_number is not None else ""
                    self._projects[case.guid] = ProjectInfo(case.guid, number, case.name or "")

    # -- map --------------------------------------------------------------------------------------
    def prepare(self, record: SourceRecord) -> PlannedWrite[WorkdayPlan] | Skip:
        day: EmployeeDay = record.data
        for line in day.entries:
            refuse_forbidden_characters(line, f"{record.name}, hour entry {line.guid}")
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
            "entries": ",".join(line.guid for line in eligible(day.entries, self.mapping.hours)),
        }
        # The body depends on the record types sent before (cleared to zero), known at write time.
        return PlannedWrite(record, plan, summary, content_hash(plan.workday.model_dump_json()))

    # -- target (Netvisor) ------------------------------------------------------------------------
    def write(self, planned: PlannedWrite[WorkdayPlan], existing_key: str | None) -> str:
        plan = planned.payload
        workday = with_cleared_ratios(plan, ratios_of_key(existing_key))
        try:
            self.clients.netvisor.import_workday(workday, body=build_workday_xml(workday))
        except NetvisorError as error:
            if error.stops_run or error.retryable or error.transient or error.outcome_unknown:
                raise  # an outage, a blip or a lost answer: not a refusal (the day may well be in payroll)
            raise WorkdayRefused(
                f"Netvisor refused {planned.record.name} (employee {plan.employee}): "
                f"{error.remote_text or error.message}. "
                f"The day's figures: {plan.figures()}.",
                remote_text=error.remote_text,
            ) from error
        self._remember_days(planned.record)
        return target_key(plan)

    def _remember_days(self, record: SourceRecord) -> None:
        """Remember the day each sent entry is on: when an entry moves, its old day is sent again. (Kept
        beside the ledger right after the write: a crash before it only costs re-sending a day.)"""
        day: EmployeeDay = record.data
        for line in eligible(day.entries, self.mapping.hours):
            self.run.ledger.note(entry_ref(line.guid), target_key=record.ref.id, summary={}, open_=False)


def build_transfer(context: TransferContext) -> HoursTransfer:
    return HoursTransfer(context)
