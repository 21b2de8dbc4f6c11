"""An invoice number Netvisor already holds: adopted when it is the same invoice, refused when it is not.

This is the last line of defence when the ledger knows nothing (lost, or the invoice was keyed in by
hand): Netvisor refuses a second invoice with the same number (DUPLICATE_DATA), and the transfer looks
the number up instead of creating a duplicate. In process with the engine, simulators and moto.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from severa_netvisor.engine import RunSummary

from sandbox.aws import LocalAws
from sandbox.netvisor.state import finnish_reference
from sandbox.severa import build_state
from sandbox.severa.seed import READY_STATUS, SENT_STATUS
from tests.integration.rig import World, new_state_table, world
from tests.integration.transfers.invoices import checks


@pytest.fixture
def sims(local_aws: LocalAws) -> Iterator[World]:
    state = build_state(31, accounts=3, invoices=12, hour_entries=0)
    with world(local_aws, severa_state=state) as running:
        checks.seed_netvisor(state, running.netvisor.state)
        yield running


def _run(sims: World, aws: LocalAws) -> tuple[RunSummary, list[dict[str, Any]]]:
    """A run with an empty ledger of its own (as if the ledger were lost)."""
    sims.table = new_state_table(aws, f"clash-{uuid.uuid4().hex[:10]}")
    summary = sims.run_engine("invoices")
    return summary, sims.messages()


def test_the_same_invoice_already_in_netvisor_is_adopted_not_duplicated(sims: World, local_aws: LocalAws) -> None:
    severa, netvisor = sims.severa, sims.netvisor
    ready = checks.ready_invoices(severa.state)
    first, _ = _run(sims, local_aws)
    assert first.created == len(ready)
    for invoice in ready:  # someone sets them back to ready; the ledger is gone
        invoice["InvoiceStatus"] = READY_STATUS

    second, messages = _run(sims, local_aws)

    assert (second.failed, messages) == (0, [])
    assert len(netvisor.state.invoices) == len(ready)
    assert max(checks.numbers_in_netvisor(netvisor.state).values()) == 1
    assert all(invoice["InvoiceStatus"] == SENT_STATUS for invoice in ready)


def test_a_different_invoice_under_the_same_number_is_refused(sims: World, local_aws: LocalAws) -> None:
    severa, netvisor = sims.severa, sims.netvisor
    ready = checks.ready_invoices(severa.state)
    _run(sims, local_aws)
    clash = ready[0]
    netvisor_copy = netvisor.state.invoice_by_number(str(clash["Number"]))
    assert netvisor_copy is not None
    netvisor_copy.amount += Decimal(100)  # Netvisor's invoice with this number is another one
    clash["InvoiceStatus"] = READY_STATUS

    summary, messages = _run(sims, local_aws)

    assert summary.failed == 1
    [message] = messages
    assert message["error_class"] == "AmbiguousInvoiceError"
    assert f"Netvisor already holds invoice number {clash['Number']}, but not as this invoice" in message["message"]
    assert "total " in message["message"]
    assert len(netvisor.state.invoices) == len(ready)


def _clash(sims: World, aws: LocalAws, change: str) -> tuple[RunSummary, list[dict[str, Any]], dict[str, Any]]:
    """The ledger is lost and one invoice is readied again, while Netvisor's invoice with its number
    differs in ``change`` only (otherwise the same total, customer, date and reference)."""
    netvisor = sims.netvisor
    ready = checks.ready_invoices(sims.severa.state)
    _run(sims, aws)
    clash = ready[0]
    copy = netvisor.state.invoice_by_number(str(clash["Number"]))
    assert copy is not None
    if change == "customer":
        other = next(c for c in netvisor.state.customers.values() if c.key != copy.customer_key)
        copy.customer_key = other.key
    elif change == "reference":
        copy.reference_number = finnish_reference(4242)
    else:
        copy.invoice_date -= timedelta(days=3)
    clash["InvoiceStatus"] = READY_STATUS
    summary, messages = _run(sims, aws)
    return summary, messages, clash


def test_the_same_number_and_total_of_another_customer_is_not_adopted(sims: World, local_aws: LocalAws) -> None:
    summary, messages, clash = _clash(sims, local_aws, "customer")
    assert (summary.failed, summary.adopted) == (1, 0), summary
    [message] = messages
    assert message["error_class"] == "AmbiguousInvoiceError"
    assert "customer number " in message["message"]
    assert "total" not in message["message"]
    assert clash["InvoiceStatus"] == READY_STATUS, "never marked transferred on someone else's invoice"
    assert max(checks.numbers_in_netvisor(sims.netvisor.state).values()) == 1


def test_the_same_number_and_total_on_another_date_is_not_adopted(sims: World, local_aws: LocalAws) -> None:
    summary, messages, clash = _clash(sims, local_aws, "date")
    assert (summary.failed, summary.adopted) == (1, 0), summary
    [message] = messages
    assert message["error_class"] == "AmbiguousInvoiceError"
    assert "date " in message["message"]
    assert "customer" not in message["message"].split("(", 1)[1]
    assert clash["InvoiceStatus"] == READY_STATUS


def test_the_same_number_and_total_with_another_reference_is_not_adopted(sims: World, local_aws: LocalAws) -> None:
    summary, messages, clash = _clash(sims, local_aws, "reference")
    assert (summary.failed, summary.adopted) == (1, 0), summary
    [message] = messages
    assert message["error_class"] == "AmbiguousInvoiceError"
    assert f"reference {finnish_reference(4242)} (this one {clash['ReferenceNumber']})" in message["message"]
    assert clash["InvoiceStatus"] == READY_STATUS
    assert max(checks.numbers_in_netvisor(sims.netvisor.state).values()) == 1
