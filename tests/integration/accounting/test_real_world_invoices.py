"""Issue 12 through the simulators: VAT codes by buyer and row, reverse-charge notes and buyer IDs,
rates by supply date on credit notes, both lawful roundings, exact discounts, credit-note signs,
e-invoicing fields and customers sharing a business ID."""

from __future__ import annotations

from decimal import Decimal

import pytest
from severa_netvisor.mapping.invoices import InvoiceValidationError
from severa_netvisor.netvisor.errors import NetvisorInvalidDataError
from severa_netvisor.netvisor.models import InvoiceProductLine

from sandbox.netvisor.state import InvoiceRecord
from sandbox.severa.cases import HELSINKI_ID, invoices_of
from tests.integration.accounting.conftest import World


def _sent(world: World, case: str) -> list[InvoiceRecord]:
    """Send every invoice of a case; return Netvisor's copies in number order."""
    world.transfer_customers()
    by_guid = {i.guid: i for i in world.ready_invoices()}
    keys = [world.send(by_guid[record["GUID"]]) for record in invoices_of(world.severa_state, case)]
    return [world.netvisor_state.invoices[key] for key in keys]


def _note(invoice: InvoiceRecord) -> str:
    return invoice.fields.get("salesinvoicefreetextafterlines", "")


def test_a_finnish_construction_buyer_gets_ramy_the_legal_note_and_its_business_id(world: World) -> None:
    [invoice] = _sent(world, "construction")
    assert {(line.vat_code, line.vat_percentage) for line in invoice.lines} == {("RAMY", Decimal(0))}
    assert "arvonlisäveron maksaa ostaja (AVL 8 c §)" in _note(invoice)
    account = world.severa_state.accounts
    kivi = next(a for a in account.values() if a["Name"] == "Kivirakenne Oy")
    assert f"Buyer's business ID: {kivi['_business_id']}" in _note(invoice)


def test_an_eu_service_buyer_gets_eupm312_severas_note_and_its_vat_number(world: World) -> None:
    [invoice] = _sent(world, "eu_services")
    assert {line.vat_code for line in invoice.lines} == {"EUPM312"}
    assert "Reverse charge, Article 196" in _note(invoice)
    assert "Buyer's VAT number: SE556677889901" in _note(invoice)
    assert invoice.fields["invoicingcustomercountrycode"] == "SE"


def test_an_eu_buyer_of_goods_and_services_gets_a_code_per_row(world: World) -> None:
    [invoice] = _sent(world, "eu_goods")
    assert [line.vat_code for line in invoice.lines] == ["EUMY", "EUPM312"]
    assert "Intra-Community supply" in _note(invoice)
    assert "Reverse charge" in _note(invoice)
    assert "Buyer's VAT number: DE123456789" in _note(invoice)


def test_a_buyer_outside_the_eu_gets_euum_and_no_vat_number_line(world: World) -> None:
    [invoice] = _sent(world, "outside_eu")
    assert {line.vat_code for line in invoice.lines} == {"EUUM"}
    assert "sale outside the EU" in _note(invoice)
    assert "VAT number" not in _note(invoice)


def test_rows_and_credit_notes_across_the_rate_change_keep_their_supplies_rates(world: World) -> None:
    original, first_credit, second_credit = _sent(world, "rate_change")
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


def test_vat_rounded_once_per_rate_reaches_netvisor_with_rows_that_add_up(world: World) -> None:
    [invoice] = _sent(world, "per_rate_rounding")
    assert invoice.amount == Decimal("0.38")
    assert sum(line.vat_sum for line in invoice.lines) == Decimal("0.08")
    assert sum(line.line_sum for line in invoice.lines) == invoice.amount


def test_a_large_discounted_row_is_sent_with_its_exact_discount(world: World) -> None:
    [invoice] = _sent(world, "large_discount")
    [line] = invoice.lines
    assert line.discount_percentage == Decimal("12.34541")
    assert (line.vat_sum, line.line_sum) == (Decimal("22075.97"), Decimal("108648.40"))


def test_a_credit_note_severa_gives_in_positive_amounts_reaches_netvisor_negative(world: World) -> None:
    invoice, credit = _sent(world, "positive_credit_note")
    assert invoice.amount == Decimal("1506.00")
    assert credit.amount == Decimal("-1506.00")
    [line] = credit.lines
    assert (line.unit_price, line.quantity, line.line_sum) == (Decimal("1200.00"), Decimal(-1), Decimal("-1506.00"))


