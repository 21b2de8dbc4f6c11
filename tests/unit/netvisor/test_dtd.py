"""Every request body the client builds is valid against Netvisor's DTD where one exists.

Deviations (documented in schema.py / the final report): the DTDs do not cover matchcreditnote.nv,
dimensionitem.nv and workday.nv; those bodies follow reference API.md §4.6/§4.10/§4.11 and are
checked by the simulator's validator instead. The client sends only elements the 2021 DTDs know.
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from severa_netvisor.netvisor import xmlbuild
from severa_netvisor.netvisor.models import (
    CustomerInput,
    DimensionRef,
    InvoiceAttachment,
    InvoiceCommentLine,
    InvoiceProductLine,
    ProductInput,
    SalesInvoiceInput,
)
from severa_netvisor.netvisor.schema import DTD_FILES, REQUEST_SCHEMAS, El


def load_dtd(path: Path) -> etree.DTD:
    text = path.read_text(encoding="ascii")
    text = re.sub(r"^\s*<!DOCTYPE\s+root\s*\[", "", text)
    text = re.sub(r"\]>\s*$", "", text)
    return etree.DTD(io.StringIO(text))


def assert_valid(shared_reference: Path, resource: str, body: bytes) -> None:
    dtd = load_dtd(shared_reference / "netvisor/dtd" / DTD_FILES[resource])
    document = etree.fromstring(body)
    assert dtd.validate(document), str(dtd.error_log)


FULL_CUSTOMER = CustomerInput(
    name="Öljy & Voitelu Oy",
    code="1001",
    business_id="1572860-0",
    organization_unit_number="003715728600",
    name_extension="c/o <Pää>",
    street_address="Katu 1",
    additional_address_line="PL 2",
    city="Helsinki",
    post_number="00100",
    country="FI",
    customer_group_name="Asiakkaat",
    phone_number="+358 40 1",
    email="a@b.fi",
    home_page_uri="https://b.fi",
    is_active=True,
    is_private_customer=False,
    email_invoicing_address="lasku@b.fi",
    finvoice_address="003715728600",
    finvoice_router_code="003721291126",
    delivery_name="Varasto",
    delivery_street_address="Tie 3",
    delivery_city="Espoo",
    delivery_post_number="02100",
    delivery_country="FI",
    contact_person="Matti",
    contact_person_email="m@b.fi",
    contact_person_phone="040",
    comment="€ kommentti",
    reference_number="1232",
    invoicing_language="FI",
    your_default_reference="Viite",
    default_text_before_lines="Ennen",
    default_text_after_lines="Jälkeen",
    dimensions=(DimensionRef(name="Projekti", item="P-1"),),
)


def full_invoice(amount: Decimal = Decimal("251.00"), sign: int = 1) -> SalesInvoiceInput:
    return SalesInvoiceInput(
        invoice_date=date(2024, 5, 31),
        amount=amount,
        customer_identifier="1001",
        customer_identifier_type="customer",
        number="5001",
        status="open",
        event_date=date(2024, 5, 1),
        due_date=date(2024, 6, 14),
        value_date=date(2024, 5, 31),
        delivery_date=date(2024, 5, 31),
        reference_number="50013",
        seller_name="Myyjä",
        invoice_type="invoice",
        free_text_before_lines="Ennen & <jälkeen>",
        free_text_after_lines="Kiitos",
        our_reference="Meidän",
        your_reference="Teidän",
        private_comment="Sisäinen",
        customer_name="Öljy Oy",
        customer_name_extension="c/o",
        customer_address_line="Katu 1",
        customer_additional_address_line="PL 2",
        customer_post_number="00100",
        customer_town="Helsinki",
        customer_country_code="FI",
        payment_term_net_days=14,
        expect_partial_payments=True,
        order_number="T-1",
        lines=(
            InvoiceProductLine(
                product_identifier="W1",
                name="Konsultointi",
                unit_price=Decimal("100.00"),
                vat_percentage=Decimal("25.5"),
                vat_code="KOMY",
                quantity=Decimal(2 * sign),
                discount_percentage=Decimal("0"),
                free_text="Toukokuu",
                vat_sum=Decimal("51.00") * sign,
                line_sum=Decimal("251.00") * sign,
                account_suggestion="3000",
                dimensions=(DimensionRef(name="Projekti", item="P-1"), DimensionRef(name="Kustannuspaikka", item="K")),
                unit_name="h",
            ),
            InvoiceCommentLine(comment="Jakso 1.5.–31.5."),
        ),
        attachments=(
            InvoiceAttachment(filename="lasku.pdf", content=b"%PDF-1.4", description="Lasku", print_by_default=True),
        ),
    )


def test_customer_bodies_are_valid(shared_reference):
    assert_valid(shared_reference, "customer.nv", xmlbuild.build_customer(FULL_CUSTOMER))
    assert_valid(shared_reference, "customer.nv", xmlbuild.build_customer(CustomerInput(name="Minimi")))


def test_product_bodies_are_valid(shared_reference):
    full = ProductInput(
        name="Konsultointi",
        group="Palvelut",
        code="W1",
        description="Tunti",
        unit_price=Decimal("100"),
        price_type="gross",
        unit="h",
        purchase_price=Decimal("50.5"),
        is_active=True,
        is_sales_product=True,
        default_vat_percentage=Decimal("25.5"),
        default_domestic_account_number="3000",
        default_eu_account_number="3360",
        default_outside_eu_account_number="3380",
    )
    assert_valid(shared_reference, "product.nv", xmlbuild.build_product(full))
    minimal = ProductInput(name="A", group="B", unit_price=Decimal("1"))
    assert_valid(shared_reference, "product.nv", xmlbuild.build_product(minimal))


@pytest.mark.parametrize("sign", [1, -1], ids=["invoice", "credit-note"])
def test_sales_invoice_bodies_are_valid(shared_reference, sign):
    body = xmlbuild.build_sales_invoice(full_invoice(Decimal("251.00") * sign, sign))
    assert_valid(shared_reference, "salesinvoice.nv", body)


def _dtd_models(path: Path) -> dict[str, list[tuple[str, str]]]:
    """element -> [(child, occurrence)] from the DTD's content models (sequences only)."""
    text = path.read_text(encoding="ascii")
    models: dict[str, list[tuple[str, str]]] = {}
    for name, content in re.findall(r"<!ELEMENT\s+(\w+)\s+\(([^#][^)]*)\)", text):
        models[name] = re.findall(r"(\w+)([?*+]?)", content)
    return models


def _walk(spec: El, models: dict[str, list[tuple[str, str]]], path: str = "") -> None:
    here = f"{path}/{spec.name}"
    if spec.is_leaf:
        return
    declared = models.get(spec.name)
    assert declared is not None, f"{here} is not declared in the DTD"
    names = [name for name, _ in declared]
    ours = [child.name for child in spec.children]
    assert ours == [n for n in names if n in ours], f"{here}: order differs from the DTD"
    for name, occurrence in declared:
        required = occurrence in ("", "+") and "|" not in str(declared)
        if required and spec.name != "invoiceline":
            child = spec.child(name)
            assert child is not None, f"{here}/{name} is required by the DTD"
            assert child.required, f"{here}/{name} is required by the DTD"
    for child in spec.children:
        _walk(child, models, here)


@pytest.mark.parametrize("resource", sorted(DTD_FILES))
def test_schema_orders_agree_with_the_dtds(shared_reference, resource):
    models = _dtd_models(shared_reference / "netvisor/dtd" / DTD_FILES[resource])
    _walk(REQUEST_SCHEMAS[resource], models)
