"""The products function end to end: functions/products/app.py in a child process, both simulators
over HTTP, DynamoDB and SQS in moto."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from severa_netvisor.state import SourceRef

from sandbox.aws import LocalAws
from sandbox.netvisor.state import ProductRecord
from tests.integration.rig import World, world

#: The seeded products' and work types' codes (sandbox/severa/seed.py).
PRODUCT_CODES = {"LIS-01", "KOUL-01", "KIRJA-01", "LEHTI-01", "MATKA-01"}
WORK_TYPE_CODES = {"SUUN", "KONS", "PM", "TEST"}


@pytest.fixture
def systems(local_aws: LocalAws) -> Iterator[World]:
    with world(local_aws, accounts=3, seed=5) as running:
        yield running


def _severa_product(systems: World, code: str) -> dict[str, Any]:
    [product] = [p for p in systems.severa.state.products.values() if p["Code"] == code]
    return product


def _severa_work_type(systems: World, code: str) -> dict[str, Any]:
    [work_type] = [w for w in systems.severa.state.work_types.values() if w["Code"] == code]
    return work_type


def _netvisor_products(systems: World, code: str) -> list[ProductRecord]:
    return [p for p in systems.netvisor.state.products.values() if p.code == code]


def _netvisor_product(systems: World, code: str) -> ProductRecord:
    [product] = _netvisor_products(systems, code)
    return product


def test_first_run_transfers_all_second_is_quiet_and_changes_carry_over(systems: World) -> None:
    first = systems.run("products")
    assert (first["created"], first["failed"]) == (9, 0)
    assert {p.code for p in systems.netvisor.state.products.values()} == PRODUCT_CODES | WORK_TYPE_CODES
    licence = _netvisor_product(systems, "LIS-01")
    assert licence.fields["name"] == "Ohjelmistolisenssi"
    assert licence.fields["unit"] == "kpl"
    assert licence.fields["unitprice"] == "490,00"
    assert licence.price_type == "net"
    assert licence.fields["defaultvatpercentage"] == "25,5"
    assert _netvisor_product(systems, "KIRJA-01").fields["defaultvatpercentage"] == "13,5"
    consulting = _netvisor_product(systems, "KONS")
    assert (consulting.fields["name"], consulting.fields["unit"]) == ("Konsultointi", "h")
    guid = _severa_product(systems, "LIS-01")["GUID"]
    entry = systems.ledger(SourceRef("severa", "product", guid))
    assert entry is not None
    assert entry.target_key == str(licence.key)
    work_type_guid = _severa_work_type(systems, "KONS")["GUID"]
    entry = systems.ledger(SourceRef("severa", "worktype", work_type_guid))
    assert entry is not None
    assert entry.target_key == str(consulting.key)

    posts, calls = systems.netvisor_posts(), systems.severa_calls()
    second = systems.run("products")
    assert (second["created"], second["updated"], second["failed"]) == (0, 0, 0)
    assert systems.netvisor_posts() == posts, "no changes in Severa: nothing may be written to Netvisor"
    assert systems.severa_calls() - calls == 2, "one changed-since read of products and one of work types"

    product = _severa_product(systems, "LIS-01")
    product.update(UnitPrice=Decimal("520.00"), Name="Ohjelmistolisenssi 2027")
    systems.severa.state.touch(product)
    work_type = _severa_work_type(systems, "TEST")
    work_type["IsActive"] = False
    systems.severa.state.touch(work_type)
    calls = systems.severa_calls()
    third = systems.run("products")
    assert (third["created"], third["updated"], third["failed"]) == (0, 2, 0)
    assert systems.severa_calls() - calls == 2
    changed = _netvisor_product(systems, "LIS-01")
    assert changed.key == licence.key, "an update edits the product it created, never a new one"
    assert (changed.fields["unitprice"], changed.fields["name"]) == ("520,00", "Ohjelmistolisenssi 2027")
    assert _netvisor_product(systems, "TEST").fields["isactive"] == "0"
    assert len(systems.netvisor.state.products) == 9


def test_bad_records_are_queued_while_the_rest_transfer_and_a_fix_is_picked_up(systems: World) -> None:
    no_code = _severa_product(systems, "LEHTI-01")
    no_code["Code"] = None
    old_vat = _severa_product(systems, "KIRJA-01")
    old_vat["VAT"] = Decimal("24")
    # A product made by hand in Netvisor with a Severa code: adopted, never created twice.
    state = systems.netvisor.state
    by_hand = ProductRecord(
        state.new_key(),
        {"productcode": "KOUL-01", "name": "Koulutus", "unitprice": "1,00"},
        "net",
        systems.netvisor.now(),
    )
    state.products[by_hand.key] = by_hand

    result = systems.run("products")
    assert (result["created"], result["adopted"], result["failed"]) == (6, 1, 2)
    assert {p.code for p in state.products.values()} == (PRODUCT_CODES | WORK_TYPE_CODES) - {"LEHTI-01", "KIRJA-01"}
    assert _netvisor_product(systems, "KOUL-01").key == by_hand.key
    assert _netvisor_product(systems, "KOUL-01").fields["unitprice"] == "1200,00"

    messages = {m["source"]["id"]: m for m in systems.messages()}
    assert set(messages) == {no_code["GUID"], old_vat["GUID"]}
    missing = messages[no_code["GUID"]]
    assert (missing["transfer"], missing["step"], missing["retryable"]) == ("products", "prepare", False)
    assert "Ammattilehden vuositilaus" in missing["message"]
    assert "product code" in missing["message"]
    assert "products.products" in missing["message"]
    wrong_vat = messages[old_vat["GUID"]]
    assert "Käsikirja (painettu)" in wrong_vat["message"]
    assert "24 % was not a Finnish VAT rate" in wrong_vat["message"]
    assert wrong_vat["record"]["code"] == "KIRJA-01", "the message carries the record for a replay"

    old_vat["VAT"] = Decimal("13.5")
    systems.severa.state.touch(old_vat)
    fixed = systems.run("products")
    assert (fixed["created"], fixed["failed"]) == (1, 0)
    assert _netvisor_product(systems, "KIRJA-01").fields["defaultvatpercentage"] == "13,5"


def test_dry_run_reads_and_plans_but_writes_nothing(systems: World) -> None:
    result = systems.run("products", {"dry_run": True})
    assert result["dry_run"] is True
    creates = [item for item in result["plan"] if item["action"] == "create"]
    assert len(creates) == 9
    assert any("<productcode>LIS-01</productcode>" in item["requests"][0]["body"] for item in creates)
    assert systems.netvisor_posts() == 0
    assert systems.netvisor.state.products == {}
    assert systems.cursor("products") is None
    guid = _severa_product(systems, "LIS-01")["GUID"]
    assert systems.ledger(SourceRef("severa", "product", guid)) is None
    assert systems.messages() == []
