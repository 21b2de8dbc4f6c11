"""Severa invoice -> salesinvoice.nv mapping and pre-flight validation, in process (no I/O)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from severa_netvisor.mapping.invoices import (
    InvoiceValidationError,
    MappedInvoice,
    customer_placeholder,
    invoice_label,
    local_date,
    map_invoice,
    pdf_attachment,
)
from severa_netvisor.netvisor import xmlbuild
from severa_netvisor.netvisor.models import InvoiceCommentLine, InvoiceProductLine
from severa_netvisor.severa.models import Invoice

from tests.integration.transfers.invoices.world import mapping

CONFIG = mapping()
DAY = datetime(2026, 3, 10)


def _row(number: int, price: str, quantity: str, rate: str, **extra: Any) -> dict[str, Any]:
    net = (Decimal(price) * Decimal(quantity)).quantize(Decimal("0.01"))
    vat = (net * Decimal(rate) / 100).quantize(Decimal("0.01"))
    row = {
        "EventDate": DAY, "rowDeliveryDate": DAY, "rowNumber": number, "GUID": f"row-{number}",
        "articleIdentifier": "LIS-01", "articleName": "Ohjelmistolisenssi", "quantityUnitCode": "kpl",
        "deliveredQuantity": Decimal(quantity), "rowUnitPrice": Decimal(price), "unitPriceAmount": Decimal(price),
        "rowVatRatePercent": Decimal(rate), "rowVatExcludedAmount": net, "rowVatAmount": vat, "rowAmount": net + vat,
        "rowCostAmount": Decimal(0), "rowVatCode": "KOMY", "MainCaseNumber": 5001, "MainCaseName": "ERP-käyttöönotto",
        "MainCaseGUID": "case-1", "rowCostCenterNumber": "120",
    }  # fmt: skip
    row.update(extra)
    return row


def _totals(rows: list[dict[str, Any]]) -> dict[str, Decimal]:
    net = sum((r["rowVatExcludedAmount"] for r in rows), Decimal(0))
    vat = sum((r["rowVatAmount"] for r in rows), Decimal(0))
    return {
        "invoiceTotalVatExcludedAmount": net,
        "invoiceTotalVatAmount": vat,
        "invoiceTotalVatIncludedAmount": net + vat,
    }


def invoice(rows: list[dict[str, Any]] | None = None, **fields: Any) -> Invoice:
    rows = rows if rows is not None else [_row(1, "490.00", "2", "25.5"), _row(2, "39.90", "3", "13.5")]
    flags: tuple[str, ...] = ("IsTaxFree", "ShowAttachPriceExcludingVAT", "ShowAttachUnit", "ShowAttachUnitPrice")
    flags += ("ShowAttachVAT", "ShowLogoOnInvoice", "ShowPriceExcludingVAT", "ShowQuantity", "ShowUnit")
    flags += ("ShowUnitPrice", "ShowVAT")
    config = dict.fromkeys(flags, False)
    data: dict[str, Any] = {
        "GUID": "inv-1", "Number": 1042, "AccountGUID": "acc-1", "AccountName": "Mäkelän Rakennus Oy",
        "BusinessUnitName": "Pääkonttori", "CurrencyRate": Decimal(1), "CurrencyShortform": "EUR",
        "Date": DAY, "DueDate": datetime(2026, 3, 24), "EntryDate": DAY, "IsCreditNote": False,
        "IsReimbursed": False, "IsTaxFree": False, "OverDueInterest": Decimal(8), "PaymentTerm": 14,
        "ReferenceNumber": "10427", "OurReference": "Myynti", "YourReference": "Tilaus 7", "OrderNumber": "PO-7",
        "ReceiverCustomerName": "Mäkelän Rakennus Oy", "ReceiverAddressline": "Hämeenkatu 1",
        "ReceiverPostalCode": "33100", "ReceiverCity": "Tampere", "ReceiverCountry": "Suomi",
        "ReceiverVatNumber": "FI15728600", "NotesBeforeInvoiceRows": "Kiitos tilauksesta",
        "BuyerOrganization": {"buyerPartyIdentifier": "1572860-0", "buyerOrganisationTaxCode": "1572860-0",
                              "buyerPostalAddressDetails": {"countryCode": "FI"}},
        "InvoiceConfig": config, "InvoiceStatus": "Valmis lähetettäväksi Netvisoriin",
        "InvoiceDetails": {"invoiceDate": DAY, "invoiceDueDate": datetime(2026, 3, 24),
                           "paymentOverDueFinePercent": Decimal(8), "vatBaseAmount": Decimal(0),
                           "vatRateAmount": Decimal(0), "vatRatePercent": 25, **_totals(rows)},
        "InvoiceRows": rows,
    }  # fmt: skip
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return Invoice.model_validate(data)


def _fails(source: Invoice, *expected: str, config: Any = CONFIG) -> str:
    with pytest.raises(InvoiceValidationError) as caught:
        map_invoice(source, config, customer_key="77")
    message = caught.value.message
    assert message.startswith(f"{invoice_label(source)} cannot be transferred: ")
    for text in expected:
        assert text in message, message
    return message


def test_a_valid_invoice_maps_every_field_and_sends_row_sums() -> None:
    mapped = map_invoice(invoice(), CONFIG, customer_key="77")
    sent = mapped.invoice
    assert (sent.number, sent.invoice_date.isoformat(), sent.due_date and sent.due_date.isoformat()) == (
        "1042",
        "2026-03-10",
        "2026-03-24",
    )
    assert (sent.reference_number, sent.currency, sent.customer_identifier, sent.status) == (
        "10427",
        "EUR",
        "77",
        "unsent",
    )
    assert (sent.our_reference, sent.your_reference, sent.order_number) == ("Myynti", "Tilaus 7", "PO-7")
    assert (sent.free_text_before_lines, sent.payment_term_net_days, sent.customer_country_code) == (
        "Kiitos tilauksesta",
        14,
        "FI",
    )
    first, second = sent.lines
    assert isinstance(first, InvoiceProductLine)
    assert isinstance(second, InvoiceProductLine)
    # 2 x 490.00 = 980.00 + 25.5 % = 249.90 -> 1229.90; 3 x 39.90 = 119.70 + 13.5 % = 16.16 -> 135.86
    assert (first.vat_sum, first.line_sum, first.vat_code, first.product_identifier) == (
        Decimal("249.90"),
        Decimal("1229.90"),
        "KOMY",
        "LIS-01",
    )
    assert (second.vat_sum, second.line_sum) == (Decimal("16.16"), Decimal("135.86"))
    assert sent.amount == Decimal("1365.76")
    assert {d.name: d.item for d in first.dimensions} == {
        "Projekti": "5001 ERP-käyttöönotto",
        "Liiketoimintayksikkö": "Pääkonttori",
        "Kustannuspaikka": "120",
    }
    assert mapped.summary["total"] == "1365.76"
    assert mapped.summary["rows"] == "2"
    body = xmlbuild.build_sales_invoice(sent).decode()
    assert "<salesinvoiceproductlinevatsum>249,90</salesinvoiceproductlinevatsum>" in body


def test_an_unknown_customer_key_is_a_placeholder_the_writer_replaces() -> None:
    mapped: MappedInvoice = map_invoice(invoice(), CONFIG)
    assert mapped.invoice.customer_identifier == customer_placeholder("acc-1")


def test_a_credit_note_keeps_negative_amounts_and_names_the_original() -> None:
    rows = [_row(1, "490.00", "-2", "25.5")]
    mapped = map_invoice(invoice(rows, IsCreditNote=True, ReimburseInvoiceGUID="inv-0"), CONFIG, customer_key="7")
    assert mapped.is_credit_note
    assert mapped.credited_guid == "inv-0"
    assert mapped.invoice.amount == Decimal("-1229.90")
    line = mapped.invoice.lines[0]
    assert isinstance(line, InvoiceProductLine)
    assert line.quantity == Decimal(-2)
    assert line.vat_sum == Decimal("-249.90")


def test_reverse_charge_rows_get_the_mapped_code_and_the_legal_note() -> None:
    rows = [_row(1, "100.00", "3", "0", rowVatCode="EUPM312")]
    source = invoice(rows, IsTaxFree=True, TaxFreeDescription="Käännetty verovelvollisuus (AVL 8 c §)")
    mapped = map_invoice(source, CONFIG, customer_key="7")
    line = mapped.invoice.lines[0]
    assert isinstance(line, InvoiceProductLine)
    assert (line.vat_code, line.vat_percentage) == ("EUPM312", Decimal(0))
    assert "AVL 8 c" in (mapped.invoice.free_text_after_lines or "")


def test_reverse_charge_needs_the_buyer_vat_number_and_zero_rates() -> None:
    rows = [_row(1, "100.00", "3", "25.5")]
    _fails(
        invoice(rows, IsTaxFree=True, ReceiverVatNumber=None, BuyerOrganization={"buyerOrganisationTaxCode": None}),
        "buyer VAT number: is empty on a reverse-charge",
        "row 1 VAT rate: 25.5 % on a tax-free",
    )


def test_a_comment_row_becomes_a_comment_line() -> None:
    rows = [
        _row(1, "490.00", "1", "25.5"),
        _row(2, "0", "0", "25.5", articleName="Ajalta 1.-31.3.", articleIdentifier=None),
    ]
    lines = map_invoice(invoice(rows), CONFIG, customer_key="7").invoice.lines
    assert isinstance(lines[1], InvoiceCommentLine)
    assert lines[1].comment == "Ajalta 1.-31.3."


def test_a_discount_baked_into_the_row_sum_is_sent_as_a_percentage() -> None:
    row = _row(1, "100.00", "2", "25.5")
    row.update(rowVatExcludedAmount=Decimal("180.00"), rowVatAmount=Decimal("45.90"), rowAmount=Decimal("225.90"))
    line = map_invoice(invoice([row]), CONFIG, customer_key="7").invoice.lines[0]
    assert isinstance(line, InvoiceProductLine)
    assert line.discount_percentage == Decimal(10)
    assert line.line_sum == Decimal("225.90")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"ReferenceNumber": "10426"}, "reference number: '10426' has a wrong check digit"),
        ({"ReferenceNumber": None}, "reference number: is empty"),
        ({"BuyerOrganization": {"buyerPartyIdentifier": "1572860-1"}}, "customer business ID: '1572860-1'"),
        ({"CurrencyShortform": "SEK"}, "currency: the invoice is in SEK, but Netvisor's home currency is EUR"),
        ({"ReceiverPostalCode": " "}, "customer post code: is empty"),
        ({"Number": None}, "invoice number: is empty"),
        (
            {"InvoiceDetails": {"invoiceTotalVatIncludedAmount": Decimal("1365.77")}},
            "invoice total: the invoice totals",
        ),
    ],
)
def test_invoice_level_problems_name_the_field(fields: dict[str, Any], expected: str) -> None:
    _fails(invoice(**fields), expected)


def test_a_rate_not_in_force_on_the_supply_date_is_refused() -> None:
    # 13.5 % began on 1.1.2026; a row supplied in 2025 had 14 %.
    old = datetime(2025, 12, 15)
    _fails(
        invoice([_row(1, "39.90", "3", "13.5", rowDeliveryDate=old)]),
        "row 1 VAT rate: 13.5 % was not a Finnish VAT rate on 2025-12-15",
    )
    map_invoice(invoice([_row(1, "39.90", "3", "14", rowDeliveryDate=old)]), CONFIG, customer_key="7")


def test_an_unmapped_rate_is_refused() -> None:
    config = mapping(vat={"rates": {"25.5": "KOMY"}})
    _fails(invoice(), "row 2 VAT rate: 13.5 % has no Netvisor VAT code", config=config)


def test_row_sums_must_reconcile_to_the_cent() -> None:
    row = _row(1, "0.10", "3", "25.5")
    row["rowVatAmount"] = Decimal("0.07")  # 0.30 x 25.5 % = 0.0765: truncated instead of rounded
    row["rowAmount"] = row["rowVatExcludedAmount"] + row["rowVatAmount"]
    _fails(invoice([row]), "row 1 sums: Severa's sums differ from the cent-rounded row")


def test_every_problem_is_listed_at_once() -> None:
    message = _fails(
        invoice(ReferenceNumber="1", ReceiverCity=None, CurrencyShortform="USD"),
        "reference number",
        "customer town",
        "currency",
    )
    assert message.count(" | ") == 2


def test_dimension_items_longer_than_netvisor_allows_are_refused() -> None:
    _fails(invoice([_row(1, "490.00", "1", "25.5", MainCaseName="x" * 220)]), "Netvisor allows at most 200")


def test_local_date_keeps_the_office_calendar_day() -> None:
    assert local_date(datetime.fromisoformat("2026-03-09T22:00:00+00:00")).isoformat() == "2026-03-10"
    assert local_date(datetime(2026, 3, 10)).isoformat() == "2026-03-10"


def test_the_pdf_attachment_has_names_within_netvisor_limits() -> None:
    attachment = pdf_attachment("1042", b"%PDF-1.4", print_by_default=True)
    assert (attachment.filename, attachment.mime_type, attachment.print_by_default) == (
        "lasku-1042.pdf",
        "application/pdf",
        True,
    )
    assert len(attachment.description) <= 100
