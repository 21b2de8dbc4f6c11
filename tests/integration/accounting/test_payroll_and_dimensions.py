"""Payroll rows and dimension items through the Netvisor simulator: what workday.nv and customer.nv
require and create."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from severa_netvisor.mapping.config import DimensionMapping, HoursMapping, RecordTypeMapping
from severa_netvisor.mapping.hours import EmployeeDay, HourLine, UserInfo, WorkTypeInfo, build_workday
from severa_netvisor.netvisor import xmlbuild
from severa_netvisor.netvisor.errors import NetvisorInvalidDataError
from severa_netvisor.netvisor.models import CustomerInput, DimensionRef

from tests.integration.rig import World

HOURS = HoursMapping(enabled=True, employees={"U001": "1001"}, record_types=RecordTypeMapping(default=11))


def test_a_day_whose_entries_have_no_text_still_reaches_payroll_with_a_description(w: World) -> None:
    _, netvisor = w.clients()
    day = EmployeeDay(
        UserInfo("guid-1", "U001"),
        date(2026, 10, 5),
        (
            HourLine("e-1", Decimal("7.5"), approved=True, work_type_guid="wt-1"),
            HourLine("e-2", Decimal("1"), approved=True, work_type_guid="wt-unknown"),
        ),
    )
    plan = build_workday(
        day,
        hours=HOURS,
        dimensions=DimensionMapping(project=None),
        work_types={"wt-1": WorkTypeInfo("wt-1", "KONS", "Konsultointi")},
        projects={},
    )
    assert plan is not None
    netvisor.import_workday(plan.workday)
    [record] = w.netvisor.state.workdays
    assert (record.hours, record.acceptance_status, record.description) == (
        Decimal("8.50"),
        "confirmed",
        "Konsultointi",
    )


def test_workday_nv_refuses_a_row_without_its_description(w: World) -> None:
    _, netvisor = w.clients()
    body = (
        b'<root><workday><date format="ansi" method="replace">2026-10-05</date>'
        b'<employeeidentifier type="number">1001</employeeidentifier><workdayhour><hours>7,5</hours>'
        b'<collectorratio type="number">11</collectorratio><acceptancestatus>confirmed</acceptancestatus>'
        b"</workdayhour></workday></root>"
    )
    with pytest.raises(NetvisorInvalidDataError, match="'root/workday/workdayhour/description' is missing"):
        netvisor._post("workday.nv", body)
    assert not w.netvisor.state.workdays


def test_customer_nv_creates_unknown_dimensions_unless_told_to_use_only_existing_ones(w: World) -> None:
    _, netvisor = w.clients()
    customer = CustomerInput(name="Ulottuvuus Oy", dimensions=(DimensionRef(name="Myyjä", item="Maija"),))
    netvisor.add_customer(customer)
    created = w.netvisor.state.dimension("Myyjä")
    assert created is not None
    assert created.item("Maija") is not None
    other = CustomerInput(name="Toinen Oy", dimensions=(DimensionRef(name="Alue", item="Pohjoinen"),))
    with pytest.raises(NetvisorInvalidDataError, match="Dimension name not found: Alue"):
        netvisor._post("customer.nv", xmlbuild.build_customer(other), method="add", useonlyexistingdimensions="1")
    assert w.netvisor.state.dimension("Alue") is None
