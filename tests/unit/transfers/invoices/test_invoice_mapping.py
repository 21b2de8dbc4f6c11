"""Severa invoice -> salesinvoice.nv mapping and pre-flight validation, in process (no I/O)."""

from __future__ import annotations

from datetime import date, datetime
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

from tests.integration.rig import mapping

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


def _buyer_in(country: str, vat_number: str | None) -> dict[str, Any]:
    return {
        "ReceiverVatNumber": vat_number,
        "ReceiverCountry": country,
        "BuyerOrganization": {
            "buyerPartyIdentifier": None,
            "buyerOrganisationTaxCode": vat_number,
            "buyerPostalAddressDetails": {"countryCode": country},
        },
    }


def _line(mapped: MappedInvoice, index: int = 0) -> InvoiceProductLine:
    line = mapped.invoice.lines[index]
    assert isinstance(line, InvoiceProductLine)
    return line


def test_a_finnish_reverse_charge_buyer_gets_ramy_the_legal_note_and_its_business_id() -> None:
    rows = [_row(1, "100.00", "3", "0", rowVatCode="RAMY")]
    source = invoice(rows, IsTaxFree=True, TaxFreeDescription="Käännetty verovelvollisuus (AVL 8 c §)")
    mapped = map_invoice(source, CONFIG, customer_key="7")
    assert (_line(mapped).vat_code, _line(mapped).vat_percentage) == ("RAMY", Decimal(0))
    after = mapped.invoice.free_text_after_lines or ""
    assert "AVL 8 c" in after
    assert "Buyer's business ID: 1572860-0" in after
    assert mapped.vat_codes == ("RAMY",)


def test_the_customers_reverse_charge_flag_alone_decides_a_zero_rated_row() -> None:
    # Item 3: a 0 % row of a reverse-charge customer on an invoice without IsTaxFree is not KOMY 0 %.
    rows = [_row(1, "100.00", "3", "0")]
    assert _line(map_invoice(invoice(rows), CONFIG, customer_key="7")).vat_code == "KOMY"
    mapped = map_invoice(invoice(rows), CONFIG, customer_key="7", reverse_charge=True)
    assert _line(mapped).vat_code == "RAMY"
    # The mapping's default note, since Severa's invoice has none.
    assert "arvonlisäveron maksaa ostaja (AVL 8 c §)" in (mapped.invoice.free_text_after_lines or "")
    # A reverse-charge customer buying a taxed service pays VAT as usual.
    taxed = [_row(1, "100.00", "3", "25.5")]
    assert _line(map_invoice(invoice(taxed), CONFIG, customer_key="7", reverse_charge=True)).vat_code == "KOMY"


@pytest.mark.parametrize(
    ("country", "vat_number", "article", "code", "note"),
    [
        ("SE", "SE556677889901", "KONS", "EUPM312", "Reverse charge"),
        ("DE", "DE123456789", "KIRJA-01", "EUMY", "Intra-Community supply"),
        ("NO", "NO999999999MVA", "KONS", "EUUM", "sale outside the EU"),
    ],
    ids=["EU services", "EU goods", "outside the EU"],
)
def test_a_foreign_buyer_gets_the_code_of_its_country_and_the_row(
    country: str, vat_number: str, article: str, code: str, note: str
) -> None:
    config = mapping(vat={"goods": ["KIRJA-01"]})
    rows = [_row(1, "100.00", "3", "0", articleIdentifier=article)]
    source = invoice(rows, IsTaxFree=country != "NO", **_buyer_in(country, vat_number))
    mapped = map_invoice(source, config, customer_key="7", reverse_charge=country != "NO")
    assert _line(mapped).vat_code == code
    after = mapped.invoice.free_text_after_lines or ""
    assert note in after
    assert (f"Buyer's VAT number: {vat_number}" in after) is (country != "NO")
    assert mapped.invoice.customer_country_code == country


def test_an_eu_reverse_charge_buyer_needs_a_vat_number_of_another_eu_country() -> None:
    rows = [_row(1, "100.00", "3", "0")]
    for vat_number, expected in (
        (None, "buyer VAT number: is empty on a EU services invoice"),
        ("FI15728600", "'FI15728600' is a Finnish VAT number"),
        ("SE1234", "does not have the form of a SE VAT number"),
    ):
        _fails(invoice(rows, IsTaxFree=True, **_buyer_in("SE", vat_number)), expected)


