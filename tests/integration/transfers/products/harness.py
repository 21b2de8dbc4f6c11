"""Both simulators and moto, wired for the products and dimensions functions.

Every test gets a state table, a failed-records queue, secrets and a mapping parameter of its own
(the session's moto is shared by every test), and runs the real ``functions/<name>/app.py`` in a
child process as Lambda would.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from severa_netvisor.state import Cursor, LedgerEntry, SourceRef, StateStore

from sandbox.aws import LocalAws
from sandbox.invoke import InvokeResult, function_spec, run_function
from sandbox.netvisor import Company, NetvisorSimulator
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.severa import SeveraSimulator, build_state
from sandbox.severa import sandbox_credentials as severa_secret

SANDBOX_MAPPING = Path(__file__).resolve().parents[4] / "sandbox" / "mapping.yaml"
#: The dimension headers of the sandbox's Netvisor company.
SANDBOX_DIMENSIONS = ("Projekti", "Kustannuspaikka", "Liiketoimintayksikkö")


@dataclass
class Systems:
    function: str
    aws: LocalAws
    severa: SeveraSimulator
    netvisor: NetvisorSimulator
    table: str
    queue_url: str
    names: dict[str, str]

    def env(self) -> dict[str, str]:
        return {
            "STATE_TABLE_NAME": self.table,
            "FAILED_RECORDS_QUEUE_URL": self.queue_url,
            "SEVERA_SECRET_NAME": self.names["severa"],
            "NETVISOR_SECRET_NAME": self.names["netvisor"],
            "MAPPING_PARAMETER_NAME": self.names["mapping"],
        }

    def set_mapping(self, change: Callable[[dict[str, Any]], None] | None = None) -> None:
        """The sandbox mapping, changed by ``change`` (which edits the parsed YAML in place)."""
        document = yaml.safe_load(SANDBOX_MAPPING.read_text("utf-8"))
        if change is not None:
            change(document)
        self.aws.put_parameter(self.names["mapping"], yaml.safe_dump(document, allow_unicode=True))

    # -- running the function -----------------------------------------------------------------
    def invoke(self, event: dict[str, Any] | None = None) -> InvokeResult:
        assert self.aws.resolver is not None
        spec = function_spec(self.function, self.aws.resolver)
        return run_function(spec, event or {}, aws_env=self.aws.env(), extra_env=self.env())

    def run(self, event: dict[str, Any] | None = None) -> dict[str, Any]:
        outcome = self.invoke(event)
        assert outcome.ok, f"{outcome.error}\n{outcome.output[-4000:]}"
        result: dict[str, Any] = outcome.result
        return result

    # -- what the systems saw -----------------------------------------------------------------
    def severa_calls(self) -> int:
        return sum(self.severa.calls.values())

    def netvisor_posts(self) -> int:
        return self.netvisor.request_log.count(method="POST")

    def store(self) -> StateStore:
        return StateStore(self.table, client=self.aws.client("dynamodb"))

    def ledger(self, ref: SourceRef) -> LedgerEntry | None:
        return self.store().get_ledger([ref]).get(ref)

    def cursor(self) -> Cursor | None:
        return self.store().read_cursor(self.function).cursor

    def messages(self) -> list[dict[str, Any]]:
        """Every failed-record message on the test's queue so far (they stay received)."""
        sqs = self.aws.client("sqs")
        found: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600)
            if not batch.get("Messages"):
                return found
            found.extend(json.loads(message["Body"]) for message in batch["Messages"])


@contextmanager
def running_systems(
    aws: LocalAws,
    function: str,
    *,
    accounts: int = 3,
    seed: int = 5,
    dimension_names: tuple[str, ...] = SANDBOX_DIMENSIONS,
) -> Iterator[Systems]:
    suffix = uuid.uuid4().hex[:10]
    table = f"{function}-state-{suffix}"
    aws.client("dynamodb").create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    queue_url = aws.client("sqs").create_queue(QueueName=f"{function}-failed-{suffix}")["QueueUrl"]
    names = {
        "severa": f"{function}-test-{suffix}/severa",
        "netvisor": f"{function}-test-{suffix}/netvisor",
        "mapping": f"/{function}-test-{suffix}/mapping",
    }
    state = build_state(seed, accounts=accounts, invoices=0, hour_entries=0)
    with (
        SeveraSimulator(state=state) as severa,
        NetvisorSimulator([Company(dimension_names=dimension_names)]) as netvisor,
    ):
        systems = Systems(function, aws, severa, netvisor, table, queue_url, names)
        aws.put_secret(names["severa"], severa_secret(severa))
        aws.put_secret(names["netvisor"], netvisor_secret(netvisor))
        systems.set_mapping()
        yield systems
