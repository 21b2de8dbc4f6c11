"""An invoice's customer goes to Netvisor first, through the engine: the same pending marker,
lookup-before-create, ledger and failure handling as a scheduled customers run, once per run.

In process with the engine, against both simulators and moto (``tests.integration.rig``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from severa_netvisor.engine import EngineOptions
from severa_netvisor.state import LedgerStatus, StateStore
from severa_netvisor.transfers.context import TransferContext
from severa_netvisor.transfers.customers import account_ref

from sandbox.aws import LocalAws
from sandbox.netvisor import Fault
from sandbox.netvisor.state import CustomerRecord
from sandbox.severa import build_state
from sandbox.severa.seed import READY_STATUS
from tests.integration.rig import World, new_state_table, world
from tests.integration.transfers.invoices import checks
from tests.reliability.engine.test_crash_anywhere import Crashing, CrashPlan, SimulatedCrash


@pytest.fixture
def w(local_aws: LocalAws) -> Iterator[World]:
    state = build_state(41, accounts=3, invoices=14, hour_entries=0)
    with world(local_aws, severa_state=state) as running:
        checks.seed_netvisor(state, running.netvisor.state, customers=False)
        yield running


def _customers(w: World) -> dict[str, CustomerRecord]:
    return {c.code: c for c in w.netvisor.state.customers.values()}


def _accounts_of_ready(w: World) -> set[str]:
    return {r["AccountGUID"] for r in checks.ready_invoices(w.severa.state)}


def test_new_customers_are_created_once_before_their_invoices_and_recorded_in_the_customers_ledger(
    w: World,
) -> None:
    ready = checks.ready_invoices(w.severa.state)
    accounts = _accounts_of_ready(w)
    summary = w.run_engine("invoices")
    assert (summary.created, summary.dependencies, summary.failed) == (len(ready), len(accounts), 0)
    customers = _customers(w)
    assert len(customers) == len(accounts)
    assert w.netvisor_posts("customer.nv") == len(accounts)  # each customer once, however many invoices
    for guid in accounts:
        account = w.severa.state.accounts[guid]
        entry = w.ledger(account_ref(guid))
        assert entry is not None
        assert entry.status is LedgerStatus.DONE
        assert entry.target_key == str(customers[str(account["Number"])].key)
    for invoice in ready:
        assert checks.compare_invoice(invoice, w.netvisor.state, w.severa.state) == []
    # A customers run afterwards treats them exactly as ones it transferred itself.
    w.netvisor.request_log.clear()
    after = w.run_engine("customers")
    assert (after.created, after.updated, after.failed) == (len(w.severa.state.accounts) - len(accounts), 0, 0)
    assert after.unchanged == len(accounts)


def test_customers_already_in_the_ledger_cost_no_severa_or_netvisor_call(w: World) -> None:
    w.run_engine("customers")
    customer_posts = w.netvisor_posts("customer.nv")
    w.severa.calls.clear()
    summary = w.run_engine("invoices")
    assert summary.dependencies == 0
    assert w.netvisor_posts("customer.nv") == customer_posts
    assert w.severa.calls["GetCustomerByGUID"] == 0


def test_a_customer_already_in_netvisor_is_matched_not_created(w: World, local_aws: LocalAws) -> None:
    ready = checks.ready_invoices(w.severa.state)
    w.run_engine("invoices")
    before = dict(_customers(w))
    # The ledger is lost (a new state table) and the invoices are set back to ready: the customers
    # are found by their numbers, the invoices by number, customer, date and total.
    w.table = new_state_table(local_aws, f"lost-{time.time_ns()}")
    for invoice in ready:
        invoice["InvoiceStatus"] = READY_STATUS
    again = w.run_engine("invoices")
    # Netvisor refuses the numbers it holds (DUPLICATE_DATA); each is looked up and taken as it is.
    assert (again.created + again.adopted, again.failed) == (len(ready), 0)
    assert max(checks.numbers_in_netvisor(w.netvisor.state).values()) == 1
    assert again.dependencies == len(before)
    assert _customers(w).keys() == before.keys()
    assert all(_customers(w)[code].key == customer.key for code, customer in before.items())


def test_an_invoice_of_a_bad_customer_fails_naming_it_reported_once_and_goes_once_the_customer_is_fixed(
    w: World,
) -> None:
    ready = checks.ready_invoices(w.severa.state)
    account_guid = ready[0]["AccountGUID"]
    blocked = {inv["GUID"] for inv in ready if inv["AccountGUID"] == account_guid}
    account = w.severa.state.customers[account_guid]
    good_vat_number = account["VatNumber"]
    account["VatNumber"] = good_vat_number[:-1] + str((int(good_vat_number[-1]) + 1) % 10)  # wrong check digit
    w.severa.state.touch(account)

    first = w.run_engine("invoices")
    assert first.created == len(ready) - len(blocked)
    messages = w.messages()
    by_transfer: dict[str, set[str]] = {}
    for message in messages:
        by_transfer.setdefault(message["transfer"], set()).add(message["source"]["id"])
    # The account's own failure is the customers transfer's; its invoices fail because of it.
    assert by_transfer == {"customers": {account_guid}, "invoices": blocked}
    invoice_messages = [m for m in messages if m["transfer"] == "invoices"]
    assert all(m["step"] == "dependency" for m in invoice_messages)
    assert all(account["Name"] in m["message"] and "check digit" in m["message"] for m in invoice_messages)
    assert all(m["for_author"] for m in invoice_messages)  # told in the invoice's Severa log
    for guid in blocked:
        assert any("check digit" in (e.text or "") for e in w.severa.state.log_of(guid))
    assert [f.ref.id for f in w.open_failures("customers")] == [account_guid]
    assert account_ref(account_guid).id not in {c.code for c in w.netvisor.state.customers.values()}

    second = w.run_engine("invoices")
    assert w.messages() == [], "an unchanged invoice of a still-bad customer is not reported again"
    assert (second.created, second.failures_new) == (0, 0)
    assert {f.ref.id for f in w.open_failures("invoices")} == blocked

    account["VatNumber"] = good_vat_number
    w.severa.state.touch(account)
    third = w.run_engine("invoices")
    assert w.messages() == []
    # The customer's failure and its invoices' failures close together.
    assert (third.created, third.dependencies, third.failures_closed) == (len(blocked), 1, len(blocked) + 1)
    assert w.open_failures("customers") == []
    assert w.open_failures("invoices") == []
    numbers = checks.numbers_in_netvisor(w.netvisor.state)
    assert len(numbers) == len(ready)
    assert max(numbers.values()) == 1, "every invoice exactly once"


def test_a_customer_netvisor_refuses_fails_its_invoices_and_is_recorded_once_under_customers(w: World) -> None:
    ready = checks.ready_invoices(w.severa.state)
    accounts = _accounts_of_ready(w)
    w.netvisor.faults.add(
        Fault(kind="error", resource="customer.nv", nth=1, code="INVALID_DATA", text="Asiakkaan nimi puuttuu")
    )
    summary = w.run_engine("invoices")
    [refused] = w.open_failures("customers")
    assert refused.step == "write"
    assert "Asiakkaan nimi puuttuu" in (refused.remote_text or "")
    blocked = [r for r in ready if r["AccountGUID"] == refused.ref.id]
    assert summary.created == len(ready) - len(blocked)
    assert summary.dependencies == len(accounts) - 1
    invoice_failures = w.open_failures("invoices")
    assert {f.ref.id for f in invoice_failures} == {r["GUID"] for r in blocked}
    assert all("could not be transferred first" in f.reason for f in invoice_failures)
    assert all(f.blocked_by and refused.ref.id in f.blocked_by for f in invoice_failures)
    # Netvisor takes it next time: the customer, then its invoices, each once.
    again = w.run_engine("invoices")
    assert (again.dependencies, again.created, again.failures_closed) == (1, len(blocked), len(blocked) + 1)
    assert max(checks.numbers_in_netvisor(w.netvisor.state).values()) == 1


def test_an_account_deleted_in_severa_is_named(w: World) -> None:
    ready = checks.ready_invoices(w.severa.state)
    gone = ready[0]["AccountGUID"]
    del w.severa.state.customers[gone]
    summary = w.run_engine("invoices")
    blocked = [r for r in ready if r["AccountGUID"] == gone]
    assert summary.failed == len(blocked)
    [failure, *_] = [f for f in w.open_failures("invoices") if f.ref.id == blocked[0]["GUID"]]
    assert "is no longer in the source" in failure.reason


def _crashing_context(w: World, plan: CrashPlan) -> TransferContext:
    clean = w.context()
    return TransferContext.fixed(
        clean.settings,
        w.mapping,
        severa=clean.severa,
        netvisor=Crashing(clean.netvisor, plan, "netvisor"),  # type: ignore[arg-type]
    )


def test_a_crash_between_the_customers_create_and_its_ledger_write_creates_it_once(w: World) -> None:
    """The process dies after Netvisor took the customer, before the ledger said so: the next run
    finds the pending marker, looks the customer up, adopts it, and sends the invoices."""
    options = EngineOptions(shared_lease=None)
    accounts = {str(w.severa.state.accounts[g]["Number"]): g for g in _accounts_of_ready(w)}
    plan = CrashPlan(crash_at=10**9)
    steps: list[str] = []
    original_step = plan.step

    def die_after_first_customer_create(label: str) -> None:
        steps.append(label)
        if label == "after netvisor.add_customer":
            plan.crash_at = plan.steps + 1  # this very step
        original_step(label)

    plan.step = die_after_first_customer_create  # type: ignore[method-assign]
    crashing = w.engine("invoices", context=_crashing_context(w, plan), options=options)
    with contextlib.suppress(SimulatedCrash):
        w.run_engine("invoices", engine=crashing)
    assert plan.crashed_at == "after netvisor.add_customer"
    assert len(w.netvisor.state.customers) == 1
    [created] = w.netvisor.state.customers.values()
    created_ref = account_ref(accounts[created.code])
    # The crash left the created customer's ledger entry pending (its outcome unknown to the ledger).
    crashed = w.ledger(created_ref)
    assert crashed is not None
    assert crashed.status is LedgerStatus.PENDING

    later = StateStore(w.table, client=w.aws.client("dynamodb"), clock=lambda: time.time() + 100_000)
    rerun = w.run_engine("invoices", engine=w.engine("invoices", state=later, options=options))
    assert rerun.stopped_early is None
    codes = [c.code for c in w.netvisor.state.customers.values()]
    assert sorted(codes) == sorted(set(codes)), "no customer twice"
    assert len(codes) == len(accounts)
    assert w.ledger(created_ref).target_key == str(created.key)  # type: ignore[union-attr]
    assert rerun.dependencies == len(accounts)  # one adopted (found by its number), the other created
    ready: list[dict[str, Any]] = checks.ready_invoices(w.severa.state)
    assert ready == []  # every invoice went
