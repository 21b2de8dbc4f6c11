"""Netvisor in maintenance mid-run: the run stops cleanly, nothing is lost, the next run finishes."""

from __future__ import annotations

from severa_netvisor.engine import RunSummary

from sandbox.aws import LocalAws
from sandbox.netvisor import Fault
from sandbox.severa import build_state
from sandbox.severa.seed import SENT_STATUS
from tests.integration.rig import world
from tests.integration.transfers.invoices import checks


def test_maintenance_stops_the_run_and_the_next_run_sends_the_rest_once(local_aws: LocalAws) -> None:
    state = build_state(41, accounts=3, invoices=20, hour_entries=0)
    with world(local_aws, severa_state=state) as w:
        netvisor = w.netvisor
        checks.seed_netvisor(state, netvisor.state)
        ready = checks.ready_invoices(state)
        assert len(ready) >= 4

        def run(run_id: str) -> RunSummary:
            return w.run_engine("invoices")

        netvisor.faults.add(Fault(kind="maintenance", resource="salesinvoice.nv", nth=3))
        first = run("first")
        assert first.stopped_early is not None
        assert "SYSTEM_MAINTENANCE" in first.stopped_early
        assert first.stopped_by_error == "NetvisorMaintenanceError"
        assert first.failed == 0
        assert len(netvisor.state.invoices) == 2
        netvisor.faults.clear()

        second = run("second")

        assert second.stopped_early is None
        assert len(netvisor.state.invoices) == len(ready)
        assert max(checks.numbers_in_netvisor(netvisor.state).values()) == 1
        assert all(invoice["InvoiceStatus"] == SENT_STATUS for invoice in ready)
        assert w.messages() == []
