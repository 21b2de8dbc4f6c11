"""An invoice number Netvisor already holds: adopted when it is the same invoice, refused when it is not.

This is the last line of defence when the ledger knows nothing (lost, or the invoice was keyed in by
hand): Netvisor refuses a second invoice with the same number (DUPLICATE_DATA), and the transfer looks
the number up instead of creating a duplicate. In process with the engine, simulators and moto.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest
from severa_netvisor.engine import Engine, RunRequest, RunSummary
from severa_netvisor.failures import FailureQueue
from severa_netvisor.state import StateStore
from severa_netvisor.transfers.invoices import InvoicesTransfer

from sandbox.aws import LocalAws
from sandbox.environment import SANDBOX_DIMENSION_NAMES
from sandbox.netvisor import Company, NetvisorSimulator
from sandbox.severa import SeveraSimulator, build_state
from sandbox.severa.seed import READY_STATUS, SENT_STATUS
from tests.integration.transfers.invoices import world


@pytest.fixture
def sims() -> Iterator[tuple[SeveraSimulator, NetvisorSimulator]]:
    state = build_state(31, accounts=3, invoices=12, hour_entries=0)
    with (
        SeveraSimulator(state=state) as severa,
        NetvisorSimulator([Company(dimension_names=SANDBOX_DIMENSION_NAMES)]) as netvisor,
    ):
        world.seed_netvisor(state, netvisor.state)
        yield severa, netvisor


def _run(sims: tuple[SeveraSimulator, NetvisorSimulator], aws: LocalAws) -> tuple[RunSummary, list[dict[str, str]]]:
    """A run with an empty ledger of its own (as if the ledger were lost)."""
    severa, netvisor = sims
    suffix = uuid.uuid4().hex[:10]
    state = StateStore(world.private_table(aws, f"clash-{suffix}"), client=aws.client("dynamodb"))
    queue = aws.client("sqs").create_queue(QueueName=f"clash-{suffix}")["QueueUrl"]
    transfer = InvoicesTransfer(world.context(severa, netvisor, world.mapping()), state)
    engine = Engine(
        transfer, state=state, failure_queue=FailureQueue(queue, client=aws.client("sqs")), margin_seconds=0
    )
    summary = engine.run(RunRequest(run_id=suffix))
    return summary, world.queue_messages(aws.client("sqs"), queue)


def test_the_same_invoice_already_in_netvisor_is_adopted_not_duplicated(
    sims: tuple[SeveraSimulator, NetvisorSimulator], local_aws: LocalAws
) -> None:
    severa, netvisor = sims
    ready = world.ready_invoices(severa.state)
    first, _ = _run(sims, local_aws)
    assert first.created == len(ready)
    for invoice in ready:  # someone sets them back to ready; the ledger is gone
        invoice["InvoiceStatus"] = READY_STATUS

    second, messages = _run(sims, local_aws)

    assert (second.failed, messages) == (0, [])
    assert len(netvisor.state.invoices) == len(ready)
    assert max(world.numbers_in_netvisor(netvisor.state).values()) == 1
    assert all(invoice["InvoiceStatus"] == SENT_STATUS for invoice in ready)


def test_a_different_invoice_under_the_same_number_is_refused(
    sims: tuple[SeveraSimulator, NetvisorSimulator], local_aws: LocalAws
) -> None:
    severa, netvisor = sims
    ready = world.ready_invoices(severa.state)
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
    assert f"Netvisor holds invoice number {clash['Number']}" in message["message"]
    assert len(netvisor.state.invoices) == len(ready)
