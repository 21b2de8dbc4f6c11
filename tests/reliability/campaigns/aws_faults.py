"""AWS faults around the boto3 clients: DynamoDB throttling, conditional-check conflicts, 500s and lost
answers; SQS refusing sends.

botocore's event hooks sit inside every client: one hook pair is registered on boto3's default session
(every client made afterwards copies it) and does nothing unless a ``FaultPlan`` is active. A plan
aims at one world's state table and queue, so other tests' clients are never touched. A fault raised
before the call is a request DynamoDB never saw (throttled, refused); a "lost answer" lets the call
take effect, then raises as a timeout would.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError, ReadTimeoutError

#: DynamoDB errors a call can meet, as botocore raises them once its own retries are spent.
DYNAMODB_ERRORS = {
    "throttle": ("ProvisionedThroughputExceededException", 400, "The level of configured provisioned throughput "
                 "for the table was exceeded."),
    "limit": ("ThrottlingException", 400, "Rate of requests exceeds the allowed throughput."),
    "500": ("InternalServerError", 500, "Internal server error"),
    "conflict": ("ConditionalCheckFailedException", 400, "The conditional request failed"),
}  # fmt: skip
WRITES = {"PutItem", "UpdateItem", "DeleteItem"}


@dataclass
class FaultPlan:
    """Which faults to inject, how often, into which world's table and queue."""

    table: str
    queue_url: str
    seed: int = 1
    #: Chance that a DynamoDB call of the world's table fails (one of ``kinds``).
    dynamodb_rate: float = 0.0
    kinds: tuple[str, ...] = ("throttle", "limit", "500", "conflict", "lost")
    #: Chance that SQS refuses a batch of failed-record messages.
    sqs_rate: float = 0.0
    #: Operations to leave alone (e.g. the lease's, when a test aims elsewhere).
    spare: frozenset[str] = frozenset()
    injected: Counter[str] = field(default_factory=Counter)
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    def pick(self, operation: str, params: dict[str, Any]) -> str | None:
        """The fault for this DynamoDB call, if any (drawn under a lock: calls come from several threads)."""
        if operation in self.spare or not self._aims_at_table(params):
            return None
        with self._lock:
            if self._rng.random() >= self.dynamodb_rate:
                return None
            kind = self._rng.choice(self.kinds)
        if kind == "conflict" and not (operation in WRITES and "ConditionExpression" in params):
            kind = "throttle"  # only a conditional write can meet a conflict
        if kind == "conflict" and is_lease(params) and operation == "DeleteItem":
            kind = "throttle"  # a release meets a conflict only when another run holds the lease: no fault
        if kind == "lost" and operation not in WRITES:
            kind = "500"
        with self._lock:
            self.injected[f"dynamodb {operation} {kind}"] += 1
        return kind

    def refuse_send(self, params: dict[str, Any]) -> bool:
        if params.get("QueueUrl") != self.queue_url:
            return False
        with self._lock:
            refused = self._rng.random() < self.sqs_rate
            if refused:
                self.injected["sqs send refused"] += 1
        return refused

    def _aims_at_table(self, params: dict[str, Any]) -> bool:
        return params.get("TableName") == self.table or self.table in (params.get("RequestItems") or {})


def is_lease(params: dict[str, Any]) -> bool:
    return str((params.get("Key") or {}).get("pk", {}).get("S", "")).startswith("lease#")


_active: list[FaultPlan] = []
_installed: list[bool] = []


def _client_error(code: str, status: int, message: str, operation: str) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, operation)


def _error(kind: str, operation: str) -> ClientError:
    code, status, message = DYNAMODB_ERRORS[kind]
    return _client_error(code, status, message, operation)


def _before_dynamodb(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    plan = _active[-1] if _active else None
    if plan is None:
        return
    kind = plan.pick(model.name, params)
    if kind == "lost":
        context["lose_answer"] = True
    elif kind is not None:
        raise _error(kind, model.name)


def _after_dynamodb(context: dict[str, Any], **_: Any) -> None:
    if context.pop("lose_answer", False):
        raise ReadTimeoutError(endpoint_url="dynamodb (the write took effect; its answer was lost)")


def _before_sqs(params: dict[str, Any], model: Any, **_: Any) -> None:
    plan = _active[-1] if _active else None
    if plan is not None and model.name in ("SendMessage", "SendMessageBatch") and plan.refuse_send(params):
        raise _client_error("AWS.SimpleQueueService.ServiceUnavailable", 503, "Service unavailable", model.name)


def install() -> None:
    """Register the hooks on boto3's default session once (clients made later carry them)."""
    if _installed:
        return
    events = boto3._get_default_session().events
    events.register("before-parameter-build.dynamodb.*", _before_dynamodb, unique_id="reliability-dynamodb-before")
    events.register("after-call.dynamodb.*", _after_dynamodb, unique_id="reliability-dynamodb-after")
    events.register("before-parameter-build.sqs.*", _before_sqs, unique_id="reliability-sqs-before")
    _installed.append(True)


@contextmanager
def faults(plan: FaultPlan) -> Iterator[FaultPlan]:
    """Inject ``plan``'s faults into every boto3 client made after ``install()`` for the block."""
    install()
    _active.append(plan)
    try:
        yield plan
    finally:
        _active.remove(plan)
