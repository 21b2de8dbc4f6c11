"""A month of 10 000 invoices reconciled: memory, time, Severa calls and Netvisor requests.

The world is built as the transfers would leave it (Netvisor holds every invoice with its lines, the
ledger maps each to its Netvisor key) without running them: this measures the reconciliation, not the
transfer. Every invoice is dated in October 2026. The reconciliation runs in a child process that
holds only the clients, so its memory is its own (the simulators and moto stay in this process):
the child's peak RSS, and how much of it the run added.

    python -m tests.bench reconcile   (BENCH_RECONCILE_INVOICES=1000,10000 BENCH_RECONCILE_WINDOWS=7,31)
"""

from __future__ import annotations

import os

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")

import multiprocessing
import resource
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from severa_netvisor.credentials import NetvisorCredentials, SeveraCredentials
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.reconcile import Period, ReconcileOptions, Reconciliation
from severa_netvisor.reconcile.netvisor_side import count_requests
from severa_netvisor.reconcile.registers import LedgerCreditMatches, RegisterFailures
from severa_netvisor.register import FailureRegister
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.state import StateStore

from sandbox.aws import LocalAws
from sandbox.environment import SANDBOX_DIMENSION_NAMES
from sandbox.netvisor import Company, NetvisorSimulator
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.netvisor.state import CompanyState, CustomerRecord, InvoiceLineRecord, InvoiceRecord
from sandbox.severa import SeveraSimulator, build_state
from sandbox.severa import sandbox_credentials as severa_secret
from sandbox.severa.seed import SENT_STATUS, business_id_of
from sandbox.severa.state import SeveraState
from tests.integration.rig import mapping, new_state_table

MONTH = Period.parse_month("2026-10")


def _into_the_month(severa: SeveraState) -> None:
    """Every invoice dated in October 2026 and marked transferred."""
    for index, record in enumerate(sorted(severa.invoices.values(), key=lambda r: r["Number"])):
        record["Date"] = datetime(2026, 10, index % 31 + 1)
        record["InvoiceStatus"] = SENT_STATUS


def _netvisor_as_transferred(severa: SeveraState, netvisor: CompanyState) -> tuple[dict[str, int], dict[str, int]]:
    """What the customers and invoices transfers would have made; returns GUID -> Netvisor key maps."""
    now = datetime.now(UTC)
    accounts: dict[str, int] = {}
    invoices: dict[str, int] = {}
    for guid, customer in severa.customers.items():
        key = netvisor.new_key()
        fields = {"name": customer["Name"], "internalidentifier": str(customer["Number"]),
                  "externalidentifier": str(business_id_of(severa.accounts[guid])),
                  "finvoiceaddress": customer["eInvoiceAddress"]}  # fmt: skip
        netvisor.customers[key] = CustomerRecord(key, fields, [], now)
        accounts[guid] = key
    for guid, record in severa.invoices.items():
        key = netvisor.new_key()
        lines = [
            InvoiceLineRecord(0, row["articleIdentifier"], row["articleIdentifier"], "customer", row["articleName"],
                              row["rowUnitPrice"], "net", row["rowVatRatePercent"], row["rowVatCode"],
                              row["deliveredQuantity"], Decimal(0), "", row["rowVatAmount"], row["rowAmount"], "", [])
            for row in record["InvoiceRows"]
        ]  # fmt: skip
        total = record["InvoiceDetails"]["invoiceTotalVatIncludedAmount"]
        day: date = record["Date"].date()
        netvisor.invoices[key] = InvoiceRecord(
            key, str(record["Number"]), day, day, "open", total, total, "EUR", accounts[record["AccountGUID"]],
            record["ReferenceNumber"], {}, lines, [], [], now,
        )  # fmt: skip
        invoices[guid] = key
    return accounts, invoices


def _ledger(client: Any, table: str, accounts: dict[str, int], invoices: dict[str, int]) -> None:
    """The ledger entries the transfers would have written (state.py's item layout), 25 per request:
    the bench's set-up only. Were the layout to change, the run would report differences."""
    items = [("ledger#severa#account", g, k) for g, k in accounts.items()]
    items += [("ledger#severa#invoice", g, k) for g, k in invoices.items()]
    for start in range(0, len(items), 25):
        requests = [
            {"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk}, "status": {"S": "done"},
                                     "target_key": {"S": str(key)}, "version": {"N": "1"}}}}
            for pk, sk, key in items[start : start + 25]
        ]  # fmt: skip
        pending: dict[str, Any] = {table: requests}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


