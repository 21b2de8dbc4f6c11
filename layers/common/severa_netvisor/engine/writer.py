"""The single writer: every target call of a run, one at a time (Netvisor's rule per company).

It looks records up, creates and updates them, and nothing else: ledger writes and write-backs are
handed to the bookkeeping threads. Errors are sorted by what they declare (``errors.py``):

- ``stops_run``: the target is unusable: the run stops, the record stays ahead of the cursor;
- ``outcome_unknown``: the write may have arrived: the pending marker stays, the next attempt looks
  the record up first (no failure is recorded, unless it keeps happening);
- ``transient``: a passing failure; a *streak* of them is an outage. The circuit breaker holds the
  records of a streak: if the next call succeeds they are recorded as (retryable) failures, if the
  streak reaches ``breaker_threshold`` the run stops and they stay ahead of the cursor, unrecorded.
  A write that timed out (outcome unknown *and* transient) counts in the streak too, and a run whose
  every target call failed ends as an outage even when it made fewer calls than the threshold;
- anything else fails the record.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from severa_netvisor.engine.contract import NotYet, PlannedWrite, drift_error
from severa_netvisor.engine.core import RunCore
from severa_netvisor.engine.intake import dependency_failed
from severa_netvisor.engine.work import Mode, Outcome, Work, describe
from severa_netvisor.errors import IntegrationError
from severa_netvisor.observability import logger
from severa_netvisor.state import LedgerEntry, StateConflict, StateError


class WriterMixin(RunCore):
    suspects: list[tuple[Work, BaseException]]
    #: Transient failures in a row (held records and timed-out writes), and target calls that succeeded.
    streak: int
    answered: int
    last_transient: IntegrationError | None

    def writer_loop(self) -> None:
        self.suspects, self.streak, self.answered, self.last_transient = [], 0, 0, None
        while True:
            work = self.work.get()
            if work is None:
                self.end_of_writes()
                return
            try:
                if self.dead.is_set():
                    continue
                if self.halt_writes.is_set():
                    self.defer(work.planned.record, "the run stopped before this record was written")
                    continue
                if self.past_hard_deadline():
                    self.stop(f"time budget: less than {self.margin / 2:g} s left, writes abandoned")
                    self.defer(work.planned.record, "out of time before this record was written")
                    continue
                with self.attributing(work.planned.record.ref.id):
                    self.handle(work)
            except Exception:
                logger.exception("writer failed on a record", extra={"source_id": work.planned.record.ref.id})
            except BaseException as crash:
                self.die(crash)

    def handle(self, work: Work) -> None:
        record = work.planned.record
        if not self.requirements_met(work):
            return
        step = ["lookup" if work.mode in (Mode.MATCH, Mode.RECOVER) else "write"]
        try:
            outcome = self.attempt(work, step)
        except StateConflict as error:
            self.defer(record, str(error))
            return
        except Exception as error:
            self.on_error(work, step[0], error)
            return
        self.answered += 1
        self.breaker_closed()
        self.record_key(work, outcome.target_key)
        self.submit(self.complete, work, outcome)

    def attempt(self, work: Work, step: list[str]) -> Outcome:
        """Look up (when the mode says so), then write; ``step[0]`` says where a failure happened."""
        planned, run = work.planned, work.lane.run
        if work.mode in (Mode.MATCH, Mode.RECOVER):
            existing = run.lookup_existing(planned)
            step[0] = "write"
            if existing is not None:
                return self.adopt(work, existing)
            if work.mode is Mode.RECOVER and not (self.dry or planned.idempotent):
                work.entry = self.mark_pending(work)
            return self.sent("created", planned, run.write(planned, None))
        if work.mode is Mode.CREATE:
            return self.sent("created", planned, run.write(planned, None))
        key = work.entry.target_key if work.entry else None
        return self.sent("updated", planned, run.write(planned, key))

    @staticmethod
    def sent(action: str, planned: PlannedWrite[Any], target_key: str) -> Outcome:
        return Outcome(action, target_key, planned.content_hash, planned.summary)

    def adopt(self, work: Work, existing: str) -> Outcome:
        planned, run = work.planned, work.lane.run
        if run.allows_update:
            # What the target holds is not known (a natural-key match or a lost create): bring it in line.
            key = run.write(planned, existing)
            return Outcome("adopted", key, planned.content_hash, planned.summary)
        entry = work.entry
        if work.mode is Mode.RECOVER and entry is not None and entry.content_hash:
            # The target holds what the lost attempt sent; a later change is drift, never overwritten.
            if entry.content_hash == planned.content_hash:
                return Outcome("adopted", existing, entry.content_hash, entry.summary)
            sent = LedgerEntry(entry.ref, entry.status, entry.version, existing, entry.content_hash, entry.summary)
            return Outcome("adopted", existing, entry.content_hash, entry.summary, drift_error(sent, planned))
        return Outcome("adopted", existing, planned.content_hash, planned.summary)

    def record_key(self, work: Work, key: str) -> None:
        """A record another one needs is known to the target now: the one waiting can go."""
        state = self.deps.get(work.planned.record.ref)
        if state is not None and work.seq is None:
            state.key = key
            self.run_context.resolved[work.planned.record.ref] = key

    def requirements_met(self, work: Work) -> bool:
        record = work.planned.record
        for requirement in work.planned.requires:
            if requirement.ref in self.run_context.resolved:
                continue
            state = self.deps.get(requirement.ref)
            if state is not None and state.error is not None:
                error = dependency_failed(requirement, record, state.error)
                blocked = f"{requirement.transfer}/{requirement.ref}"
                self.submit(partial(self.fail, blocked_by=blocked), work.taken, "dependency", error)
                return False
            # Not brought over (the run is stopping, or its answer was lost): both wait for the next run.
            self.defer(record, f"waiting for {requirement.label or requirement.ref}")
            return False
        return True

    # -- errors -----------------------------------------------------------------------------------
    def on_error(self, work: Work, step: str, error: Exception) -> None:
        record = work.planned.record
        if isinstance(error, NotYet):
            self.submit(self.wait, work, error.message)
            return
        self.dependency_failed_in_writer(work, error)
        if isinstance(error, StateError):
            self.defer(record, f"the state table is unavailable: {error.message}")
            return
        if isinstance(error, IntegrationError) and error.stops_run:
            self.stop_for(error, halt_writes=True)
            self.defer(record, "the target is unusable")
            return
        if isinstance(error, IntegrationError) and error.outcome_unknown:
            self.submit(self.unknown_outcome, work, error)
            if error.transient:  # a timeout: Netvisor not answering writes is an outage like 5xx
                self.breaker_open(None, error)
            return
        if isinstance(error, IntegrationError) and error.transient:
            self.breaker_open(work, error)
            return
        self.answered += 1  # the target answered (with a refusal of this record)
        self.breaker_closed()
        self.submit(self.fail, work.taken, step, error)

    def dependency_failed_in_writer(self, work: Work, error: Exception) -> None:
        state = self.deps.get(work.planned.record.ref)
        # A passing failure (or a streak: an outage) is not the dependency's own: the records that need
        # it wait for the next run instead of failing with it.
        passing = isinstance(error, IntegrationError) and (error.stops_run or error.transient)
        if state is not None and work.seq is None and isinstance(error, IntegrationError) and not passing:
            state.error = error

    def breaker_open(self, work: Work | None, error: IntegrationError) -> None:
        if work is not None:
            self.suspects.append((work, error))
        self.streak += 1
        self.last_transient = error
        if self.streak < self.options.breaker_threshold:
            return
        self.target_down(f"{self.streak} requests in a row failed", error)

    def target_down(self, what: str, error: IntegrationError) -> None:
        reason = f"{what} ({describe(error).message}): the target counts as down"
        self.stop_for(error, halt_writes=True, reason=reason)
        self.release_suspects(as_failures=False)

    def breaker_closed(self) -> None:
        self.streak = 0
        if self.suspects:
            self.release_suspects(as_failures=True)

    def end_of_writes(self) -> None:
        """The last calls failed in a row and none before them succeeded: the target is down, not
        blipping (a run with fewer calls than the breaker's threshold); otherwise hold or fail them."""
        last = self.last_transient
        if self.streak and not self.answered and not self.halt_writes.is_set() and last is not None:
            self.target_down(f"every request to the target failed ({self.streak})", last)
            return
        self.release_suspects(as_failures=not self.halt_writes.is_set())

    def release_suspects(self, *, as_failures: bool) -> None:
        suspects, self.suspects = self.suspects, []
        for work, error in suspects:
            if as_failures:
                self.submit(self.fail, work.taken, "write", error)
            else:
                self.defer(work.planned.record, "held: the target was not answering")