def test_a_zero_rate_for_an_eu_buyer_without_reverse_charge_is_refused() -> None:
    rows = [_row(1, "100.00", "3", "0")]
    _fails(invoice(rows, **_buyer_in("DE", "DE123456789")), "row 1 VAT code: 0 % for a buyer in DE")


def test_a_mapped_severa_code_must_fit_the_buyer_and_the_rate() -> None:
    config = mapping(vat={"severa_codes": {"EU0": "EUPM312"}})
    rows = [_row(1, "100.00", "3", "0", rowVatCode="EU0")]
    _fails(invoice(rows, IsTaxFree=True), "row 1 VAT code: EUPM312 (EU services) for a buyer in FI", config=config)
    sweden = invoice(rows, IsTaxFree=True, **_buyer_in("SE", "SE556677889901"))
    assert _line(map_invoice(sweden, config, customer_key="7")).vat_code == "EUPM312"


def test_reverse_charge_needs_zero_rates_and_the_buyer_vat_number() -> None:
    taxed = invoice([_row(1, "100.00", "3", "25.5")], IsTaxFree=True)
    _fails(taxed, "row 1 VAT rate: 25.5 % on an invoice marked tax-free")
    _fails(
        invoice(
            [_row(1, "100.00", "3", "0")],
            IsTaxFree=True,
            ReceiverVatNumber=None,
            BuyerOrganization={"buyerOrganisationTaxCode": None, "buyerPartyIdentifier": None},
        ),
        "buyer VAT number: is empty on a domestic reverse charge invoice",
    )


def test_a_reverse_charge_invoice_without_any_note_is_refused() -> None:
    config = mapping(vat={"notes": {}})
    _fails(
        invoice([_row(1, "100.00", "3", "0")], IsTaxFree=True),
        "VAT note: the invoice has RAMY rows but no note",
        config=config,
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
        # Severa's API sends a date never set as .NET's DateTime.MinValue: not sent dated in year 1.
        ({"Date": datetime(1, 1, 1)}, "invoice date: is empty"),
        ({"DueDate": datetime(1, 1, 1)}, "due date: is empty"),
        ({"DueDate": datetime(2026, 3, 9)}, "due date: 9.3.2026 is before the invoice date 10.3.2026"),
        (
            {"InvoiceDetails": {"invoiceTotalVatIncludedAmount": Decimal("1365.77")}},
            "invoice total: the invoice totals",
        ),
    ],
)
def test_invoice_level_problems_name_the_field(fields: dict[str, Any], expected: str) -> None:
    _fails(invoice(**fields), expected)


def test_dates_far_in_the_past_or_future_are_sent_as_they_are() -> None:
    # No range is documented for salesinvoice.nv's dates: Netvisor itself refuses one outside the
    # company's accounting periods.
    mapped = map_invoice(
        invoice(Date=datetime(1901, 1, 1), DueDate=datetime(2299, 12, 31)), CONFIG, customer_key="77"
    ).invoice
    assert (mapped.invoice_date, mapped.due_date) == (date(1901, 1, 1), date(2299, 12, 31))
    same_day = map_invoice(invoice(DueDate=DAY), CONFIG, customer_key="77").invoice
    assert same_day.due_date == same_day.invoice_date


def test_a_credit_note_keeps_a_due_date_before_its_date() -> None:
    # Nothing is paid by a credit note: its due date goes as Severa has it (the credited invoice's).
    rows = [_row(1, "490.00", "-2", "25.5")]
    source = invoice(rows, IsCreditNote=True, DueDate=datetime(2026, 2, 1))
    assert map_invoice(source, CONFIG, customer_key="7").invoice.due_date == date(2026, 2, 1)


def test_a_rate_not_in_force_on_the_supply_date_is_refused() -> None:
    # 13.5 % began on 1.1.2026; a row supplied in 2025 had 14 %.
    old = datetime(2025, 12, 15)
    _fails(
        invoice([_row(1, "39.90", "3", "13.5", rowDeliveryDate=old)]),
        "row 1 VAT rate: 13.5 % was not a Finnish VAT rate on 2025-12-15",
    )
    map_invoice(invoice([_row(1, "39.90", "3", "14", rowDeliveryDate=old)]), CONFIG, customer_key="7")


