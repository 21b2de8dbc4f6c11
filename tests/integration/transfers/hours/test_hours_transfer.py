"""The hours transfer through its real handler (functions/hours/app.py) against both simulators and
moto: several users and days with overtime and unapproved entries, an unmapped user, an edited entry
re-sending its day (replace, not add), a day Netvisor refuses in the queue with its reason and
figures, and the transfer switched off."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from sandbox.aws import LocalAws
from sandbox.severa import build_state
from sandbox.severa.state import SeveraState
from tests.integration.rig import World, world

D1, D2, D3 = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)
OVERTIME_50 = "0c0c0c0c-5050-4050-8050-505050505050"
MAPPING: dict[str, Any] = {
    "hours": {"enabled": True, "record_types": {"default": 11, "overtime": {OVERTIME_50: 100}}},
}


def add_entry(
    state: SeveraState,
    user: str,
    day: date,
    quantity: str,
    *,
    approved: bool | None = True,
    overtime: str | None = None,
    case: str | None = None,
    description: str = "Työtä",
    changed: datetime | None = None,
) -> str:
    guid = str(uuid.uuid4())
    work_type = next(g for g, w in state.work_types.items() if w["Code"] == "KONS")
    state.hour_entries[guid] = {
        "AccountGUID": state.cases[case]["AccountGUID"] if case else None,
        "CaseGUID": case,
        "Description": description,
        "EventDate": datetime(day.year, day.month, day.day),
        "GUID": guid,
        "IsApproved": approved,
        "IsBillable": True,
        "IsProductive": True,
        "IsReadOnly": bool(approved),
        "OverTimeGUID": overtime,
        "Quantity": Decimal(quantity),
        "UnitCost": Decimal("45.00"),
        "UnitPrice": Decimal("95.00"),
        "UnitPriceInBaseCurrency": Decimal("95.00"),
        "UserGUID": user,
        "WorkTypeGUID": work_type,
        "_changed": changed or datetime.now(UTC) - timedelta(hours=1),
    }
    return guid


def edit(state: SeveraState, guid: str, **changes: Any) -> None:
    state.hour_entries[guid].update(changes, _changed=datetime.now(UTC))


def workdays(systems: World) -> dict[tuple[str, date, str], Any]:
    return {(w.employee, w.day, w.collector_ratio): w for w in systems.netvisor.state.workdays}


@pytest.fixture
def severa() -> SeveraState:
    return build_state(7201, accounts=2, invoices=1, hour_entries=0, credit_note_share=0.0)


@pytest.fixture
def systems(local_aws: LocalAws, severa: SeveraState) -> Iterator[World]:
    with world(local_aws, severa_state=severa, mapping_changes=MAPPING) as running:
        yield running


def user(state: SeveraState, code: str) -> str:
    return next(guid for guid, u in state.users.items() if u["Code"] == code)


def test_days_go_to_payroll_and_corrections_replace_them(systems: World, severa: SeveraState) -> None:
    u1, u2, u6 = user(severa, "U001"), user(severa, "U002"), user(severa, "U006")  # U006 has no employee number
    case1, case2 = list(severa.cases)[:2]
    normal = add_entry(severa, u1, D1, "7.5", case=case1, description="Määrittely")
    overtime = add_entry(severa, u1, D1, "2", case=case1, overtime=OVERTIME_50, description="Ylityö")
    day2 = [add_entry(severa, u1, D2, "4.25", case=case1), add_entry(severa, u1, D2, "3.333", case=case1)]
    add_entry(severa, u1, D2, "1", case=case1, approved=False)  # not approved: not paid yet
    locked = add_entry(severa, u2, D1, "8", case=case2)
    add_entry(severa, u2, D3, "3", approved=None)  # a day with nothing approved
    add_entry(severa, u6, D1, "5")

    first = systems.run("hours")

    assert (first["created"], first["skipped"], first["failed"]) == (3, 1, 1), first
    sent = workdays(systems)
    assert {key: w.hours for key, w in sent.items()} == {
        ("1001", D1, "11"): Decimal("7.50"),
        ("1001", D1, "100"): Decimal("2.00"),
        ("1001", D2, "11"): Decimal("7.58"),
        ("1002", D1, "11"): Decimal("8.00"),
    }
    project = severa.cases[case1]
    assert sent[("1001", D1, "11")].dimensions == [("Projekti", f"{project['CaseNumber']} {project['Name']}")]
    assert sent[("1001", D1, "11")].description == "Määrittely"
    assert sent[("1001", D1, "100")].acceptance_status == "confirmed"
    (unmapped,) = systems.messages()
    assert unmapped["source"]["id"] == f"{D1.isoformat()}/{u6}"
    assert "U006" in unmapped["message"]
    assert "hours.employees" in unmapped["message"]

    # Corrections after transfer: fewer normal hours, the overtime withdrawn, a whole day's approval
    # withdrawn; and a day payroll has approved.
    edit(severa, normal, Quantity=Decimal("6"))
    edit(severa, overtime, IsApproved=False)
    edit(severa, locked, Quantity=Decimal("7"))
    for guid in day2:  # approval withdrawn from a whole day already in payroll
        edit(severa, guid, IsApproved=False)
    systems.netvisor.lock_workday("1002", D1)

    second = systems.run("hours")

    assert (second["updated"], second["failed"]) == (2, 1), second
    sent = workdays(systems)
    assert sent[("1001", D1, "11")].hours == Decimal("6.00"), "replaced, not added to"
    assert sent[("1001", D1, "100")].hours == Decimal("0.00"), "withdrawn overtime cleared"
    assert sent[("1001", D2, "11")].hours == Decimal("0.00"), "a withdrawn day is cleared"
    assert sent[("1002", D1, "11")].hours == Decimal("8.00"), "the approved day is untouched"
    (refused,) = systems.messages()
    assert refused["error_class"] == "WorkdayRefused"
    assert refused["source"]["id"] == f"{D1.isoformat()}/{u2}"
    assert "already been acknowledged or approved" in (refused["remote_text"] or "")
    assert "record type 11: 7.00 h" in refused["message"]
    assert "employee 1002" in refused["message"]


def test_switched_off_hours_do_nothing_and_say_so(systems: World, severa: SeveraState) -> None:
    add_entry(severa, user(severa, "U001"), D1, "7.5")
    systems.set_mapping(hours={"enabled": False})

    outcome = systems.invoke("hours")

    assert "hours.enabled is false in the mapping" in outcome.output
    assert outcome.result["fetched"] == 0
    assert outcome.result["stopped_early"] is None, "off is not an error: no alarm"
    assert systems.netvisor.state.workdays == []
    assert systems.netvisor.request_log.count("workday.nv") == 0
    assert systems.severa.used_quota == 0
