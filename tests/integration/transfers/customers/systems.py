"""Both simulators and moto, wired for the customers function, with a state table and a
failed-records queue of the test's own (the session's moto is shared by every test)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from severa_netvisor.settings import Settings
from severa_netvisor.state import Cursor, LedgerEntry, SourceRef, StateStore

from sandbox.aws import LocalAws
from sandbox.invoke import InvokeResult, function_spec, run_function
from sandbox.netvisor import NetvisorSimulator
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.netvisor.state import CustomerRecord
from sandbox.severa import SeveraSimulator, build_state
from sandbox.severa import sandbox_credentials as severa_secret

SANDBOX_MAPPING = Path(__file__).resolve().parents[4] / "sandbox" / "mapping.yaml"


@dataclass
class Systems:
    aws: LocalAws
    severa: SeveraSimulator
    netvisor: NetvisorSimulator
    table: str
    queue_url: str
    names: dict[str, str]
    mapping: str = field(default_factory=lambda: SANDBOX_MAPPING.read_text("utf-8"))

    # -- environment --------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        return {
            "STATE_TABLE_NAME": self.table,
            "FAILED_RECORDS_QUEUE_URL": self.queue_url,
            "SEVERA_SECRET_NAME": self.names["severa"],
            "NETVISOR_SECRET_NAME": self.names["netvisor"],
            "MAPPING_PARAMETER_NAME": self.names["mapping"],
        }

    def settings(self) -> Settings:
        return Settings(
            state_table_name=self.table,
            failed_records_queue_url=self.queue_url,
            severa_secret_name=self.names["severa"],
            netvisor_secret_name=self.names["netvisor"],
            mapping_parameter_name=self.names["mapping"],
        )

    def set_mapping(self, text: str) -> None:
        self.mapping = text
        self.aws.put_parameter(self.names["mapping"], text)

    # -- running the function -----------------------------------------------------------------
    def invoke(
        self, event: dict[str, Any] | None = None, *, timeout: float | None = None, **extra_env: str
    ) -> InvokeResult:
        assert self.aws.resolver is not None
        spec = function_spec("customers", self.aws.resolver)
        if timeout is not None:
            spec = dataclasses.replace(spec, timeout=timeout)
        return run_function(spec, event or {}, aws_env=self.aws.env(), extra_env={**self.env(), **extra_env})

    def run(self, event: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        outcome = self.invoke(event, **kwargs)
        assert outcome.ok, f"{outcome.error}\n{outcome.output[-4000:]}"
        result: dict[str, Any] = outcome.result
        return result

    # -- what the systems hold ----------------------------------------------------------------
    def netvisor_writes(self) -> int:
        return self.netvisor.request_log.count("customer.nv")

    def severa_calls(self) -> int:
        return sum(self.severa.calls.values())

    def netvisor_customers(self) -> list[CustomerRecord]:
        return sorted(self.netvisor.state.customers.values(), key=lambda c: c.key)

    def netvisor_customer(self, code: str) -> CustomerRecord:
        [customer] = [c for c in self.netvisor.state.customers.values() if c.code == code]
        return customer

    def accounts(self) -> list[dict[str, Any]]:
        """The seeded Severa customer cards, by customer number."""
        return sorted(self.severa.state.customers.values(), key=lambda c: int(c["Number"]))

    def store(self) -> StateStore:
        return StateStore(self.table, client=self.aws.client("dynamodb"))

    def ledger(self, account_guid: str) -> LedgerEntry | None:
        ref = SourceRef("severa", "account", account_guid)
        return self.store().get_ledger([ref]).get(ref)

    def cursor(self) -> Cursor | None:
        return self.store().read_cursor("customers").cursor

    def messages(self) -> list[dict[str, Any]]:
        sqs = self.aws.client("sqs")
        found: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600)
            if not batch.get("Messages"):
                return found
            found.extend(json.loads(message["Body"]) for message in batch["Messages"])


def new_state_table(aws: LocalAws) -> str:
    """An empty table shaped like the template's state table."""
    table = f"customers-state-{uuid.uuid4().hex[:10]}"
    aws.client("dynamodb").create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    return table


def start_systems(aws: LocalAws, *, accounts: int, seed: int = 7) -> Systems:
    suffix = uuid.uuid4().hex[:10]
    table = new_state_table(aws)
    queue_url = aws.client("sqs").create_queue(QueueName=f"customers-failed-{suffix}")["QueueUrl"]
    severa = SeveraSimulator(state=build_state(seed, accounts=accounts, invoices=0, hour_entries=0)).start()
    netvisor = NetvisorSimulator().start()
    names = {
        "severa": f"customers-test-{suffix}/severa",
        "netvisor": f"customers-test-{suffix}/netvisor",
        "mapping": f"/customers-test-{suffix}/mapping",
    }
    systems = Systems(aws, severa, netvisor, table, queue_url, names)
    aws.put_secret(names["severa"], severa_secret(severa))
    aws.put_secret(names["netvisor"], netvisor_secret(netvisor))
    systems.set_mapping(systems.mapping)
    return systems


def stop_systems(systems: Systems) -> None:
    systems.severa.stop()
    systems.netvisor.stop()