def test_an_unmapped_rate_is_refused() -> None:
    config = mapping(vat={"rates": {"13.5": None}})  # merged into the sandbox mapping: None removes it
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


# -- VAT by supply date (item 10) -------------------------------------------------------------------


def test_a_credit_note_keeps_the_rate_of_the_supply_it_corrects() -> None:
    # Credited on 15.1.2026 at the 14 % the original supply of 12/2025 carried (13.5 % from 1.1.2026).
    january = datetime(2026, 1, 15)
    rows = [_row(1, "39.90", "-3", "14", rowDeliveryDate=january, EventDate=january)]
    credit = invoice(rows, IsCreditNote=True, ReimburseInvoiceGUID="inv-0", Date=january)
    mapped = map_invoice(credit, CONFIG, customer_key="7", original_supply_dates=[date(2025, 12, 15)])
    assert (_line(mapped).vat_percentage, mapped.invoice.amount) == (Decimal(14), Decimal("-136.46"))
    # Without the original's date a rate of an earlier period is still accepted on a credit note…
    assert map_invoice(credit, CONFIG, customer_key="7").invoice.amount == Decimal("-136.46")
    # …but not a rate the original's supply date did not have, nor on an ordinary invoice.
    _fails_with(credit, "row 1 VAT rate: 14 % was not a Finnish VAT rate on the credited supplies (2026-02-01;",
                original_supply_dates=[date(2026, 2, 1)])  # fmt: skip
    # An original supplied on both sides of the change lends its credit notes both rates.
    both = [date(2025, 12, 15), date(2026, 1, 2)]
    assert _line(map_invoice(credit, CONFIG, customer_key="7", original_supply_dates=both)).vat_percentage == 14
    _fails(invoice([_row(1, "39.90", "3", "14", rowDeliveryDate=january)]), "14 % was not a Finnish VAT rate")


def _fails_with(source: Invoice, expected: str, **options: Any) -> None:
    with pytest.raises(InvoiceValidationError) as caught:
        map_invoice(source, CONFIG, customer_key="7", **options)
    assert expected in caught.value.message, caught.value.message


# -- rounding per rate (item 14) --------------------------------------------------------------------


def test_totals_rounded_per_vat_rate_are_accepted_and_the_rows_add_up_to_them() -> None:
    rows = [_row(n, "0.10", "1", "25.5") for n in (1, 2, 3)]  # each row: 0.0255 VAT -> 0.03
    per_rate = {
        "invoiceTotalVatExcludedAmount": Decimal("0.30"),
        "invoiceTotalVatAmount": Decimal("0.08"),  # 0.30 x 25.5 % = 0.0765 -> 0.08
        "invoiceTotalVatIncludedAmount": Decimal("0.38"),
    }
    mapped = map_invoice(invoice(rows, InvoiceDetails=per_rate), CONFIG, customer_key="7")
    lines = [_line(mapped, i) for i in range(3)]
    assert mapped.invoice.amount == Decimal("0.38")
    assert sum(line.vat_sum or 0 for line in lines) == Decimal("0.08")
    assert sum(line.line_sum or 0 for line in lines) == Decimal("0.38")
    # Per row (0.09) is equally lawful; anything else is refused naming both roundings.
    assert map_invoice(invoice(rows), CONFIG, customer_key="7").invoice.amount == Decimal("0.39")
    wrong = {**per_rate, "invoiceTotalVatAmount": Decimal("0.07"), "invoiceTotalVatIncludedAmount": Decimal("0.37")}
    _fails(invoice(rows, InvoiceDetails=wrong), "rounded once per VAT rate the VAT would be 0.08")


# -- discounts (item 15) ----------------------------------------------------------------------------


