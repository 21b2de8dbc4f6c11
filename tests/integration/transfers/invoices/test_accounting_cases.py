"""The invoices transfer on the real-world cases of issue 12, through both simulators and the engine:
the customer's reverse-charge flag, credit notes keeping their supplies' VAT rates, several credit
notes for one invoice matched once both are sent, an invoice credited in full marked paid in Severa,
a credit note that waits too long shown as an open failure, and invoices numbered per business unit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from severa_netvisor.state import SourceRef
from severa_netvisor.transfers.credit_notes import match_ref

from sandbox.aws import LocalAws
from sandbox.netvisor.state import InvoiceRecord
from sandbox.severa import build_state
from sandbox.severa.cases import invoices_of
from sandbox.severa.seed import PAID_STATUS, READY_STATUS, SENT_STATUS
from sandbox.severa.state import Record
from tests.integration.rig import World, world
from tests.integration.transfers.invoices import checks

CASES = ("construction", "eu_goods", "outside_eu", "rate_change", "positive_credit_note", "same_number")


@pytest.fixture
def w(local_aws: LocalAws) -> Iterator[World]:
    state = build_state(1212, accounts=1, invoices=0, hour_entries=0, real_world=CASES)
    with world(local_aws, severa_state=state) as running:
        checks.seed_netvisor(state, running.netvisor.state, customers=False)
        checks.seed_work_types(running.netvisor.state)
        yield running


def by_number(w: World, case: str) -> dict[int, Record]:
    return {record["Number"]: record for record in invoices_of(w.severa.state, case)}


def in_netvisor(w: World, number: int) -> list[InvoiceRecord]:
    return [i for i in w.netvisor.state.invoices.values() if i.number == str(number)]


def log(w: World, record: Record) -> list[str]:
    return [e.text or "" for e in w.severa.state.log_of(record["GUID"])]


def only(w: World, *cases: str) -> None:
    """Leave only the named cases ready to transfer."""
    for record in w.severa.state.invoices.values():
        if record.get("_case") not in cases:
            record["InvoiceStatus"] = SENT_STATUS


# -- VAT: the customer's reverse-charge flag and the credited supplies' rates --------------------------


def test_a_zero_rated_row_of_a_reverse_charge_customer_is_ramy_without_the_invoices_tax_free_flag(w: World) -> None:
    only(w, "construction")
    [invoice] = invoices_of(w.severa.state, "construction")
    invoice["IsTaxFree"] = False  # only the customer says reverse charge
    invoice["InvoiceConfig"]["IsTaxFree"] = False

    summary = w.run_engine("invoices")

    assert (summary.created, summary.failed) == (1, 0), summary
    [sent] = in_netvisor(w, 90001)
    assert {(line.vat_code, line.vat_percentage) for line in sent.lines} == {("RAMY", Decimal(0))}
    assert "arvonlisäveron maksaa ostaja" in sent.fields["salesinvoicefreetextafterlines"]
    # One customer's flag is needed: one account read, not every account.
    assert w.severa.calls["GetAccountByGUID"] == 1
    assert w.severa.calls["GetAccountsChangedSince"] == 0


def _credit_at_24_percent(credit: Record) -> None:
    """The credit note carries 24 %, a Finnish rate before 1.9.2024, for a supply of September 2026."""
    [row] = credit["InvoiceRows"]
    row.update(rowVatRatePercent=Decimal(24), rowVatAmount=Decimal("288.00"), rowAmount=Decimal("1488.00"))
    credit["InvoiceDetails"].update(invoiceTotalVatAmount=Decimal("288.00"),
                                    invoiceTotalVatIncludedAmount=Decimal("1488.00"))  # fmt: skip


@pytest.mark.parametrize("original_is", ["in the same run", "sent in an earlier run", "sent some other way"])
def test_a_credit_note_must_keep_the_vat_rate_of_the_supply_it_credits(w: World, original_is: str) -> None:
    only(w, "positive_credit_note")
    invoices = by_number(w, "positive_credit_note")
    original, credit = invoices[90010], invoices[90011]
    _credit_at_24_percent(credit)
    if original_is == "sent in an earlier run":
        credit["InvoiceStatus"] = SENT_STATUS
        assert w.run_engine("invoices").created == 1
        credit["InvoiceStatus"] = READY_STATUS  # the credit note is ready only now
    elif original_is == "sent some other way":
        original["InvoiceStatus"] = SENT_STATUS
    w.severa.calls.clear()

    summary = w.run_engine("invoices")

    assert summary.failed == 1, summary
    [failure] = w.open_failures("invoices")
    assert failure.ref.id == credit["GUID"]
    assert "24 % was not a Finnish VAT rate on the credited supplies (2026-09-15" in failure.reason
    assert in_netvisor(w, 90011) == []
    # The original's supply dates: from the run's ready list or the ledger; Severa is asked only when
    # the invoice went to Netvisor some other way.
    assert w.severa.calls["GetInvoiceByGUID"] == (1 if original_is == "sent some other way" else 0)


# -- credit notes matched once both are sent ----------------------------------------------------------


def test_several_credit_notes_of_one_invoice_are_all_matched_once_they_are_sent(w: World) -> None:
    only(w, "rate_change")
    invoices = by_number(w, "rate_change")
    first = w.run_engine("invoices")
    assert (first.created, first.failed) == (3, 0), first
    waiting = w.run_engine("invoices")
    assert (waiting.waiting, waiting.also) == (2, {}), waiting

    w.netvisor.send_invoices()
    matched = w.run_engine("invoices")

    assert matched.also == {"credit notes matched": 2}, matched
    [original] = in_netvisor(w, 90005)
    credits = [i for n in (90006, 90007) for i in in_netvisor(w, n)]
    assert [c.matched_to for c in credits] == [original.key, original.key]
    assert original.open_sum == Decimal("1341.53") - Decimal("90.97") - Decimal("660.24")
    texts = log(w, invoices[90005])
    assert sum("matched to invoice 90005 in Netvisor" in t for t in texts) == 2, texts
    assert any("Credit note 90007" in t and "590,32 EUR is still open" in t for t in texts), texts
    assert invoices[90005]["InvoiceStatus"] == SENT_STATUS  # partly credited: not paid
    again = w.run_engine("invoices")
    assert (again.also, again.waiting, again.created) == ({}, 0, 0), again
    assert w.netvisor_posts("matchcreditnote.nv") == 2


def test_an_invoice_credited_in_full_is_marked_paid_in_severa(w: World) -> None:
    only(w, "positive_credit_note")
    invoices = by_number(w, "positive_credit_note")
    w.run_engine("invoices")
    w.netvisor.send_invoices()

    matched = w.run_engine("invoices")

    assert matched.also == {"credit notes matched": 1}, matched
    original = invoices[90010]
    assert original["InvoiceStatus"] == PAID_STATUS
    assert "Credited in full in Netvisor by credit note 90011: nothing is left to pay." in log(w, original)


def _age(w: World, credit: Record, days: int) -> None:
    """Make the credit note's waiting match ``days`` old (it waited that long for its invoices)."""
    ref = match_ref(credit["GUID"])
    entry = w.ledger(ref)
    assert entry is not None
    since = (date.today() - timedelta(days=days)).isoformat()
    w.store().put_side(ref, target_key=entry.target_key or "", summary={**entry.summary, "waiting_since": since},
                       open_=True, run_id="test")  # fmt: skip


