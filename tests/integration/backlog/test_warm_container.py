"""A warm Lambda container keeps its engine and transfer definitions from one run to the next (the
handler builds them once); nothing per record may outlive a run, or a container that runs every half
hour for days grows until Lambda kills it."""

from __future__ import annotations

import gc

from severa_netvisor.engine.runner import _Run
from severa_netvisor.engine.work import Taken, Work
from severa_netvisor.mapping.invoices import MappedInvoice
from severa_netvisor.severa.models import Customer, CustomerDetails, Invoice, InvoiceKey, InvoiceRow
from severa_netvisor.transfers.customers import CustomersRun
from severa_netvisor.transfers.invoice_pickup import InvoiceSpool
from severa_netvisor.transfers.invoices import InvoicePayload, InvoicesRun

from sandbox.aws import LocalAws
from sandbox.severa import build_state
from sandbox.severa.seed import PAID_STATUS, READY_STATUS
from tests.integration.rig import world
from tests.integration.transfers.invoices import checks

#: What a run makes per record or per run: none may be alive once the run has returned.
PER_RUN = (
    Invoice,
    InvoiceKey,
    InvoiceRow,
    Customer,
    CustomerDetails,
    MappedInvoice,
    InvoicePayload,
    Taken,
    Work,
    _Run,
    InvoicesRun,
    CustomersRun,
    InvoiceSpool,
)


def _alive() -> dict[str, int]:
    gc.collect()
    counts: dict[str, int] = {}
    for thing in gc.get_objects():
        if isinstance(thing, PER_RUN):
            counts[type(thing).__name__] = counts.get(type(thing).__name__, 0) + 1
    return counts


def test_nothing_per_record_outlives_a_run_of_a_warm_containers_engine(local_aws: LocalAws) -> None:
    with world(local_aws, severa_state=build_state(45, accounts=10, invoices=70, hour_entries=0)) as w:
        checks.seed_netvisor(w.severa.state, w.netvisor.state, customers=False)  # customers come along
        ready = checks.ready_invoices(w.severa.state)
        later = ready[: len(ready) // 2]
        for record in later:  # held back for the second run
            record["InvoiceStatus"] = PAID_STATUS
        engine = w.engine("invoices")  # one engine for both runs, as a warm container keeps it
        before = _alive()

        first = w.run_engine("invoices", engine=engine)
        assert (first.created, first.failed) == (len(ready) - len(later), 0)
        assert first.dependencies > 0  # customers were read and written too
        del first
        assert _alive() == before

        for record in later:
            record["InvoiceStatus"] = READY_STATUS
        second = w.run_engine("invoices", engine=engine)
        assert (second.created, second.failed) == (len(later), 0)
        del second
        assert _alive() == before
        assert sorted(checks.numbers_in_netvisor(w.netvisor.state).values()) == [1] * len(ready)
