"""Severa products and work types → Netvisor products: the code rules, validation and the transfer's
read and write logic, in-process with stand-in clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from severa_netvisor.engine import PlannedWrite, RunContext
from severa_netvisor.engine.contract import window
from severa_netvisor.mapping.config import MappingConfig, ProductMapping
from severa_netvisor.mapping.loader import parse_mapping
from severa_netvisor.mapping.products import (
    NETVISOR_PRODUCT_GROUP,
    ProductMappingError,
    netvisor_product_code,
    netvisor_product_code_or_default,
    product_code_for,
    product_input_from_product,
    product_input_from_work_type,
)
from severa_netvisor.netvisor.models import ProductInput, ProductSummary
from severa_netvisor.severa.client import EPOCH
from severa_netvisor.severa.models import Product, WorkType
from severa_netvisor.state import Cursor
from severa_netvisor.transfers.products import ProductConflict, ProductsRun

SANDBOX_MAPPING = Path(__file__).resolve().parents[4] / "sandbox" / "mapping.yaml"
TODAY = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def product(**fields: Any) -> Product:
    base = {
        "GUID": "p-1",
        "Code": "LIS-01",
        "Name": "Ohjelmistolisenssi",
        "IsActive": True,
        "UseInWorkTimeEntry": False,
        "UnitPrice": Decimal("490.00"),
        "VAT": Decimal("25.5"),
        "MeasurementUnit": "kpl",
    }
    return Product.model_validate({**base, **fields})


def work_type(**fields: Any) -> WorkType:
    base = {"GUID": "w-1", "Code": "KONS", "Name": "Konsultointi", "IsActive": True, "IsDefault": False}
    return WorkType.model_validate({"IsProductive": True, **base, **fields})


def rules(**fields: Any) -> ProductMapping:
    return ProductMapping.model_validate({"default_product_code": "TYO", **fields})


# -- the product code rule -------------------------------------------------------------------------


def test_an_explicit_entry_wins_by_guid_then_code_then_name() -> None:
    mapping = rules(products={"p-1": "BY-GUID", "LIS-01": "BY-CODE", "Ohjelmistolisenssi": "BY-NAME"})
    assert netvisor_product_code(mapping, kind="product", guid="p-1", code="LIS-01", name="x") == "BY-GUID"
    assert netvisor_product_code(mapping, kind="product", guid="p-2", code="LIS-01", name="x") == "BY-CODE"
    assert netvisor_product_code(mapping, kind="product", guid="p-2", code="", name="Ohjelmistolisenssi") == "BY-NAME"


def test_severa_code_is_used_when_allowed() -> None:
    assert netvisor_product_code(rules(), kind="product", guid="p-1", code=" LIS-01 ") == "LIS-01"
    assert netvisor_product_code(rules(), kind="worktype", guid="w-1", code="KONS") == "KONS"


def test_work_types_use_their_own_table() -> None:
    mapping = rules(products={"KONS": "WRONG"}, work_types={"Konsultointi": "KONSULTOINTI"})
    assert product_code_for(mapping, work_type()) == "KONSULTOINTI"
    assert product_code_for(mapping, product(Code="KONS")) == "WRONG"


def test_no_usable_code_is_a_failure_naming_the_record_and_the_fix() -> None:
    with pytest.raises(ProductMappingError) as caught:
        netvisor_product_code(rules(), kind="product", guid="p-9", code="", name="Matkakulut")
    message = caught.value.message
    assert "Severa product 'Matkakulut'" in message
    assert "GUID p-9" in message
    assert "product code" in message
    assert "products.products" in message
    assert caught.value.retryable is False

    with pytest.raises(ProductMappingError, match=r"use_severa_product_code is off.*products\.work_types"):
        netvisor_product_code(rules(use_severa_product_code=False), kind="worktype", guid="w-1", code="KONS")


def test_invoice_rows_may_fall_back_to_the_default_product() -> None:
    assert netvisor_product_code_or_default(rules(), kind="product", guid="p-9", name="Matkakulut") == "TYO"
    assert netvisor_product_code_or_default(rules(), kind="product", guid="p-9", code="MATKA") == "MATKA"


# -- the Netvisor product ------------------------------------------------------------------------------


def test_a_product_becomes_a_netvisor_product() -> None:
    made = product_input_from_product(product(UnitCost=Decimal("294.00")), rules(), today=TODAY)
    assert made == ProductInput(
        name="Ohjelmistolisenssi",
        group=NETVISOR_PRODUCT_GROUP,
        code="LIS-01",
        unit_price=Decimal("490.00"),
        unit="kpl",
        purchase_price=Decimal("294.00"),
        is_active=True,
        default_vat_percentage=Decimal("25.5"),
    )


def test_missing_price_and_vat_are_left_to_netvisor_defaults() -> None:
    made = product_input_from_product(product(UnitPrice=None, VAT=None, IsActive=False), rules(), today=TODAY)
    assert made.unit_price == Decimal(0)
    assert made.default_vat_percentage is None
    assert made.is_active is False


def test_a_description_other_than_the_name_is_kept() -> None:
    assert (
        product_input_from_product(product(Description="Ohjelmistolisenssi"), rules(), today=TODAY).description is None
    )
    kept = product_input_from_product(product(Description="Vuosilisenssi"), rules(), today=TODAY)
    assert kept.description == "Vuosilisenssi"


def test_vat_must_be_a_rate_in_force_today() -> None:
    with pytest.raises(ProductMappingError) as caught:
        product_input_from_product(product(VAT=Decimal("24")), rules(), today=TODAY)
    assert "Severa product 'Ohjelmistolisenssi' (code LIS-01, GUID p-1)" in caught.value.message
    assert "24 % was not a Finnish VAT rate on 2026-11-21" in caught.value.message
    assert "Correct the product's VAT in Severa" in caught.value.message
    assert (
        product_input_from_product(product(VAT=Decimal("24")), rules(), today=date(2024, 6, 1)).default_vat_percentage
        == 24
    )


def test_a_product_without_a_name_fails() -> None:
    with pytest.raises(ProductMappingError, match="name: is empty"):
        product_input_from_product(product(Name="  "), rules(), today=TODAY)


def test_a_work_type_is_sold_by_the_hour() -> None:
    made = product_input_from_work_type(work_type(IsActive=False), rules())
    assert (made.code, made.name, made.unit) == ("KONS", "Konsultointi", "h")
    assert made.unit_price == 0
    assert made.is_active is False
    assert made.default_vat_percentage is None


# -- the transfer ---------------------------------------------------------------------------------------


@dataclass
class FakeSevera:
    products: list[Product] = field(default_factory=list)
    work_types: list[WorkType] = field(default_factory=list)
    asked: list[datetime] = field(default_factory=list)

    def products_changed_since(self, since: datetime, options: int = 0) -> list[Product]:
        self.asked.append(since)
        return self.products

    def work_types_changed_since(self, since: datetime, options: int = 0) -> list[WorkType]:
        return self.work_types


@dataclass
class FakeNetvisor:
    listing: list[ProductSummary] = field(default_factory=list)
    lists: int = 0
    added: list[ProductInput] = field(default_factory=list)
    edited: list[tuple[int, ProductInput]] = field(default_factory=list)

    def list_products(self) -> list[ProductSummary]:
        self.lists += 1
        return self.listing

    def add_product(self, payload: ProductInput, *, body: bytes | None = None) -> int:
        self.added.append(payload)
        return 500 + len(self.added)

    def edit_product(self, key: int, payload: ProductInput, *, body: bytes | None = None) -> None:
        self.edited.append((key, payload))


@dataclass
class FakeClients:
    mapping: MappingConfig
    severa: Any
    netvisor: Any


@pytest.fixture
def mapping() -> MappingConfig:
    return parse_mapping(SANDBOX_MAPPING.read_text("utf-8"), source="sandbox mapping")


def transfer(mapping: MappingConfig, severa: FakeSevera, netvisor: FakeNetvisor | None = None) -> ProductsRun:
    """One run of the products transfer (the engine would start a new one for each run)."""
    run = RunContext("run-1", "products", False, False, ledger=None, now=lambda: NOW)  # type: ignore[arg-type]
    return ProductsRun(run, FakeClients(mapping, severa, netvisor or FakeNetvisor()))


def test_window_positions_keep_records_after_the_stored_cursor_and_before_the_read() -> None:
    stored = NOW - timedelta(hours=1)
    overlap = timedelta(minutes=2)
    asked, placed = window(Cursor(stored - overlap), NOW, overlap, EPOCH)
    assert (asked, placed) == (stored - overlap, stored)
    assert window(None, NOW, overlap, EPOCH) == (EPOCH, EPOCH + overlap)
    # An explicit 'since' just now: records still come before the watermark at the read time.
    _, placed = window(Cursor(NOW - timedelta(seconds=30)), NOW, overlap, EPOCH)
    assert placed < NOW


def test_records_come_sorted_and_a_watermark_at_the_read_time_ends_the_read(mapping: MappingConfig) -> None:
    severa = FakeSevera([product(GUID="b"), product(GUID="a", Code="X")], [work_type(GUID="c")])
    since = Cursor(NOW - timedelta(hours=1))
    pages = list(transfer(mapping, severa).fetch_pages(since, full_resync=False))
    records = [record for page in pages for record in page]
    assert [r.ref.id for r in records] == ["a", "b", "c", "!"]
    assert records[-1].is_watermark
    assert [r.ref.type for r in records[:3]] == ["product", "product", "worktype"]
    assert {r.changed_at for r in records[:3]} == {NOW - timedelta(minutes=58)}
    assert records[-1].changed_at == NOW
    assert records[-1].position > records[-2].position
    assert severa.asked == [since.changed_at]


def test_nothing_changed_gives_no_records_and_no_watermark(mapping: MappingConfig) -> None:
    assert list(transfer(mapping, FakeSevera()).fetch_pages(None, full_resync=False)) == []


def test_products_are_planned_with_their_xml_built_once(mapping: MappingConfig) -> None:
    moved = transfer(mapping, FakeSevera([product()]))
    [[record, watermark]] = list(moved.fetch_pages(None, full_resync=False))
    assert watermark.is_watermark
    planned = moved.prepare(record)
    assert isinstance(planned, PlannedWrite)
    assert planned.body is not None
    assert b"<productcode>LIS-01</productcode>" in planned.body
    assert planned.summary["unit_price"] == "490.00"
    assert planned.summary["vat"] == "25.5"


def test_lookup_reads_the_product_list_once_per_run_and_matches_the_code(mapping: MappingConfig) -> None:
    netvisor = FakeNetvisor([ProductSummary(netvisor_key=7, code="LIS-01"), ProductSummary(netvisor_key=8, code="X")])
    moved = transfer(mapping, FakeSevera([product(), product(GUID="p-2", Code="NEW")]), netvisor)
    [page] = list(moved.fetch_pages(None, full_resync=False))
    first, second = (moved.prepare(record) for record in page[:2])
    assert isinstance(first, PlannedWrite)
    assert isinstance(second, PlannedWrite)
    assert moved.lookup_existing(first) == "7"
    assert moved.lookup_existing(second) is None
    assert moved.write(second, None) == "501"
    assert moved.lookup_existing(second) == "501", "a product made in this run is found again"
    assert moved.write(first, "7") == "7"
    assert netvisor.edited == [(7, first.payload)]
    assert netvisor.lists == 1
    next_run = transfer(mapping, FakeSevera([product()]), netvisor)
    next_run.lookup_existing(first)
    assert netvisor.lists == 2, "the next run reads Netvisor again"


def test_two_netvisor_products_with_the_code_are_a_conflict(mapping: MappingConfig) -> None:
    netvisor = FakeNetvisor(
        [ProductSummary(netvisor_key=7, code="LIS-01"), ProductSummary(netvisor_key=9, code="LIS-01")]
    )
    moved = transfer(mapping, FakeSevera([product()]), netvisor)
    [page] = list(moved.fetch_pages(None, full_resync=False))
    planned = moved.prepare(page[0])
    assert isinstance(planned, PlannedWrite)
    with pytest.raises(ProductConflict, match="2 products with the code 'LIS-01' \\(keys 7, 9\\)"):
        moved.lookup_existing(planned)