def test_a_credit_note_waiting_longer_than_configured_is_an_open_failure_until_it_is_matched(w: World) -> None:
    only(w, "positive_credit_note")
    w.set_mapping(invoices={"credit_note_wait_days": 3})
    credit = by_number(w, "positive_credit_note")[90011]
    w.run_engine("invoices")
    w.messages()
    assert w.run_engine("invoices").waiting == 1, "a few days' wait is normal"
    _age(w, credit, 10)

    late = w.run_engine("invoices")

    assert late.failed == 1, late
    [failure] = w.open_failures("invoices")
    assert failure.ref == match_ref(credit["GUID"])
    assert failure.label == "credit note 90011 against invoice 90010"
    assert "the credit note and the invoice must be sent in Netvisor before they can be matched" in failure.reason
    assert "longer than invoices.credit_note_wait_days (3 days)" in failure.reason
    assert failure.for_author is False
    [message] = w.messages()
    assert message["source"]["type"] == "invoice-credit-match"
    # Still waiting: tried again, not announced again.
    assert w.run_engine("invoices").failures_new == 0
    assert w.messages() == []

    w.netvisor.send_invoices()
    done = w.run_engine("invoices")
    assert (done.also, done.failures_closed) == ({"credit notes matched": 1}, 1), done
    assert w.open_failures("invoices") == []


# -- the status an invoice arrives with in Netvisor --------------------------------------------------


def test_with_netvisor_status_open_invoices_arrive_sent_and_their_credit_notes_need_no_accountant(w: World) -> None:
    only(w, "positive_credit_note")
    w.set_mapping(invoices={"netvisor_status": "open"})  # Severa's e-invoicing operator sends the invoices
    invoices = by_number(w, "positive_credit_note")

    first = w.run_engine("invoices")

    assert (first.created, first.failed) == (2, 0), first
    assert [i.status for n in (90010, 90011) for i in in_netvisor(w, n)] == ["open", "open"]
    # Already sent: the next run matches the credit note without anyone sending them from Netvisor.
    matched = w.run_engine("invoices")
    assert (matched.also, matched.waiting) == ({"credit notes matched": 1}, 0), matched
    assert invoices[90010]["InvoiceStatus"] == PAID_STATUS


