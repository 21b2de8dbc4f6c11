"""The spooled ready list: invoices typed a page at a time, oldest entry first, each once, and the
spool file gone when the pages are."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree
from severa_netvisor.severa.errors import SeveraAnswerRefusedError
from severa_netvisor.severa.stubs import InvoiceStub
from severa_netvisor.transfers.invoice_pickup import InvoiceSpool

ENTITY = "http://schemas.datacontract.org/2004/07/Severa.Entities.API"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _element(guid: str, entry: str, number: int, *, status: str = "Valmis") -> etree._Element:
    item = etree.Element(f"{{{ENTITY}}}Invoice", nsmap={"e": ENTITY, "i": XSI})
    members = {
        "CurrencyRate": "1", "Date": "2026-10-01T00:00:00", "DueDate": "2026-10-15T00:00:00", "EntryDate": entry,
        "GUID": guid, "InvoiceStatus": status, "IsCreditNote": "false", "IsReimbursed": "false",
        "IsTaxFree": "false", "Number": str(number), "OverDueInterest": "0", "PaymentTerm": "14",
        "AccountName": "Mäkelän Rakennus Oy",
    }  # fmt: skip
    for name, text in members.items():
        etree.SubElement(item, f"{{{ENTITY}}}{name}").text = text
    etree.SubElement(item, f"{{{ENTITY}}}PaymentDate").set(f"{{{XSI}}}nil", "true")
    return item


def _stub(guid: str, entry: str, number: int) -> InvoiceStub:
    return InvoiceStub.of(_element(guid, entry, number), "GetInvoicesByStatus")


def test_a_stub_keeps_its_key_and_types_the_invoice_as_listed() -> None:
    stub = _stub("b-guid", "2026-10-02T08:30:00", 10062)

    assert (stub.guid, stub.entry_date, stub.status) == ("b-guid", datetime(2026, 10, 2, 8, 30, tzinfo=UTC), "Valmis")
    invoice = stub.invoice()
    assert (invoice.number, invoice.account_name, invoice.payment_date) == (10062, "Mäkelän Rakennus Oy", None)
    assert len(stub.blob) < len(etree.tostring(_element("b-guid", "2026-10-02T08:30:00", 10062)))


def test_a_stub_with_a_bad_key_refuses_the_answer_naming_the_member() -> None:
    with pytest.raises(SeveraAnswerRefusedError, match="EntryDate"):
        _stub("a-guid", "not a date", 1)


def test_pages_come_oldest_entry_first_each_invoice_once_and_the_spool_closes() -> None:
    spool = InvoiceSpool()
    listed = [
        ("c", "2026-10-03T00:00:00", 3), ("a", "2026-10-01T00:00:00", 1), ("b2", "2026-10-02T00:00:00", 22),
        ("b1", "2026-10-02T00:00:00", 21), ("a", "2026-10-01T00:00:00", 1),  # listed twice (two units)
        ("z", "1999-12-31T23:59:59.5", 0),
    ]  # fmt: skip
    for guid, entry, number in listed:
        spool.add(_stub(guid, entry, number))
    spool.add(InvoiceStub.of(_element("", "2026-10-04T00:00:00", 9), "GetInvoicesByDate"))  # no GUID: not kept

    pages = list(spool.pages(2))

    assert [[i.number for i in page] for page in pages] == [[0, 1], [21, 22], [3]]
    assert spool._file.closed


def test_a_short_first_page_then_full_ones() -> None:
    spool = InvoiceSpool()
    for day in range(1, 8):
        spool.add(_stub(f"g{day}", f"2026-10-0{day}T00:00:00", day))

    assert [[i.number for i in page] for page in spool.pages(3, first=1)] == [[1], [2, 3, 4], [5, 6, 7]]
