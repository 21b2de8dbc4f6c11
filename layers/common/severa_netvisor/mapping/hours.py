"""Severa hour entries of one employee and day -> one Netvisor workday.nv import. Pure: no I/O.

A day is sent whole with ``method="replace"``, so a corrected day replaces what was sent before
instead of adding to it. Rows are one per record type (``collectorratio``), with the project as a
dimension when the row has one project; hours are summed per row and rounded to two decimals as
Netvisor does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from severa_netvisor.errors import IntegrationError
from severa_netvisor.mapping.config import DimensionMapping, HoursMapping
from severa_netvisor.mapping.dimensions import project_item_text
from severa_netvisor.netvisor.models import DimensionRef, WorkdayHour, WorkdayInput
from severa_netvisor.timezone import finnish_date

CENT = Decimal("0.01")
#: No employee works more than a day's hours in a day; more means doubled or misdated entries.
MAX_HOURS_PER_DAY = Decimal(24)
DESCRIPTION_LIMIT = 255
#: The description of a zero row that takes back hours sent before.
REMOVED = "(removed)"


class HoursMappingError(IntegrationError):
    """A day cannot be mapped: the message names the day, the field and the fix."""

    system = "mapping"
    retryable = False


@dataclass(frozen=True)
class HourLine:
    """One Severa hour entry, as far as payroll cares."""

    guid: str
    quantity: Decimal
    approved: bool | None
    work_type_guid: str = ""
    overtime_guid: str = ""
    case_guid: str = ""
    description: str = ""


@dataclass(frozen=True)
class UserInfo:
    guid: str
    code: str = ""
    email: str = ""
    name: str = ""

    def describe(self) -> str:
        """The user as people know them: "Väinö Hämäläinen (Severa user U006)"; the GUID only when
        Severa gives nothing else."""
        handle = self.code or self.email or self.guid or "(unknown)"
        return f"{self.name} (Severa user {handle})" if self.name else f"Severa user {handle}"


@dataclass(frozen=True)
class WorkTypeInfo:
    guid: str
    code: str = ""
    name: str = ""


@dataclass(frozen=True)
class ProjectInfo:
    guid: str
    number: str = ""
    name: str = ""


@dataclass(frozen=True)
class EmployeeDay:
    """Every Severa hour entry of one user on one day (approved or not): the unit sent to Netvisor."""

    user: UserInfo
    day: date
    entries: tuple[HourLine, ...]
    #: Record types sent to Netvisor for this day before (from the ledger), when none is eligible now:
    #: they are then replaced by zero (approval withdrawn after transfer).
    sent_ratios: tuple[str, ...] = ()

    @property
    def record_id(self) -> str:
        return f"{self.user.guid}/{self.day.isoformat()}"

    def describe(self) -> str:
        return f"hours of {self.user.describe()} on {finnish_date(self.day)}"


def _hours(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def employee_number(user: UserInfo, hours: HoursMapping) -> str:
    """The Netvisor employee number of a Severa user, by GUID, code or e-mail (in that order)."""
    for key in (user.guid, user.code):
        if key and key in hours.employees:
            return hours.employees[key]
    if user.email:
        wanted = user.email.strip().casefold()
        for key, number in hours.employees.items():
            if key.strip().casefold() == wanted:
                return number
    keys = ", ".join(k for k in (user.code, user.email, user.guid) if k)
    raise HoursMappingError(
        f"{user.describe()}: no Netvisor employee number. Add the user under hours.employees in the mapping "
        f"(by any of {keys}), then replay the day."
    )


def record_type(line: HourLine, work_type: WorkTypeInfo | None, hours: HoursMapping) -> int:
    """Overtime class (by GUID) first, then the work type (GUID, code or name), then the default.

    Severa hour entries name their overtime class only by GUID (``OverTimeGUID``), so overtime keys in
    the mapping must be GUIDs.
    """
    types = hours.record_types
    if line.overtime_guid:
        if line.overtime_guid in types.overtime:
            return types.overtime[line.overtime_guid]
        # Never paid as ordinary hours by default: that would underpay the overtime without a trace.
        raise HoursMappingError(
            f"hour entry {line.guid}: overtime class {line.overtime_guid} has no Netvisor record type: add its "
            "GUID under hours.record_types.overtime in the mapping, then replay the day."
        )
    keys = [line.work_type_guid] + ([work_type.code, work_type.name] if work_type else [])
    for key in keys:
        if key and key in types.work_types:
            return types.work_types[key]
    if types.default is not None:
        return types.default
    label = work_type.name or work_type.code if work_type else line.work_type_guid or "(none)"
    extra = f", overtime class {line.overtime_guid}" if line.overtime_guid else ""
    raise HoursMappingError(
        f"hour entry {line.guid}: work type '{label}'{extra} has no Netvisor record type: add it under "
        "hours.record_types.work_types (or set hours.record_types.default) in the mapping."
    )


@dataclass(frozen=True)
class WorkdayPlan:
    workday: WorkdayInput
    employee: str

    @property
    def ratios(self) -> tuple[str, ...]:
        return tuple(sorted({h.collector_ratio for h in self.workday.hours}, key=_ratio_order))

    @property
    def total(self) -> Decimal:
        return sum((h.hours for h in self.workday.hours), Decimal(0))

    def figures(self) -> str:
        """The day's figures, for people: ``record type 11: 7,50 h (1001 Website); ...``."""
        rows = []
        for h in self.workday.hours:
            where = ", ".join(f"{d.name} {d.item}" for d in h.dimensions)
            rows.append(f"record type {h.collector_ratio}: {h.hours:f} h" + (f" ({where})" if where else ""))
        return "; ".join(rows) or "no hours"