def test_by_default_invoices_arrive_unsent_and_one_severa_has_sent_arrives_open(w: World) -> None:
    for record in w.severa.state.invoices.values():
        if record.get("_case") not in ("construction", "outside_eu"):
            record["InvoiceStatus"] = "Luonnos"  # a draft: neither ready nor sent
    [sent_by_severa] = invoices_of(w.severa.state, "outside_eu")
    sent_by_severa["InvoiceStatus"] = SENT_STATUS  # sent to the buyer from Severa (15.9.2026)
    w.set_mapping(invoices={"sent_since": "2026-09-01"})

    summary = w.run_engine("invoices")

    assert (summary.created, summary.failed) == (2, 0), summary
    [ready], [sent] = in_netvisor(w, 90001), in_netvisor(w, 90004)
    # Netvisor sends the one ready in Severa; it must never send again the one Severa has sent.
    assert (ready.status, sent.status) == ("unsent", "open")


# -- Severa's sales account as Netvisor's account suggestion ------------------------------------------


def test_severas_sales_account_becomes_netvisors_account_suggestion_only_when_asked(w: World) -> None:
    only(w, "rate_change")  # dated before eu_goods, so that the next run reads on from here
    w.run_engine("invoices")
    [plain] = in_netvisor(w, 90005)
    assert {line.account_suggestion for line in plain.lines} == {""}, "off by default: the product's account"

    only(w, "eu_goods")
    w.set_mapping(invoices={"use_severa_sales_account": True, "sales_accounts": {"3000": "3010"}})
    [invoice] = invoices_of(w.severa.state, "eu_goods")
    invoice["InvoiceStatus"] = READY_STATUS
    invoice["InvoiceRows"][1]["rowSalesAccountNumber"] = "3350"  # not in sales_accounts: sent as it is

    summary = w.run_engine("invoices")

    assert (summary.created, summary.failed) == (1, 0), summary
    [sent] = in_netvisor(w, 90003)
    assert [line.account_suggestion for line in sent.lines] == ["3010", "3350"]


# -- the customer's invoicing e-mail -------------------------------------------------------------------


def test_e_mail_invoicing_goes_to_the_address_the_invoices_are_sent_to(w: World) -> None:
    only(w, "outside_eu")
    [invoice] = invoices_of(w.severa.state, "outside_eu")  # Fjord Data AS: no e-invoice address
    w.run_engine("invoices")

    [customer] = [c for c in w.netvisor.state.customers.values() if c.code == "20004"]
    assert customer.fields["email"] == "laskut@fjord.example.com"  # the account's general e-mail
    assert customer.fields["emailinvoicingaddress"] == "ostolaskut@fjord.example.com"  # the invoice's buyer

    # A later invoice goes to another address: the next customers run sends it to Netvisor, once.
    invoice["BuyerOrganization"]["buyerEmailaddressIdentifier"] = "ap@fjord.example.com"
    invoice["InvoiceStatus"] = READY_STATUS
    w.run_engine("invoices")
    customers = w.run_engine("customers")
    assert customers.updated == 1, customers
    assert customer.fields["emailinvoicingaddress"] == "ap@fjord.example.com"
    assert w.run_engine("customers").updated == 0


# -- invoices numbered per business unit ---------------------------------------------------------------


def test_the_same_number_in_two_business_units_is_refused_not_adopted(w: World) -> None:
    only(w, "same_number")
    hq, tre = sorted(invoices_of(w.severa.state, "same_number"), key=lambda r: r["BusinessUnitCode"])

    summary = w.run_engine("invoices")

    assert (summary.created, summary.failed) == (1, 1), summary
    [sent] = in_netvisor(w, 90100)
    [failure] = w.open_failures("invoices")
    assert failure.error_class == "AmbiguousInvoiceError"
    refused = hq if failure.ref.id == hq["GUID"] else tre
    assert refused["GUID"] != _guid_of_sent(w, sent)
    assert "Netvisor already holds invoice number 90100, but not as this invoice" in failure.reason
    assert "customer number" in failure.reason
    assert "total" in failure.reason
    assert any("renumber one of them" in t for t in log(w, refused))


def _guid_of_sent(w: World, sent: InvoiceRecord) -> str:
    """The Severa invoice the ledger says became ``sent``."""
    for record in invoices_of(w.severa.state, "same_number"):
        entry = w.ledger(SourceRef("severa", "invoice", record["GUID"]))
        if entry is not None and entry.target_key == str(sent.key):
            return str(record["GUID"])
    raise AssertionError("no ledger entry points at the invoice in Netvisor")
