"""Severa cases, business units and cost centres → Netvisor dimension items: item texts, validation
and the transfer's read and write logic, in-process with stand-in clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from severa_netvisor.engine import PlannedWrite
from severa_netvisor.errors import ConfigurationError
from severa_netvisor.mapping.config import DimensionMapping, MappingConfig
from severa_netvisor.mapping.dimensions import (
    DimensionMappingError,
    business_unit_item,
    business_unit_item_text,
    case_item,
    cost_centre_item_text,
    item_key,
    parse_item_key,
    project_item_text,
)
from severa_netvisor.mapping.loader import parse_mapping
from severa_netvisor.netvisor.models import Dimension, DimensionItem, DimensionItemInput
from severa_netvisor.severa.models import BusinessUnit, Case
from severa_netvisor.transfers.dimensions import DimensionConflict, DimensionsRun

SANDBOX_MAPPING = Path(__file__).resolve().parents[4] / "sandbox" / "mapping.yaml"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def case(**fields: Any) -> Case:
    flags = (
        "IncludeExceptions", "IncludeOverTime", "IsClosed", "IsDailyAllowanceBillable", "IsInternal",
        "IsMileageBillable", "IsOtherTravelExpensesBillable", "SharedToExtranet",
        "UseDefaultProductsInWorkTimeEntry", "UseDefaultWorkTypes",
    )  # fmt: skip
    base: dict[str, Any] = dict.fromkeys(flags, False)
    base.update(
        GUID="c-1", CaseNumber=5001, Name="Pilvisiirto", InsertTs=T0, StartDate=T0, Priority=1,
        CostCenterGUID="cc-1", CostCenterNumber="110",
    )  # fmt: skip
    return Case.model_validate({**base, **fields})


def unit(**fields: Any) -> BusinessUnit:
    base = {"GUID": "bu-1", "Name": "Pääkonttori", "InsertTS": T0, "IsActive": True}
    return BusinessUnit.model_validate({"ShowLogoOnInvoices": False, "ShowLogoOnPdfReports": False, **base, **fields})


def dimensions(**fields: Any) -> DimensionMapping:
    base = {"project": "Projekti", "business_unit": "Liiketoimintayksikkö", "cost_centre": "Kustannuspaikka"}
    return DimensionMapping.model_validate({**base, **fields})


# -- item texts ------------------------------------------------------------------------------------------


def test_project_item_text_follows_the_mapping() -> None:
    assert project_item_text(dimensions(), number=1001, name="Website") == "1001 Website"
    assert project_item_text(dimensions(project_item="number"), number=1001, name="Website") == "1001"
    assert project_item_text(dimensions(project_item="name"), number=1001, name="Website") == "Website"
    assert project_item_text(dimensions(), number=None, name="Website") == "Website"


def test_whitespace_is_made_what_netvisor_shows() -> None:
    assert project_item_text(dimensions(), number=" 7 ", name="Uusi\t verkko-\nkauppa ") == "7 Uusi verkko- kauppa"
    assert business_unit_item_text("  Tampereen   yksikkö ") == "Tampereen yksikkö"
    assert cost_centre_item_text(" 110 ") == "110"


def test_an_item_longer_than_netvisor_allows_names_the_case_and_the_fix() -> None:
    with pytest.raises(DimensionMappingError) as caught:
        project_item_text(dimensions(), number=5001, name="x" * 200, guid="c-1")
    message = caught.value.message
    assert "Severa case" in message
    assert "number 5001" in message
    assert "GUID c-1" in message
    assert "205 characters; Netvisor allows at most 200" in message
    assert "Shorten the case name in Severa" in message
    assert project_item_text(dimensions(project_item="number"), number=5001, name="x" * 300) == "5001"


def test_an_empty_item_is_refused() -> None:
    with pytest.raises(DimensionMappingError, match=r"would be empty\. Give the case a number"):
        project_item_text(dimensions(project_item="number"), number=None, name="Website")
    with pytest.raises(DimensionMappingError, match="business unit"):
        business_unit_item_text(" ")
    with pytest.raises(DimensionMappingError, match="cost centre"):
        cost_centre_item_text(None)


def test_closed_cases_and_inactive_units_are_hidden() -> None:
    assert case_item(dimensions(), case(IsClosed=True)).hidden is True
    assert case_item(dimensions(), case()).hidden is False
    plan = business_unit_item(dimensions(), unit(IsActive=False))
    assert (plan.dimension_name, plan.item, plan.hidden) == ("Liiketoimintayksikkö", "Pääkonttori", True)


def test_item_keys_round_trip_whatever_the_text() -> None:
    key = item_key("Projekti", 'A "quoted", name')
    assert parse_item_key(key) == ("Projekti", 'A "quoted", name')
    with pytest.raises(DimensionMappingError):
        parse_item_key("12345")


# -- the transfer ---------------------------------------------------------------------------------------


@dataclass
class FakeSevera:
    cases: list[Case] = field(default_factory=list)
    units: list[BusinessUnit] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)

    def cases_changed_since(self, since: datetime, options: int = 0) -> list[Case]:
        self.reads.append(f"cases/{options}")
        return self.cases

    def business_units_changed_since(self, since: datetime) -> list[BusinessUnit]:
        self.reads.append("units")
        return self.units


@dataclass
class FakeNetvisor:
    headers: dict[str, dict[str, bool]] = field(default_factory=dict)
    posts: list[tuple[str, DimensionItemInput]] = field(default_factory=list)

    def list_dimensions(self, *, show_hidden: bool = True) -> list[Dimension]:
        return [
            Dimension(
                name=name, items=tuple(DimensionItem(name=item, is_hidden=hidden) for item, hidden in items.items())
            )
            for name, items in self.headers.items()
        ]

    def add_dimension_item(self, item: DimensionItemInput) -> None:
        self.posts.append(("add", item))

    def edit_dimension_item(self, item: DimensionItemInput) -> None:
        self.posts.append(("edit", item))


@dataclass
class FakeClients:
    mapping: MappingConfig
    severa: Any
    netvisor: Any


def sandbox_mapping(**dimension_fields: Any) -> MappingConfig:
    mapping = parse_mapping(SANDBOX_MAPPING.read_text("utf-8"), source="sandbox mapping")
    return mapping.model_copy(update={"dimensions": dimensions(**dimension_fields)})


def all_headers() -> dict[str, dict[str, bool]]:
    return {"Projekti": {}, "Kustannuspaikka": {}, "Liiketoimintayksikkö": {}}


def records(moved: DimensionsRun) -> list[Any]:
    return [record for page in moved.fetch_pages(None, full_resync=False) for record in page]


def planned_case(moved: DimensionsRun, **fields: Any) -> PlannedWrite[Any]:
    moved._clients.severa.cases = [case(**fields)]  # type: ignore[attr-defined]
    [record] = [r for r in records(moved) if r.ref.type == "case"]
    return moved.prepare(record)


def test_cost_centres_come_from_cases_once_each_at_their_latest_change() -> None:
    severa = FakeSevera(
        cases=[
            case(GUID="c-1", UpdatedTs=T0 + timedelta(hours=1)),
            case(GUID="c-2", UpdatedTs=T0 + timedelta(hours=3)),
            case(GUID="c-3", CostCenterGUID=None),
        ],
        units=[unit(UpdatedTS=T0 + timedelta(hours=2))],
    )
    moved = DimensionsRun(FakeClients(sandbox_mapping(), severa, FakeNetvisor(all_headers())))
    found = records(moved)
    assert [(r.ref.type, r.ref.id) for r in found] == [
        ("case", "c-3"),
        ("case", "c-1"),
        ("businessunit", "bu-1"),
        ("case", "c-2"),
        ("costcentre", "cc-1"),
    ]
    assert found[-1].changed_at == T0 + timedelta(hours=3)


def test_sources_without_a_dimension_are_not_read() -> None:
    severa = FakeSevera(cases=[case()], units=[unit()])
    mapping = sandbox_mapping(project=None, cost_centre=None)
    moved = DimensionsRun(FakeClients(mapping, severa, FakeNetvisor(all_headers())))
    assert [r.ref.type for r in records(moved)] == ["businessunit"]
    assert severa.reads == ["units"]
    mapping = sandbox_mapping(business_unit=None)
    severa.reads.clear()
    records(DimensionsRun(FakeClients(mapping, severa, FakeNetvisor(all_headers()))))
    assert severa.reads == ["cases/2"], "closed (inactive) cases are read too"


def test_a_missing_header_stops_the_read_naming_it_and_the_mapping_key() -> None:
    netvisor = FakeNetvisor({"Projekti": {}, "Liiketoimintayksikkö": {}})
    moved = DimensionsRun(FakeClients(sandbox_mapping(), FakeSevera(cases=[case()]), netvisor))
    with pytest.raises(ConfigurationError) as caught:
        records(moved)
    assert "'Kustannuspaikka' (dimensions.cost_centre)" in caught.value.message
    assert "Netvisor's dimensions: 'Liiketoimintayksikkö', 'Projekti'" in caught.value.message


def test_new_items_are_added_and_renames_name_the_old_item() -> None:
    netvisor = FakeNetvisor(all_headers())
    moved = DimensionsRun(FakeClients(sandbox_mapping(), FakeSevera(), netvisor))
    first = planned_case(moved)
    assert moved.lookup_existing(first) is None
    key = moved.write(first, None)
    assert parse_item_key(key) == ("Projekti", "5001 Pilvisiirto")
    netvisor.headers["Projekti"] = {"5001 Pilvisiirto": False}  # what Netvisor holds at the next run
    renamed = planned_case(moved, Name="Pilvisiirto 2", IsClosed=True)
    assert parse_item_key(moved.write(renamed, key)) == ("Projekti", "5001 Pilvisiirto 2")
    assert [(kind, item.old_item, item.item, item.is_hidden) for kind, item in netvisor.posts] == [
        ("add", None, "5001 Pilvisiirto", False),
        ("edit", "5001 Pilvisiirto", "5001 Pilvisiirto 2", True),
    ]


def test_an_item_already_as_wanted_is_adopted_without_a_write() -> None:
    netvisor = FakeNetvisor({**all_headers(), "Projekti": {"5001 Pilvisiirto": False}})
    moved = DimensionsRun(FakeClients(sandbox_mapping(), FakeSevera(), netvisor))
    planned = planned_case(moved)
    existing = moved.lookup_existing(planned)
    assert existing == item_key("Projekti", "5001 Pilvisiirto")
    assert moved.write(planned, existing) == existing
    assert netvisor.posts == []
    hidden = planned_case(moved, IsClosed=True)
    moved.write(hidden, existing)
    assert [(kind, item.old_item, item.is_hidden) for kind, item in netvisor.posts] == [
        ("edit", "5001 Pilvisiirto", True)
    ]


def test_a_rename_onto_an_existing_item_is_a_conflict() -> None:
    netvisor = FakeNetvisor({**all_headers(), "Projekti": {"5001 Pilvisiirto": False, "5001 Uusi": False}})
    moved = DimensionsRun(FakeClients(sandbox_mapping(), FakeSevera(), netvisor))
    planned = planned_case(moved, Name="Uusi")
    with pytest.raises(DimensionConflict, match="Netvisor already has an item '5001 Uusi'"):
        moved.write(planned, item_key("Projekti", "5001 Pilvisiirto"))
    assert netvisor.posts == []


def test_an_item_gone_from_netvisor_or_under_another_dimension_is_made_again() -> None:
    netvisor = FakeNetvisor({**all_headers(), "Projektit": {"5001 Pilvisiirto": False}})
    moved = DimensionsRun(FakeClients(sandbox_mapping(), FakeSevera(), netvisor))
    planned = planned_case(moved)
    moved.write(planned, item_key("Projektit", "5001 Pilvisiirto"))
    moved.write(planned_case(moved, Name="Uusi"), item_key("Projekti", "5001 Poistettu"))
    assert [(kind, item.dimension_name, item.old_item) for kind, item in netvisor.posts] == [
        ("add", "Projekti", None),
        ("add", "Projekti", None),
    ]
