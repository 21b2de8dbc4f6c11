"""The bookkeeping (a small pool of threads beside the writer): ledger, register, write-back, notices.

- A record the target took is marked done in the ledger, its open failure (if any) is closed, and
  the source is written back to (a Severa status and log entry).
- A record that failed is recorded in the register of open failures. Only then is it settled: the
  register, not the queue, is what makes "nothing lost" true. A failure that is news (new, or a new
  reason) is announced once on the failed-records queue and, when the record's author can fix it,
  in the source (``after_failure``).
- In a dry run, each of these becomes a plan item carrying the requests a real run would send.
"""

from __future__ import annotations

from dataclasses import replace

from severa_netvisor.dryrun import PlannedRequest
from severa_netvisor.engine.contract import SourceRecord
from severa_netvisor.engine.core import Notice, RunCore
from severa_netvisor.engine.summary import PlanItem
from severa_netvisor.engine.work import Lane, Outcome, Taken, Work, describe
from severa_netvisor.errors import IntegrationError, stops_run
from severa_netvisor.failures import MAX_BATCH_ENTRIES, FailedRecord
from severa_netvisor.observability import logger
from severa_netvisor.register import Failure, failure_id, record_json
from severa_netvisor.state import LedgerEntry, SourceRef, StateError

_VERBS = {"created": "create", "updated": "update", "adopted": "adopt"}


def is_news(candidate: Failure, previous: Failure | None) -> bool:
    """Whether the register will take ``candidate`` as news (``FailureRegister.record``'s rule)."""
    return previous is None or not previous.is_open or not previous.same_reason(candidate) or not previous.notified


