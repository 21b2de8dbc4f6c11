"""A seeded world for reconciliation tests: Severa and Netvisor simulators, a private state table and
queue in moto, the real transfers run in process to fill Netvisor and the ledger, then a
reconciliation over the simulators. Differences are planted by changing the simulators' state, as a
person would in either system.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from severa_netvisor.engine import Engine, RunRequest, RunSummary
from severa_netvisor.failures import FailureQueue
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.observability import metrics
from severa_netvisor.reconcile import Period, ReconcileOptions, Reconciliation, Report
from severa_netvisor.reconcile.netvisor_side import count_requests
from severa_netvisor.reconcile.registers import LedgerCreditMatches, LedgerFailures
from severa_netvisor.state import StateStore
from severa_netvisor.transfers.context import TransferContext
from severa_netvisor.transfers.customers import CustomersTransfer
from severa_netvisor.transfers.invoices import InvoicesTransfer
from severa_netvisor.transfers.payments import InvoiceLedgerIndex, PaymentsTransfer

from sandbox.aws import LocalAws
from sandbox.environment import SANDBOX_DIMENSION_NAMES
from sandbox.netvisor import Company, NetvisorSimulator
from sandbox.netvisor.state import InvoiceRecord
from sandbox.severa import SeveraSimulator, build_state
from sandbox.severa.seed import READY_STATUS
from sandbox.severa.state import Record
from tests.integration.transfers.invoices import world as invoices_world

#: Covers every seeded invoice (the seed dates them up to 280 days before 30.10.2026).
SEEDED_YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))


@dataclass
class ReconcileWorld:
    aws: LocalAws
    severa: SeveraSimulator
    netvisor: NetvisorSimulator
    state: StateStore
    queue_url: str
    mapping: MappingConfig

    def context(self) -> TransferContext:
        return invoices_world.context(self.severa, self.netvisor, self.mapping)

    def run(self, transfer: Any) -> RunSummary:
        queue = FailureQueue(self.queue_url, client=self.aws.client("sqs"))
        engine = Engine(transfer, state=self.state, failure_queue=queue, margin_seconds=0)
        summary = engine.run(RunRequest(run_id=uuid.uuid4().hex))
        metrics.clear_metrics()
        return summary

    def customers(self) -> RunSummary:
        return self.run(CustomersTransfer(self.context(), self.state))

    def invoices(self) -> RunSummary:
        return self.run(InvoicesTransfer(self.context(), self.state))

    def payments(self) -> RunSummary:
        context = self.context()
        transfer = PaymentsTransfer(
            mapping=self.mapping, clients=context, ledger_index=InvoiceLedgerIndex(self.state), state=self.state
        )
        return self.run(transfer)

    def reconcile(self, period: Period = SEEDED_YEAR, options: ReconcileOptions | None = None) -> Report:
        context = self.context()
        requests = count_requests(context.netvisor.session)
        reconciliation = Reconciliation(
            severa=context.severa,
            netvisor=context.netvisor,
            mapping=self.mapping,
            state=self.state,
            failures=LedgerFailures(self.state),
            credit_matches=LedgerCreditMatches(self.state),
            netvisor_requests=lambda: requests[0],
            options=options or ReconcileOptions(lease_wait_seconds=0),
        )
        return reconciliation.run(period, f"reconcile-test-{uuid.uuid4().hex[:8]}")

    # -- the two systems, as a person changes them --------------------------------------------------
    def severa_invoice(self, number: int) -> Record:
        return next(r for r in self.severa.state.invoices.values() if r["Number"] == number)

    def netvisor_invoice(self, number: int) -> InvoiceRecord:
        found = self.netvisor.state.invoice_by_number(str(number))
        assert found is not None, f"invoice {number} is not in Netvisor"
        return found

    def numbers(self, **where: Any) -> list[int]:
        """Severa invoice numbers whose fields equal ``where`` (e.g. IsCreditNote=False), in order."""
        return sorted(
            int(r["Number"])
            for r in self.severa.state.invoices.values()
            if all(r.get(key) == value for key, value in where.items())
        )


@contextmanager
def reconcile_world(
    aws: LocalAws,
    *,
    seed: int = 5,
    accounts: int = 4,
    invoices: int = 12,
    all_ready: bool = True,
    quota: int = 100_000,
    **mapping: Any,
) -> Iterator[ReconcileWorld]:
    """A fresh world. With ``all_ready`` every seeded invoice starts ready to transfer (the seed also
    has drafts, and invoices marked sent that never went to Netvisor)."""
    severa_state = build_state(seed, accounts=accounts, invoices=invoices, hour_entries=0)
    if all_ready:
        for record in severa_state.invoices.values():
            record["InvoiceStatus"] = READY_STATUS
    with (
        SeveraSimulator(state=severa_state, quota=quota) as severa,
        NetvisorSimulator([Company(dimension_names=SANDBOX_DIMENSION_NAMES)]) as netvisor,
    ):
        invoices_world.seed_netvisor(severa_state, netvisor.state, customers=False)
        suffix = uuid.uuid4().hex[:10]
        table = invoices_world.private_table(aws, f"reconcile-{suffix}")
        queue = aws.client("sqs").create_queue(QueueName=f"reconcile-{suffix}")["QueueUrl"]
        yield ReconcileWorld(
            aws,
            severa,
            netvisor,
            StateStore(table, client=aws.client("dynamodb")),
            queue,
            invoices_world.mapping(**mapping),
        )
