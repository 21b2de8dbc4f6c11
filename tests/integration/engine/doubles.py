"""Test doubles of the two external systems, and a transfer between them, for engine tests.

``MemorySource`` stands in for Severa and ``MemoryTarget`` for Netvisor: in-memory, with the
behaviour the engine must cope with (pages in change order, one-request-at-a-time, lost responses,
rejections). The engine, DynamoDB (moto) and SQS (moto) under test are real.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from severa_netvisor.dryrun import PlannedRequest
from severa_netvisor.engine import (
    Engine,
    EngineOptions,
    PlannedWrite,
    RunBase,
    RunContext,
    RunRequest,
    RunSummary,
    Skip,
    SourceRecord,
)
from severa_netvisor.errors import IntegrationError
from severa_netvisor.failures import FailedRecord, FailureQueue
from severa_netvisor.observability import metrics
from severa_netvisor.register import Failure, FailureRegister
from severa_netvisor.state import Cursor, SourceRef, StateStore

from sandbox.aws import LocalAws

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


class ValidationFailed(IntegrationError):
    system = "validation"


class TargetRejected(IntegrationError):
    system = "target"


class ResponseLost(IntegrationError):
    """The target did the work but the answer never arrived (a timeout after sending)."""

    system = "target"
    retryable = True


class QuotaExhausted(IntegrationError):
    system = "source"
    retryable = True
    stops_run = True


@dataclass
class MemorySource:
    """Severa's stand-in: records with a change time, read page by page in (changed_at, id) order."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    page_size: int = 3
    reads: int = 0
    writebacks: Counter[str] = field(default_factory=Counter)
    failure_notes: list[tuple[str, str]] = field(default_factory=list)
    #: Raise this after yielding this many pages.
    fail_after_pages: tuple[int, BaseException] | None = None
    writeback_errors: dict[str, BaseException] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record_id: str, *, at: datetime, **fields: Any) -> None:
        self.records[record_id] = {"id": record_id, "changed_at": at, **fields}

    def change(self, record_id: str, *, at: datetime, **fields: Any) -> None:
        self.records[record_id] = {**self.records[record_id], **fields, "changed_at": at}

    def pages(self, since: Cursor | None) -> Iterator[list[dict[str, Any]]]:
        ordered = sorted(self.records.values(), key=lambda r: (r["changed_at"], r["id"]))
        if since is not None:
            ordered = [r for r in ordered if (r["changed_at"], r["id"]) >= (since.changed_at, since.record_id)]
        for number, start in enumerate(range(0, len(ordered), self.page_size)):
            if self.fail_after_pages and number == self.fail_after_pages[0]:
                raise self.fail_after_pages[1]
            self.reads += 1
            yield [dict(r) for r in ordered[start : start + self.page_size]]

    def write_back(self, record_id: str, target_key: str) -> None:
        error = self.writeback_errors.get(record_id)
        if error is not None:
            raise error
        with self.lock:
            self.writebacks[record_id] += 1
            self.records[record_id]["target_key"] = target_key


