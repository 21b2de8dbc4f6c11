"""Netvisor in maintenance mid-run: the run stops cleanly, nothing is lost, the next run finishes."""

from __future__ import annotations

import uuid

from severa_netvisor.engine import Engine, RunRequest, RunSummary
from severa_netvisor.failures import FailureQueue
from severa_netvisor.state import StateStore
from severa_netvisor.transfers.invoices import InvoicesTransfer

from sandbox.aws import LocalAws
from sandbox.environment import SANDBOX_DIMENSION_NAMES
from sandbox.netvisor import Company, Fault, NetvisorSimulator
from sandbox.severa import SeveraSimulator, build_state
from sandbox.severa.seed import SENT_STATUS
from tests.integration.transfers.invoices import world


def test_maintenance_stops_the_run_and_the_next_run_sends_the_rest_once(local_aws: LocalAws) -> None:
    state = build_state(41, accounts=3, invoices=20, hour_entries=0)
    suffix = uuid.uuid4().hex[:10]
    store = StateStore(world.private_table(local_aws, f"outage-{suffix}"), client=local_aws.client("dynamodb"))
    sqs = local_aws.client("sqs")
    queue = sqs.create_queue(QueueName=f"outage-{suffix}")["QueueUrl"]
    with (
        SeveraSimulator(state=state) as severa,
        NetvisorSimulator([Company(dimension_names=SANDBOX_DIMENSION_NAMES)]) as netvisor,
    ):
        world.seed_netvisor(state, netvisor.state)
        ready = world.ready_invoices(state)
        assert len(ready) >= 4

        def run(run_id: str) -> RunSummary:
            transfer = InvoicesTransfer(world.context(severa, netvisor, world.mapping()), store)
            engine = Engine(transfer, state=store, failure_queue=FailureQueue(queue, client=sqs), margin_seconds=0)
            return engine.run(RunRequest(run_id=run_id))

        netvisor.faults.add(Fault(kind="maintenance", resource="salesinvoice.nv", nth=3))
        first = run("first")
        assert first.stopped_early is not None
        assert "SYSTEM_MAINTENANCE" in first.stopped_early
        assert first.failed == 0
        assert len(netvisor.state.invoices) == 2
        netvisor.faults.clear()

        second = run("second")

        assert second.stopped_early is None
        assert len(netvisor.state.invoices) == len(ready)
        assert max(world.numbers_in_netvisor(netvisor.state).values()) == 1
        assert all(invoice["InvoiceStatus"] == SENT_STATUS for invoice in ready)
        assert world.queue_messages(sqs, queue) == []
