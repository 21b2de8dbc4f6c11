"""The run loop every transfer shares.

Three kinds of threads work at once, so the run's floor is the target's latency times the number of
target calls and everything else hides behind it:

- the **intake** (the caller's thread) streams source pages, reads the ledger a page at a time
  (BatchGetItem), runs ``prepare``, writes "pending" ledger markers and feeds a bounded queue;
- a single **writer** thread makes every target call (lookups and writes), one at a time, because
  Netvisor allows one request at a time per company;
- a small **bookkeeping** pool records outcomes in the ledger, writes back to the source, and
  sends failed-record messages.

Exactly once: before a create the ledger says "pending"; only after the target answered does it say
"done". A run that finds "pending" asks the target (``lookup_existing``) before creating again.
The cursor only passes a contiguous prefix of settled records (see ``settlement``), so a crash
between any two steps leaves every unsettled record ahead of the cursor for the next run.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, Protocol, TypeVar

from aws_lambda_powertools.metrics import MetricUnit

from severa_netvisor.engine.model import (
    DriftDetected,
    PlannedWrite,
    Skip,
    SourceRecord,
    Transfer,
    stops_run,
)
from severa_netvisor.engine.settlement import SettlementTracker
from severa_netvisor.engine.summary import PlanItem, RunSummary, SummaryBuilder
from severa_netvisor.errors import IntegrationError
from severa_netvisor.failures import MAX_BATCH_ENTRIES, FailedRecord, FailureQueue
from severa_netvisor.observability import logger, metrics
from severa_netvisor.state import (
    Cursor,
    Lease,
    LedgerEntry,
    LedgerStatus,
    StateConflict,
    StateError,
    StateStore,
)

PageT = TypeVar("PageT")


class RemainingTime(Protocol):
    """The part of the Lambda context the engine uses."""

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class RunRequest:
    run_id: str
    dry_run: bool = False
    #: Read from this time instead of the stored cursor (the cursor still never moves backwards).
    since: datetime | None = None
    #: Read everything from the beginning; the ledger still skips what is unchanged.
    full_resync: bool = False
    execution_id: str | None = None
    scheduled_time: datetime | None = None


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
    #: A dry run's plan in the returned summary stays well under Lambda's 6 MB response limit;
    #: every plan item is also logged.
    plan_limit: int = 200
    preview_limit: int = 10_000


class _Mode(Enum):
    CREATE = "create"  # never in the target: pending marker, then create
    UPDATE = "update"  # in the target, content changed, updates allowed
    MATCH = "match"  # new to the ledger, but the transfer matches target records by natural keys
    RECOVER = "recover"  # an earlier create's outcome is unknown: look up before creating


@dataclass
class _Work:
    seq: int
    planned: PlannedWrite[Any]
    entry: LedgerEntry | None
    mode: _Mode


@dataclass(frozen=True)
class _Outcome:
    action: str  # created, updated, adopted
    target_key: str
    content_hash: str
    summary: Mapping[str, str]
    drift: DriftDetected | None = None
    #: The request body sent (or, in a dry run, that would be sent).
    sent: bool = False


@dataclass(frozen=True)
class _ErrorInfo:
    error_class: str
    message: str
    remote_text: str | None
    retryable: bool


def _describe(error: BaseException) -> _ErrorInfo:
    if isinstance(error, IntegrationError):
        return _ErrorInfo(error.error_class, error.message, error.remote_text, error.retryable)
    # Not one of ours: a bug or an unwrapped library error. Say what it is; retrying will not help.
    return _ErrorInfo(type(error).__name__, str(error) or type(error).__name__, None, False)


def _read_ahead(pages: Iterator[PageT], *, name: str) -> Generator[PageT, None, None]:
    """Yield ``pages``, reading the next page in a thread while the caller works on this one.

    At most one page waits, so memory stays at about two pages. Errors (and crashes) raised while
    reading reach the caller in order, after the pages read before them.
    """
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    finished = threading.Event()

    def hand_over(item: tuple[str, Any]) -> bool:
        while not finished.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for page in pages:
                if not hand_over(("page", page)):
                    return
        except BaseException as error:  # handed to the caller, which re-raises it
            hand_over(("error", error))
            return
        hand_over(("end", None))

    reader = threading.Thread(target=read, name=name, daemon=True)
    reader.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        finished.set()
        reader.join()
        close = getattr(pages, "close", None)
        if callable(close):
            close()  # the reader has stopped, so closing the generator here is safe


def drift_error(entry: LedgerEntry, planned: PlannedWrite[Any]) -> DriftDetected:
    """What changed in the source since the record was sent, in the words of the summaries."""
    before, after = dict(entry.summary), dict(planned.summary)
    changes = [
        f"{name}: {before.get(name, '(none)')!s} -> {after.get(name, '(none)')!s}"
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    ]
    detail = "; ".join(changes) if changes else "fields outside the summary changed"
    return DriftDetected(
        f"{planned.record.ref} changed after it was transferred as {entry.target_key}; it is not "
        f"overwritten. Changed: {detail}"
    )


class Engine:
    """Runs one transfer: ``Engine(transfer, ...).run(RunRequest(run_id=...), context)``."""

    def __init__(
        self,
        transfer: Transfer[Any],
        *,
        state: StateStore,
        failure_queue: FailureQueue,
        margin_seconds: float,
        options: EngineOptions | None = None,
    ):
        self.transfer = transfer
        self.state = state
        self.failure_queue = failure_queue
        self.margin_seconds = margin_seconds
        self.options = options or EngineOptions()

    def run(self, request: RunRequest, context: RemainingTime | None = None) -> RunSummary:
        return _Run(self, request, context).execute()


class _Run:
    def __init__(self, engine: Engine, request: RunRequest, context: RemainingTime | None):
        self.t = engine.transfer
        self.state = engine.state
        self.failure_queue = engine.failure_queue
        self.margin = engine.margin_seconds
        self.options = engine.options
        self.request = request
        self.context = context
        self.dry = request.dry_run
        self.report = SummaryBuilder(
            RunSummary(self.t.name, request.run_id, request.dry_run, datetime.now(UTC)),
            plan_limit=self.options.plan_limit,
            preview_limit=self.options.preview_limit,
        )
        self.tracker = SettlementTracker()
        self.work: queue.Queue[_Work | None] = queue.Queue(maxsize=self.options.queue_size)
        self.books: ThreadPoolExecutor | None = None
        # A crash (a BaseException such as a simulated process death) anywhere ends the run at once.
        self.dead = threading.Event()
        self.crash: BaseException | None = None
        self.stopping = threading.Event()
        self.halt_writes = threading.Event()
        self.lock = threading.Lock()
        self.flush_lock = threading.Lock()
        self.pending_failures: list[tuple[int, FailedRecord, SourceRecord]] = []
        self.cursor_before: Cursor | None = None
        self.cursor_current: Cursor | None = None
        self.cursor_version = 0
        self.cursor_lost = False
        self.source_exhausted = False

    @property
    def summary(self) -> RunSummary:
        return self.report.summary

    # -- the run ----------------------------------------------------------------------------------
    def execute(self) -> RunSummary:
        started = time.monotonic()
        logger.append_keys(run_id=self.request.run_id, transfer=self.t.name)
        try:
            leases: list[Lease] = []
            if not self.dry:
                names = [self.t.name, *([self.options.shared_lease] if self.options.shared_lease else [])]
                for name in names:
                    lease = self.state.acquire_lease(name, self.request.run_id, self._lease_seconds())
                    if lease is None:
                        self._release_all(leases)
                        self._report_busy(name)
                        return self._finish(started)
                    leases.append(lease)
            try:
                self._process()
            except Exception:
                self._release_all(leases)
                raise
            # A crash (BaseException) skips the release on purpose: the lease expires, as after a real one.
            self._release_all(leases)
            return self._finish(started)
        finally:
            logger.remove_keys(["run_id", "transfer"])

    def _process(self) -> None:
        stored = self.state.read_cursor(self.t.name)
        self.cursor_before = self.cursor_current = stored.cursor
        self.cursor_version = stored.version
        self.summary.cursor_before = stored.cursor
        writer = threading.Thread(target=self._writer_loop, name=f"{self.t.name}-writer", daemon=True)
        self.books = ThreadPoolExecutor(self.options.bookkeeping_workers, thread_name_prefix=f"{self.t.name}-books")
        writer.start()
        try:
            self._intake(self._since(stored.cursor))
        except BaseException as crash:
            self._die(crash)
        finally:
            self._put(None, writer)
            writer.join()
            self.books.shutdown(wait=True)
        if self.crash is not None:
            raise self.crash
        self._flush_failures()
        self._checkpoint()
        self.summary.unsettled = self.tracker.unsettled
        self.summary.cursor_after = self.cursor_current if not self.dry else self._dry_cursor()

    def _finish(self, started: float) -> RunSummary:
        summary = self.summary
        summary.duration_seconds = round(time.monotonic() - started, 3)
        if not self.dry:
            self._emit_metrics(summary)
        logger.info(
            "run finished",
            # Nested: some summary keys ("created") are reserved names of a log record.
            extra={"summary": {k: v for k, v in summary.as_dict().items() if k != "plan"}},
        )
        return summary

    def _since(self, stored: Cursor | None) -> Cursor | None:
        if self.request.full_resync:
            return None
        if self.request.since is not None:
            return Cursor(self.request.since, "")
        if stored is None:
            return None
        return Cursor(stored.changed_at - self.options.overlap, "")

    # -- intake (caller's thread) -----------------------------------------------------------------
    def _intake(self, since: Cursor | None) -> None:
        pages = self.t.fetch_pages(since, full_resync=self.request.full_resync)
        try:
            for page in _read_ahead(pages, name=f"{self.t.name}-reader"):
                self.report.count("fetched", len(page))
                if not self._take_page(page):
                    return
            self.source_exhausted = True
        except Exception as error:  # reading the source or the ledger failed: end the run cleanly
            info = _describe(error)
            if not isinstance(error, IntegrationError):
                logger.exception("reading the source failed unexpectedly")
            self._stop(f"{info.error_class}: {info.message}", remote_text=info.remote_text, error=info.error_class)

    def _take_page(self, page: Sequence[SourceRecord]) -> bool:
        if self._should_stop():
            return False
        if not page:
            return True
        entries = self.state.get_ledger(record.ref for record in page)
        for record in page:
            if self._should_stop():
                return False
            seq = self.tracker.register(record.position)
            self._take(seq, record, entries.get(record.ref))
        self._flush_failures()
        self._checkpoint()
        return not self._should_stop()

    def _take(self, seq: int, record: SourceRecord, entry: LedgerEntry | None) -> None:
        if (
            entry is not None
            and entry.status is LedgerStatus.FAILED
            and not self.request.full_resync
            and self.cursor_before is not None
            and record.position <= self.cursor_before
        ):
            # Re-read only because of the overlap window; its failure is already in the queue.
            self._skip(seq, record, "failed in an earlier run; already in the failed-records queue")
            return
        try:
            outcome = self.t.prepare(record)
        except Exception as error:
            if stops_run(error):
                # Records already prepared still go to the target; nothing new is taken.
                self._stop(f"{_describe(error).error_class}: {error}", error=_describe(error).error_class)
                return
            self._fail(seq, record, "prepare", error, entry)
            return
        if isinstance(outcome, Skip):
            self._skip(seq, record, outcome.reason)
            return
        self._route(seq, outcome, entry)

    def _route(self, seq: int, planned: PlannedWrite[Any], entry: LedgerEntry | None) -> None:
        """Decide from the ledger what the record needs: create, update, recover, write-back or nothing."""
        record = planned.record
        if entry is None or entry.status is LedgerStatus.FAILED:
            self._enqueue(_Work(seq, planned, entry, _Mode.MATCH if self.t.matches_existing else _Mode.CREATE))
        elif entry.status is LedgerStatus.PENDING:
            self._enqueue(_Work(seq, planned, entry, _Mode.RECOVER))
        elif entry.content_hash == planned.content_hash:
            if entry.writeback_pending and self.t.writes_back and entry.target_key:
                if self.dry:
                    self.report.plan(PlanItem("write_back", record.ref.id, entry.target_key))
                    self.tracker.settle(seq)
                else:
                    self._submit(self._write_back, seq, record, entry.target_key, entry)
            else:
                self._skip(seq, record, "unchanged since it was transferred", entry.target_key)
        elif self.t.allows_update:
            self._enqueue(_Work(seq, planned, entry, _Mode.UPDATE))
        else:
            self._fail(seq, record, "drift", drift_error(entry, planned), entry, target_key=entry.target_key)

    def _enqueue(self, work: _Work) -> None:
        record = work.planned.record
        if work.mode in (_Mode.CREATE, _Mode.MATCH) and not self.dry:
            try:
                work.entry = self._mark_pending(work)
            except StateConflict as error:
                self._defer(record, str(error))
                return
            except StateError as error:
                self._fail(work.seq, record, "ledger", error, work.entry)
                return
        self._put(work, None)

    def _mark_pending(self, work: _Work) -> LedgerEntry:
        planned = work.planned
        return self.state.mark_pending(
            planned.record.ref,
            content_hash=planned.content_hash,
            summary=planned.summary,
            expected_version=work.entry.version if work.entry else 0,
            run_id=self.request.run_id,
        )

    def _put(self, item: _Work | None, writer: threading.Thread | None) -> None:
        while True:
            try:
                self.work.put(item, timeout=0.25)
                return
            except queue.Full:
                if writer is not None and not writer.is_alive():
                    return

    # -- the single writer ------------------------------------------------------------------------
    def _writer_loop(self) -> None:
        while True:
            work = self.work.get()
            if work is None:
                return
            try:
                if self.dead.is_set():
                    continue
                if self.halt_writes.is_set():
                    self._defer(work.planned.record, "the run stopped before this record was written")
                    continue
                if self._past_hard_deadline():
                    self._stop(f"time budget: less than {self.margin / 2:g} s left, writes abandoned")
                    self._defer(work.planned.record, "out of time before this record was written")
                    continue
                self._handle(work)
            except Exception:
                logger.exception("writer failed on a record", extra={"source_id": work.planned.record.ref.id})
            except BaseException as crash:
                self._die(crash)

    def _handle(self, work: _Work) -> None:
        planned = work.planned
        record = planned.record
        step = "lookup"
        try:
            if work.mode in (_Mode.MATCH, _Mode.RECOVER):
                existing = self.t.lookup_existing(planned)
                if existing is not None:
                    step = "write"
                    outcome = self._adopt(work, existing)
                else:
                    if work.mode is _Mode.RECOVER and not self.dry:
                        step = "ledger"
                        work.entry = self._mark_pending(work)
                    step = "write"
                    outcome = self._sent("created", planned, self._write(planned, None))
            elif work.mode is _Mode.CREATE:
                step = "write"
                outcome = self._sent("created", planned, self._write(planned, None))
            else:
                step = "write"
                key = work.entry.target_key if work.entry else None
                outcome = self._sent("updated", planned, self._write(planned, key))
        except StateConflict as error:
            self._defer(record, str(error))
            return
        except Exception as error:
            if stops_run(error):
                self._stop(
                    f"{_describe(error).error_class}: {error}", halt_writes=True, error=_describe(error).error_class
                )
                return
            self._submit(self._fail, work.seq, record, step, error, work.entry)
            return
        self._submit(self._complete, work, outcome)

    @staticmethod
    def _sent(action: str, planned: PlannedWrite[Any], target_key: str) -> _Outcome:
        return _Outcome(action, target_key, planned.content_hash, planned.summary, sent=True)

    def _adopt(self, work: _Work, existing: str) -> _Outcome:
        planned = work.planned
        if self.t.allows_update:
            # What the target holds is not known (a natural-key match or a lost create): bring it in line.
            key = self._write(planned, existing)
            return _Outcome("adopted", key, planned.content_hash, planned.summary, sent=True)
        entry = work.entry
        if work.mode is _Mode.RECOVER and entry is not None and entry.content_hash:
            # The target holds what the lost attempt sent; a later change is drift, never overwritten.
            drift = (
                None
                if entry.content_hash == planned.content_hash
                else drift_error(
                    LedgerEntry(entry.ref, entry.status, entry.version, existing, entry.content_hash, entry.summary),
                    planned,
                )
            )
            return _Outcome("adopted", existing, entry.content_hash, entry.summary, drift)
        return _Outcome("adopted", existing, planned.content_hash, planned.summary)

    def _write(self, planned: PlannedWrite[Any], existing_key: str | None) -> str:
        if self.dry:
            return existing_key or ""
        return self.t.write(planned, existing_key)

    # -- bookkeeping (pool threads) ---------------------------------------------------------------
    def _submit(self, function: Callable[..., None], *args: Any) -> None:
        assert self.books is not None
        self.books.submit(self._guarded, function, *args)

    def _guarded(self, function: Callable[..., None], *args: Any) -> None:
        if self.dead.is_set():
            return
        try:
            function(*args)
        except Exception:
            logger.exception("bookkeeping failed; the record stays ahead of the cursor")
        except BaseException as crash:
            self._die(crash)

    def _complete(self, work: _Work, outcome: _Outcome) -> None:
        record = work.planned.record
        if self.dry:
            action = {"created": "create", "updated": "update", "adopted": "adopt"}[outcome.action]
            self.report.plan(
                PlanItem(
                    action,
                    record.ref.id,
                    outcome.target_key or None,
                    str(outcome.drift) if outcome.drift else None,
                    work.planned.preview if outcome.sent else None,
                )
            )
            self.report.count(outcome.action)
            if outcome.drift:
                self.report.failure(outcome.drift.error_class)
            self.tracker.settle(work.seq)
            return
        try:
            entry = self.state.mark_done(
                record.ref,
                target_key=outcome.target_key,
                content_hash=outcome.content_hash,
                summary=outcome.summary,
                writeback_pending=self.t.writes_back,
                expected_version=work.entry.version if work.entry else 0,
                run_id=self.request.run_id,
            )
        except StateError as error:
            note = IntegrationError(
                f"{record.ref} is in the target as {outcome.target_key}, but the ledger could not record "
                f"it ({error.message}); the next run looks it up and adopts it",
                remote_text=error.remote_text,
                retryable=True,
            )
            self._fail(work.seq, record, "ledger", note, work.entry, target_key=outcome.target_key)
            return
        self.report.count(outcome.action)
        logger.info(f"record {outcome.action}", extra={"source_id": record.ref.id, "target_key": outcome.target_key})
        if outcome.drift is not None:
            self._fail(work.seq, record, "drift", outcome.drift, entry, target_key=outcome.target_key)
        elif self.t.writes_back:
            self._write_back(work.seq, record, outcome.target_key, entry)
        else:
            self.tracker.settle(work.seq)

    def _write_back(self, seq: int, record: SourceRecord, target_key: str, entry: LedgerEntry) -> None:
        try:
            self.t.after_write(record, target_key)
        except Exception as error:
            if stops_run(error):
                # The ledger still owes the write-back; the record stays ahead of the cursor.
                self._stop(f"{_describe(error).error_class}: {error}", error=_describe(error).error_class)
                return
            self._fail(seq, record, "after_write", error, entry, target_key=target_key)
            return
        self.report.count("written_back")
        try:
            self.state.mark_written_back(record.ref, expected_version=entry.version, run_id=self.request.run_id)
        except StateError as error:
            logger.warning(
                "write-back done but not recorded; it is repeated when the record is read again",
                extra={"source_id": record.ref.id, "error": error.message},
            )
        self.tracker.settle(seq)

    def _fail(
        self,
        seq: int,
        record: SourceRecord,
        step: str,
        error: BaseException,
        entry: LedgerEntry | None,
        *,
        target_key: str | None = None,
    ) -> None:
        info = _describe(error)
        self.report.failure(info.error_class)
        logger.warning(
            "record failed",
            extra={
                "source_id": record.ref.id,
                "step": step,
                "error_class": info.error_class,
                "reason": info.message,
                "remote_text": info.remote_text,
                "retryable": info.retryable,
            },
        )
        if self.dry:
            self.report.plan(PlanItem("fail", record.ref.id, target_key, f"{step}: {info.message}"))
            self.tracker.settle(seq)
            return
        try:
            attempt = self.state.record_failure(
                record.ref,
                error_text=f"{step}: {info.error_class}: {info.message}",
                run_id=self.request.run_id,
                retryable=info.retryable,
            ).attempts
        except StateError:
            attempt = (entry.attempts + 1) if entry else 1
        failed = FailedRecord(
            transfer=self.t.name,
            run_id=self.request.run_id,
            source=record.ref,
            step=step,
            error_class=info.error_class,
            message=info.message,
            remote_text=info.remote_text,
            retryable=info.retryable,
            attempt=attempt,
            record=record.data,
            target_key=target_key,
        )
        with self.lock:
            self.pending_failures.append((seq, failed, record))
            full = len(self.pending_failures) >= MAX_BATCH_ENTRIES
        if full:
            self._flush_failures()

    def _flush_failures(self) -> None:
        if self.dry:
            return
        with self.flush_lock:
            with self.lock:
                batch, self.pending_failures = self.pending_failures, []
            if not batch:
                return
            delivered = self.failure_queue.send([failed for _, failed, _ in batch])
        for (seq, failed, record), accepted in zip(batch, delivered, strict=True):
            if not accepted:
                self.report.count("failures_not_queued")
                logger.error(
                    "failed-records queue did not take this failure; the record stays ahead of the cursor",
                    extra={"source_id": record.ref.id, "step": failed.step, "reason": failed.message},
                )
                continue
            self.tracker.settle(seq)
            try:
                self.t.after_failure(record, failed)
            except Exception as error:
                logger.warning(
                    "could not tell the source about the failure",
                    extra={"source_id": record.ref.id, "error": _describe(error).message},
                )

    # -- stopping, cursor, lease ------------------------------------------------------------------
    def _skip(self, seq: int, record: SourceRecord, reason: str, target_key: str | None = None) -> None:
        self.report.count("skipped")
        if self.dry:
            self.report.plan(PlanItem("skip", record.ref.id, target_key, reason))
        logger.debug("record skipped", extra={"source_id": record.ref.id, "reason": reason})
        self.tracker.settle(seq)

    def _defer(self, record: SourceRecord, reason: str) -> None:
        logger.warning("record left for the next run", extra={"source_id": record.ref.id, "reason": reason})

    def _stop(
        self, reason: str, *, halt_writes: bool = False, remote_text: str | None = None, error: str | None = None
    ) -> None:
        with self.lock:
            first = self.summary.stopped_early is None
            if first:
                self.summary.stopped_early = reason
                self.summary.stopped_by_error = error
        if first:
            logger.warning("run stopping early", extra={"reason": reason, "remote_text": remote_text})
        self.stopping.set()
        if halt_writes:
            self.halt_writes.set()

    def _die(self, crash: BaseException) -> None:
        with self.lock:
            if self.crash is None:
                self.crash = crash
        self.dead.set()

    def _remaining_seconds(self) -> float | None:
        if self.context is None:
            return None
        return self.context.get_remaining_time_in_millis() / 1000

    def _should_stop(self) -> bool:
        if self.dead.is_set() or self.stopping.is_set():
            return True
        remaining = self._remaining_seconds()
        if remaining is not None and remaining < self.margin:
            self._stop(f"time budget: {remaining:.0f} s left, below the {self.margin:g} s margin")
            return True
        return False

    def _past_hard_deadline(self) -> bool:
        remaining = self._remaining_seconds()
        return remaining is not None and remaining < self.margin / 2

    def _lease_seconds(self) -> float:
        remaining = self._remaining_seconds()
        if remaining is None:
            return self.options.lease_seconds_without_context
        return remaining + self.options.lease_slack_seconds

    def _report_busy(self, name: str) -> None:
        holder = self.state.lease_holder(name)
        own = name == self.t.name
        logger.warning(
            "another run holds the lease; this run does nothing" if own
            else "another transfer is using Netvisor; this run does nothing",
            extra={
                "lease": name,
                "holder": holder.owner if holder else None,
                "expires_at": holder.expires_at if holder else None,
            },
        )
        self.summary.lease_busy = True
        self.summary.stopped_early = "another run holds the lease" if own else f"another run holds the '{name}' lease"

    def _release_all(self, leases: list[Lease]) -> None:
        for lease in reversed(leases):
            self._release(lease)

    def _release(self, lease: Lease | None) -> None:
        if lease is None:
            return
        try:
            if not self.state.release_lease(lease):
                logger.warning("the lease had expired and was taken by another run before release")
        except StateError as error:
            logger.warning("could not release the lease; it expires by itself", extra={"error": error.message})

    def _checkpoint(self) -> None:
        frontier = self.tracker.frontier()
        if self.dry or self.cursor_lost or frontier is None:
            return
        if self.cursor_current is not None and frontier <= self.cursor_current:
            return
        try:
            self.cursor_version = self.state.write_cursor(
                self.t.name, frontier, expected_version=self.cursor_version, run_id=self.request.run_id
            )
            self.cursor_current = frontier
        except StateConflict as error:
            # Another run moved the cursor: this run lost its lease. Stop writing at once.
            self.cursor_lost = True
            self._stop(error.message, halt_writes=True)
        except StateError as error:
            logger.warning("checkpoint failed; the next one retries", extra={"error": error.message})

    def _dry_cursor(self) -> Cursor | None:
        frontier = self.tracker.frontier()
        if frontier is None or (self.cursor_current is not None and frontier <= self.cursor_current):
            return self.cursor_current
        return frontier

    def _emit_metrics(self, summary: RunSummary) -> None:
        if metrics.dimension_set.get("transfer") != self.t.name:  # runs between flushes share the set
            metrics.add_dimension(name="transfer", value=self.t.name)
        counts = {
            "RecordsFetched": summary.fetched,
            "RecordsCreated": summary.created,
            "RecordsUpdated": summary.updated,
            "RecordsAdopted": summary.adopted,
            "RecordsSkipped": summary.skipped,
            "RecordsFailed": summary.failed,
            "RecordsDrifted": summary.failures_by_reason.get("DriftDetected", 0),
            "RecordsUnsettled": summary.unsettled,
            "FailuresNotQueued": summary.failures_not_queued,
            "RunsLeaseBusy": int(summary.lease_busy),
            "RunsStoppedEarly": int(summary.stopped_early is not None and not summary.lease_busy),
        }
        for name, value in counts.items():
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
        metrics.add_metric(name="RunDuration", unit=MetricUnit.Seconds, value=summary.duration_seconds)
        lag = self._lag_seconds(summary)
        if lag is not None:
            metrics.add_metric(name="LagBehindSource", unit=MetricUnit.Seconds, value=lag)

    def _lag_seconds(self, summary: RunSummary) -> float | None:
        if summary.lease_busy:
            return None
        if self.source_exhausted and summary.unsettled == 0 and summary.stopped_early is None:
            return 0.0
        if self.cursor_current is None:
            return None
        return max(0.0, (datetime.now(UTC) - self.cursor_current.changed_at).total_seconds())