def _description(texts: Sequence[str], work_types: Sequence[WorkTypeInfo | None], hours: HoursMapping) -> str:
    """The row's description, which workday.nv requires on every row (77000554280, "Occurs 1"):
    the entries' own texts, else their work types' names, else the mapping's default."""
    names = list(dict.fromkeys(w.name or w.code for w in work_types if w is not None and (w.name or w.code)))
    text = "; ".join(texts) or ", ".join(names) or hours.default_description
    return text[:DESCRIPTION_LIMIT]


def _ratio_order(ratio: str) -> tuple[int, str]:
    return (int(ratio), ratio) if ratio.isdigit() else (0, ratio)


def eligible(entries: Sequence[HourLine], hours: HoursMapping) -> list[HourLine]:
    """Entries that go to payroll: only approved ones when approval is in use."""
    return [e for e in entries if e.approved is True or not hours.approval_required]


def build_workday(
    day: EmployeeDay,
    *,
    hours: HoursMapping,
    dimensions: DimensionMapping,
    work_types: Mapping[str, WorkTypeInfo],
    projects: Mapping[str, ProjectInfo],
) -> WorkdayPlan | None:
    """The workday import for one employee-day, or None when nothing of the day goes to payroll.

    A day sent before whose entries are no longer eligible (approval withdrawn) becomes zero rows for
    the record types sent before, so payroll no longer holds them.
    """
    lines = eligible(day.entries, hours)
    if not lines and not day.sent_ratios:
        return None
    employee = employee_number(day.user, hours)
    if not lines:
        return _plan(day, employee, hours, _zero_rows(day.sent_ratios, hours))
    rows = _rows_by_record_type(lines, hours=hours, dimensions=dimensions, work_types=work_types, projects=projects)
    workday_hours = tuple(
        _workday_hour(day, ratio, members, hours=hours, dimensions=dimensions, work_types=work_types)
        for ratio, members in sorted(rows.items())
    )
    plan = _plan(day, employee, hours, workday_hours)
    if plan.total > MAX_HOURS_PER_DAY:
        raise HoursMappingError(
            f"{day.describe()}: {plan.total:f} h in one day ({plan.figures()}) is more than {MAX_HOURS_PER_DAY} h; "
            "entries are doubled or on the wrong date. Correct them in Severa."
        )
    return plan


def _plan(day: EmployeeDay, employee: str, hours: HoursMapping, rows: tuple[WorkdayHour, ...]) -> WorkdayPlan:
    workday = WorkdayInput(
        date=day.day,
        employee_identifier=employee,
        employee_identifier_type=hours.employee_identifier_type,
        method="replace",
        hours=rows,
    )
    return WorkdayPlan(workday, employee)