@dataclass
class MemoryTarget:
    """Netvisor's stand-in: one request at a time (an overlapping call is recorded as a violation)."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    creates: Counter[str] = field(default_factory=Counter)
    updates: Counter[str] = field(default_factory=Counter)
    lookups: int = 0
    overlaps: int = 0
    latency: float = 0.0
    reject: dict[str, str] = field(default_factory=dict)
    #: Numbers whose next create succeeds but whose response is lost.
    lose_response: set[str] = field(default_factory=set)
    #: Called at the start of every write (tests use it to block or observe).
    on_write: Callable[[str], None] | None = None
    in_flight: threading.Event = field(default_factory=threading.Event)
    _busy: threading.Lock = field(default_factory=threading.Lock)
    _next: int = 1000

    def _enter(self) -> None:
        if not self._busy.acquire(blocking=False):
            self.overlaps += 1
            self._busy.acquire()
        self.in_flight.set()

    def _leave(self) -> None:
        self.in_flight.clear()
        self._busy.release()

    def find(self, number: str) -> str | None:
        self._enter()
        try:
            self.lookups += 1
            matches = [key for key, body in self.records.items() if body["number"] == number]
            return matches[0] if matches else None
        finally:
            self._leave()

    def save(self, body: dict[str, Any], key: str | None) -> str:
        self._enter()
        try:
            if self.on_write:
                self.on_write(body["number"])
            if self.latency:
                time.sleep(self.latency)
            number = body["number"]
            if number in self.reject:
                raise TargetRejected("The target refused the record", remote_text=self.reject[number])
            if key is None:
                key = str(self._next)
                self._next += 1
                self.creates[number] += 1
            else:
                self.updates[number] += 1
            self.records[key] = dict(body)
            if number in self.lose_response:
                self.lose_response.discard(number)
                raise ResponseLost("No response from the target within the timeout", retryable=True)
            return key
        finally:
            self._leave()


class ThingTransfer:
    """A transfer of 'things' from MemorySource to MemoryTarget, shaped like the real ones: a long-lived
    definition whose ``start`` gives each run its own ``ThingRun``."""

    def __init__(
        self,
        source: MemorySource,
        target: MemoryTarget,
        *,
        name: str | None = None,
        allows_update: bool = False,
        matches_existing: bool = False,
        writes_back: bool = False,
        on_prepare: Callable[[str], None] | None = None,
    ):
        self.name = name or f"things-{uuid.uuid4().hex[:8]}"
        self.kind = f"thing-{self.name}"
        self.source = source
        self.target = target
        self.allows_update = allows_update
        self.matches_existing = matches_existing
        self.writes_back = writes_back
        self.on_prepare = on_prepare
        self.prepared: list[str] = []
        #: Every run context this transfer was started with (tests look at run ids and dry-run flags).
        self.runs: list[RunContext] = []

    def start(self, run: RunContext) -> ThingRun:
        self.runs.append(run)
        return ThingRun(self, run)

    def ref(self, record_id: str) -> SourceRef:
        return SourceRef("memory", self.kind, record_id)

    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        for page in self.source.pages(None if full_resync else since):
            yield [SourceRecord(self.ref(r["id"]), r["changed_at"], r) for r in page]

    def prepare(self, record: SourceRecord) -> PlannedWrite[dict[str, Any]] | Skip:
        data = record.data
        self.prepared.append(data["id"])
        if self.on_prepare:
            self.on_prepare(data["id"])
        if data.get("quota_exhausted"):
            raise QuotaExhausted("Severa API quota exhausted for today", remote_text="Quota exceeded (429)")
        if data.get("status") == "draft":
            return Skip("draft: not ready to transfer")
        amount = data.get("amount")
        if not isinstance(amount, int):
            raise ValidationFailed(f"Thing {data['id']}: field 'amount' must be a whole number, got {amount!r}")
        body = {"number": data["number"], "amount": amount, "name": data.get("name", "")}
        return PlannedWrite(
            record=record,
            payload=body,
            summary={"amount": str(amount), "name": body["name"]},
            body=json.dumps(body, sort_keys=True).encode(),
        )

    def lookup_existing(self, planned: PlannedWrite[dict[str, Any]]) -> str | None:
        return self.target.find(planned.payload["number"])

    def write(self, planned: PlannedWrite[dict[str, Any]], existing_key: str | None) -> str:
        return self.target.save(planned.payload, existing_key)

    def after_write(self, record: SourceRecord, target_key: str, *, again: bool = False) -> None:
        self.source.write_back(record.ref.id, target_key)

    def after_failure(self, record: SourceRecord, failure: FailedRecord) -> None:
        self.source.failure_notes.append((record.ref.id, failure.message))


class ThingRun(RunBase[dict[str, Any]]):
    """One run of a ThingTransfer: the engine's side of the contract, delegating to the definition."""

    def __init__(self, transfer: ThingTransfer, run: RunContext):
        self.transfer = transfer
        self.planner = run.planner
        self.allows_update = transfer.allows_update
        self.matches_existing = transfer.matches_existing
        self.writes_back = transfer.writes_back

    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        return self.transfer.fetch_pages(since, full_resync=full_resync)

    def fetch_one(self, ref: SourceRef) -> SourceRecord | None:
        data = self.transfer.source.records.get(ref.id)
        return None if data is None else SourceRecord(ref, data["changed_at"], dict(data))

    def prepare(self, record: SourceRecord) -> PlannedWrite[dict[str, Any]] | Skip:
        return self.transfer.prepare(record)

    def lookup_existing(self, planned: PlannedWrite[dict[str, Any]]) -> str | None:
        return self.transfer.lookup_existing(planned)

    def write(self, planned: PlannedWrite[dict[str, Any]], existing_key: str | None) -> str:
        if self.planner is not None:  # a dry run: the write is planned, as the real clients do it
            body = (planned.body or b"").decode()
            self.planner.record(PlannedRequest("target", "update" if existing_key else "create", body))
            return existing_key or str(self.planner.placeholder_key())
        return self.transfer.write(planned, existing_key)

    def after_write(self, record: SourceRecord, target_key: str, *, again: bool = False) -> None:
        if not self.writes_back:
            return
        if self.planner is not None:
            self.planner.record(PlannedRequest("source", "write back", target_key))
            return
        self.transfer.after_write(record, target_key, again=again)

    def after_failure(self, record: SourceRecord, failure: FailedRecord) -> None:
        self.transfer.after_failure(record, failure)


