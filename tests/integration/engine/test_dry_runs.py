"""Dry runs are pure and honest, and a warm container carries nothing from one run into the next.

- For every transfer, a dry run and then a real run on the same state do the same things: the same
  actions, the same counts (the dry run's plan is what the real run then does).
- A dry run writes nothing anywhere (Netvisor, Severa, the state table, the queue), even over a crashed
  run's pending records, which a real run would look up and adopt.
- A warm container's second run sees the world as it is then, not as the first run cached it.

In process against both simulators and moto (``tests.integration.rig``).
"""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from severa_netvisor.engine import EngineOptions, RunSummary
from severa_netvisor.handler import make_handler
from severa_netvisor.state import StateStore
from severa_netvisor.transfers.context import TransferContext
from severa_netvisor.transfers.registry import build_named

from sandbox.aws import LocalAws
from sandbox.netvisor.state import CustomerRecord, ProductRecord
from sandbox.severa import build_state
from tests.integration.engine.doubles import FakeContext
from tests.integration.rig import World, world
from tests.integration.transfers.invoices import checks
from tests.reliability.engine.test_crash_anywhere import Crashing, CrashPlan, SimulatedCrash

#: Severa write operations (everything else the client calls is a read).
SEVERA_WRITES = ("SetInvoiceStatus", "SetInvoicePaymentDate", "AddNewInvoiceLogEntry")


def _severa_writes(w: World) -> int:
    return sum(w.severa.calls[name] for name in SEVERA_WRITES)