def _zero_rows(sent_ratios: Sequence[str], hours: HoursMapping) -> tuple[WorkdayHour, ...]:
    """Zero rows that take back every record type sent before."""
    return tuple(
        WorkdayHour(
            hours=Decimal("0.00"), collector_ratio=ratio, acceptance_status=hours.acceptance_status, description=REMOVED
        )
        for ratio in sorted(set(sent_ratios), key=_ratio_order)
    )


def _rows_by_record_type(
    lines: Sequence[HourLine],
    *,
    hours: HoursMapping,
    dimensions: DimensionMapping,
    work_types: Mapping[str, WorkTypeInfo],
    projects: Mapping[str, ProjectInfo],
) -> dict[int, list[tuple[HourLine, str]]]:
    """The entries per record type, each with its project's dimension item text.

    One row per record type: ``replace`` works per employee, day and record type, so two rows of one
    record type in one import could replace each other. Hours must never be lost; the project split of
    a row with several projects goes into its description instead of a dimension.
    """
    rows: dict[int, list[tuple[HourLine, str]]] = defaultdict(list)
    for line in lines:
        ratio = record_type(line, work_types.get(line.work_type_guid), hours)
        project = projects.get(line.case_guid) if line.case_guid else None
        # The same text the dimensions transfer gives the project's item: workday.nv creates an item it
        # does not know, so any difference would make a second item for the same project.
        item = (
            project_item_text(dimensions, number=project.number, name=project.name, guid=project.guid)
            if project and dimensions.project
            else ""
        )
        rows[ratio].append((line, item))
    return rows


def _workday_hour(
    day: EmployeeDay,
    ratio: int,
    members: Sequence[tuple[HourLine, str]],
    *,
    hours: HoursMapping,
    dimensions: DimensionMapping,
    work_types: Mapping[str, WorkTypeInfo],
) -> WorkdayHour:
    """One record type's row: its total, its project (or the split by project in the text), its text."""
    total = _hours(sum((m.quantity for m, _ in members), Decimal(0)))
    if total < 0:
        raise HoursMappingError(
            f"{day.describe()}: record type {ratio} sums to {total:f} h (entries "
            f"{', '.join(m.guid for m, _ in members)}); negative hours cannot go to payroll. Correct the "
            "entries in Severa."
        )
    items = list(dict.fromkeys(item for _, item in members))
    texts = list(dict.fromkeys(m.description.strip() for m, _ in members if m.description.strip()))
    refs: tuple[DimensionRef, ...] = ()
    if len(items) == 1 and items[0] and dimensions.project:
        refs = (DimensionRef(name=dimensions.project, item=items[0]),)
    elif len(items) > 1:
        split = [
            f"{item or '(no project)'} {_hours(sum((m.quantity for m, i in members if i == item), Decimal(0)))} h"
            for item in items
        ]
        texts = ["; ".join(split), *texts]
    return WorkdayHour(
        hours=total,
        collector_ratio=str(ratio),
        acceptance_status=hours.acceptance_status,
        description=_description(texts, [work_types.get(m.work_type_guid) for m, _ in members], hours),
        dimensions=refs,
    )


def with_cleared_ratios(plan: WorkdayPlan, previously_sent: Sequence[str]) -> WorkdayInput:
    """The import plus a zero row for each record type sent before and absent now.

    ``replace`` replaces a record type's hours on the day; a record type no longer used would keep its
    old hours unless it is replaced by zero.
    """
    gone = [r for r in previously_sent if r and r not in plan.ratios]
    if not gone:
        return plan.workday
    status = plan.workday.hours[0].acceptance_status if plan.workday.hours else "confirmed"
    zeros = tuple(
        WorkdayHour(hours=Decimal("0.00"), collector_ratio=r, acceptance_status=status, description=REMOVED)
        for r in gone
    )
    return plan.workday.model_copy(update={"hours": plan.workday.hours + zeros})


def target_key(plan: WorkdayPlan) -> str:
    """What the ledger keeps for a sent day: employee, date and the record types sent."""
    return f"{plan.employee}/{plan.workday.date.isoformat()}/{','.join(plan.ratios)}"


def ratios_of_key(key: str | None) -> list[str]:
    if not key or key.count("/") < 2:
        return []
    return [r for r in key.rsplit("/", 1)[1].split(",") if r]