@dataclass
class FakeContext:
    """The part of a Lambda context the engine and Powertools read; remaining time is scripted."""

    remaining: Callable[[], float] = lambda: 600.0
    function_name: str = "things"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-north-1:123456789012:function:things"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return int(self.remaining() * 1000)


def seed(source: MemorySource, count: int, *, start: datetime = T0, prefix: str = "r") -> list[str]:
    ids = [f"{prefix}{index:03d}" for index in range(count)]
    for index, record_id in enumerate(ids):
        source.add(record_id, at=start + timedelta(minutes=index), number=f"N-{record_id}", amount=100 + index)
    return ids


@dataclass
class Rig:
    """An engine wired to moto's table and a fresh queue, with the doubles."""

    aws: LocalAws
    source: MemorySource
    target: MemoryTarget
    transfer: ThingTransfer
    state: StateStore
    queue_url: str
    # Each rig gets its own shared-lease name: the state table is shared by the whole session and a
    # crash test leaves its leases behind on purpose.
    options: EngineOptions = field(
        default_factory=lambda: EngineOptions(
            queue_size=4, bookkeeping_workers=3, shared_lease=f"netvisor-{uuid.uuid4().hex[:8]}"
        )
    )
    margin_seconds: float = 30.0
    #: Target records that existed before any run (matched, never created).
    target_preexisting: set[str] = field(default_factory=set)

    def engine(
        self, *, state: Any = None, failure_queue: Any = None, transfer: Any = None, register: Any = None
    ) -> Engine:
        state = state or self.state
        return Engine(
            transfer or self.transfer,
            state=state,
            register=register or FailureRegister(self.state.table_name, client=clients(self.aws).dynamodb),
            failure_queue=failure_queue or FailureQueue(self.queue_url, client=clients(self.aws).sqs),
            margin_seconds=self.margin_seconds,
            options=self.options,
        )

    def run(self, *, dry_run: bool = False, context: Any = None, engine: Engine | None = None, **kw: Any) -> RunSummary:
        request = RunRequest(run_id=str(uuid.uuid4()), dry_run=dry_run, **kw)
        metrics.clear_metrics()  # the handler flushes after each run; tests call the engine directly
        return (engine or self.engine()).run(request, context)

    def messages(self) -> list[dict[str, Any]]:
        sqs = clients(self.aws).sqs
        found: list[dict[str, Any]] = []
        while True:
            response = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=600)
            batch = response.get("Messages", [])
            if not batch:
                return found
            found.extend(json.loads(message["Body"]) for message in batch)

    def cursor(self) -> Cursor | None:
        return self.state.read_cursor(self.transfer.name).cursor

    def cursor_id(self) -> str | None:
        cursor = self.cursor()
        return cursor.record_id if cursor else None

    def open_failures(self) -> list[Failure]:
        return FailureRegister(self.state.table_name, client=clients(self.aws).dynamodb).failures(self.transfer.name)

    def ledger(self, *ids: str) -> dict[str, Any]:
        entries = self.state.get_ledger(self.transfer.ref(i) for i in ids)
        return {ref.id: entry for ref, entry in entries.items()}


@dataclass(frozen=True)
class Clients:
    dynamodb: Any
    sqs: Any


_CLIENTS: dict[str, Clients] = {}


def clients(aws: LocalAws) -> Clients:
    """boto3 clients are slow to make and thread-safe to share: one pair per local AWS."""
    if aws.endpoint_url not in _CLIENTS:
        _CLIENTS[aws.endpoint_url] = Clients(aws.client("dynamodb"), aws.client("sqs"))
    return _CLIENTS[aws.endpoint_url]


def state_store(aws: LocalAws, clock: Callable[[], float] = time.time) -> StateStore:
    return StateStore(aws.table_name(), client=clients(aws).dynamodb, clock=clock)


def make_rig(aws: LocalAws, **transfer_options: Any) -> Rig:
    source, target = MemorySource(), MemoryTarget()
    transfer = ThingTransfer(source, target, **transfer_options)
    queue_url = clients(aws).sqs.create_queue(QueueName=f"failed-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    return Rig(aws, source, target, transfer, state_store(aws), queue_url)
