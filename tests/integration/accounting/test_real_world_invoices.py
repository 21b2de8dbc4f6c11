"""Issue 12 through the simulators and the transfers: VAT codes by buyer and row, reverse-charge notes
and buyer IDs, rates by supply date on credit notes, both lawful roundings, exact discounts,
credit-note signs, e-invoicing fields and customers sharing a business ID."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree
from severa_netvisor.netvisor.errors import NetvisorInvalidDataError

from sandbox.severa.cases import HELSINKI_ID, invoices_of
from sandbox.severa.seed import SENT_STATUS
from tests.integration.accounting.conftest import note, sent
from tests.integration.rig import World


def test_a_finnish_construction_buyer_gets_ramy_the_legal_note_and_its_business_id(w: World) -> None:
    [invoice] = sent(w, "construction")
    assert {(line.vat_code, line.vat_percentage) for line in invoice.lines} == {("RAMY", Decimal(0))}
    assert "arvonlisäveron maksaa ostaja (AVL 8 c §)" in note(invoice)
    account = w.severa.state.accounts
    kivi = next(a for a in account.values() if a["Name"] == "Kivirakenne Oy")
    assert f"Buyer's business ID: {kivi['_business_id']}" in note(invoice)


def test_an_eu_service_buyer_gets_eupm312_severas_note_and_its_vat_number(w: World) -> None:
    [invoice] = sent(w, "eu_services")
    assert {line.vat_code for line in invoice.lines} == {"EUPM312"}
    assert "Reverse charge, Article 196" in note(invoice)
    assert "Buyer's VAT number: SE556677889901" in note(invoice)
    assert invoice.fields["invoicingcustomercountrycode"] == "SE"


def test_an_eu_buyer_of_goods_and_services_gets_a_code_per_row(w: World) -> None:
    [invoice] = sent(w, "eu_goods")
    assert [line.vat_code for line in invoice.lines] == ["EUMY", "EUPM312"]
    assert "Intra-Community supply" in note(invoice)
    assert "Reverse charge" in note(invoice)
    assert "Buyer's VAT number: DE123456789" in note(invoice)


def test_a_buyer_outside_the_eu_gets_euum_and_no_vat_number_line(w: World) -> None:
    [invoice] = sent(w, "outside_eu")
    assert {line.vat_code for line in invoice.lines} == {"EUUM"}
    assert "sale outside the EU" in note(invoice)
    assert "VAT number" not in note(invoice)


def test_rows_and_credit_notes_across_the_rate_change_keep_their_supplies_rates(w: World) -> None:
    original, first_credit, second_credit = sent(w, "rate_change")
    assert [line.vat_percentage for line in original.lines] == [Decimal(14), Decimal("13.5"), Decimal("25.5")]
    # Dated 15.1.2026 and 20.1.2026, the credit notes keep 14 % and 13.5 % of the supplies they credit.
    assert [line.vat_percentage for line in first_credit.lines] == [Decimal(14)]
    assert [line.vat_percentage for line in second_credit.lines] == [Decimal("13.5"), Decimal("25.5")]
    for credit in (first_credit, second_credit):
        assert credit.amount < 0
        assert all(line.quantity < 0 and line.line_sum < 0 and line.unit_price > 0 for line in credit.lines)
    assert original.amount + first_credit.amount + second_credit.amount == Decimal("1341.53") - Decimal(
        "90.97"
    ) - Decimal("660.24")


def test_vat_rounded_once_per_rate_reaches_netvisor_with_rows_that_add_up(w: World) -> None:
    [invoice] = sent(w, "per_rate_rounding")
    assert invoice.amount == Decimal("0.38")
    assert sum(line.vat_sum for line in invoice.lines) == Decimal("0.08")
    assert sum(line.line_sum for line in invoice.lines) == invoice.amount


def test_a_large_discounted_row_is_sent_with_its_exact_discount(w: World) -> None:
    [invoice] = sent(w, "large_discount")
    [line] = invoice.lines
    assert line.discount_percentage == Decimal("12.34541")
    assert (line.vat_sum, line.line_sum) == (Decimal("22075.97"), Decimal("108648.40"))


def test_a_credit_note_severa_gives_in_positive_amounts_reaches_netvisor_negative(w: World) -> None:
    invoice, credit = sent(w, "positive_credit_note")
    assert invoice.amount == Decimal("1506.00")
    assert credit.amount == Decimal("-1506.00")
    [line] = credit.lines
    assert (line.unit_price, line.quantity, line.line_sum) == (Decimal("1200.00"), Decimal(-1), Decimal("-1506.00"))


def test_billing_units_sharing_a_business_id_become_customers_of_their_own(w: World) -> None:
    summary = w.run_engine("customers")
    assert summary.created == len(w.severa.state.accounts)
    units = [c for c in w.netvisor.state.customers.values() if c.business_id == HELSINKI_ID]
    assert sorted(c.code for c in units) == ["20006", "20007"]
    # Their e-invoice addresses (OVT with a unit suffix) are in the e-invoicing fields.
    assert sorted(c.fields["finvoiceaddress"] for c in units) == [
        f"0037{HELSINKI_ID.replace('-', '')}0{n}" for n in (1, 2)
    ]
    assert all("organizationunitnumber" not in c.fields for c in units)
    invoices = sent(w, "shared_business_id")
    assert [w.netvisor.state.customers[i.customer_key].code for i in invoices] == ["20006", "20007"]
    # Read again from the beginning, each unit is matched by its number: nothing new is created.
    assert w.run_engine("customers", full_resync=True).created == 0
    assert len(w.netvisor.state.customers) == len(w.severa.state.accounts)


def test_peppol_addresses_and_real_operator_codes_reach_netvisors_e_invoicing_fields(w: World) -> None:
    w.run_engine("customers")
    by_code = {c.code: c for c in w.netvisor.state.customers.values()}
    assert (by_code["20002"].fields["finvoiceaddress"], by_code["20002"].fields["finvoiceroutercode"]) == (
        "0007:5566778899",
        "PEPPOL",
    )
    assert by_code["20005"].fields["finvoiceroutercode"] == "E204503"


def test_a_removed_e_invoice_address_is_blanked_in_netvisor(w: World) -> None:
    w.run_engine("customers")
    account = next(a for a in w.severa.state.customers.values() if a["Number"] == 20005)
    account["eInvoiceAddress"] = account["eInvoiceOperator"] = None
    w.severa.state.touch(account)
    assert w.run_engine("customers").updated == 1
    customer = next(c for c in w.netvisor.state.customers.values() if c.code == "20005")
    assert (customer.fields["finvoiceaddress"], customer.fields["finvoiceroutercode"]) == ("", "")
    assert customer.fields["emailinvoicingaddress"] == "laskut@talli.example.com"


# -- what the simulator refuses, as Netvisor does -----------------------------------------------------


def _sent_body(w: World, number: int) -> etree._Element:
    """The salesinvoice.nv request the transfer sent for one invoice, parsed."""
    for entry in w.netvisor.request_log.entries:
        if entry.resource == "salesinvoice.nv" and f"<salesinvoicenumber>{number}<".encode() in entry.body:
            return etree.fromstring(entry.body)
    raise AssertionError(f"invoice {number} was not sent")


def _resent(w: World, tree: etree._Element, number: int) -> None:
    """Send an edited copy of an invoice under a number of its own."""
    found = tree.find(".//salesinvoicenumber")
    assert found is not None
    found.text = str(number)
    _, netvisor = w.clients()
    netvisor.add_sales_invoice(None, body=etree.tostring(tree, encoding="utf-8"))  # type: ignore[arg-type]


def _line(tree: etree._Element) -> etree._Element:
    line = tree.find(".//invoiceline/salesinvoiceproductline")
    assert line is not None
    return line


def _set(line: etree._Element, tag: str, text: str) -> None:
    found = line.find(tag)
    assert found is not None, tag
    found.text = text


def test_netvisor_refuses_a_zero_rated_code_with_vat_and_a_credit_note_with_positive_quantities(w: World) -> None:
    sent(w, "eu_services", "positive_credit_note")
    before = len(w.netvisor.state.invoices)

    taxed = _sent_body(w, 90002)
    _set(_line(taxed), "productvatpercentage", "25,5")
    with pytest.raises(NetvisorInvalidDataError, match="VAT code EUPM312 does not allow VAT 25,5 %"):
        _resent(w, taxed, 99001)

    [_, credit_note] = invoices_of(w.severa.state, "positive_credit_note")
    positive = _sent_body(w, credit_note["Number"])
    for tag, text in (("salesinvoiceproductlinequantity", "1"), ("salesinvoiceproductlinesum", "1506,00")):
        _set(_line(positive), tag, text)
    with pytest.raises(NetvisorInvalidDataError, match="A credit note needs negative quantities"):
        _resent(w, positive, 99002)

    negative_price = _sent_body(w, credit_note["Number"])
    _set(_line(negative_price), "salesinvoiceproductlinequantity", "1")
    _set(_line(negative_price), "productunitprice", "-1200,00")
    with pytest.raises(NetvisorInvalidDataError, match="Credit note line 1: the unit price must be positive"):
        _resent(w, negative_price, 99003)
    assert len(w.netvisor.state.invoices) == before


def test_an_eu_reverse_charge_invoice_without_a_foreign_vat_number_is_not_sent(w: World) -> None:
    [record] = invoices_of(w.severa.state, "eu_services")
    record["ReceiverVatNumber"] = "FI15728600"
    record["BuyerOrganization"]["buyerOrganisationTaxCode"] = "FI15728600"
    for other in w.severa.state.invoices.values():
        if other is not record:
            other["InvoiceStatus"] = SENT_STATUS

    summary = w.run_engine("invoices")

    assert (summary.created, summary.failed) == (0, 1), summary
    [failure] = w.open_failures("invoices")
    assert "'FI15728600' is a Finnish VAT number" in failure.reason
    assert not w.netvisor.state.invoices
