"""Every operation the transfers use, client against the simulator over real HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.severa.errors import SeveraNotFoundError

from sandbox.severa import SeveraSimulator
from sandbox.severa.seed import PAID_STATUS, READY_STATUS, SENT_STATUS

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def test_get_version_and_schema_version(client: SeveraClient, sim: SeveraSimulator) -> None:
    assert client.get_version() == sim.state.version
    assert client.get_entity_schema_version() == sim.state.entity_schema_version


def test_accounts_changed_since_filters_by_change_time(client: SeveraClient, sim: SeveraSimulator) -> None:
    everything = client.accounts_changed_since(LONG_AGO)
    assert {a.guid for a in everything} == set(sim.state.accounts)
    newest = max(sim.state.accounts.values(), key=lambda r: r["_changed"])
    recent = client.accounts_changed_since(newest["_changed"])
    assert newest["GUID"] in {a.guid for a in recent}
    assert len(recent) < len(everything)
    account = next(a for a in everything if a.guid == newest["GUID"])
    assert account.name == newest["Name"]
    assert account.e_invoice_address == newest["eInvoiceAddress"]
    assert account.updated_ts is not None
    assert account.updated_ts.tzinfo is not None


def test_accounts_changed_since_excludes_inactive_unless_asked(client: SeveraClient, sim: SeveraSimulator) -> None:
    record = next(iter(sim.state.accounts.values()))
    record["IsActive"] = False
    assert record["GUID"] not in {a.guid for a in client.accounts_changed_since(LONG_AGO)}
    assert record["GUID"] in {a.guid for a in client.accounts_changed_since(LONG_AGO, options=2)}


def test_account_and_customer_by_guid(client: SeveraClient, sim: SeveraSimulator) -> None:
    guid = next(iter(sim.state.accounts))
    account = client.account(guid)
    customer = client.customer(guid)
    assert account is not None
    assert customer is not None
    assert account.number == sim.state.accounts[guid]["Number"]
    assert customer.vat_number == sim.state.customers[guid]["VatNumber"]
    assert client.account("00000000-0000-0000-0000-000000000000") is None
    assert client.customer("00000000-0000-0000-0000-000000000000") is None


def test_customers_changed_since(client: SeveraClient, sim: SeveraSimulator) -> None:
    customers = client.customers_changed_since(LONG_AGO)
    assert {c.guid for c in customers} == set(sim.state.customers)
    assert all(c.head_office_address_guid in sim.state.addresses for c in customers)


def test_addresses_changed_since_all_and_per_account(client: SeveraClient, sim: SeveraSimulator) -> None:
    assert len(client.addresses_changed_since(LONG_AGO)) == len(sim.state.addresses)
    account = next(iter(sim.state.accounts.values()))
    mine = client.addresses_changed_since(LONG_AGO, account_guid=account["GUID"])
    assert [a.company_guid for a in mine] == [account["CompanyGUID"]]
    assert mine[0].is_billing_address is True
    assert client.address(mine[0].guid or "") == mine[0]
    assert client.address("missing") is None


def test_contacts_changed_since_and_by_account(client: SeveraClient, sim: SeveraSimulator) -> None:
    account_guid = next(iter(sim.state.accounts))
    expected = {g for g, c in sim.state.contacts.items() if c["AccountGUID"] == account_guid}
    assert {c.guid for c in client.contacts_of_account(account_guid)} == expected
    assert {c.guid for c in client.contacts_changed_since(LONG_AGO, account_guid=account_guid)} == expected
    contact = client.contacts_changed_since(LONG_AGO)[0]
    assert contact.communication_methods
    assert contact.communication_methods[0].type == "EmailAddress"
    assert contact.keywords == ["laskutus"]
    # NotFound for an unknown account is Severa's "none".
    assert client.contacts_of_account("no-such-account") == []


def test_cases_changed_since_and_by_guid(client: SeveraClient, sim: SeveraSimulator) -> None:
    cases = client.cases_changed_since(LONG_AGO)
    assert {c.guid for c in cases} == set(sim.state.cases)
    unit = cases[0].business_unit_guid or ""
    in_unit = client.cases_changed_since(LONG_AGO, business_unit_guid=unit)
    assert in_unit
    assert all(c.business_unit_guid == unit for c in in_unit)
    single = client.case(cases[0].guid or "")
    assert single is not None
    assert single.cost_center_number == sim.state.cases[cases[0].guid or ""]["CostCenterNumber"]


def test_business_units_changed_since(client: SeveraClient, sim: SeveraSimulator) -> None:
    units = client.business_units_changed_since(LONG_AGO)
    assert {u.guid for u in units} == set(sim.state.business_units)
    assert any(u.parent_business_unit_guid for u in units)


def test_products_and_work_types(client: SeveraClient, sim: SeveraSimulator) -> None:
    products = client.products_changed_since(LONG_AGO)
    assert {p.code for p in products} == {p["Code"] for p in sim.state.products.values()}
    assert {p.vat for p in products} >= {Decimal("25.5"), Decimal("13.5"), Decimal("10")}
    assert all(isinstance(p.unit_price, Decimal) for p in products)
    assert {w.code for w in client.work_types_changed_since(LONG_AGO)} == {"SUUN", "KONS", "PM", "TEST"}
    assert len(client.all_work_types()) == len(sim.state.work_types)


def test_users_and_currencies(client: SeveraClient, sim: SeveraSimulator) -> None:
    active = [u for u in sim.state.users.values() if u["IsActive"]]
    assert {u.guid for u in client.users_changed_since(LONG_AGO)} == {u["GUID"] for u in active}
    assert len(client.users_changed_since(LONG_AGO, options=2)) == len(sim.state.users)
    currencies = client.currencies()
    assert {c.iso_code for c in currencies} == {"EUR", "SEK", "USD"}
    assert next(c for c in currencies if c.iso_code == "EUR").symbol == "€"


def test_invoice_statuses_carry_their_flags(client: SeveraClient) -> None:
    statuses = {s.name: s for s in client.invoice_statuses()}
    assert statuses[READY_STATUS].is_sent is False
    assert statuses[SENT_STATUS].is_sent is True
    assert statuses[SENT_STATUS].is_paid is False
    assert statuses[PAID_STATUS].is_paid is True


def test_invoices_by_status_with_rows_buyer_and_reference(client: SeveraClient, sim: SeveraSimulator) -> None:
    expected = {g for g, r in sim.state.invoices.items() if r["InvoiceStatus"] == READY_STATUS}
    invoices = client.invoices_by_status(READY_STATUS)
    assert {i.guid for i in invoices} == expected
    invoice = invoices[0]
    stored = sim.state.invoices[invoice.guid or ""]
    assert invoice.reference_number == stored["ReferenceNumber"]
    assert invoice.buyer_organization is not None
    account = sim.state.accounts[stored["AccountGUID"]]
    assert invoice.buyer_organization.buyer_electronic_invoice_address == account["eInvoiceAddress"]
    assert len(invoice.invoice_rows) == len(stored["InvoiceRows"])
    row = invoice.invoice_rows[0]
    assert row.row_vat_rate_percent == stored["InvoiceRows"][0]["rowVatRatePercent"]
    assert row.row_vat_excluded_amount == stored["InvoiceRows"][0]["rowVatExcludedAmount"]
    assert invoice.date.tzinfo is not None
    assert client.invoices_by_status(READY_STATUS, max_invoices=1) == invoices[:1]


def test_invoices_by_status_for_an_unknown_status_is_empty(client: SeveraClient) -> None:
    assert client.invoices_by_status("Ei tällaista tilaa") == []


def test_invoices_by_date_includes_credit_notes(client: SeveraClient, sim: SeveraSimulator) -> None:
    invoices = client.invoices_by_date(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
    assert {i.guid for i in invoices} == set(sim.state.invoices)
    credit_notes = [i for i in invoices if i.is_credit_note]
    assert credit_notes, "the seed makes credit notes"
    note = credit_notes[0]
    assert note.reimburse_invoice_guid in sim.state.invoices
    assert all(r.row_vat_excluded_amount <= 0 for r in note.invoice_rows)
    first = min(r["Date"] for r in sim.state.invoices.values())
    day = client.invoices_by_date(first, first)
    assert day
    assert all(i.date.date() == first.date() for i in day)


def test_invoice_by_guid_and_missing(client: SeveraClient, sim: SeveraSimulator) -> None:
    guid = next(iter(sim.state.invoices))
    invoice = client.invoice(guid)
    assert invoice is not None
    assert invoice.number == sim.state.invoices[guid]["Number"]
    assert invoice.invoice_details is not None
    assert invoice.invoice_details.invoice_total_vat_included_amount == sum(
        r["rowAmount"] for r in sim.state.invoices[guid]["InvoiceRows"]
    )
    assert client.invoice("00000000-0000-0000-0000-000000000000") is None


def test_invoice_pdf_and_attachments(client: SeveraClient, sim: SeveraSimulator) -> None:
    with_attachment = next(r for r in sim.state.invoices.values() if r["_attachments"])
    pdf = client.invoice_pdf(with_attachment["GUID"])
    assert pdf == with_attachment["_pdf"]
    assert pdf is not None
    assert pdf.startswith(b"%PDF-")
    files = client.invoice_attachments(with_attachment["GUID"])
    assert [f.guid for f in files] == with_attachment["_attachments"]
    assert files[0].mime_type == "application/pdf"
    content = client.invoice_attachment_file(files[0].guid or "")
    assert content == sim.state.attachments[files[0].guid or ""]["_content"]
    assert client.invoice_pdf(with_attachment["GUID"], attachment_only=True) == content
    without = next(r for r in sim.state.invoices.values() if not r["_attachments"])
    assert client.invoice_attachments(without["GUID"]) == []
    assert client.invoice_pdf(without["GUID"], attachment_only=True) is None


def test_set_invoice_status_changes_state(client: SeveraClient, sim: SeveraSimulator) -> None:
    guid = next(g for g, r in sim.state.invoices.items() if r["InvoiceStatus"] == READY_STATUS)
    client.set_invoice_status(guid, SENT_STATUS)
    assert sim.state.invoices[guid]["InvoiceStatus"] == SENT_STATUS
    assert guid in {i.guid for i in client.invoices_by_status(SENT_STATUS)}


def test_set_invoice_status_unknown_status_or_invoice_raises(client: SeveraClient, sim: SeveraSimulator) -> None:
    guid = next(iter(sim.state.invoices))
    with pytest.raises(SeveraNotFoundError) as raised:
        client.set_invoice_status(guid, "Tuntematon")
    assert raised.value.remote_text == "Invoice status not found"
    with pytest.raises(SeveraNotFoundError):
        client.set_invoice_status("no-such-invoice", SENT_STATUS)


def test_set_invoice_payment_date_sets_and_clears(client: SeveraClient, sim: SeveraSimulator) -> None:
    guid = next(iter(sim.state.invoices))
    client.set_invoice_payment_date(guid, date(2026, 10, 15))
    assert sim.state.invoices[guid]["PaymentDate"].date() == date(2026, 10, 15)
    fetched = client.invoice(guid)
    assert fetched is not None
    assert fetched.payment_date is not None
    assert fetched.payment_date.date() == date(2026, 10, 15)
    client.set_invoice_payment_date(guid, None)
    assert sim.state.invoices[guid]["PaymentDate"] is None


def test_add_invoice_log_entry_is_recorded_once_with_ignore_duplicates(
    client: SeveraClient, sim: SeveraSimulator
) -> None:
    guid = next(iter(sim.state.invoices))
    when = datetime(2026, 10, 30, 8, 0, tzinfo=UTC)
    client.add_invoice_log_entry(guid, "Siirretty Netvisoriin", event_time=when)
    client.add_invoice_log_entry(guid, "Siirretty Netvisoriin", event_time=when)
    entries = sim.state.log_of(guid)
    assert len(entries) == 1
    assert entries[0].text == "Siirretty Netvisoriin"
    assert entries[0].event_time == when
    client.add_invoice_log_entry(guid, "Siirretty Netvisoriin", ignore_duplicates=False)
    assert len(sim.state.log_of(guid)) == 2


def test_hour_entries_changed_since_and_by_date(client: SeveraClient, sim: SeveraSimulator) -> None:
    everything = client.hour_entries_changed_since(LONG_AGO)
    assert {h.guid for h in everything} == set(sim.state.hour_entries)
    assert {h.is_approved for h in everything} >= {True, False}
    latest = max(r["_changed"] for r in sim.state.hour_entries.values())
    recent = client.hour_entries_changed_since(latest - timedelta(days=7))
    assert 0 < len(recent) < len(everything)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    end = datetime(2026, 10, 15, tzinfo=UTC)
    by_date = client.hour_entries_by_date(start, end)
    expected = {g for g, r in sim.state.hour_entries.items() if start.date() <= r["EventDate"].date() <= end.date()}
    assert {h.guid for h in by_date} == expected
    assert all(isinstance(h.quantity, Decimal) for h in by_date)


def test_customers_with_details_in_three_calls(client: SeveraClient, sim: SeveraSimulator) -> None:
    horizon = datetime(2030, 1, 1, tzinfo=UTC)
    assert client.customers_with_details_changed_since(horizon) == []
    # A contact change alone makes its customer "changed" (CheckContactChanges).
    contact = next(iter(sim.state.contacts.values()))
    sim.state.touch(contact, horizon + timedelta(hours=1))
    before = sum(sim.calls.values())
    details = client.customers_with_details_changed_since(horizon)
    assert sum(sim.calls.values()) - before == 3
    assert [d.customer.guid for d in details] == [contact["AccountGUID"]]
    (only,) = details
    expected_contacts = {g for g, c in sim.state.contacts.items() if c["AccountGUID"] == contact["AccountGUID"]}
    assert {c.guid for c in only.contacts} == expected_contacts
    assert only.billing_address is not None
    assert only.billing_address.guid == only.customer.head_office_address_guid
    # An address change does the same (CheckAddressChanges).
    address = next(a for a in sim.state.addresses.values() if a["_account"] != contact["AccountGUID"])
    sim.state.touch(address, horizon + timedelta(hours=2))
    changed = {d.customer.guid for d in client.customers_with_details_changed_since(horizon + timedelta(minutes=90))}
    assert changed == {address["_account"]}
