"""Request building: DTD order whatever the input order, empty elements left out, Netvisor formats."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree
from severa_netvisor.netvisor import xmlbuild
from severa_netvisor.netvisor.models import (
    CustomerInput,
    DimensionItemInput,
    DimensionRef,
    InvoiceAttachment,
    InvoiceCommentLine,
    InvoiceProductLine,
    ProductInput,
    SalesInvoiceInput,
    WorkdayHour,
    WorkdayInput,
)
from severa_netvisor.netvisor.schema import REQUEST_SCHEMAS, El
from severa_netvisor.netvisor.xmlbuild import Node, RequestBuildError, group, leaf, render


def _line(**overrides: Any) -> InvoiceProductLine:
    values = {
        "product_identifier": "W1",
        "name": "Työ",
        "unit_price": Decimal("100.00"),
        "vat_percentage": Decimal("25.5"),
        "quantity": Decimal("2"),
    }
    values.update(overrides)
    return InvoiceProductLine(**values)


def invoice(**overrides: Any) -> SalesInvoiceInput:
    values = {
        "invoice_date": date(2024, 5, 31),
        "amount": Decimal("251.00"),
        "customer_identifier": "7",
        "payment_term_net_days": 14,
        "lines": (_line(),),
    }
    values.update(overrides)
    return SalesInvoiceInput(**values)


def tags(body: bytes, parent: str) -> list[str]:
    root = etree.fromstring(body)
    element = root if root.tag == parent else root.find(f".//{parent}")
    assert element is not None
    return [child.tag for child in element]


def test_order_comes_from_the_schema_not_from_the_input():
    spec = El("x", (El("a"), El("b"), El("c")), required=True)
    node = Node(children={"c": leaf("3"), "a": leaf("1"), "b": leaf("2")})
    element = render(spec, node)
    assert element is not None
    assert [c.tag for c in element] == ["a", "b", "c"]


def test_sales_invoice_top_level_follows_dtd_order():
    body = xmlbuild.build_sales_invoice(
        invoice(
            free_text_after_lines="after",
            number="1001",
            due_date=date(2024, 6, 14),
            event_date=date(2024, 5, 1),
            our_reference="ref",
        )
    )
    order = [c.name for c in REQUEST_SCHEMAS["salesinvoice.nv"].children[0].children]
    sent = tags(body, "salesinvoice")
    assert sent == sorted(sent, key=order.index)
    assert sent[:4] == ["salesinvoicenumber", "salesinvoicedate", "salesinvoiceeventdate", "salesinvoiceduedate"]


def test_empty_and_missing_values_are_left_out():
    body = xmlbuild.build_customer(CustomerInput(name="A", city="", email=None))
    assert b"<city" not in body
    assert b"<email" not in body
    assert b"customerfinvoicedetails" not in body  # a wrapper with nothing inside goes too
    assert b"<email" not in xmlbuild.build_customer(CustomerInput(name="A"))


def test_formats_decimal_comma_ansi_dates_and_attributes():
    body = xmlbuild.build_sales_invoice(invoice(amount=Decimal("-1234.50"), due_date=date(2024, 6, 1)))
    root = etree.fromstring(body)
    amount = root.find("salesinvoice/salesinvoiceamount")
    assert amount is not None
    assert amount.text == "-1234,50"
    assert amount.get("iso4217currencycode") == "EUR"
    due = root.find("salesinvoice/salesinvoiceduedate")
    assert due is not None
    assert (due.text, due.get("format")) == ("2024-06-01", "ansi")
    vat = root.find(".//productvatpercentage")
    assert vat is not None
    assert (vat.text, vat.get("vatcode")) == ("25,5", "KOMY")


def test_body_starts_with_root_is_utf8_and_escapes_text():
    body = xmlbuild.build_customer(CustomerInput(name='Ä & Ö <Å> "€"', comment="line1\nline2"))
    assert body.startswith(b"<root>")
    assert "Ä &amp; Ö &lt;Å&gt;".encode() in body
    root = etree.fromstring(body)
    assert root.findtext("customer/customerbaseinformation/name") == 'Ä & Ö <Å> "€"'
    assert root.findtext("customer/customeradditionalinformation/comment") == "line1\nline2"


def test_characters_xml_cannot_carry_are_dropped():
    body = xmlbuild.build_customer(CustomerInput(name="A\x00B\x1fC"))
    assert etree.fromstring(body).findtext(".//name") == "ABC"


def test_comment_lines_credit_notes_dimensions_and_attachments():
    credit = invoice(
        amount=Decimal("-251.00"),
        lines=(
            _line(quantity=Decimal("-2"), dimensions=(DimensionRef(name="Projekti", item="P-1"),)),
            InvoiceCommentLine(comment="Hyvitys"),
        ),
        attachments=(InvoiceAttachment(filename="h.pdf", content=b"%PDF", description="Hyvityslasku"),),
    )
    root = etree.fromstring(xmlbuild.build_sales_invoice(credit))
    assert root.findtext(".//salesinvoiceproductlinequantity") == "-2"
    assert root.findtext(".//salesinvoicecommentline/comment") == "Hyvitys"
    assert root.findtext(".//dimension/dimensionname") == "Projekti"
    assert root.findtext(".//salesinvoiceattachment/documentdata") == "JVBERg=="
    assert b"salesinvoiceattachments" not in xmlbuild.build_sales_invoice(invoice())


def test_line_vat_sum_and_sum_go_together_or_not_at_all():
    alone = xmlbuild.build_sales_invoice(invoice(lines=(_line(vat_sum=Decimal("51.00")),)))
    assert b"salesinvoiceproductlinevatsum" not in alone
    both = xmlbuild.build_sales_invoice(invoice(lines=(_line(vat_sum=Decimal("51.00"), line_sum=Decimal("251.00")),)))
    assert tags(both, "salesinvoiceproductline")[5:7] == ["salesinvoiceproductlinevatsum", "salesinvoiceproductlinesum"]


def test_missing_required_element_names_it():
    spec = REQUEST_SCHEMAS["product.nv"]
    with pytest.raises(RequestBuildError, match="productgroup"):
        render(spec, group(product=group(productbaseinformation=group(name=leaf("x")))))


def test_unknown_element_is_a_programming_error():
    with pytest.raises(ValueError, match="nosuch"):
        render(REQUEST_SCHEMAS["matchcreditnote.nv"], group(nosuch=leaf("1")))


def test_other_writes():
    assert xmlbuild.build_match_credit_note(6, 5) == (
        b"<root><matchcreditnote><creditnotenetvisorkey>6</creditnotenetvisorkey>"
        b"<invoicenetvisorkey>5</invoicenetvisorkey></matchcreditnote></root>"
    )
    item = xmlbuild.build_dimension_item(
        DimensionItemInput(dimension_name="Projekti", item="P-2", old_item="P-1", is_hidden=False)
    )
    assert tags(item, "dimensionitem") == ["name", "item", "olditem", "ishidden"]
    assert b"<ishidden>False</ishidden>" in item
    workday = xmlbuild.build_workday(
        WorkdayInput(
            date=date(2024, 1, 2),
            employee_identifier="7",
            method="increment",
            hours=(WorkdayHour(hours=Decimal("7.5"), collector_ratio="11", description="Työ"),),
        )
    )
    root = etree.fromstring(workday)
    day = root.find("workday/date")
    assert day is not None
    assert day.get("method") == "increment"
    assert root.findtext("workday/workdayhour/hours") == "7,5"
    product = xmlbuild.build_product(ProductInput(name="Työ", group="Palvelut", unit_price=Decimal("80")))
    assert tags(product, "productbaseinformation") == [
        "productgroup",
        "name",
        "unitprice",
        "isactive",
        "issalesproduct",
    ]
