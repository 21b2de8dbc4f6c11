"""The parser over every real response sample in ../shared/reference/netvisor/samples/responses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from severa_netvisor.netvisor import errors
from severa_netvisor.netvisor import xmlparse as p

from tests.conftest import SHARED_REFERENCE

SAMPLE_NAMES = sorted(path.name for path in (SHARED_REFERENCE / "netvisor/samples/responses").glob("*.xml"))
FAILED = {"AuthenticationFailed.xml": "AUTHENTICATION_FAILED", "GetCustomerNotFound.xml": "INVALID_DATA"}


def load(shared_reference: Path, name: str) -> bytes:
    return (shared_reference / "netvisor/samples/responses" / name).read_bytes()


def test_all_samples_are_listed(shared_reference):
    on_disk = sorted(x.name for x in (shared_reference / "netvisor/samples/responses").glob("*.xml"))
    assert on_disk == SAMPLE_NAMES
    assert len(on_disk) == 43


@pytest.mark.parametrize("name", SAMPLE_NAMES or ["(none)"])
def test_every_sample_has_a_readable_status(shared_reference, name):
    body = load(shared_reference, name)
    root = p.parse_xml(body)
    assert root is not None
    status = p.read_status(body, root)
    assert status is not None
    assert status.timestamp is not None
    if name in FAILED:
        assert not status.ok
        assert status.code == FAILED[name]
        error = errors.error_from_status(status.code or "", status.text or "")
        assert type(error) is errors.ERROR_CLASSES[FAILED[name]]
        assert error.remote_text == f"{status.code} :: {status.text}"
    else:
        assert status.ok


def test_customer_samples(shared_reference):
    listing = p.parse_customer_list(p.parse_xml(load(shared_reference, "CustomerList.xml")))
    assert [(c.netvisor_key, c.code, c.business_id) for c in listing] == [(165, "AA", "12345678-9"), (166, "", "")]
    assert p.parse_customer_list(p.parse_xml(load(shared_reference, "CustomerListMinimal.xml"))) == []
    assert p.inserted_key(p.parse_xml(load(shared_reference, "CustomerCreate.xml"))) == 8
    [one] = p.parse_customers(p.parse_xml(load(shared_reference, "GetCustomer.xml")))
    assert (one.netvisor_key, one.code, one.name, one.country) == (5, "MM", "Maija Mallikas", "FI")
    assert (one.finvoice_router_code, one.reference_number, one.balance_limit) == ("PSPBFIHH", "1070", Decimal("200.3"))
    assert one.is_active is True
    many = p.parse_customers(p.parse_xml(load(shared_reference, "GetCustomerList.xml")))
    assert [c.netvisor_key for c in many] == [5, 6]
    [minimal] = p.parse_customers(p.parse_xml(load(shared_reference, "GetCustomerMinimal.xml")))
    assert (minimal.netvisor_key, minimal.code, minimal.is_active) == (None, "", False)


def test_product_samples(shared_reference):
    [summary] = p.parse_product_list(p.parse_xml(load(shared_reference, "ProductList.xml")))
    assert (summary.netvisor_key, summary.code, summary.unit_price) == (165, "TT", Decimal("1.96"))
    assert p.parse_product_list(p.parse_xml(load(shared_reference, "ProductListEmpty.xml"))) == []
    assert len(p.parse_product_list(p.parse_xml(load(shared_reference, "ProductListMinimal.xml")))) == 1
    [product] = p.parse_products(p.parse_xml(load(shared_reference, "GetProduct.xml")))
    assert (product.netvisor_key, product.unit_price, product.price_type) == (165, Decimal("42.5"), "brutto")
    assert product.default_vat_percentage == Decimal("22.0")
    assert product.is_sales_product is False
    assert p.parse_products(p.parse_xml(load(shared_reference, "GetProductNotFound.xml"))) == []
    assert len(p.parse_products(p.parse_xml(load(shared_reference, "GetProductMinimal.xml")))) == 1
    assert p.inserted_key(p.parse_xml(load(shared_reference, "ProductCreate.xml"))) is not None


def test_sales_invoice_samples(shared_reference):
    invoices = p.parse_sales_invoice_list(p.parse_xml(load(shared_reference, "SalesInvoiceList.xml")))
    assert [(i.netvisor_key, i.status, i.substatus) for i in invoices] == [
        (165, "open", "overdue"),
        (166, "unsent", ""),
    ]
    assert invoices[0].invoice_date == date(2013, 11, 9)
    assert (invoices[0].invoice_sum, invoices[0].open_sum) == (Decimal("123.45"), Decimal("45.67"))
    assert p.parse_sales_invoice_list(p.parse_xml(load(shared_reference, "SalesInvoiceListEmpty.xml"))) == []
    assert len(p.parse_sales_invoice_list(p.parse_xml(load(shared_reference, "SalesInvoiceListPreinvoice.xml")))) == 1
    [invoice] = p.parse_sales_invoices(p.parse_xml(load(shared_reference, "GetSalesInvoice.xml")))
    assert (invoice.number, invoice.amount, invoice.currency) == ("3", Decimal("244.12"), "EUR")
    assert (invoice.status, invoice.status_text, invoice.customer_country_code) == ("unsent", "Unsent", "FI")
    assert [(x.product_identifier, x.vat_code, x.line_sum) for x in invoice.lines] == [
        ("OMENA", "KOMY", Decimal("16.84")),
        ("BANAANI", "KOMY", Decimal("3.0378")),
    ]
    assert invoice.due_date == date(2023, 6, 6)
    assert len(p.parse_sales_invoices(p.parse_xml(load(shared_reference, "GetSalesInvoiceList.xml")))) >= 1
    [minimal] = p.parse_sales_invoices(p.parse_xml(load(shared_reference, "GetSalesInvoiceMinimal.xml")))
    assert minimal.amount == Decimal("244.00")
    assert p.parse_sales_invoices(p.parse_xml(load(shared_reference, "GetSalesInvoiceNotFound.xml"))) == []
    assert p.inserted_key(p.parse_xml(load(shared_reference, "SalesInvoiceCreate.xml"))) is not None


def test_payment_and_dimension_samples(shared_reference):
    payments = p.parse_sales_payment_list(p.parse_xml(load(shared_reference, "SalesPaymentList.xml")))
    assert [(x.netvisor_key, x.payment_date, x.sum, x.invoice_number) for x in payments] == [
        (165, date(2014, 2, 7), Decimal("249.90"), "1"),
        (166, date(2014, 3, 10), Decimal("200"), "2"),
    ]
    assert (payments[0].bank_status, payments[0].bank_status_error_code) == ("FAILED", "ERROR_IN_DUE_DATE")
    assert p.inserted_key(p.parse_xml(load(shared_reference, "SalesPaymentCreate.xml"))) is not None
    dimensions = p.parse_dimension_list(p.parse_xml(load(shared_reference, "DimensionList.xml")))
    assert [(d.name, d.is_hidden, len(d.items)) for d in dimensions] == [("Hinnastoryhmä", False, 2), ("KP1", True, 1)]
    assert dimensions[0].items[1].name == "Eläkeläiset"
    assert p.parse_dimension_list(p.parse_xml(load(shared_reference, "DimensionListMinimal.xml"))) == []