class BooksMixin(RunCore):
    # -- success ----------------------------------------------------------------------------------
    def complete(self, work: Work, outcome: Outcome) -> None:
        record, run = work.planned.record, work.lane.run
        if self.dry:
            self.plan_outcome(work, outcome)
            return
        try:
            entry = self.state.mark_done(
                record.ref,
                target_key=outcome.target_key,
                content_hash=outcome.content_hash,
                summary=outcome.summary,
                writeback_pending=run.writes_back,
                expected_version=work.entry.version if work.entry else 0,
                run_id=self.request.run_id,
            )
        except StateError as error:
            # The pending marker stays: the next run finds the record in the target and adopts it.
            self.defer(record, f"in the target as {outcome.target_key}, but not recorded: {error.message}")
            return
        self.count_done(work, outcome)
        logger.info(
            f"record {outcome.action}",
            extra={"source_id": record.ref.id, "label": record.name, "target_key": outcome.target_key},
        )
        if outcome.drift is not None:
            self.fail(work.taken, "drift", outcome.drift, outcome.target_key)
            return
        self.close_failure(work.lane, record.ref, work.failure, "transferred")
        if run.writes_back:
            self.write_back(work, outcome.target_key, entry, False)
        else:
            self.settle(work.seq)

    def plan_outcome(self, work: Work, outcome: Outcome) -> None:
        """A dry run's plan item: the action, with every request the write and its write-back would send."""
        record = work.planned.record
        assert self.planner is not None
        requests = self.planner.take(record.ref.id)
        if work.lane.run.writes_back and outcome.drift is None:
            requests += self.planned_write_back(work, outcome.target_key, again=False)
            self.report.count("written_back")
        drift = str(outcome.drift) if outcome.drift else None
        action = _VERBS[outcome.action]
        key = outcome.target_key or None
        self.report.plan(PlanItem(action, record.ref.id, record.name, key, drift, tuple(requests), work.needed_by))
        self.count_done(work, outcome)
        if outcome.drift is not None:
            self.report.failure(outcome.drift.error_class)
        self.settle(work.seq)

    def count_done(self, work: Work, outcome: Outcome) -> None:
        if work.seq is None:
            self.report.count("dependencies")
        elif work.planned.counts_as:
            self.report.also(work.planned.counts_as)
        else:
            self.report.count(outcome.action)

    def write_back(self, work: Work, target_key: str, entry: LedgerEntry, again: bool) -> None:
        record = work.planned.record
        if self.dry:
            self.write_back_dry(work, target_key, again=again)
            self.settle(work.seq)
            return
        try:
            work.lane.run.after_write(record, target_key, again=again)
        except Exception as error:
            if stops_run(error):
                # The ledger still owes the write-back; the record stays ahead of the cursor.
                self.stop_for(error)
                return
            self.fail(work.taken, "write-back", error, target_key)
            return
        self.report.count("written_back")
        if entry.writeback_pending:
            try:
                self.state.mark_written_back(record.ref, expected_version=entry.version, run_id=self.request.run_id)
            except StateError as error:
                logger.warning(
                    "write-back done but not recorded; it is repeated when the record is read again",
                    extra={"source_id": record.ref.id, "error": error.message},
                )
        self.close_failure(work.lane, record.ref, work.failure, "transferred")
        self.settle(work.seq)

    def write_back_dry(self, work: Work, target_key: str, *, again: bool) -> None:
        """An unchanged record whose write-back is still due: planned as a write-back of its own."""
        record = work.planned.record
        requests = self.planned_write_back(work, target_key, again=again)
        self.report.plan(PlanItem("write_back", record.ref.id, record.name, target_key or None, None, tuple(requests)))
        self.report.count("written_back")

    def planned_write_back(self, work: Work, target_key: str, *, again: bool) -> list[PlannedRequest]:
        record = work.planned.record
        assert self.planner is not None
        with self.planner.attributing(f"{record.ref.id}#write-back"):
            try:
                work.lane.run.after_write(record, target_key, again=again)
            except Exception as error:
                reason = describe(error).message
                logger.warning("dry run: the write-back could not be planned", extra={"reason": reason})
        return self.planner.take(f"{record.ref.id}#write-back")

    def wait(self, work: Work, reason: str) -> None:
        """Not now: tried again on the next run (its ledger entry stays open)."""
        record = work.planned.record
        if self.dry:
            requests = tuple(self.planner.take(record.ref.id)) if self.planner else ()
            self.report.plan(PlanItem("wait", record.ref.id, record.name, reason=reason, requests=requests))
        logger.info("record waits", extra={"source_id": record.ref.id, "label": record.name, "reason": reason})
        self.report.count("waiting")
        self.settle(work.seq)

    def unknown_outcome(self, work: Work, error: IntegrationError) -> None:
        """The write may have arrived: the pending marker stays and the next attempt looks it up first.
        When that keeps happening, someone must look: it becomes an open failure (still pending)."""
        record = work.planned.record
        self.defer(record, f"no answer to the write; looked up before any retry: {error.message}")
        if self.dry:
            return
        try:
            entry = self.state.record_failure(
                record.ref, error_text=error.message, run_id=self.request.run_id, retryable=True
            )
        except StateError:
            return
        if entry.attempts >= self.options.unknown_outcome_limit:
            note = IntegrationError(
                f"{record.name}: the target did not confirm the write {entry.attempts} times in a row "
                f"({error.message}). Each next attempt first looks for it in the target, so nothing is doubled.",
                remote_text=error.remote_text,
                retryable=True,
                action="Check in Netvisor whether the record arrived; if Netvisor keeps timing out, ask its support.",
            )
            self.fail(work.taken, "write", note)

    # -- failure ----------------------------------------------------------------------------------
    def fail(
        self,
        taken: Taken,
        step: str,
        error: BaseException,
        target_key: str | None = None,
        *,
        blocked_by: str | None = None,
    ) -> None:
        seq, lane, record, failure = taken.seq, taken.lane, taken.record, taken.failure
        info = describe(error)
        self.report.failure(info.error_class)
        logger.warning(
            "record failed",
            extra={
                "transfer": lane.name,
                "source_id": record.ref.id,
                "label": record.name,
                "step": step,
                "reason": info.message,
                "remote_text": info.remote_text,
                "retryable": info.retryable,
            },
        )
        if self.dry:
            requests = tuple(self.planner.take(record.ref.id)) if self.planner else ()
            self.report.plan(PlanItem("fail", record.ref.id, record.name, target_key, f"{info.message}", requests))
            self.settle(seq)
            return
        candidate = Failure(
            transfer=lane.name,
            ref=record.ref,
            label=record.name,
            step=step,
            reason=info.message,
            action=info.action,
            retryable=info.retryable,
            for_author=info.for_author,
            fingerprint=record.fingerprint,
            remote_text=info.remote_text,
            error_class=info.error_class,
            blocked_by=blocked_by,
            record=record_json(record.data),
            run_id=self.request.run_id,
        )
        # What the register will hold (its attempts counted on), as the author's message.
        attempts = failure.attempts + 1 if failure is not None and failure.is_open else 1
        told = Notice.of(replace(candidate, attempts=attempts), record.data, target_key)
        # The author is told before the register records the failure: once it is recorded, the record is
        # skipped as still failing, so a crash in between would leave them never told. (A crash before the
        # register, or a source that did not answer, tells them again on the next run: at least once; the
        # record stays ahead of the cursor meanwhile.)
        if is_news(candidate, failure) and not self.tell_author(lane, record, told.message):
            return
        try:
            recorded = self.register.record(candidate, previous=failure)
        except StateError as problem:
            self.report.count("failures_not_recorded")
            logger.error(
                "the failure could not be recorded; the record stays ahead of the cursor",
                extra={"source_id": record.ref.id, "reason": info.message, "error": problem.message},
            )
            return
        self.settle(seq)
        if not recorded.news:
            return
        self.report.count("failures_new")
        notice = Notice.of(recorded.failure, record.data, target_key)
        with self.lock:
            self.notices.append(notice)
            self.new_failures.append(recorded.failure)
            full = len(self.notices) >= MAX_BATCH_ENTRIES
        if full:
            self.flush_notices()

    @staticmethod
    def tell_author(lane: Lane, record: SourceRecord, message: FailedRecord) -> bool:
        """Tell the record's author (``after_failure``); False when the source did not answer (a dropped
        connection, a 5xx, the source down): the failure is then told on the next run instead of being
        recorded untold. Anything else the source refuses is logged, and the failure recorded."""
        try:
            lane.run.after_failure(record, message)
        except Exception as error:
            logger.warning(
                "could not tell the source about the failure",
                extra={"source_id": record.ref.id, "error": describe(error).message},
            )
            if isinstance(error, IntegrationError):
                return not (error.transient or error.outcome_unknown or error.stops_run)
        return True

    def flush_notices(self) -> None:
        if self.dry:
            return
        with self.flush_lock:
            with self.lock:
                batch, self.notices = self.notices, []
            if not batch:
                return
            delivered = self.failure_queue.send([notice.message for notice in batch])
        for notice, accepted in zip(batch, delivered, strict=True):
            if not accepted:
                # The failure is in the register; its announcement is retried at the next run's start.
                self.report.count("failures_not_queued")
                continue
            try:
                self.register.mark_notified(notice.failure)
            except StateError as error:
                logger.warning("could not mark the failure as announced", extra={"error": error.message})

    def close_failure(self, lane: Lane, ref: SourceRef, failure: Failure | None, reason: str) -> None:
        if failure is None or not failure.is_open:
            return
        if self.dry:
            return
        try:
            if self.register.close(lane.name, ref, reason=reason, run_id=self.request.run_id):
                self.report.count("failures_closed")
                logger.info("open failure closed", extra={"failure_id": failure_id(lane.name, ref), "reason": reason})
        except StateError as error:
            logger.warning("could not close the open failure", extra={"source_id": ref.id, "error": error.message})