def test_billing_units_sharing_a_business_id_become_customers_of_their_own(world: World) -> None:
    outcome = world.transfer_customers()
    assert outcome["created"] == len(world.severa_state.accounts)
    units = [c for c in world.netvisor_state.customers.values() if c.business_id == HELSINKI_ID]
    assert sorted(c.code for c in units) == ["20006", "20007"]
    # Their e-invoice addresses (OVT with a unit suffix) are in the e-invoicing fields.
    assert sorted(c.fields["finvoiceaddress"] for c in units) == [
        f"0037{HELSINKI_ID.replace('-', '')}0{n}" for n in (1, 2)
    ]
    assert all("organizationunitnumber" not in c.fields for c in units)
    invoices = _sent(world, "shared_business_id")
    assert [world.netvisor_state.customers[i.customer_key].code for i in invoices] == ["20006", "20007"]
    # A second run matches each unit by its number: nothing new is created.
    assert world.transfer_customers()["created"] == 0


def test_peppol_addresses_and_real_operator_codes_reach_netvisors_e_invoicing_fields(world: World) -> None:
    world.transfer_customers()
    by_code = {c.code: c for c in world.netvisor_state.customers.values()}
    assert (by_code["20002"].fields["finvoiceaddress"], by_code["20002"].fields["finvoiceroutercode"]) == (
        "0007:5566778899",
        "PEPPOL",
    )
    assert by_code["20005"].fields["finvoiceroutercode"] == "E204503"


def test_a_removed_e_invoice_address_is_blanked_in_netvisor(world: World) -> None:
    world.transfer_customers()
    account = next(a for a in world.severa_state.customers.values() if a["Number"] == 20005)
    account["eInvoiceAddress"] = account["eInvoiceOperator"] = None
    world.severa_state.touch(account)
    world.transfer_customers()
    customer = next(c for c in world.netvisor_state.customers.values() if c.code == "20005")
    assert (customer.fields["finvoiceaddress"], customer.fields["finvoiceroutercode"]) == ("", "")
    assert customer.fields["emailinvoicingaddress"] == "laskut@talli.example.com"


# -- what the simulator refuses, as Netvisor does -----------------------------------------------------


def test_netvisor_refuses_a_zero_rated_code_with_vat_and_a_credit_note_with_positive_quantities(world: World) -> None:
    world.transfer_customers()
    [source] = [i for i in world.ready_invoices() if i.number == 90002]
    mapped = world.map(source).invoice
    line = mapped.lines[0]
    assert isinstance(line, InvoiceProductLine)
    taxed = mapped.model_copy(update={"lines": (line.model_copy(update={"vat_percentage": Decimal("25.5")}),)})
    with pytest.raises(NetvisorInvalidDataError, match="VAT code EUPM312 does not allow VAT 25,5 %"):
        world.netvisor.add_sales_invoice(taxed)
    [credit_source] = [i for i in world.ready_invoices() if i.number == 90011]
    credit = world.map(credit_source).invoice
    credit_line = credit.lines[0]
    assert isinstance(credit_line, InvoiceProductLine)
    positive = credit_line.model_copy(
        update={"quantity": Decimal(1), "line_sum": Decimal("1506.00"), "vat_sum": Decimal("306.00")}
    )
    with pytest.raises(NetvisorInvalidDataError, match="A credit note needs negative quantities"):
        world.netvisor.add_sales_invoice(credit.model_copy(update={"lines": (positive,)}))
    negative_price = credit_line.model_copy(update={"unit_price": Decimal("-1200.00"), "quantity": Decimal(1)})
    with pytest.raises(NetvisorInvalidDataError, match="Credit note line 1: the unit price must be positive"):
        world.netvisor.add_sales_invoice(credit.model_copy(update={"lines": (negative_price,)}))
    assert len(world.netvisor_state.invoices) == 0


def test_an_eu_reverse_charge_invoice_without_a_foreign_vat_number_is_not_sent(world: World) -> None:
    world.transfer_customers()
    [source] = [i for i in world.ready_invoices() if i.number == 90002]
    assert source.buyer_organization is not None
    buyer = source.buyer_organization.model_copy(update={"buyer_organisation_tax_code": "FI15728600"})
    broken = source.model_copy(update={"receiver_vat_number": "FI15728600", "buyer_organization": buyer})
    with pytest.raises(InvoiceValidationError, match="'FI15728600' is a Finnish VAT number"):
        world.map(broken)
    assert not world.netvisor_state.invoices
