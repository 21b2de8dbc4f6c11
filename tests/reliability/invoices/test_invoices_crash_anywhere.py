"""Crash the invoices run between every pair of steps, run again: every invoice in Netvisor exactly once.

A step is any call to Severa, Netvisor, the state table, the register of open failures or the
failed-records queue, made by the engine, this transfer or the customers transfer it brings a new
customer over with (one of the two accounts is new to Netvisor: its customer is created on the
fly). The crash comes before a call or after it (the call took effect, its answer is lost), as a
BaseException nothing can tidy up after; every later step in any thread dies too. The re-run is a
new process (a new transfer) with a later clock, so the crashed run's lease has expired. In process
with the engine, against both simulators and moto.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from severa_netvisor.engine import EngineOptions
from severa_netvisor.failures import FailureQueue
from severa_netvisor.register import FailureRegister
from severa_netvisor.state import LedgerStatus, StateStore
from severa_netvisor.transfers.context import TransferContext
from severa_netvisor.transfers.customers import account_ref
from severa_netvisor.transfers.invoices import invoice_ref

from sandbox.aws import LocalAws
from sandbox.netvisor.state import CompanyState
from sandbox.severa import build_state
from sandbox.severa.seed import PAID_STATUS, READY_STATUS, SENT_STATUS
from sandbox.severa.state import SeveraState
from tests.integration.rig import World, new_state_table, world
from tests.integration.transfers.invoices import checks
from tests.reliability.engine.test_crash_anywhere import Crashing, CrashPlan, SimulatedCrash
from tests.reliability.support import SOAK

MAX_STEPS = 400
#: Every ``STRIDE``-th step is a crash point: every third in ``make test`` (each costs three runs),
#: every step in ``make soak`` (``RELIABILITY_SOAK=1``).
STRIDE = 1 if SOAK else 3


@dataclass
class Case:
    """Three ready invoices: an invoice, its credit note (matched once both exist), and a bad one."""

    state: SeveraState
    original: dict[str, Any]
    credit: dict[str, Any]
    bad: dict[str, Any]

    @property
    def good(self) -> list[dict[str, Any]]:
        return [self.original, self.credit]

    @property
    def new_account(self) -> str:
        """The account whose customer is not in Netvisor yet: the run creates it on the fly."""
        return str(self.original["AccountGUID"])


def _case() -> Case:
    for seed in range(1, 200):
        state = build_state(seed, accounts=2, invoices=8, hour_entries=0, credit_note_share=0.4)
        credits = [r for r in state.invoices.values() if r["IsCreditNote"]]
        if not credits:
            continue
        credit = credits[0]
        original = state.invoices[credit["ReimburseInvoiceGUID"]]
        others = [r for r in state.invoices.values() if r not in (credit, original) and not r["IsCreditNote"]]
        bad = others[0]
        for record in state.invoices.values():
            record["InvoiceStatus"] = READY_STATUS if record in (credit, original, bad) else "Luonnos"
        reference = bad["ReferenceNumber"]
        bad["ReferenceNumber"] = reference[:-1] + str((int(reference[-1]) + 1) % 10)
        return Case(state, original, credit, bad)
    raise AssertionError("no seed with a credit note")  # pragma: no cover


Systems = World


@pytest.fixture(scope="module")
def systems(local_aws: LocalAws) -> Iterator[World]:
    with world(local_aws, severa_state=build_state(1, accounts=1, invoices=1, hour_entries=0)) as running:
        yield running


def _fresh(systems: World) -> tuple[Case, str, str]:
    """New Severa data, a Netvisor company seeded with what it needs, a new table and queue."""
    case = _case()
    systems.severa.state = case.state
    systems.netvisor.company.state = CompanyState()
    company = systems.netvisor.company.state
    checks.seed_netvisor(case.state, company)
    new_number = str(case.state.accounts[case.new_account]["Number"])
    for key in [k for k, c in company.customers.items() if c.code == new_number]:
        del company.customers[key]  # this one's customer is created by the run, on the fly
    suffix = uuid.uuid4().hex[:10]
    table = new_state_table(systems.aws, f"crash-{suffix}")
    queue = systems.aws.client("sqs").create_queue(QueueName=f"crash-{suffix}")["QueueUrl"]
    store = StateStore(table, client=systems.aws.client("dynamodb"))
    netvisor_keys = {c.code: c.key for c in company.customers.values()}
    for account in case.state.accounts.values():
        if account["GUID"] == case.new_account:
            continue
        store.mark_done(
            account_ref(account["GUID"]),
            target_key=str(netvisor_keys[str(account["Number"])]),
            content_hash="seeded",
            summary={},
            writeback_pending=False,
            expected_version=0,
            run_id="seed",
        )
    return case, table, queue


OPTIONS = EngineOptions(queue_size=2, bookkeeping_workers=2, shared_lease=None)


def _crash_then_rerun(systems: World, crash_at: int) -> bool:
    case, table, queue_url = _fresh(systems)
    systems.table, systems.queue_url = table, queue_url
    sqs, dynamodb = systems.aws.client("sqs"), systems.aws.client("dynamodb")
    plan = CrashPlan(crash_at)
    clean = systems.context()
    crashing_context = TransferContext.fixed(
        clean.settings,
        systems.mapping,
        severa=Crashing(clean.severa, plan, "severa"),  # type: ignore[arg-type]
        netvisor=Crashing(clean.netvisor, plan, "netvisor"),  # type: ignore[arg-type]
    )
    crashing = systems.engine(
        "invoices",
        context=crashing_context,
        state=Crashing(StateStore(table, client=dynamodb), plan, "state"),  # type: ignore[arg-type]
        register=Crashing(FailureRegister(table, client=dynamodb), plan, "register"),  # type: ignore[arg-type]
        failure_queue=Crashing(FailureQueue(queue_url, client=sqs), plan, "queue"),  # type: ignore[arg-type]
        options=OPTIONS,
    )
    with contextlib.suppress(SimulatedCrash):  # the crash may also come after the last step
        systems.run_engine("invoices", engine=crashing)
    if plan.crashed_at is None:
        return False
    where = f"crash {plan.crashed_at} (step {crash_at})"

    later = StateStore(table, client=dynamodb, clock=lambda: time.time() + 100_000)
    rerun_engine = systems.engine("invoices", state=later, options=OPTIONS)
    rerun = systems.run_engine("invoices", engine=rerun_engine)
    assert rerun.stopped_early is None, where
    # Both invoices are sent from Netvisor; one more run matches the credit note.
    systems.netvisor.send_invoices()
    matching = systems.run_engine("invoices", engine=rerun_engine)
    assert matching.stopped_early is None, where

    netvisor = systems.netvisor.company.state
    numbers = checks.numbers_in_netvisor(netvisor)
    codes = [c.code for c in netvisor.customers.values()]
    assert sorted(codes) == sorted(set(codes)), f"{where}: a customer created twice: {codes}"
    new_customer = str(case.state.accounts[case.new_account]["Number"])
    assert new_customer in codes, where
    assert later.get_ledger([account_ref(case.new_account)])[account_ref(case.new_account)].status is LedgerStatus.DONE
    for invoice in case.good:
        assert numbers[str(invoice["Number"])] == 1, f"{where}: invoice {invoice['Number']} x{numbers}"
        assert checks.compare_invoice(invoice, netvisor, case.state) == [], where
    assert numbers[str(case.bad["Number"])] == 0, where
    assert len(netvisor.invoices) == 2, where
    note = netvisor.invoice_by_number(str(case.credit["Number"]))
    original = netvisor.invoice_by_number(str(case.original["Number"]))
    assert note is not None, where
    assert original is not None, where
    assert note.matched_to == original.key, where
    assert case.credit["InvoiceStatus"] == SENT_STATUS, where
    # An invoice its credit note settles in full is paid in Severa, whatever the crash (issue 12, item 9).
    settled = PAID_STATUS if original.open_sum <= 0 else SENT_STATUS
    assert case.original["InvoiceStatus"] == settled, where
    entries = later.get_ledger(invoice_ref(r["GUID"]) for r in case.good)
    assert all(e.status is LedgerStatus.DONE for e in entries.values()), where
    for invoice in case.good:
        # The write-back took effect (a crash after it may leave the ledger's flag stale: the invoice
        # has left the ready status, so nothing reads it again).
        key = str(netvisor.invoice_by_number(str(invoice["Number"])).key)  # type: ignore[union-attr]
        assert any(key in (e.text or "") for e in case.state.log_of(invoice["GUID"])), where
    reported = {m["source"]["id"] for m in systems.messages()}
    assert reported == {case.bad["GUID"]}, where  # the bad invoice, at least once; nothing else
    assert [f.ref.id for f in systems.open_failures("invoices")] == [case.bad["GUID"]], where
    if crash_at % 10 == 1:  # now and then (it costs a run): a further run finds nothing left to do
        quiet = systems.run_engine("invoices", engine=rerun_engine)
        assert quiet.created == quiet.adopted == quiet.dependencies == 0, where
    return True


@pytest.mark.slow
def test_a_crash_between_any_two_steps_then_a_rerun_sends_every_invoice_exactly_once(systems: Systems) -> None:
    crashed: list[int] = []
    for crash_at in range(1, MAX_STEPS, STRIDE):
        if not _crash_then_rerun(systems, crash_at):
            break
        crashed.append(crash_at)
    else:
        pytest.fail(f"the run took more than {MAX_STEPS} steps")
    print(f"{len(crashed)} crash points of {crashed[-1]}+ steps")
    # Severa, Netvisor, lease, cursor, ledger, queue: the run made at least 40 calls, and the crash
    # points spread over all of them (every one in ``make soak``).
    assert crashed[-1] >= 40
    assert len(crashed) >= 40 // STRIDE