def test_a_large_discounted_row_gets_an_exact_percentage_that_passes_the_row_check() -> None:
    row = _row(1, "98765.43", "1", "25.5")
    # 98765.43 less 12.34541 % = 86572.43; the 4-decimal 12.3454 % would give 86572.44.
    net, vat = Decimal("86572.43"), Decimal("22075.97")
    row.update(rowVatExcludedAmount=net, rowVatAmount=vat, rowAmount=net + vat)
    line = _line(map_invoice(invoice([row]), CONFIG, customer_key="7"))
    assert line.discount_percentage == Decimal("12.34541")
    assert (line.vat_sum, line.line_sum) == (vat, net + vat)
    body = xmlbuild.build_sales_invoice(map_invoice(invoice([row]), CONFIG, customer_key="7").invoice).decode()
    assert f"<salesinvoiceproductlinediscountpercentage>{str(line.discount_percentage).replace('.', ',')}<" in body


# -- credit-note signs (item 16) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "quantity", "net_sign"),
    [("490.00", "-2", -1), ("-490.00", "2", -1), ("490.00", "2", 1)],
    ids=["negative quantity", "negative price", "positive amounts on a credit note"],
)
def test_a_credit_note_goes_out_with_negative_quantities_and_sums_whatever_severa_signs(
    price: str, quantity: str, net_sign: int
) -> None:
    row = _row(1, price, quantity, "25.5")
    net = Decimal("980.00") * net_sign
    vat = Decimal("249.90") * net_sign
    row.update(rowVatExcludedAmount=net, rowVatAmount=vat, rowAmount=net + vat)
    mapped = map_invoice(invoice([row], IsCreditNote=True), CONFIG, customer_key="7")
    line = _line(mapped)
    assert (line.unit_price, line.quantity) == (Decimal("490.00"), Decimal(-2))
    assert (line.vat_sum, line.line_sum, mapped.invoice.amount) == (
        Decimal("-249.90"),
        Decimal("-1229.90"),
        Decimal("-1229.90"),
    )
    assert mapped.is_credit_note


def test_a_negative_row_on_an_invoice_has_a_positive_price_and_a_negative_quantity() -> None:
    discount_row = _row(2, "-50.00", "1", "25.5")
    mapped = map_invoice(invoice([_row(1, "490.00", "1", "25.5"), discount_row]), CONFIG, customer_key="7")
    line = _line(mapped, 1)
    assert (line.unit_price, line.quantity, line.line_sum) == (Decimal("50.00"), Decimal(-1), Decimal("-62.75"))


# -- account suggestion (item 13), lengths, e-mail --------------------------------------------------


def test_severas_sales_account_becomes_the_account_suggestion_when_asked() -> None:
    rows = [_row(1, "490.00", "1", "25.5", rowSalesAccountNumber="3000")]
    assert _line(map_invoice(invoice(rows), CONFIG, customer_key="7")).account_suggestion is None
    config = mapping(invoices={"use_severa_sales_account": True, "sales_accounts": {"3000": "3010"}})
    line = _line(map_invoice(invoice(rows), config, customer_key="7"))
    assert line.account_suggestion == "3010"
    assert b"<accountingaccountsuggestion>3010</accountingaccountsuggestion>" in xmlbuild.build_sales_invoice(
        map_invoice(invoice(rows), config, customer_key="7").invoice
    )
    bad = [_row(1, "490.00", "1", "25.5", rowSalesAccountNumber="Myynti")]
    _fails(invoice(bad), "row 1 sales account: 'Myynti' is not an account number", config=config)


def test_fields_longer_than_netvisor_takes_are_named_before_sending() -> None:
    _fails(invoice(ReceiverAddressline="Katu " * 20), "customer street address: 'Katu Katu", "at most 80")
    config = mapping(netvisor_limits={"product code": 5})
    _fails(invoice(), "row 1 product code: 'LIS-01...' has 6 characters; Netvisor allows at most 5", config=config)


def test_the_invoices_buyer_email_is_kept_for_email_invoicing() -> None:
    source = invoice(BuyerOrganization={"buyerEmailaddressIdentifier": "ostolaskut@example.fi"})
    assert map_invoice(source, CONFIG, customer_key="7").buyer_email == "ostolaskut@example.fi"
    assert map_invoice(invoice(ReceiverContactEmail="x@example.fi"), CONFIG, customer_key="7").buyer_email == (
        "x@example.fi"
    )