def _queue_depth(w: World) -> int:
    attributes = w.aws.client("sqs").get_queue_attributes(
        QueueUrl=w.queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def _nothing_written(w: World, run: Callable[[], RunSummary]) -> RunSummary:
    """Run ``run`` (a dry run) and assert it wrote nothing anywhere."""
    table, posts, writes, depth = w.table_items(), w.netvisor_posts(), _severa_writes(w), _queue_depth(w)
    summary = run()
    assert summary.dry_run
    assert w.netvisor_posts() == posts, "no Netvisor write"
    assert _severa_writes(w) == writes, "no Severa write"
    assert w.table_items() == table, "no ledger, cursor, lease or register write"
    assert _queue_depth(w) == depth, "no queue message"
    return summary


def _same_as_the_real_run(w: World, transfer: str, **request: Any) -> tuple[RunSummary, RunSummary]:
    dry = _nothing_written(w, lambda: w.run_engine(transfer, dry_run=True, **request))
    real = w.run_engine(transfer, **request)
    assert dry.actions() == real.actions(), (dry.actions(), real.actions())
    assert dry.also == real.also
    assert dry.failures_by_reason == real.failures_by_reason
    planned = [item for item in dry.plan if item.action not in ("skip", "unchanged")]
    assert (
        len(planned)
        == real.created
        + real.updated
        + real.adopted
        + real.failed
        + real.dependencies
        + sum(real.also.values())
        + real.waiting
    )
    return dry, real


# -- one scenario per transfer, with what makes counts interesting ---------------------------------


@pytest.fixture
def w(local_aws: LocalAws) -> Iterator[World]:
    state = build_state(71, accounts=5, invoices=16, hour_entries=0)
    with world(local_aws, severa_state=state) as running:
        yield running


def test_customers_dry_run_equals_the_real_run(w: World) -> None:
    accounts = sorted(w.severa.state.customers.values(), key=lambda c: int(c["Number"]))
    accounts[0]["VatNumber"] = "FI12345678"  # a wrong check digit: fails
    with w.netvisor.state.lock:  # one is already in Netvisor: adopted
        key = w.netvisor.state.new_key()
        w.netvisor.state.customers[key] = CustomerRecord(
            key, {"name": "Vanha", "internalidentifier": str(accounts[1]["Number"])}, [], datetime(2026, 1, 1)
        )
    dry, real = _same_as_the_real_run(w, "customers")
    assert (real.created, real.adopted, real.failed) == (len(accounts) - 2, 1, 1)
    assert {item.action for item in dry.plan} == {"create", "adopt", "fail"}


def test_products_dry_run_equals_the_real_run(w: World) -> None:
    with w.netvisor.state.lock:  # one product code already in Netvisor: adopted (and brought in line)
        key = w.netvisor.state.new_key()
        w.netvisor.state.products[key] = ProductRecord(
            key, {"productcode": "KONS", "name": "Vanha"}, "net", w.netvisor.now()
        )
    _dry, real = _same_as_the_real_run(w, "products")
    assert real.adopted == 1
    assert real.created > 0


def test_dimensions_dry_run_equals_the_real_run(w: World) -> None:
    # Cost centres shared by several cases, business units, projects: a later record finds the item an
    # earlier one of the same run created (the dry run must see its own planned creates too).
    _dry, real = _same_as_the_real_run(w, "dimensions")
    assert real.created > 0


def test_invoices_dry_run_equals_the_real_run_with_new_customers_and_a_bad_invoice(w: World) -> None:
    checks.seed_netvisor(w.severa.state, w.netvisor.state, customers=False)
    ready = checks.ready_invoices(w.severa.state)
    reference = ready[0]["ReferenceNumber"]
    ready[0]["ReferenceNumber"] = reference[:-1] + str((int(reference[-1]) + 1) % 10)
    dry, real = _same_as_the_real_run(w, "invoices")
    assert (real.created, real.failed) == (len(ready) - 1, 1)
    assert real.dependencies > 0, "the customers come first, in the plan too"
    assert [item.needed_by for item in dry.plan if item.label.startswith("customer ")]
    # The credit notes now wait for their invoices to be sent; a dry run says so the same way.
    w.netvisor.send_invoices()
    _same_as_the_real_run(w, "invoices")


def test_payments_dry_run_equals_the_real_run(w: World) -> None:
    checks.seed_netvisor(w.severa.state, w.netvisor.state)
    w.run_engine("invoices")
    invoices = sorted((i for i in w.netvisor.state.invoices.values() if i.amount > 0), key=lambda i: i.key)[:3]
    w.netvisor.add_payment(invoices[0].key, invoices[0].open_sum)
    w.netvisor.add_payment(invoices[1].key, (invoices[1].open_sum / 2).quantize(Decimal("0.01")))
    _dry, real = _same_as_the_real_run(w, "payments")
    assert real.created == 2


def test_hours_dry_run_equals_the_real_run(local_aws: LocalAws) -> None:
    state = build_state(72, accounts=2, invoices=1, hour_entries=40)
    today = datetime.now(UTC).date()
    for entry in state.hour_entries.values():  # inside the open payroll period
        day = today - timedelta(days=int(entry["Quantity"] * 3) % 20 + 1)
        entry["EventDate"] = datetime(day.year, day.month, day.day)
    with world(local_aws, severa_state=state, mapping_changes={"hours": {"enabled": True}}) as w:
        _dry, real = _same_as_the_real_run(w, "hours")
        assert real.created > 0


def test_a_dry_run_over_a_crashed_runs_pending_records_writes_nothing(w: World) -> None:
    checks.seed_netvisor(w.severa.state, w.netvisor.state)
    plan = CrashPlan(crash_at=10**9)
    original = plan.step

    def die_after_the_second_invoice(label: str) -> None:
        if label == "after netvisor.add_sales_invoice" and w.netvisor.request_log.count("salesinvoice.nv") == 2:
            plan.crash_at = plan.steps + 1
        original(label)

    plan.step = die_after_the_second_invoice  # type: ignore[method-assign]
    clean = w.context()
    crashing = TransferContext.fixed(
        clean.settings,
        w.mapping,
        severa=clean.severa,
        netvisor=Crashing(clean.netvisor, plan, "netvisor"),  # type: ignore[arg-type]
    )
    with contextlib.suppress(SimulatedCrash):
        w.run_engine("invoices", engine=w.engine("invoices", context=crashing))
    assert plan.crashed_at is not None
    later = StateStore(w.table, client=w.aws.client("dynamodb"), clock=lambda: time.time() + 100_000)
    engine = w.engine("invoices", state=later, options=EngineOptions(shared_lease=None))

    dry = _nothing_written(w, lambda: w.run_engine("invoices", engine=engine, dry_run=True))

    assert dry.adopted >= 1, "the crashed run's invoice is planned as found in Netvisor, not created again"
    real = w.run_engine("invoices", engine=engine)
    assert (real.adopted, real.created) == (dry.adopted, dry.created)
    assert max(checks.numbers_in_netvisor(w.netvisor.state).values()) == 1


def test_a_warm_containers_second_run_attaches_the_pdf_as_it_is_then(w: World) -> None:
    """The invoices transfer reads PDFs ahead, a page at a time. A run that stops before writing some
    of them must not leave those PDFs for the warm container's next run: an invoice corrected in
    Severa meanwhile goes with its new PDF (the old code kept the read-ahead across runs)."""
    checks.seed_netvisor(w.severa.state, w.netvisor.state)
    ready = checks.ready_invoices(w.severa.state)
    handler = make_handler(
        lambda _context: build_named("invoices", w.context()), settings=w.settings(time_budget_margin_seconds=60.0)
    )

    def out_of_time_after_the_first_write() -> float:
        return 600.0 if w.netvisor.request_log.count("salesinvoice.nv") < 1 else 10.0

    first = handler({}, FakeContext(remaining=out_of_time_after_the_first_write, function_name="invoices"))  # type: ignore[arg-type]
    assert 1 <= first["created"] < len(ready)
    held = [r for r in ready if w.netvisor.state.invoice_by_number(str(r["Number"])) is None]
    assert held
    corrected = held[0]
    corrected["_pdf"] = b"%PDF-1.4 the corrected invoice"

    second = handler({}, FakeContext(function_name="invoices"))  # type: ignore[arg-type]

    assert second["created"] == len(held)
    sent = w.netvisor.state.invoice_by_number(str(corrected["Number"]))
    assert sent is not None
    [attachment] = sent.attachments
    assert base64.b64decode(attachment.data_base64) == b"%PDF-1.4 the corrected invoice"


def test_every_run_gets_a_transfer_run_of_its_own_with_the_engines_run_id(local_aws: LocalAws) -> None:
    from tests.integration.engine.doubles import make_rig, seed

    rig = make_rig(local_aws)
    seed(rig.source, 2)
    engine = rig.engine()
    first, second = rig.run(engine=engine), rig.run(engine=engine, dry_run=True)
    runs = rig.transfer.runs
    assert [r.run_id for r in runs] == [first.run_id, second.run_id]
    assert [r.dry_run for r in runs] == [False, True]
    assert runs[0] is not runs[1]
    assert runs[0].planner is None
    assert runs[1].planner is not None
