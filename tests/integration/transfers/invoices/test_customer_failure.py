"""An invoice whose customer cannot be transferred: reported once, sent once the customer is fixed.

Without this the invoice would be tried (and reported to the failed-records queue) on every run,
every half hour, until someone fixed the account. In process with the engine, simulators and moto.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from severa_netvisor.engine import Engine, RunRequest, RunSummary
from severa_netvisor.failures import FailureQueue
from severa_netvisor.observability import metrics
from severa_netvisor.state import StateStore
from severa_netvisor.transfers.customers import CustomersTransfer
from severa_netvisor.transfers.invoices import InvoicesTransfer

from sandbox.aws import LocalAws
from sandbox.environment import SANDBOX_DIMENSION_NAMES
from sandbox.netvisor import Company, NetvisorSimulator
from sandbox.severa import SeveraSimulator, build_state
from tests.integration.transfers.invoices import world


@dataclass
class Rig:
    aws: LocalAws
    severa: SeveraSimulator
    netvisor: NetvisorSimulator
    state: StateStore
    queue: str

    def run(self, transfer: Any) -> tuple[RunSummary, list[dict[str, Any]]]:
        sqs = self.aws.client("sqs")
        queue = FailureQueue(self.queue, client=sqs)
        engine = Engine(transfer, state=self.state, failure_queue=queue, margin_seconds=0)
        summary = engine.run(RunRequest(run_id=uuid.uuid4().hex))
        metrics.clear_metrics()
        return summary, world.queue_messages(sqs, self.queue)

    def customers(self) -> tuple[RunSummary, list[dict[str, Any]]]:
        return self.run(CustomersTransfer(self._context(), self.state))

    def invoices(self) -> tuple[RunSummary, list[dict[str, Any]]]:
        return self.run(InvoicesTransfer(self._context(), self.state))

    def _context(self) -> Any:
        return world.context(self.severa, self.netvisor, world.mapping())


@pytest.fixture
def rig(local_aws: LocalAws) -> Iterator[Rig]:
    state = build_state(41, accounts=3, invoices=14, hour_entries=0)
    with (
        SeveraSimulator(state=state) as severa,
        NetvisorSimulator([Company(dimension_names=SANDBOX_DIMENSION_NAMES)]) as netvisor,
    ):
        world.seed_netvisor(state, netvisor.state, customers=False)
        suffix = uuid.uuid4().hex[:10]
        table = StateStore(world.private_table(local_aws, f"custfail-{suffix}"), client=local_aws.client("dynamodb"))
        queue = local_aws.client("sqs").create_queue(QueueName=f"custfail-{suffix}")["QueueUrl"]
        yield Rig(local_aws, severa, netvisor, table, queue)


def test_an_invoice_of_a_bad_customer_is_reported_once_and_sent_once_the_customer_is_fixed(rig: Rig) -> None:
    ready = world.ready_invoices(rig.severa.state)
    account_guid = ready[0]["AccountGUID"]
    blocked = {inv["GUID"] for inv in ready if inv["AccountGUID"] == account_guid}
    account = rig.severa.state.customers[account_guid]  # ICustomer: where the VAT number lives
    good_vat_number = account["VatNumber"]
    account["VatNumber"] = good_vat_number[:-1] + str((int(good_vat_number[-1]) + 1) % 10)  # wrong check digit
    rig.severa.state.touch(account)

    customers, customer_messages = rig.customers()
    assert customers.failed == 1
    assert [m["source"]["id"] for m in customer_messages] == [account_guid]

    first, messages = rig.invoices()
    assert first.created == len(ready) - len(blocked)
    assert {m["source"]["id"] for m in messages} == blocked
    assert all(m["error_class"] == "CustomerNotTransferred" for m in messages)
    assert all("could not be transferred to Netvisor" in m["message"] for m in messages)
    assert all(account_guid in m["message"] for m in messages)

    second, again = rig.invoices()
    assert again == [], "an unchanged invoice of a still-bad customer is not reported again"
    assert second.created == 0
    assert second.failed == 0

    account["VatNumber"] = good_vat_number
    rig.severa.state.touch(account)
    fixed, _ = rig.customers()
    assert fixed.created + fixed.adopted == 1

    third, after_fix = rig.invoices()
    assert after_fix == []
    assert third.created == len(blocked)
    numbers = world.numbers_in_netvisor(rig.netvisor.state)
    assert len(numbers) == len(ready)
    assert max(numbers.values()) == 1, "every invoice exactly once"
