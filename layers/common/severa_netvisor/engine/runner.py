"""The run loop every transfer shares.

Three kinds of threads work at once, so the run's floor is the target's latency times the number of
target calls and everything else hides behind it:

- the **intake** (the caller's thread) streams source pages, reads the ledger and the register of
  open failures a page at a time, prepares records, brings over the records they need first, writes
  "pending" ledger markers and feeds a bounded queue (``intake``);
- a single **writer** thread makes every target call (lookups and writes), one at a time, because
  Netvisor allows one request at a time per company (``writer``);
- a small **bookkeeping** pool records outcomes in the ledger and the register, writes back to the
  source, and announces new failures (``books``).

Exactly once: before a create the ledger says "pending"; only after the target answered does it say
"done". A run that finds "pending" asks the target (``lookup_existing``) before creating again.
The cursor only passes a contiguous prefix of settled records (see ``settlement``), so a crash
between any two steps leaves every unsettled record ahead of the cursor for the next run.

A dry run takes the same path with every write replaced by a plan entry (``dryrun``): nothing is
written to either system, the state table or the queue.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from severa_netvisor.engine.books import BooksMixin
from severa_netvisor.engine.contract import RunContext, Transfer
from severa_netvisor.engine.core import EngineOptions, Notice, RemainingTime, RunObserver
from severa_netvisor.engine.intake import IntakeMixin
from severa_netvisor.engine.ledger import EngineLedger
from severa_netvisor.engine.metrics import run_metrics
from severa_netvisor.engine.summary import RunSummary
from severa_netvisor.engine.work import Lane, RunRequest
from severa_netvisor.engine.writer import WriterMixin
from severa_netvisor.errors import IntegrationError
from severa_netvisor.failures import FailureQueue
from severa_netvisor.observability import logger, metrics
from severa_netvisor.register import FailureRegister
from severa_netvisor.state import Cursor, Lease, SourceRef, StateConflict, StateError, StateStore

#: Pauses before trying again to give a lease back (seconds).
RELEASE_PAUSES = (0.3, 1.5)


def _now() -> datetime:
    return datetime.now(UTC)


class Engine:
    """Runs one transfer: ``Engine(transfer, ...).run(RunRequest(run_id=...), context)``."""

    def __init__(
        self,
        transfer: Transfer,
        *,
        state: StateStore,
        failure_queue: FailureQueue,
        margin_seconds: float,
        register: FailureRegister | None = None,
        options: EngineOptions | None = None,
        dependencies: Mapping[str, Transfer] | None = None,
        clock: Callable[[], datetime] = _now,
        observers: Sequence[RunObserver] = (),
    ):
        self.transfer = transfer
        self.state = state
        self.register = register or FailureRegister(state.table_name, client=state.client)
        self.failure_queue = failure_queue
        self.margin_seconds = margin_seconds
        self.options = options or EngineOptions()
        self.dependencies = dict(dependencies or {})
        self.clock = clock
        #: Told of each finished run: the last-run record, the e-mail digest.
        self.observers = tuple(observers)

    def run(self, request: RunRequest, context: RemainingTime | None = None) -> RunSummary:
        return self._run(request, context, None).execute()

    def replay(
        self, request: RunRequest, refs: Sequence[SourceRef], context: RemainingTime | None = None
    ) -> RunSummary:
        """Take these records again now, whatever their open failures say; the cursor does not move."""
        return self._run(request, context, list(refs)).execute()

    def _run(self, request: RunRequest, context: RemainingTime | None, replay: list[SourceRef] | None) -> _Run:
        return _Run(
            transfer=self.transfer,
            dependencies=self.dependencies,
            state=self.state,
            register=self.register,
            failure_queue=self.failure_queue,
            margin_seconds=self.margin_seconds,
            options=self.options,
            request=request,
            context=context,
            clock=self.clock,
            replay=replay,
            observers=self.observers,
        )


class _Run(IntakeMixin, WriterMixin, BooksMixin):
    # -- the run ----------------------------------------------------------------------------------
    def execute(self) -> RunSummary:
        started = time.monotonic()
        logger.append_keys(run_id=self.request.run_id, transfer=self.name)
        try:
            leases = self.acquire_leases()
            if leases is None:
                return self.finish(started)
            try:
                self.process()
            except Exception:
                self.release_all(leases)
                raise
            # A crash (BaseException) skips the release on purpose: the lease expires, as after a real one.
            self.release_all(leases)
            return self.finish(started)
        finally:
            logger.remove_keys(["run_id", "transfer"])

    def process(self) -> None:
        if self.replay_refs is None:
            stored = self.state.read_cursor(self.name)
            self.cursor_before = self.cursor_current = stored.cursor
            self.cursor_version = stored.version
            self.summary.cursor_before = stored.cursor
        self.start_transfer()
        if not self.dry:
            self.announce_unannounced()
        writer = threading.Thread(target=self.writer_loop, name=f"{self.name}-writer", daemon=True)
        self.books = ThreadPoolExecutor(self.options.bookkeeping_workers, thread_name_prefix=f"{self.name}-books")
        writer.start()
        try:
            self.intake(self.since(self.cursor_before))
        except BaseException as crash:
            self.die(crash)
        finally:
            self.put(None, writer)
            writer.join()
            self.books.shutdown(wait=True)
        if self.crash is not None:
            raise self.crash
        self.flush_notices()
        self.checkpoint()
        self.summary.unsettled = self.tracker.unsettled
        self.summary.cursor_after = self.cursor_current if not self.dry else self.dry_cursor()

    def start_transfer(self) -> None:
        ledger = EngineLedger(self.state, run_id=self.request.run_id, planner=self.planner)
        self.ctx = RunContext(
            run_id=self.request.run_id,
            transfer=self.name,
            dry_run=self.dry,
            full_resync=self.request.full_resync,
            ledger=ledger,
            now=self.clock,
            overlap=self.options.overlap,
            planner=self.planner,
        )
        self.lane = Lane(self.name, self.transfer.start(self.ctx))

    def since(self, stored: Cursor | None) -> Cursor | None:
        if self.request.full_resync:
            return None
        if self.request.since is not None:
            return Cursor(self.request.since, "")
        if stored is None:
            return None
        return Cursor(stored.changed_at - self.options.overlap, "")

    def announce_unannounced(self) -> None:
        """Failures recorded by an earlier run whose queue message did not go out: send them now."""
        try:
            waiting = [f for f in self.register.failures(self.name) if not f.notified]
        except StateError as error:
            logger.warning("could not read the open failures", extra={"error": error.message})
            return
        with self.lock:
            self.notices.extend(Notice.of(f, json.loads(f.record) if f.record else None) for f in waiting)
        self.flush_notices()

    def finish(self, started: float) -> RunSummary:
        summary = self.summary
        summary.duration_seconds = round(time.monotonic() - started, 3)
        if not self.dry and not summary.lease_busy:
            self.count_open_failures(summary)
        if not self.dry:
            self.emit_metrics(summary)
            self.tell_observers(summary)
        logger.info(
            "run finished",
            # Nested: some summary keys ("created") are reserved names of a log record.
            extra={"summary": {k: v for k, v in summary.as_dict().items() if k != "plan"}},
        )
        return summary

    def tell_observers(self, summary: RunSummary) -> None:
        for observer in self.observers:
            try:
                observer(summary, list(self.new_failures))
            except IntegrationError as error:  # the run's work is done and recorded; only the report is lost
                logger.warning("a report of the run could not be made", extra={"error": error.message})

    def count_open_failures(self, summary: RunSummary) -> None:
        try:
            failures = self.register.failures(self.name)
        except StateError:
            return
        summary.open_failures = len(failures)
        if failures:
            oldest = min(datetime.fromisoformat(f.first_seen) for f in failures if f.first_seen)
            summary.oldest_open_failure_days = round((datetime.now(UTC) - oldest).total_seconds() / 86400, 2)

    # -- leases -----------------------------------------------------------------------------------
    def acquire_leases(self) -> list[Lease] | None:
        """The transfer's own lease and the shared Netvisor one; None (reported) when either is held.

        A dry run takes only the shared one, waiting a little for it: it writes nothing, but it reads
        Netvisor, and Netvisor refuses overlapping requests to one company."""
        names = [] if self.dry else [self.name]
        if self.options.shared_lease:
            names.append(self.options.shared_lease)
        leases: list[Lease] = []
        try:
            for name in names:
                wait = self.options.shared_lease_wait_seconds if self.dry else 0.0
                lease = self.acquire(name, wait)
                if lease is None:
                    self.release_all(leases)
                    self.report_busy(name)
                    return None
                leases.append(lease)
        except StateError:
            self.release_all(leases)
            raise
        return leases

    def acquire(self, name: str, wait_seconds: float) -> Lease | None:
        deadline = time.monotonic() + wait_seconds
        while True:
            lease = self.state.acquire_lease(name, self.request.run_id, self.lease_seconds())
            if lease is not None or time.monotonic() >= deadline:
                return lease
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))

    def lease_seconds(self) -> float:
        remaining = self.remaining_seconds()
        if remaining is None:
            return self.options.lease_seconds_without_context
        return remaining + self.options.lease_slack_seconds

    def report_busy(self, name: str) -> None:
        holder = self.state.lease_holder(name)
        own = name == self.name
        logger.warning(
            "another run holds the lease; this run does nothing"
            if own
            else "another transfer is using Netvisor; this run does nothing",
            extra={
                "lease": name,
                "holder": holder.owner if holder else None,
                "expires_at": holder.expires_at if holder else None,
            },
        )
        self.summary.lease_busy = True
        self.summary.stopped_early = (
            "another run of this transfer is still going" if own else "another transfer is using Netvisor right now"
        )

    def release_all(self, leases: list[Lease]) -> None:
        for lease in reversed(leases):
            self.release(lease)

    def release(self, lease: Lease) -> None:
        """Give a lease back, trying again a little later when DynamoDB refuses (throttled after the
        client's own retries, a 500): a lease left held keeps every next run out until it expires."""
        for pause in (*RELEASE_PAUSES, None):
            try:
                if not self.state.release_lease(lease):
                    logger.warning("the lease had expired and was taken by another run before release")
                return
            except StateError as error:
                if pause is None:
                    logger.warning("could not release the lease; it expires by itself", extra={"error": error.message})
                    return
                time.sleep(pause)

    # -- cursor -----------------------------------------------------------------------------------
    def checkpoint(self) -> None:
        frontier = self.tracker.frontier()
        if self.dry or self.replay_refs is not None or self.cursor_lost or frontier is None:
            return
        if self.cursor_current is not None and frontier <= self.cursor_current:
            return
        try:
            self.cursor_version = self.state.write_cursor(
                self.name, frontier, expected_version=self.cursor_version, run_id=self.request.run_id
            )
            self.cursor_current = frontier
        except StateConflict as error:
            # Another run moved the cursor: this run lost its lease. Stop writing at once.
            self.cursor_lost = True
            self.stop(error.message, halt_writes=True)
        except StateError as error:
            logger.warning("checkpoint failed; the next one retries", extra={"error": error.message})

    def dry_cursor(self) -> Cursor | None:
        frontier = self.tracker.frontier()
        if frontier is None or (self.cursor_current is not None and frontier <= self.cursor_current):
            return self.cursor_current
        return frontier

    # -- metrics ----------------------------------------------------------------------------------
    def emit_metrics(self, summary: RunSummary) -> None:
        if metrics.dimension_set.get("transfer") != self.name:  # runs between flushes share the set
            metrics.add_dimension(name="transfer", value=self.name)
        for name, (unit, value) in run_metrics(summary, lag=self.lag_seconds(summary)).items():
            metrics.add_metric(name=name, unit=unit, value=value)

    def lag_seconds(self, summary: RunSummary) -> float | None:
        if summary.lease_busy or self.replay_refs is not None:
            return None
        if self.source_exhausted and summary.unsettled == 0 and summary.stopped_early is None:
            return 0.0
        if self.cursor_current is None:
            return None
        return max(0.0, (datetime.now(UTC) - self.cursor_current.changed_at).total_seconds())
