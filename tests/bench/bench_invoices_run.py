"""A whole invoices run against the simulators: how close to Netvisor's floor, and how much memory.

Netvisor takes one request at a time per company, so a run can never beat
``Netvisor requests x Netvisor's response time``. Every other step (Severa reads and PDFs, mapping,
validation, DynamoDB bookkeeping, Severa write-backs) should hide behind that floor. Here the
Netvisor simulator answers every request after a fixed latency; the figure is wall time / floor.

    python -m tests.bench invoices_run        (BENCH_INVOICES=2000 BENCH_LATENCY=0.05 to change)

Memory is the process's peak RSS, which here includes moto and both simulators: an upper bound.
"""

from __future__ import annotations

import os

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # the figures, not a log line per invoice

import resource
import time
import uuid
from dataclasses import dataclass

import requests
from severa_netvisor.engine import RunRequest

from sandbox.aws import LocalAws
from sandbox.netvisor import Fault
from sandbox.severa import build_state
from tests.integration.rig import world
from tests.integration.transfers.invoices import checks


@dataclass
class _LongContext:
    """A Lambda context with 15 minutes left (the transfers' timeout)."""

    started: float

    def get_remaining_time_in_millis(self) -> int:
        return int((900 - (time.monotonic() - self.started)) * 1000)


def main() -> None:
    invoices = int(os.environ.get("BENCH_INVOICES", "1000"))
    latency = float(os.environ.get("BENCH_LATENCY", "0.05"))
    severa_state = build_state(7, accounts=60, invoices=invoices, hour_entries=0)
    with (
        LocalAws() as aws,
        aws.environment(),
        world(aws, severa_state=severa_state, severa_quota=1_000_000) as w,
    ):
        severa, netvisor = w.severa, w.netvisor
        # Products and dimension items as the other transfers leave them; customers through the
        # customers transfer itself (untimed), so the invoices run finds them in the ledger as it would.
        checks.seed_netvisor(severa.state, netvisor.company.state, customers=False)
        context = w.context()
        w.run_engine("customers", engine=w.engine("customers", context=context, margin_seconds=60))
        netvisor.faults.add(Fault(kind="latency", seconds=latency))
        # What Netvisor really took, as the client saw it (latency + the simulator's own work): the
        # true floor when everything else overlaps with it.
        netvisor_seconds: list[float] = []
        session: requests.Session = context.netvisor.session
        session.hooks["response"].append(
            lambda response, **_: netvisor_seconds.append(response.elapsed.total_seconds())
        )
        engine = w.engine("invoices", context=context, margin_seconds=60)
        netvisor.request_log.clear()
        severa.calls.clear()
        started = time.monotonic()
        summary = engine.run(RunRequest(run_id=str(uuid.uuid4())), _LongContext(started))
        wall = time.monotonic() - started
        request_count = sum(netvisor.request_log.counts().values())
        floor = request_count * latency
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"seeded invoices {invoices}; picked up {summary.fetched}; created {summary.created}, "
            f"adopted {summary.adopted}, failed {summary.failed}, stopped early: {summary.stopped_early}"
        )
        print(
            f"Netvisor requests {request_count} x {latency * 1000:.0f} ms = floor {floor:.1f} s; "
            f"Severa calls {sum(severa.calls.values())}"
        )
        print(f"wall time {wall:.1f} s = {wall / floor:.2f} x the latency floor")
        observed = sum(netvisor_seconds)
        print(
            f"Netvisor response time as the client saw it: {observed:.1f} s in all "
            f"({observed / max(len(netvisor_seconds), 1) * 1000:.0f} ms each); "
            f"wall time = {wall / observed:.2f} x that floor"
            if observed
            else ""
        )
        print(f"peak RSS of the whole process (engine + moto + both simulators): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
