"""A local world per test: moto (the session's template table and queue, with this transfer's items
cleared), fresh simulators, secrets, the sandbox mapping in SSM (adjustable per test), and the real
handler run through ``run_function``.

Moto keeps one backend per process, so the table and queue are shared with other tests: each test
clears its transfer's partitions first and reads only its transfer's failure messages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import yaml
from severa_netvisor.state import StateStore

from sandbox.aws import LocalAws
from sandbox.environment import SANDBOX_DIMENSION_NAMES, SANDBOX_MAPPING
from sandbox.invoke import InvokeResult, function_spec, run_function
from sandbox.netvisor import Company, NetvisorSimulator
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.severa import SeveraSimulator
from sandbox.severa import sandbox_credentials as severa_secret
from sandbox.severa.state import SeveraState


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass
class Systems:
    aws: LocalAws
    severa: SeveraSimulator
    netvisor: NetvisorSimulator
    transfer: str

    def set_mapping(self, changes: dict[str, Any]) -> None:
        mapping = _merge(yaml.safe_load(SANDBOX_MAPPING.read_text("utf-8")), changes)
        self.aws.put_parameter(self.aws.parameter("MappingParameterName"), yaml.safe_dump(mapping, allow_unicode=True))

    def run(self, event: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.invoke(event).result  # type: ignore[no-any-return]

    def invoke(self, event: dict[str, Any] | None = None) -> InvokeResult:
        """One invocation of the real handler; it must succeed. ``output`` holds its log lines."""
        assert self.aws.resolver is not None
        spec = function_spec(self.transfer, self.aws.resolver)
        outcome = run_function(spec, event or {}, aws_env=self.aws.env())
        assert outcome.ok, f"{outcome.error}\n{outcome.output[-4000:]}"
        return outcome

    def state_store(self) -> StateStore:
        return StateStore(self.aws.table_name(), client=self.aws.client("dynamodb"))

    def clear(self, partitions: Sequence[str]) -> None:
        """Forget this transfer's lease, cursor and ledger partitions, and its queued failures."""
        dynamodb = self.aws.client("dynamodb")
        table = self.aws.table_name()
        # The engine's shared Netvisor lease too: a crashed earlier test must not make these runs idle.
        for pk in (f"lease#{self.transfer}", "lease#netvisor-company", f"cursor#{self.transfer}", *partitions):
            pages = dynamodb.get_paginator("query").paginate(
                TableName=table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": pk}},
                ProjectionExpression="pk, sk",
            )
            for page in pages:
                for item in page.get("Items", []):
                    dynamodb.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
        self.failures()

    def failures(self) -> list[dict[str, Any]]:
        """This transfer's messages in the failed-records queue (every message is taken off the queue)."""
        sqs = self.aws.client("sqs")
        url = self.aws.queue_url("FailedRecordsQueue")
        found: list[dict[str, Any]] = []
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not messages:
                return found
            for message in messages:
                body = json.loads(message["Body"])
                if body.get("transfer") == self.transfer:
                    found.append(body)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@contextmanager
def local_systems(
    aws: LocalAws,
    transfer: str,
    severa_state: SeveraState,
    *,
    partitions: Sequence[str],
    mapping: dict[str, Any] | None = None,
) -> Iterator[Systems]:
    with SeveraSimulator(state=severa_state) as severa, NetvisorSimulator(
        [Company(dimension_names=SANDBOX_DIMENSION_NAMES)]
    ) as netvisor:
        systems = Systems(aws, severa, netvisor, transfer)
        systems.clear(partitions)
        aws.put_secret(aws.parameter("SeveraSecretName"), severa_secret(severa))
        aws.put_secret(aws.parameter("NetvisorSecretName"), netvisor_secret(netvisor))
        systems.set_mapping(mapping or {})
        yield systems