@dataclass(frozen=True)
class Endpoints:
    severa: dict[str, str]
    netvisor: dict[str, str]
    aws: dict[str, str]
    table: str


def _reconcile_in_child(endpoints: Endpoints, window_days: int, results: Any) -> None:
    os.environ.update(endpoints.aws)
    settings = Settings(severa_operation_timeout_seconds=600, netvisor_read_timeout_seconds=600)
    severa = SeveraClient(SeveraCredentials.model_validate(endpoints.severa), settings)
    netvisor = NetvisorClient(NetvisorCredentials.model_validate(endpoints.netvisor), settings)
    requests = count_requests(netvisor.session)
    state = StateStore(endpoints.table)
    reconciliation = Reconciliation(
        severa=severa, netvisor=netvisor, mapping=mapping(), state=state,
        failures=RegisterFailures(FailureRegister(state.table_name, client=state.client)),
        credit_matches=LedgerCreditMatches(state), netvisor_requests=lambda: requests[0],
        options=ReconcileOptions(window_days=window_days, lease_wait_seconds=0),
    )  # fmt: skip
    # tracemalloc would slow the reading so much that the simulator gives up on the slow reader; the
    # peak RSS is what Lambda's memory setting must cover anyway. Before: imports, WSDL, clients.
    severa.get_version()
    before_mb = _rss_mb()
    started = time.perf_counter()
    report = reconciliation.run(MONTH, f"bench-{window_days}")
    seconds = time.perf_counter() - started
    peak_mb = _rss_mb()
    results.put({
        "seconds": seconds, "rss_mb": peak_mb, "growth_mb": peak_mb - before_mb,
        "severa_calls": report.usage.severa_calls, "netvisor_requests": report.usage.netvisor_requests,
        "invoices": report.usage.severa_invoices, "differences": len(report.findings),
    })  # fmt: skip


def _rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: a spawned child's ru_maxrss keeps the
    parent's peak from before the exec (the simulators' world)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _measure(endpoints: Endpoints, window_days: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_reconcile_in_child, args=(endpoints, window_days, results))
    child.start()
    figures: dict[str, Any] = results.get(timeout=1800)
    child.join()
    return figures


def _run(aws: LocalAws, invoices: int, windows: list[int]) -> list[dict[str, Any]]:
    severa_state = build_state(11, accounts=60, invoices=invoices, hour_entries=0)
    _into_the_month(severa_state)
    with (
        SeveraSimulator(state=severa_state, quota=1_000_000) as severa,
        NetvisorSimulator([Company(dimension_names=SANDBOX_DIMENSION_NAMES)]) as netvisor,
    ):
        table = new_state_table(aws, f"bench-reconcile-{uuid.uuid4().hex[:8]}")
        accounts, keys = _netvisor_as_transferred(severa_state, netvisor.company.state)
        _ledger(aws.client("dynamodb"), table, accounts, keys)
        endpoints = Endpoints(severa_secret(severa), netvisor_secret(netvisor), aws.env(), table)
        return [{"window": window, **_measure(endpoints, window)} for window in windows]


def main() -> None:
    sizes = [int(n) for n in os.environ.get("BENCH_RECONCILE_INVOICES", "1000,10000").split(",")]
    windows = [int(n) for n in os.environ.get("BENCH_RECONCILE_WINDOWS", "7").split(",")]
    print(f"{'invoices':>8} {'window':>6} {'seconds':>8} {'Severa calls':>12} {'Netvisor req':>12} "
          f"{'peak RSS MB':>11} {'of it the run':>13} {'differences':>11}")  # fmt: skip
    with LocalAws() as aws:
        for size in sizes:
            for row in _run(aws, size, windows):
                print(f"{row['invoices']:>8} {row['window']:>5}d {row['seconds']:>8.1f} {row['severa_calls']:>12} "
                      f"{row['netvisor_requests']:>12} {row['rss_mb']:>11.1f} {row['growth_mb']:>13.1f} "
                      f"{row['differences']:>11}", flush=True)  # fmt: skip
    print("One month, every invoice in both systems. 'peak RSS' is the peak memory of the process that runs")
    print("only the reconciliation (Lambda's MemorySize must cover it); 'of it the run' is the growth during")
    print("the run, over the imports and clients; 'window' is the days of Severa invoices read per call.")


if __name__ == "__main__":
    main()
