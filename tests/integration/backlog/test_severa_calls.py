"""Severa's quota is shared by every integration of the organisation: an invoices run makes the calls
each invoice needs (its PDF, status and log line) and reads the rest in bulk, whatever the backlog."""

from __future__ import annotations

from sandbox.aws import LocalAws
from sandbox.severa import build_state
from tests.integration.rig import world
from tests.integration.transfers.invoices import checks


def test_many_new_customers_are_read_in_bulk_and_each_invoice_costs_its_own_three_calls(local_aws: LocalAws) -> None:
    with world(local_aws, severa_state=build_state(43, accounts=12, invoices=80, hour_entries=0)) as w:
        checks.seed_netvisor(w.severa.state, w.netvisor.state, customers=False)  # every customer is new
        ready = checks.ready_invoices(w.severa.state)
        accounts = {r["AccountGUID"] for r in ready}
        assert len(accounts) > 5

        summary = w.run_engine("invoices")

        assert (summary.created, summary.dependencies, summary.failed) == (len(ready), len(accounts), 0)
        assert w.netvisor_posts("customer.nv") == len(accounts)
        calls = w.severa.calls
        # Three customers one at a time (three calls each), then all of them at once (three calls).
        assert calls["GetCustomerByGUID"] == 3
        assert calls["GetCustomersChangedSince"] == 1
        assert calls["GetAddressesChangedSince"] == calls["GetContactsChangedSince"] == 3 + 1
        for per_invoice in ("GetInvoicePdfByInvoiceGUID", "SetInvoiceStatus", "AddNewInvoiceLogEntry"):
            assert calls[per_invoice] == len(ready), per_invoice
        assert calls["GetInvoicesByStatus"] == 1  # the ready list, read once, whatever its length
