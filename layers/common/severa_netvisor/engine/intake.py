"""The intake (the caller's thread): source pages in, work for the writer out.

Per page it reads the ledger and the register of open failures in batches, prepares each record
(mapping, validation, the body built once), brings over the records it needs first (an invoice's
customer: read from the source here, never on the writer thread), writes the "pending" marker before
every create, and queues the work for the single writer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from severa_netvisor.engine.contract import (
    DependencyFailed,
    PlannedWrite,
    Requirement,
    Skip,
    SourceRecord,
    drift_error,
)
from severa_netvisor.engine.core import RunCore
from severa_netvisor.engine.work import DependencyState, Lane, Mode, Taken, Work, describe
from severa_netvisor.errors import IntegrationError, stops_run
from severa_netvisor.observability import logger
from severa_netvisor.register import Failure
from severa_netvisor.state import LedgerEntry, LedgerStatus, SourceRef, StateConflict, StateError

PageT = TypeVar("PageT")


def read_ahead(pages: Iterator[PageT], *, name: str) -> Generator[PageT, None, None]:
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


class IntakeMixin(RunCore):
    # -- reading ----------------------------------------------------------------------------------
    def intake(self, since: Any) -> None:
        lane = self.main_lane
        try:
            if self.replay_refs is not None:
                self.replay_intake(self.replay_refs)
                return
            pages = lane.run.fetch_pages(since, full_resync=self.request.full_resync)
            for page in read_ahead(pages, name=f"{self.name}-reader"):
                self.report.count("fetched", sum(1 for record in page if not record.is_watermark))
                if not self.take_page(page):
                    return
            self.source_exhausted = True
        except Exception as error:  # reading the source or the state table failed: end the run cleanly
            if not isinstance(error, IntegrationError):
                logger.exception("reading the source failed unexpectedly")
            self.stop_for(error)

    def replay_intake(self, refs: Sequence[SourceRef]) -> None:
        """Replay: each record read from the source now and taken whatever its open failure says."""
        lane = self.main_lane
        for ref in refs:
            if self.should_stop():
                return
            with self.attributing(ref.id):
                record = lane.run.fetch_one(ref)
            if record is None:
                self.close_failure(lane, ref, None, "the record is no longer in the source")
                self.report.count("skipped")
                continue
            self.report.count("fetched")
            if not self.take_page([record], force=True):
                return

    def take_page(self, page: Sequence[SourceRecord], *, force: bool = False) -> bool:
        if self.should_stop():
            return False
        if not page:
            return True
        lane = self.main_lane
        refs = [record.ref for record in page]
        entries = self.state.get_ledger(refs)
        failures = self.register.get_many(self.name, refs)
        self.resolve_known([req for record in page for req in lane.run.requirements(record)])
        for record in page:
            if self.should_stop():
                break
            seq = self.tracker.register(record.position)
            self.take(seq, record, entries.get(record.ref), failures.get(record.ref), force=force)
        self.send_page()
        self.flush_notices()
        self.checkpoint()
        return not self.should_stop()

    # -- one record -------------------------------------------------------------------------------
    def take(
        self, seq: int, record: SourceRecord, entry: LedgerEntry | None, failure: Failure | None, *, force: bool
    ) -> None:
        lane = self.main_lane
        if record.is_watermark:
            self.settle(seq)
            return
        # A full resync (like a replay) tries open failures again: the operator asked for it.
        if not (force or self.request.full_resync) and self.still_failing(record, failure):
            assert failure is not None
            self.skip(seq, record, f"unchanged since it failed (open failure {failure.id})", counter="still_failing")
            return
        taken = Taken(seq, lane, record, failure)
        try:
            with self.attributing(record.ref.id):
                outcome = lane.run.prepare(record)
        except Exception as error:
            if stops_run(error):
                # Records already prepared still go to the target; nothing new is taken.
                self.stop_for(error)
            else:
                self.fail(taken, "prepare", error)
            return
        if isinstance(outcome, Skip):
            self.skipped(taken, outcome)
        elif self.ensure_requirements(seq, lane, outcome, failure):
            self.route(Work(seq, lane, outcome, entry, Mode.CREATE, failure))

    def skipped(self, taken: Taken, skip: Skip) -> None:
        if skip.waiting:
            self.skip(taken.seq, taken.record, skip.reason, counter="waiting")
            return
        if taken.failure is not None and taken.failure.is_open:
            self.close_failure(
                taken.lane, taken.record.ref, taken.failure, f"no longer to be transferred: {skip.reason}"
            )
        self.skip(taken.seq, taken.record, skip.reason)

    @staticmethod
    def still_failing(record: SourceRecord, failure: Failure | None) -> bool:
        """An open failure of a record unchanged since: it stands (a replay or a change retries it).

        Failures that may pass by themselves (a retryable one, one waiting for another record) are
        tried again whenever the record is read."""
        return (
            failure is not None
            and failure.is_open
            and not failure.retryable
            and failure.blocked_by is None
            and failure.fingerprint == record.fingerprint
        )

    def route(self, work: Work) -> None:
        """Decide from the ledger what the record needs: create, update, recover, write-back or nothing."""
        planned, entry, run = work.planned, work.entry, work.lane.run
        if entry is None or entry.status is LedgerStatus.FAILED:
            work.mode = Mode.MATCH if run.matches_existing else Mode.CREATE
            self.enqueue(work)
        elif entry.status is LedgerStatus.PENDING:
            work.mode = Mode.RECOVER
            self.enqueue(work)
        elif entry.content_hash == planned.content_hash:
            self.route_unchanged(work, entry)
        elif run.allows_update:
            work.mode = Mode.UPDATE
            self.enqueue(work)
        else:
            self.fail(work.taken, "drift", drift_error(entry, planned), entry.target_key)

    def route_unchanged(self, work: Work, entry: LedgerEntry) -> None:
        record, run = work.planned.record, work.lane.run
        key = entry.target_key or ""
        if run.writes_back and key and (entry.writeback_pending or run.needs_write_back(record, entry)):
            self.submit(self.write_back, work, key, entry, not entry.writeback_pending)
            return
        if work.failure is not None and work.failure.is_open:
            self.close_failure(work.lane, record.ref, work.failure, "already in the target, unchanged")
        self.skip(work.seq, record, "unchanged since it was transferred", counter="unchanged")

    def enqueue(self, work: Work) -> None:
        """A dependency goes to the writer at once (before the record that needs it); the page's own
        records wait for ``send_page``, which first lets the transfer read ahead what they need."""
        if work.seq is None:
            self.send(work)
        else:
            self.page_work.append(work)

    def send_page(self) -> None:
        batch, self.page_work = self.page_work, []
        if not batch:
            return
        try:
            self.main_lane.run.preload([w.planned for w in batch])
        except Exception as error:  # a read-ahead is an optimisation: the writes read what is missing
            logger.warning("reading ahead failed", extra={"reason": describe(error).message})
        for index, work in enumerate(batch):
            if self.should_stop():
                for held in batch[index:]:
                    self.defer(held.planned.record, "the run stopped before this record was written")
                return
            self.send(work)

    def send(self, work: Work) -> None:
        if work.mode in (Mode.CREATE, Mode.MATCH) and not (self.dry or work.planned.idempotent):
            try:
                work.entry = self.mark_pending(work)
            except StateConflict as error:
                self.defer(work.planned.record, str(error))
                return
            except StateError as error:
                self.defer(work.planned.record, f"the state table is unavailable: {error.message}")
                return
        self.put(work, None)

    # -- records another record needs first -------------------------------------------------------
    def resolve_known(self, requirements: Sequence[Requirement]) -> None:
        """Target keys of required records the ledger already has (one batch read per page)."""
        ctx = self.run_context
        wanted = [r.ref for r in requirements if r.ref not in ctx.resolved and r.ref not in self.deps]
        if not wanted:
            return
        for ref, entry in self.state.get_ledger(wanted).items():
            if entry.status is LedgerStatus.DONE and entry.target_key:
                ctx.resolved[ref] = entry.target_key

    def ensure_requirements(self, seq: int, lane: Lane, planned: PlannedWrite[Any], failure: Failure | None) -> bool:
        record = planned.record
        for requirement in planned.requires:
            try:
                self.ensure(requirement, record)
            except DependencyFailed as error:
                blocked = f"{requirement.transfer}/{requirement.ref}"
                self.fail(Taken(seq, lane, record, failure), "dependency", error, blocked_by=blocked)
                return False
            except Exception as error:
                if not stops_run(error):
                    raise
                self.stop_for(error)
                return False
        return True

    def ensure(self, requirement: Requirement, needed_by: SourceRecord) -> None:
        """Bring a required record over through the engine's own path, once per run."""
        ctx = self.run_context
        ref = requirement.ref
        if ref in ctx.resolved:
            return
        known = self.deps.get(ref)
        if known is not None:
            if known.error is not None:
                raise dependency_failed(requirement, needed_by, known.error)
            known.waiting.append(needed_by.name)
            return
        state = self.deps[ref] = DependencyState(requirement, waiting=[needed_by.name])
        lane = self.dependency_lane(requirement.transfer)
        try:
            work = self.prepare_dependency(lane, requirement, needed_by)
        except Exception as error:
            if stops_run(error):
                del self.deps[ref]
                raise
            state.error = error if isinstance(error, IntegrationError) else IntegrationError(describe(error).message)
            raise dependency_failed(requirement, needed_by, state.error) from None
        if work is not None:
            self.route(work)

    def prepare_dependency(self, lane: Lane, requirement: Requirement, needed_by: SourceRecord) -> Work | None:
        ref = requirement.ref
        entry = self.state.get_ledger([ref]).get(ref)
        failure = self.register.get(lane.name, ref)
        with self.attributing(ref.id):
            record = lane.run.fetch_one(ref)
        if record is None:
            raise DependencyFailed(f"{requirement.label or ref} is no longer in the source")
        try:
            with self.attributing(ref.id):
                planned = lane.run.prepare(record)
        except Exception as error:
            if not stops_run(error):
                self.fail(Taken(None, lane, record, failure), "prepare", error)
            raise
        if isinstance(planned, Skip):
            raise DependencyFailed(f"{record.name} is not transferred: {planned.reason}")
        return Work(None, lane, planned, entry, Mode.CREATE, failure, needed_by=needed_by.name)

    def dependency_lane(self, transfer_name: str) -> Lane:
        lane = self.lanes.get(transfer_name)
        if lane is None:
            transfer = self.dependencies.get(transfer_name)
            if transfer is None:
                raise IntegrationError(
                    f"The {self.name} transfer needs the {transfer_name} transfer, which is not set up"
                )
            run = transfer.start(replace(self.run_context, transfer=transfer_name))
            lane = self.lanes[transfer_name] = Lane(transfer_name, run)
        return lane


def dependency_failed(requirement: Requirement, needed_by: SourceRecord, cause: IntegrationError) -> DependencyFailed:
    what = requirement.label or str(requirement.ref)
    error = DependencyFailed(
        f"{needed_by.name} cannot be transferred: {what} could not be transferred first: {cause.message}",
        remote_text=cause.remote_text,
        retryable=cause.retryable,
        action=cause.action,
    )
    error.for_author = cause.for_author
    return error
