"""The reconciliation through the simulators: a clean world agrees; each kind of difference, planted in
Severa or Netvisor the way a person would cause it, is found and described with what to do."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from severa_netvisor.errors import ConfigurationError
from severa_netvisor.reconcile import Period, ReconcileOptions, Reconciliation, ReconciliationError, Report
from severa_netvisor.reconcile.formats import amount
from severa_netvisor.reconcile.registers import LedgerCreditMatches, RegisterFailures
from severa_netvisor.reconcile.report import Table
from severa_netvisor.reconcile.runner import SHARED_LEASE

from sandbox.aws import LocalAws
from sandbox.netvisor.state import InvoiceRecord
from sandbox.severa.seed import PAID_STATUS, READY_STATUS, SENT_STATUS
from tests.integration.reconcile.world import ReconcileWorld, reconcile_world

CLASS_NAMES = ("Error:", "Exception", "Detected", "Unmatched", "Applicable")


def rows(table: Table) -> list[dict[str, Any]]:
    keys = [c.key for c in table.columns]
    return [dict(zip(keys, row, strict=True)) for row in table.rows]


def section(report: Report, key: str) -> list[dict[str, Any]]:
    return rows(report.section(key))


def findings(report: Report, key: str) -> list[str]:
    """The findings of one section, text and action, in lower case."""
    return [f"{f.text} {f.action}".lower() for f in report.findings if f.section == key]


def plain_invoices(world: ReconcileWorld) -> list[int]:
    """Invoice numbers that are not credit notes and that no credit note credits."""
    credited = {r["ReimburseInvoiceGUID"] for r in world.severa.state.invoices.values() if r["IsCreditNote"]}
    return [n for n in world.numbers(IsCreditNote=False) if world.severa_invoice(n)["GUID"] not in credited]


@pytest.fixture
def world(local_aws: LocalAws) -> Iterator[ReconcileWorld]:
    with reconcile_world(local_aws) as built:
        yield built


def transferred(world: ReconcileWorld) -> ReconcileWorld:
    summary = world.invoices()
    assert summary.failed == 0, summary.failures_by_reason
    assert summary.created == len(world.severa.state.invoices)
    return world


def test_a_clean_world_agrees_with_zero_differences(world: ReconcileWorld) -> None:
    transferred(world)
    paid = world.numbers(IsCreditNote=False)[0]
    world.netvisor.add_payment(str(paid), world.netvisor_invoice(paid).open_sum)
    assert world.payments().failed == 0
    world.severa.calls.clear()
    world.netvisor.request_log.clear()

    report = world.reconcile()

    assert report.agree, [f.text for f in report.findings]
    assert all(not t.rows for t in report.sections)
    assert report.in_both == report.alike == len(world.severa.state.invoices)
    totals = rows(report.totals)
    assert totals
    assert all(r["difference_count"] == 0 and r["difference_gross"] == 0 for r in totals)
    everything = [r for r in totals if r["vat_code"] == "all"]
    assert sum(r["severa_count"] for r in everything) == len(world.severa.state.invoices)
    assert sum(r["netvisor_count"] for r in everything) == len(world.netvisor.state.invoices)
    # The calls it reports are the calls Severa counted, and every Netvisor request was a read.
    assert report.usage.severa_calls == sum(world.severa.calls.values()) > 0
    assert report.usage.netvisor_requests == world.netvisor.request_log.count() > 0
    assert report.usage.severa_quota_used == world.severa.used_quota


def test_a_clean_month_agrees_and_counts_only_its_own_invoices(world: ReconcileWorld) -> None:
    transferred(world)
    month = world.severa_invoice(3)["Date"]
    in_month = [r for r in world.severa.state.invoices.values() if r["Date"].month == month.month]

    report = world.reconcile(Period.month(month.year, month.month))

    assert report.agree, [f.text for f in report.findings]
    assert report.usage.severa_invoices == report.usage.netvisor_invoices == len(in_month)
    assert {r["month"] for r in rows(report.totals)} == {f"{month.year}-{month.month:02d}"}


def test_it_only_reads(world: ReconcileWorld) -> None:
    transferred(world)
    table = world.aws.client("dynamodb")
    before = table.scan(TableName=world.state.table_name)["Items"]
    world.severa.calls.clear()
    world.netvisor.request_log.clear()

    world.reconcile()

    assert all(name.startswith("Get") for name in world.severa.calls), world.severa.calls
    assert {entry.method for entry in world.netvisor.request_log.entries} == {"GET"}
    after = table.scan(TableName=world.state.table_name)["Items"]
    assert after == before, "the state table is as it was (the lease is taken and given back)"


def test_invoices_sent_in_severa_that_netvisor_does_not_have(world: ReconcileWorld) -> None:
    by_hand = world.numbers(IsCreditNote=False)[-1]
    world.severa_invoice(by_hand)["InvoiceStatus"] = SENT_STATUS  # marked sent, never transferred
    world.invoices()
    removed = world.numbers(IsCreditNote=False)[0]
    with world.netvisor.state.lock:
        del world.netvisor.state.invoices[world.netvisor_invoice(removed).key]

    report = world.reconcile()

    missing = {r["invoice"]: r for r in section(report, "missing_in_netvisor")}
    assert set(missing) == {str(by_hand), str(removed)}
    assert "no record of a transfer" in missing[str(by_hand)]["ledger"]
    assert "Netvisor no longer has" in missing[str(removed)]["ledger"]
    assert (
        missing[str(removed)]["gross"]
        == world.severa_invoice(removed)["InvoiceDetails"]["invoiceTotalVatIncludedAmount"]
    )
    words = findings(report, "missing_in_netvisor")
    assert any(f"invoice {by_hand}" in w and READY_STATUS.lower() in w for w in words), words
    assert any(f"invoice {removed}" in w and "removed it from netvisor" in w for w in words), words
    assert not report.agree


def _differences_of(report: Report, number: int) -> dict[str, dict[str, Any]]:
    return {r["field"]: r for r in section(report, "changed_after_transfer") if r["invoice"] == str(number)}


def test_invoices_changed_after_the_transfer_are_found_field_by_field(world: ReconcileWorld) -> None:
    transferred(world)
    a, b, c, d, e = world.numbers(IsCreditNote=False)[:5]
    other = next(acc["Number"] for acc in world.severa.state.accounts.values()
                 if acc["Number"] != world.severa_invoice(a)["AccountNumber"])  # fmt: skip
    world.severa_invoice(a)["AccountNumber"] = other  # someone moves the invoice to another customer
    moved = world.severa_invoice(b)["Date"] + timedelta(days=1)
    world.severa_invoice(b)["Date"] = moved
    in_netvisor = world.netvisor_invoice(c)
    with world.netvisor.state.lock:  # someone edits the invoice in Netvisor
        in_netvisor.amount += Decimal("10.00")
        in_netvisor.reference_number = "1232"
        world.netvisor_invoice(d).lines[0].vat_code = "EUPM312"
    world.severa_invoice(e)["Number"] = 9000 + e

    report = world.reconcile()

    assert _differences_of(report, a)["customer number"]["severa"] == str(other)
    assert _differences_of(report, b)["date"]["severa"] == f"{moved.day}.{moved.month}.{moved.year}"
    assert _differences_of(report, b)["date"]["changed_in"] == "Severa"
    total = _differences_of(report, c)["total"]
    assert total["netvisor"] - total["severa"] == Decimal("10.00")
    assert total["changed_in"] == "Netvisor"
    assert _differences_of(report, c)["reference number"]["netvisor"] == "1232"
    assert "EUPM312" in _differences_of(report, d)["VAT per code and rate"]["netvisor"]
    assert _differences_of(report, 9000 + e)["number"]["netvisor"] == str(e)
    words = findings(report, "changed_after_transfer")
    assert len(words) == 5, words
    assert (report.in_both, report.alike) == (len(world.netvisor.state.invoices), report.in_both - 5)
    assert any(f"invoice {c}" in w and "total (severa" in w for w in words)
    # The VAT code moved in Netvisor also shows in the totals per code, both ways.
    moved_code = [r for r in rows(report.totals) if r["vat_code"] == "EUPM312"]
    assert len(moved_code) == 1
    row, line = moved_code[0], world.netvisor_invoice(d).lines[0]
    assert (row["severa_count"], row["netvisor_count"], row["difference_count"]) == (0, 1, -1)
    assert row["netvisor_gross"] == line.line_sum == -row["difference_gross"]
    assert row["netvisor_vat"] == line.vat_sum == -row["difference_vat"]
    assert row["netvisor_net"] == line.line_sum - line.vat_sum == -row["difference_net"]
    # The total edited in Netvisor is the only difference of the documents' totals (Severa minus Netvisor).
    assert sum(r["difference_gross"] for r in rows(report.totals) if r["vat_code"] == "all") == Decimal("-10.00")


def test_netvisor_invoices_that_no_severa_invoice_accounts_for(world: ReconcileWorld) -> None:
    transferred(world)
    template = world.netvisor_invoice(world.numbers(IsCreditNote=False)[0])
    with world.netvisor.state.lock:  # an invoice made in Netvisor by hand
        key = world.netvisor.state.new_key()
        world.netvisor.state.invoices[key] = InvoiceRecord(
            key, "77001", date(2026, 9, 1), date(2026, 9, 15), "open", Decimal("124.00"), Decimal("124.00"),
            "EUR", template.customer_key, "1232", {}, [], [], [], datetime(2026, 9, 1),
        )  # fmt: skip
    deleted = world.numbers(IsCreditNote=False)[1]
    del world.severa.state.invoices[world.severa_invoice(deleted)["GUID"]]

    report = world.reconcile()

    only = {r["invoice"]: r for r in section(report, "netvisor_only")}
    assert set(only) == {"77001", str(deleted)}
    assert only["77001"]["why"] == "no Severa invoice"
    assert "no longer exists in Severa" in only[str(deleted)]["why"]
    assert only["77001"]["gross"] == Decimal("124.00")


def test_an_invoice_redated_out_of_the_month_is_found_through_the_ledger(world: ReconcileWorld) -> None:
    transferred(world)
    number = world.numbers(IsCreditNote=False)[0]
    record = world.severa_invoice(number)
    month = record["Date"]
    record["Date"] = month - timedelta(days=62)  # two months back: outside the reconciled month

    report = world.reconcile(Period.month(month.year, month.month))

    date_row = _differences_of(report, number)["date"]
    assert date_row["netvisor"] == f"{month.day}.{month.month}.{month.year}"
    assert not section(report, "netvisor_only")
    # Netvisor has it in this month and Severa does not: the totals say so, and the row above says why.
    assert any(r["vat_code"] == "all" and r["difference_count"] == -1 for r in rows(report.totals))


def test_waiting_invoices_and_open_failures_with_their_reasons(world: ReconcileWorld) -> None:
    numbers = world.numbers(IsCreditNote=False)
    mistyped, later = world.severa_invoice(numbers[0]), world.severa_invoice(numbers[1])
    good = str(mistyped["ReferenceNumber"])
    mistyped["ReferenceNumber"] = good[:-1] + str((int(good[-1]) + 1) % 10)
    later["InvoiceStatus"] = "Luonnos"
    world.invoices()
    later["InvoiceStatus"] = READY_STATUS  # made ready after the last run

    report = world.reconcile()

    waiting = {r["invoice"]: r for r in section(report, "waiting")}
    assert set(waiting) == {str(numbers[0]), str(numbers[1])}
    assert waiting[str(numbers[0])]["state"] == "refused"
    assert "reference number" in waiting[str(numbers[0])]["reason"]
    assert not waiting[str(numbers[0])]["reason"].startswith("prepare"), "no internal step or class names"
    assert not any(name in waiting[str(numbers[0])]["reason"] for name in CLASS_NAMES)
    assert waiting[str(numbers[1])]["state"] == "not picked up yet"
    # The refused invoice's failure is shown with it, not again among the other failures.
    assert not section(report, "open_failures")
    totals = [r for r in rows(report.totals) if r["vat_code"] == "all"]
    assert sum(r["difference_count"] for r in totals) == 2


def test_a_customer_that_cannot_be_transferred_is_an_open_failure(world: ReconcileWorld) -> None:
    account = world.severa_invoice(world.numbers(IsCreditNote=False)[0])["AccountGUID"]
    customer = world.severa.state.customers[account]
    customer["VatNumber"] = customer["VatNumber"][:-1] + str((int(customer["VatNumber"][-1]) + 1) % 10)
    world.severa.state.touch(customer)
    assert world.customers().failed == 1
    world.invoices()

    report = world.reconcile()

    failures = section(report, "open_failures")
    assert [f["record"] for f in failures] == [f"customer {customer['Number']}"]
    assert failures[0]["retried"] == "no"
    assert "business ID" in failures[0]["reason"]
    blocked = [r for r in section(report, "waiting") if r["customer_number"] == str(customer["Number"])]
    assert blocked
    assert all(r["state"] == "refused" for r in blocked)


def test_a_credit_note_waiting_for_its_original(world: ReconcileWorld) -> None:
    credit = world.severa_invoice(world.numbers(IsCreditNote=True)[0])
    original = world.severa.state.invoices[credit["ReimburseInvoiceGUID"]]
    original["InvoiceStatus"] = "Luonnos"  # the credited invoice is still a draft
    world.invoices()

    report = world.reconcile()

    waiting = section(report, "credit_notes_waiting")
    assert len(waiting) == 1
    assert waiting[0]["credit_note"] == str(credit["Number"])
    assert waiting[0]["credits"] == f"invoice {original['Number']}"
    assert waiting[0]["credited_status"] == "Luonnos"
    assert waiting[0]["in_netvisor"] == "not there yet"
    words = findings(report, "credit_notes_waiting")
    assert f"invoice {original['Number']}" in words[0]
    assert "matched" in words[0]


def test_a_credit_note_waiting_until_both_are_sent_in_netvisor(world: ReconcileWorld) -> None:
    credit = world.severa_invoice(world.numbers(IsCreditNote=True)[0])
    original = world.severa.state.invoices[credit["ReimburseInvoiceGUID"]]
    assert world.world.run_engine("invoices").failed == 0  # both in Netvisor, nobody has sent them yet

    unsent = section(world.reconcile(), "credit_notes_waiting")
    world.netvisor.send_invoices(str(original["Number"]))  # the accountant sends the invoice only
    report = world.reconcile()

    assert [r["credit_note"] for r in unsent] == [str(credit["Number"])]
    assert unsent[0]["in_netvisor"] == f"not sent: invoice {original['Number']} and credit note {credit['Number']}"
    waiting = section(report, "credit_notes_waiting")
    assert waiting[0]["in_netvisor"] == f"not sent: credit note {credit['Number']}"
    words = findings(report, "credit_notes_waiting")
    assert len(words) == 1
    assert f"send credit note {credit['Number']} from netvisor" in words[0]
    assert "not in netvisor yet" not in words[0], "the invoice it credits is in Netvisor"


def test_payments_that_differ(world: ReconcileWorld) -> None:
    transferred(world)
    recorded, paid_later, partly_later, paid_in_severa, gone = plain_invoices(world)[:5]
    netvisor = world.netvisor
    netvisor.add_payment(str(recorded), world.netvisor_invoice(recorded).open_sum)
    part = (world.netvisor_invoice(gone).open_sum / 2).quantize(Decimal("0.01"))
    removed = netvisor.add_payment(str(gone), part)
    assert world.payments().failed == 0
    # After the payments run: one paid in full and one in part in Netvisor only; one marked paid in
    # Severa by hand; and the recorded part payment taken back in Netvisor.
    netvisor.add_payment(str(paid_later), world.netvisor_invoice(paid_later).open_sum)
    half = (world.netvisor_invoice(partly_later).open_sum / 2).quantize(Decimal("0.01"))
    netvisor.add_payment(str(partly_later), half)
    world.severa_invoice(paid_in_severa)["InvoiceStatus"] = PAID_STATUS
    with netvisor.state.lock:
        del netvisor.state.payments[removed.key]
        world.netvisor_invoice(gone).open_sum += part

    report = world.reconcile()

    payments = {r["invoice"]: r for r in section(report, "payments")}
    assert set(payments) == {str(paid_later), str(partly_later), str(paid_in_severa), str(gone)}
    assert payments[str(paid_later)]["difference"] == "paid in Netvisor, not marked paid in Severa"
    partly = payments[str(partly_later)]
    assert partly["difference"] == "open sums differ"
    assert partly["severa_open"] - partly["netvisor_open"] == half
    assert amount(half) in partly["only_in_netvisor"]
    assert payments[str(paid_in_severa)]["difference"] == "marked paid in Severa, open in Netvisor"
    assert payments[str(gone)]["netvisor_open"] - payments[str(gone)]["severa_open"] == part
    assert f"payment {removed.key}" in payments[str(gone)]["gone_from_netvisor"]


def test_customers_whose_details_differ(world: ReconcileWorld) -> None:
    transferred(world)
    accounts = sorted({r["AccountGUID"] for r in world.severa.state.invoices.values()})
    renamed, new_id, new_address = (world.severa.state.customers[guid] for guid in accounts[:3])
    renamed["Name"] += " (uusi nimi)"
    new_id["VatNumber"] = "FI" + "15728600"  # 1572860-0, another valid business ID
    new_address["eInvoiceAddress"] = "003715728600"

    report = world.reconcile()

    found = {(r["customer_number"], r["field"]): r for r in section(report, "customers")}
    assert set(found) == {
        (str(renamed["Number"]), "name"),
        (str(new_id["Number"]), "business ID"),
        (str(new_address["Number"]), "e-invoice address"),
    }
    assert found[(str(new_id["Number"]), "business ID")]["severa"] == "1572860-0"
    assert found[(str(new_address["Number"]), "e-invoice address")]["severa"] == "003715728600"
    words = findings(report, "customers")
    assert len(words) == 3
    assert all(renamed["Name"] not in w for w in words), "findings name customers by number only"


def test_a_transfer_using_netvisor_keeps_the_reconciliation_out(world: ReconcileWorld) -> None:
    transferred(world)
    assert world.state.acquire_lease(SHARED_LEASE, "invoices-run", 600) is not None
    with pytest.raises(ReconciliationError, match="using Netvisor"):
        world.reconcile(options=ReconcileOptions(lease_wait_seconds=0))
    assert world.state.lease_holder(SHARED_LEASE).owner == "invoices-run"  # type: ignore[union-attr]


def test_the_reconciliation_waits_for_the_transfer_to_finish(world: ReconcileWorld) -> None:
    transferred(world)
    held = world.state.acquire_lease(SHARED_LEASE, "invoices-run", 600)
    assert held is not None
    waits: list[float] = []

    def transfer_finishes(seconds: float) -> None:
        waits.append(seconds)
        world.state.release_lease(held)

    context = world.context()
    report = Reconciliation(
        severa=context.severa, netvisor=context.netvisor, mapping=world.mapping, state=world.state,
        failures=RegisterFailures(world.world.register()), credit_matches=LedgerCreditMatches(world.state),
        options=ReconcileOptions(lease_wait_seconds=60, lease_poll_seconds=5), sleep=transfer_finishes,
    ).run(Period(date(2026, 1, 1), date(2026, 12, 31)), "reconcile-waits")  # fmt: skip

    assert waits == [5]
    assert report.agree
    assert world.state.lease_holder(SHARED_LEASE) is None, "given back after the run"


def test_it_does_not_eat_the_transfers_severa_quota(local_aws: LocalAws) -> None:
    with reconcile_world(local_aws, quota=1_000) as world:
        with pytest.raises(ReconciliationError, match="quota") as raised:
            world.reconcile(options=ReconcileOptions(lease_wait_seconds=0, quota_reserve=900))
        assert "midnight UTC" in raised.value.message
        assert world.state.lease_holder(SHARED_LEASE) is None


def test_a_status_name_severa_does_not_have_stops_it_with_the_fix(world: ReconcileWorld) -> None:
    # A misspelt name would read no invoices in that status: "all agree" where nothing was compared.
    world.world.set_mapping(invoice_statuses={"paid": "Maksetu"})
    lease_before = world.state.lease_holder(SHARED_LEASE)

    with pytest.raises(ConfigurationError) as raised:
        world.reconcile()

    assert "invoice_statuses.paid 'Maksetu'" in raised.value.message
    assert f"'{PAID_STATUS}'" in raised.value.message, "Severa's own names are listed"
    assert world.state.lease_holder(SHARED_LEASE) == lease_before is None, "the lease is given back"


def test_an_invoice_netvisor_refused_is_waiting_with_netvisors_reason(world: ReconcileWorld) -> None:
    with world.netvisor.state.lock:  # the products are missing in Netvisor: every create is refused
        world.netvisor.state.products.clear()
    summary = world.invoices()
    assert summary.failed > 0

    report = world.reconcile()

    waiting = section(report, "waiting")
    assert len(waiting) == summary.failed
    assert {row["state"] for row in waiting} == {"refused"}
    assert all(row["reason"] and row["reason"] != "(no reason recorded)" for row in waiting)
    assert not section(report, "open_failures"), "each refusal is listed once, with its invoice"


def test_the_lookup_limit_keeps_severa_calls_bounded_and_says_so(world: ReconcileWorld) -> None:
    transferred(world)
    moved = world.numbers(IsCreditNote=False)[:2]
    for number in moved:  # both re-dated out of the reconciled year after the transfer
        world.severa_invoice(number)["Date"] = datetime(2025, 12, 1)

    report = world.reconcile(options=ReconcileOptions(lease_wait_seconds=0, max_severa_lookups=1))

    changed = {r["invoice"] for r in section(report, "changed_after_transfer")}
    unread = [r for r in section(report, "netvisor_only") if "not read" in r["why"]]
    assert len(changed) == 1
    assert len(unread) == 1
    assert any("RECONCILE_MAX_SEVERA_LOOKUPS" in note for note in report.notes)
