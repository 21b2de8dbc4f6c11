"""Lenient parsing: case, decimal comma or dot, Finnish and ISO dates, one-or-many, broken error bodies."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from severa_netvisor.netvisor import xmlparse as p


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123,45", Decimal("123.45")),
        ("244.12", Decimal("244.12")),
        ("-0,5478", Decimal("-0.5478")),
        ("1 234,50", Decimal("1234.50")),
        ("1.234,50", Decimal("1234.50")),
        ("1,234.50", Decimal("1234.50")),
        ("", None),
        ("abc", None),
        (None, None),
    ],
)
def test_decimals(text, expected):
    assert p.parse_decimal(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7.2.2014", datetime(2014, 2, 7)),
        ("01.01.2018 12:00:00", datetime(2018, 1, 1, 12, 0, 0)),
        ("7.10.2021 14:24:42", datetime(2021, 10, 7, 14, 24, 42)),
        ("2013-11-09", datetime(2013, 11, 9)),
        ("2021-10-07T14:24:42", datetime(2021, 10, 7, 14, 24, 42)),
        ("2021-10-07 14:24:42", datetime(2021, 10, 7, 14, 24, 42)),
        ("31.2.2020", None),
        ("", None),
    ],
)
def test_dates(text, expected):
    assert p.parse_datetime(text) == expected


def test_booleans_in_every_language_netvisor_uses():
    assert [p.parse_bool(v) for v in ("1", "True", "Yes", "Kyllä", "0", "False", "No", "Ei", "?")] == [
        True, True, True, True, False, False, False, False, None,
    ]  # fmt: skip


def test_tags_are_case_insensitive_and_unknown_elements_ignored():
    body = (
        b"<ROOT><responsestatus><STATUS>OK</STATUS></responsestatus><CUSTOMERLIST><customer>"
        b"<NETVISORKEY>5</NETVISORKEY><name>A</name><Brand_New_Element>x</Brand_New_Element>"
        b"</customer></CUSTOMERLIST></ROOT>"
    )
    root = p.parse_xml(body)
    assert p.read_status(body, root) == p.Status(ok=True)
    [customer] = p.parse_customer_list(root)
    assert (customer.netvisor_key, customer.name) == (5, "A")


def test_one_or_many_and_empty_not_found():
    one = p.parse_xml(b"<Root><SalesInvoice><SalesInvoiceNumber>1</SalesInvoiceNumber></SalesInvoice></Root>")
    many = p.parse_xml(
        b"<Root><SalesInvoices><SalesInvoice><SalesInvoiceNumber>1</SalesInvoiceNumber></SalesInvoice>"
        b"<SalesInvoice><SalesInvoiceNumber>2</SalesInvoiceNumber></SalesInvoice></SalesInvoices></Root>"
    )
    empty = p.parse_xml(b"<Root><SalesInvoice /></Root>")
    assert [i.number for i in p.parse_sales_invoices(one)] == ["1"]
    assert [i.number for i in p.parse_sales_invoices(many)] == ["1", "2"]
    assert p.parse_sales_invoices(empty) == []


def test_double_status_failure_envelope():
    body = (
        b"<Root><ResponseStatus><Status>FAILED</Status>"
        b"<Status>INVALID_DATA :: Data form incorrect:. Customer not found</Status>"
        b"<TimeStamp>10.3.2014 18:33:05</TimeStamp></ResponseStatus></Root>"
    )
    assert p.read_status(body) == p.Status(
        ok=False,
        code="INVALID_DATA",
        text="Data form incorrect:. Customer not found",
        timestamp=datetime(2014, 3, 10, 18, 33, 5),
    )


def test_malformed_error_body_keeps_netvisor_text_verbatim():
    body = (
        '<?xml version="1.0" encoding="utf-8"?><Root><ResponseStatus><Status>FAILED</Status>'
        "<Status>AUTHENTICATION_FAILED :: URI-metodi ei kelpaa. Käytä: https://h/x.nv?a=1&sender&cid"
        "&YOUR_PRIVATE_KEY_HERE :: 0a1b</Status><TimeStamp>1.1.2024 8:00:00</TimeStamp></ResponseStatus></Root>"
    ).encode()
    status = p.read_status(body)
    assert status is not None
    assert status.code == "AUTHENTICATION_FAILED"
    assert status.text == "URI-metodi ei kelpaa. Käytä: https://h/x.nv?a=1&sender&cid&YOUR_PRIVATE_KEY_HERE :: 0a1b"
    assert status.timestamp == datetime(2024, 1, 1, 8, 0, 0)


def test_bodies_without_a_status():
    assert p.read_status(b"<html><body>502 Bad Gateway</body></html>") is None
    assert p.read_status(b"") is None
    assert p.read_status(b"<Root><Other/></Root>") is None
    assert p.parse_xml(b"") is None


def test_failed_without_detail():
    status = p.read_status(b"<Root><ResponseStatus><Status>FAILED</Status></ResponseStatus></Root>")
    assert status is not None
    assert not status.ok
    assert status.code is None


def test_payment_list_dates_and_sums():
    root = p.parse_xml(
        b"<Root><SalesPaymentList><SalesPayment><NetvisorKey>1</NetvisorKey><Date>7.2.2014</Date>"
        b"<Sum>249,90</Sum><LastModifiedTimestamp>7.10.2021 14:24:42</LastModifiedTimestamp>"
        b"</SalesPayment></SalesPaymentList></Root>"
    )
    [payment] = p.parse_sales_payment_list(root)
    assert payment.payment_date == date(2014, 2, 7)
    assert payment.sum == Decimal("249.90")
    assert payment.last_modified == datetime(2021, 10, 7, 14, 24, 42)
