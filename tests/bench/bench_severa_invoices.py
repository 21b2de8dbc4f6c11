"""Seeding 10 000 Severa invoices and reading them through the client (simulator over HTTP).

.venv/bin/python -m tests.bench severa_invoices
"""

from __future__ import annotations

import time

from severa_netvisor.credentials import SeveraCredentials
from severa_netvisor.severa.client import SeveraClient

from sandbox.severa import SeveraSimulator, build_state, sandbox_credentials
from sandbox.severa.seed import READY_STATUS

INVOICES = 10_000


def main() -> None:
    started = time.perf_counter()
    state = build_state(42, accounts=2_000, invoices=INVOICES, hour_entries=20_000)
    seeded = time.perf_counter()
    print(f"  seed {INVOICES} invoices, 2000 accounts, 20000 hours: {seeded - started:.2f} s")
    ready = sum(1 for r in state.invoices.values() if r["InvoiceStatus"] == READY_STATUS)
    with SeveraSimulator(state=state) as sim:
        credentials = SeveraCredentials.model_validate(sandbox_credentials(sim))
        with SeveraClient(credentials) as client:
            before = time.perf_counter()
            invoices = client.invoices_by_status(READY_STATUS)
            fetched = time.perf_counter()
    assert len(invoices) == ready
    print(f"  GetInvoicesByStatus -> {len(invoices)} typed invoices: {fetched - before:.2f} s")


if __name__ == "__main__":
    main()
