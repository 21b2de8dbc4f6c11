"""A seeded world for reconciliation tests, on the one integration rig (``tests.integration.rig``): the
real transfers run in process to fill Netvisor and the ledger, then a reconciliation over the
simulators. Differences are planted by changing the simulators' state, as a person would in either
system.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from severa_netvisor.engine import RunSummary
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.reconcile import Period, ReconcileOptions, Reconciliation, Report
from severa_netvisor.reconcile.netvisor_side import count_requests
from severa_netvisor.reconcile.registers import LedgerCreditMatches, RegisterFailures
from severa_netvisor.state import StateStore
from severa_netvisor.transfers.context import TransferContext

from sandbox.aws import LocalAws
from sandbox.netvisor import NetvisorSimulator
from sandbox.netvisor.state import InvoiceRecord
from sandbox.severa import SeveraSimulator, build_state
from sandbox.severa.seed import READY_STATUS
from sandbox.severa.state import Record
from tests.integration.rig import World, world
from tests.integration.transfers.invoices import checks

#: Covers every seeded invoice (the seed dates them up to 280 days before 30.10.2026).
SEEDED_YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))


@dataclass
class ReconcileWorld:
    world: World

    @property
    def aws(self) -> LocalAws:
        return self.world.aws

    @property
    def severa(self) -> SeveraSimulator:
        return self.world.severa

    @property
    def netvisor(self) -> NetvisorSimulator:
        return self.world.netvisor

    @property
    def state(self) -> StateStore:
        return self.world.store()

    @property
    def mapping(self) -> MappingConfig:
        return self.world.mapping

    def context(self) -> TransferContext:
        return self.world.context()

    def customers(self) -> RunSummary:
        return self.world.run_engine("customers")

    def invoices(self) -> RunSummary:
        """An invoices run, the accountant sending the new invoices from Netvisor, and the next run,
        which matches credit notes whose invoices are both sent (Netvisor's rule); the first run's
        summary."""
        first = self.world.run_engine("invoices")
        self.netvisor.send_invoices()
        self.world.run_engine("invoices")
        return first

    def payments(self) -> RunSummary:
        return self.world.run_engine("payments")

    def reconcile(self, period: Period = SEEDED_YEAR, options: ReconcileOptions | None = None) -> Report:
        context = self.context()
        requests = count_requests(context.netvisor.session)
        reconciliation = Reconciliation(
            severa=context.severa,
            netvisor=context.netvisor,
            mapping=self.mapping,
            state=self.state,
            failures=RegisterFailures(self.world.register()),
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
    with world(aws, severa_state=severa_state, severa_quota=quota, mapping_changes=mapping) as running:
        checks.seed_netvisor(severa_state, running.netvisor.state, customers=False)
        yield ReconcileWorld(running)
