"""Severa hour entries of one employee-day -> one workday.nv import (pure functions of mapping/hours.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from severa_netvisor.cli.present import failed_record_line
from severa_netvisor.mapping.config import DimensionMapping, HoursMapping, RecordTypeMapping
from severa_netvisor.mapping.hours import (
    EmployeeDay,
    HourLine,
    HoursMappingError,
    ProjectInfo,
    UserInfo,
    WorkdayPlan,
    WorkTypeInfo,
    build_workday,
    employee_number,
    ratios_of_key,
    record_type,
    target_key,
    with_cleared_ratios,
)

DAY = date(2026, 11, 16)
HOURS = HoursMapping(
    enabled=True,
    employees={"U001": "1001", "maija.m@example.fi": "1002", "guid-3": "1003"},
    record_types=RecordTypeMapping(default=11, work_types={"SUUN": 12, "Testaus": 14}, overtime={"ot-50": 100}),
)
DIMENSIONS = DimensionMapping(project="Projekti", project_item="number_and_name")
WORK_TYPES = {"wt-kons": WorkTypeInfo("wt-kons", "KONS", "Konsultointi"), "wt-suun": WorkTypeInfo("wt-suun", "SUUN")}
PROJECTS = {"case-1": ProjectInfo("case-1", "1001", "Verkkokauppa"), "case-2": ProjectInfo("case-2", "1002", "ERP")}
USER = UserInfo("guid-1", "U001", "matti@example.fi", "Matti Meikäläinen")


def line(quantity: str, **fields: Any) -> HourLine:
    base = HourLine(guid=f"e-{quantity}", quantity=Decimal(quantity), approved=True, work_type_guid="wt-kons")
    return replace(base, **fields)


def build(
    *entries: HourLine, hours: HoursMapping = HOURS, dimensions: DimensionMapping = DIMENSIONS
) -> WorkdayPlan | None:
    day = EmployeeDay(USER, DAY, tuple(entries))
    return build_workday(day, hours=hours, dimensions=dimensions, work_types=WORK_TYPES, projects=PROJECTS)


def test_employee_found_by_guid_code_or_email_in_any_case() -> None:
    assert employee_number(USER, HOURS) == "1001"
    assert employee_number(UserInfo("guid-2", "", "Maija.M@Example.fi"), HOURS) == "1002"
    assert employee_number(UserInfo("guid-3"), HOURS) == "1003"


def test_unmapped_user_is_named_with_the_fix() -> None:
    with pytest.raises(HoursMappingError) as raised:
        employee_number(UserInfo("guid-9", "U009", "liisa@example.fi", "Liisa"), HOURS)
    message = raised.value.message
    assert "U009" in message
    assert "liisa@example.fi" in message
    assert "guid-9" in message
    assert "hours.employees" in message


def test_a_day_is_named_by_the_users_name_and_code_and_a_finnish_date_and_said_once() -> None:
    liisa = UserInfo("guid-9", "U009", "liisa@example.fi", "Liisa Laine")
    day = EmployeeDay(liisa, date(2026, 10, 20), ())
    assert day.describe() == "hours of Liisa Laine (Severa user U009) on 20.10.2026"
    assert UserInfo("guid-3").describe() == "Severa user guid-3"  # the GUID only when nothing else is known
    with pytest.raises(HoursMappingError) as raised:
        employee_number(liisa, HOURS)
    line = failed_record_line({"label": day.describe(), "message": raised.value.message})
    assert line.startswith("hours of Liisa Laine (Severa user U009) on 20.10.2026: no Netvisor employee number. ")
    assert line.count("Liisa Laine") == 1


def test_record_type_overtime_first_then_work_type_then_default() -> None:
    assert record_type(line("1", overtime_guid="ot-50"), WORK_TYPES["wt-suun"], HOURS) == 100
    assert record_type(line("1", work_type_guid="wt-suun"), WORK_TYPES["wt-suun"], HOURS) == 12
    assert record_type(line("1", work_type_guid="wt-x"), WorkTypeInfo("wt-x", "", "Testaus"), HOURS) == 14
    assert record_type(line("1"), WORK_TYPES["wt-kons"], HOURS) == 11


def test_unmapped_overtime_is_never_paid_as_ordinary_hours() -> None:
    with pytest.raises(HoursMappingError) as raised:
        record_type(line("1", guid="e-9", overtime_guid="ot-100"), WORK_TYPES["wt-kons"], HOURS)
    assert "overtime class ot-100" in raised.value.message
    assert "hours.record_types.overtime" in raised.value.message


def test_unmapped_work_type_without_default_is_named() -> None:
    strict = HOURS.model_copy(update={"record_types": RecordTypeMapping(work_types={"SUUN": 12})})
    with pytest.raises(HoursMappingError) as raised:
        record_type(line("1"), WORK_TYPES["wt-kons"], strict)
    assert "Konsultointi" in raised.value.message
    assert "hours.record_types" in raised.value.message


def test_one_row_per_record_type_rounded_to_cents_with_its_project() -> None:
    plan = build(
        line("4.25", guid="a", case_guid="case-1", description="Määrittely"),
        line("3.333", guid="b", case_guid="case-1", description="Määrittely"),
        line("1", guid="c", case_guid="case-2", description="Palaveri"),
        line("2", guid="d", case_guid="case-1", overtime_guid="ot-50"),
        line("5", guid="e", approved=False),
        line("5", guid="f", approved=None),
    )
    assert plan is not None
    workday = plan.workday
    assert workday.method == "replace"
    assert workday.employee_identifier == "1001"
    rows = [(h.collector_ratio, h.hours, [d.item for d in h.dimensions], h.description) for h in workday.hours]
    assert rows == [
        ("11", Decimal("8.58"), [], "1001 Verkkokauppa 7.58 h; 1002 ERP 1.00 h; Määrittely; Palaveri"),
        # workday.nv requires a description on every row: an entry without text gets its work type's name.
        ("100", Decimal("2.00"), ["1001 Verkkokauppa"], "Konsultointi"),
    ]
    assert {h.acceptance_status for h in workday.hours} == {"confirmed"}
    assert plan.figures() == "record type 11: 8.58 h; record type 100: 2.00 h (Projekti 1001 Verkkokauppa)"


def test_every_row_has_a_description_and_an_acceptance_status() -> None:
    unknown_work_type = line("3", guid="g", work_type_guid="wt-gone")
    plan = build(unknown_work_type, hours=HOURS.model_copy(update={"default_description": "Työaika Severasta"}))
    assert plan is not None
    [row] = plan.workday.hours
    assert (row.description, row.acceptance_status) == ("Työaika Severasta", "confirmed")
    accepted = build(line("1", guid="h"), hours=HOURS.model_copy(update={"acceptance_status": "accepted"}))
    assert accepted is not None
    assert accepted.workday.hours[0].acceptance_status == "accepted"


def test_without_approval_every_entry_counts_and_without_projects_no_dimension() -> None:
    relaxed = HOURS.model_copy(update={"approval_required": False})
    plan = build(line("1", approved=False), line("2", approved=None, case_guid="case-1"), hours=relaxed,
                 dimensions=DimensionMapping(project=None))  # fmt: skip
    assert plan is not None
    (row,) = plan.workday.hours
    assert row.hours == Decimal("3.00")
    assert row.dimensions == ()


def test_nothing_approved_means_nothing_to_send() -> None:
    assert build(line("1", approved=False), line("2", approved=None)) is None


def test_impossible_days_are_refused_with_their_figures() -> None:
    with pytest.raises(HoursMappingError, match=r"25.00 h in one day"):
        build(line("20", guid="a"), line("5", guid="b"))
    with pytest.raises(HoursMappingError, match="negative hours"):
        build(line("-2"))


def test_long_descriptions_are_cut_to_netvisors_length() -> None:
    plan = build(line("1", guid="a", description="x" * 200), line("1", guid="b", description="y" * 200))
    assert plan is not None
    assert len(plan.workday.hours[0].description or "") == 255


def test_record_types_sent_before_and_gone_now_are_cleared_with_zero() -> None:
    plan = build(line("6", guid="a"))
    assert plan is not None
    key = target_key(plan)
    assert key == "1001/2026-11-16/11"
    assert ratios_of_key("1001/2026-11-16/11,100") == ["11", "100"]
    assert ratios_of_key(None) == []
    cleared = with_cleared_ratios(plan, ratios_of_key("1001/2026-11-16/11,100"))
    assert [(h.collector_ratio, h.hours) for h in cleared.hours] == [("11", Decimal("6.00")), ("100", Decimal("0.00"))]
    assert with_cleared_ratios(plan, ["11"]) == plan.workday
