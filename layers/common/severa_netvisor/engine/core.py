"""What every part of a run shares: its request, flags, counters and the small helpers they all use.

A run is one object (``runner._Run``) assembled from three parts that work at once, each in its own
module: the intake (``intake``), the single writer (``writer``) and the bookkeeping (``books``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from severa_netvisor.dryrun import WritePlanner
from severa_netvisor.engine.contract import RunContext, SourceRecord, Transfer
from severa_netvisor.engine.settlement import SettlementTracker
from severa_netvisor.engine.summary import PlanItem, RunSummary, SummaryBuilder
from severa_netvisor.engine.work import DependencyState, Lane, Outcome, RunRequest, Taken, Work, describe
from severa_netvisor.errors import IntegrationError
from severa_netvisor.failures import FailedRecord, FailureQueue
from severa_netvisor.observability import logger
from severa_netvisor.register import Failure, FailureRegister
from severa_netvisor.state import Cursor, LedgerEntry, SourceRef, StateStore


class RemainingTime(Protocol):
    """The part of the Lambda context the engine uses."""

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class EngineOptions:
    #: Work items waiting for the writer; bounds memory and what a stopping run must drain.
    queue_size: int = 16
    bookkeeping_workers: int = 4
    #: Re-read this much before the cursor: catches records committed late; the ledger skips repeats.
    overlap: timedelta = timedelta(minutes=2)
    #: The lease outlives the Lambda's own deadline by this much, then a crashed run's lease expires.
    lease_slack_seconds: float = 60.0
    lease_seconds_without_context: float = 900.0
    #: A second lease every run also holds. Netvisor refuses overlapping requests to one company,
    #: and every transfer talks to Netvisor, so runs of *different* transfers must not overlap
    #: either (each function has its own process and its own client lock). None: no shared lease.
    shared_lease: str | None = "netvisor-company"
    #: How long a dry run waits for the shared lease before it gives up (it queues behind a real run).
    shared_lease_wait_seconds: float = 30.0
    #: Consecutive passing transport failures (5xx, timeouts) after which the target counts as down.
    breaker_threshold: int = 3
    #: Answers lost this many times for one record: it becomes an open failure someone looks at.
    unknown_outcome_limit: int = 3
    #: A dry run's plan in the returned summary stays well under Lambda's 6 MB response limit;
    #: every plan item is also logged.
    plan_limit: int = 200
    body_limit: int = 10_000


class RunObserver(Protocol):
    """Told of every finished run with the failures it found new (the last-run record, the digest)."""

    def __call__(self, summary: RunSummary, new_failures: Sequence[Failure]) -> object: ...


@dataclass
class Notice:
    """A failure that is news: one message on the failed-records queue."""

    failure: Failure
    message: FailedRecord

    @classmethod
    def of(cls, failure: Failure, record: Any, target_key: str | None = None) -> Notice:
        """The queue message of a recorded failure, with the record as read."""
        return cls(
            failure,
            FailedRecord(
                transfer=failure.transfer,
                run_id=failure.run_id,
                source=failure.ref,
                step=failure.step,
                error_class=failure.error_class,
                message=failure.reason,
                remote_text=failure.remote_text,
                retryable=failure.retryable,
                attempt=failure.attempts,
                record=record,
                target_key=target_key,
                label=failure.label,
                action=failure.action,
                for_author=failure.for_author,
                failure_id=failure.id,
            ),
        )


class RunCore:
    """State and helpers shared by the intake, the writer and the bookkeeping of one run."""

    def __init__(
        self,
        *,
        transfer: Transfer,
        dependencies: Mapping[str, Transfer],
        state: StateStore,
        register: FailureRegister,
        failure_queue: FailureQueue,
        margin_seconds: float,
        options: EngineOptions,
        request: RunRequest,
        context: RemainingTime | None,
        clock: Callable[[], Any],
        replay: list[SourceRef] | None = None,
        observers: Sequence[RunObserver] = (),
    ):
        self.transfer = transfer
        self.dependencies = dependencies
        self.state = state
        self.register = register
        self.failure_queue = failure_queue
        self.margin = margin_seconds
        self.options = options
        self.request = request
        self.context = context
        self.clock = clock
        self.replay_refs = replay
        self.observers = tuple(observers)
        self.dry = request.dry_run
        self.name = transfer.name
        self.report = SummaryBuilder(
            RunSummary(self.name, request.run_id, request.dry_run, clock(), replay=replay is not None),
            plan_limit=options.plan_limit,
            body_limit=options.body_limit,
        )
        self.tracker = SettlementTracker()
        self.planner: WritePlanner | None = WritePlanner() if self.dry else None
        self.work: queue.Queue[Work | None] = queue.Queue(maxsize=options.queue_size)
        self.books: ThreadPoolExecutor | None = None
        # A crash (a BaseException such as a simulated process death) anywhere ends the run at once.
        self.dead = threading.Event()
        self.crash: BaseException | None = None
        self.stopping = threading.Event()
        self.halt_writes = threading.Event()
        self.lock = threading.Lock()
        self.flush_lock = threading.Lock()
        self.notices: list[Notice] = []
        #: Failures this run found new (or with a new reason), for the run's digest.
        self.new_failures: list[Failure] = []
        self.cursor_before: Cursor | None = None
        self.cursor_current: Cursor | None = None
        self.cursor_version = 0
        self.cursor_lost = False
        self.source_exhausted = False
        self.deps: dict[SourceRef, DependencyState] = {}
        #: The page's records bound for the writer, sent together once the page is taken.
        self.page_work: list[Work] = []
        self.lanes: dict[str, Lane] = {}
        self.ctx: RunContext | None = None
        self.lane: Lane | None = None

    @property
    def summary(self) -> RunSummary:
        return self.report.summary

    @property
    def run_context(self) -> RunContext:
        assert self.ctx is not None, "the run has not started"
        return self.ctx

    @property
    def main_lane(self) -> Lane:
        assert self.lane is not None, "the run has not started"
        return self.lane

    def attributing(self, record_id: str) -> AbstractContextManager[None]:
        """Planned writes made inside belong to this record (dry runs only)."""
        return self.planner.attributing(record_id) if self.planner is not None else nullcontext()

    # -- settling without a target write ----------------------------------------------------------
    def skip(self, seq: int | None, record: SourceRecord, reason: str, *, counter: str = "skipped") -> None:
        self.report.count(counter)
        if self.dry:
            self.report.plan(PlanItem("skip", record.ref.id, record.name, reason=reason))
        logger.debug("record skipped", extra={"source_id": record.ref.id, "reason": reason})
        self.settle(seq)

    def settle(self, seq: int | None) -> None:
        if seq is not None:
            self.tracker.settle(seq)

    def defer(self, record: SourceRecord, reason: str) -> None:
        """Leave the record for the next run: not settled, so the cursor stays before it."""
        logger.warning("record left for the next run", extra={"source_id": record.ref.id, "reason": reason})

    # -- stopping ---------------------------------------------------------------------------------
    def stop(
        self,
        reason: str,
        *,
        halt_writes: bool = False,
        remote_text: str | None = None,
        error: str | None = None,
        action: str | None = None,
    ) -> None:
        with self.lock:
            first = self.summary.stopped_early is None
            if first:
                self.summary.stopped_early = reason
                self.summary.stopped_by_error = error
                self.summary.stop_action = action
        if first:
            logger.warning("run stopping early", extra={"reason": reason, "remote_text": remote_text})
        self.stopping.set()
        if halt_writes:
            self.halt_writes.set()

    def stop_for(self, error: BaseException, *, halt_writes: bool = False, reason: str | None = None) -> None:
        """Stop the run because of this error, in the error's own words unless a reason is given."""
        info = describe(error)
        self.stop(
            reason or info.message,
            halt_writes=halt_writes,
            error=info.stop_error,
            action=info.action,
            remote_text=info.remote_text,
        )

    def die(self, crash: BaseException) -> None:
        with self.lock:
            if self.crash is None:
                self.crash = crash
        self.dead.set()

    def remaining_seconds(self) -> float | None:
        if self.context is None:
            return None
        return self.context.get_remaining_time_in_millis() / 1000

    def should_stop(self) -> bool:
        if self.dead.is_set() or self.stopping.is_set():
            return True
        remaining = self.remaining_seconds()
        if remaining is not None and remaining < self.margin:
            self.stop(f"time budget: {remaining:.0f} s left, below the {self.margin:g} s margin")
            return True
        return False

    def past_hard_deadline(self) -> bool:
        remaining = self.remaining_seconds()
        return remaining is not None and remaining < self.margin / 2

    # -- the bookkeeping pool ---------------------------------------------------------------------
    def submit(self, function: Callable[..., None], *args: Any) -> None:
        assert self.books is not None
        self.books.submit(self.guarded, function, *args)

    def guarded(self, function: Callable[..., None], *args: Any) -> None:
        if self.dead.is_set():
            return
        try:
            function(*args)
        except Exception:
            logger.exception("bookkeeping failed; the record stays ahead of the cursor")
        except BaseException as crash:
            self.die(crash)

    def put(self, item: Work | None, writer: threading.Thread | None) -> None:
        while True:
            try:
                self.work.put(item, timeout=0.25)
                return
            except queue.Full:
                if writer is not None and not writer.is_alive():
                    return
                if item is not None and self.dead.is_set():
                    return

    def mark_pending(self, work: Work) -> LedgerEntry:
        planned = work.planned
        return self.state.mark_pending(
            planned.record.ref,
            content_hash=planned.content_hash,
            summary=planned.summary,
            expected_version=work.entry.version if work.entry else 0,
            run_id=self.request.run_id,
        )

    # -- implemented by the other parts of the run (intake, writer, books, runner) ---------------
    def fail(
        self,
        taken: Taken,
        step: str,
        error: BaseException,
        target_key: str | None = None,
        *,
        blocked_by: str | None = None,
    ) -> None:
        raise NotImplementedError

    def close_failure(self, lane: Lane, ref: SourceRef, failure: Failure | None, reason: str) -> None:
        raise NotImplementedError

    def write_back(self, work: Work, target_key: str, entry: LedgerEntry, again: bool) -> None:
        raise NotImplementedError

    def complete(self, work: Work, outcome: Outcome) -> None:
        raise NotImplementedError

    def unknown_outcome(self, work: Work, error: IntegrationError) -> None:
        raise NotImplementedError

    def wait(self, work: Work, reason: str) -> None:
        raise NotImplementedError

    def flush_notices(self) -> None:
        raise NotImplementedError

    def checkpoint(self) -> None:
        raise NotImplementedError
