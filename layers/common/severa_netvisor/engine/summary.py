"""The outcome of one run: counts, failures by reason, where the cursor went, and the dry-run plan."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from severa_netvisor.dryrun import PlannedRequest
from severa_netvisor.observability import logger
from severa_netvisor.state import Cursor


@dataclass(frozen=True)
class PlanItem:
    """What a run does (or, in a dry run, would do) with one record."""

    #: create, update, adopt, write_back, skip, fail
    action: str
    source_id: str
    #: What the record is to a person ("invoice 10062").
    label: str = ""
    target_key: str | None = None
    reason: str | None = None
    #: The requests a real run would send for it, in order, bodies as text.
    requests: tuple[PlannedRequest, ...] = ()
    #: Set for a record brought over because another needs it: that record's label.
    needed_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["requests"] = [r.as_dict() for r in self.requests]
        return data


@dataclass
class RunSummary:
    transfer: str
    run_id: str
    dry_run: bool
    started_at: datetime
    #: A replay of chosen records (by hand or from the queue), not a run over the changes.
    replay: bool = False
    duration_seconds: float = 0.0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    #: Found in the target (an earlier attempt whose outcome was unknown, or a natural-key match).
    adopted: int = 0
    written_back: int = 0
    skipped: int = 0
    #: Already in the target, unchanged.
    unchanged: int = 0
    failed: int = 0
    #: Failures that are new or have a new reason (one queue message each).
    failures_new: int = 0
    #: Records whose open failure still stands, unchanged (skipped without trying again).
    still_failing: int = 0
    #: Open failures closed because the record went through (or no longer needs to).
    failures_closed: int = 0
    #: Records that wait for something outside the run (a credit note for its invoice to be sent).
    waiting: int = 0
    #: Records another record needed first (an invoice's customer) brought over in this run.
    dependencies: int = 0
    #: Taken but neither done nor recorded as failed (run stopped, an answer lost, the state table
    #: unavailable): the cursor stays before them and the next run takes them again.
    unsettled: int = 0
    #: Failures the register could not record (they stay ahead of the cursor and are retried).
    failures_not_recorded: int = 0
    #: Failures recorded but not yet announced on the queue (sent again at the next run's start).
    failures_not_queued: int = 0
    failures_by_reason: dict[str, int] = field(default_factory=dict)
    #: Other things the run did, in words ("credit notes matched": 3).
    also: dict[str, int] = field(default_factory=dict)
    stopped_early: str | None = None
    #: The error class when an error (not the time budget, not a busy lease) stopped the run: the
    #: handler then fails the invocation, so the function's Errors alarm tells someone.
    stopped_by_error: str | None = None
    #: What to do about the error that stopped the run.
    stop_action: str | None = None
    #: True when another run held the lease and this one did nothing.
    lease_busy: bool = False
    cursor_before: Cursor | None = None
    cursor_after: Cursor | None = None
    #: Open failures of this transfer after the run (the register's count), and the oldest one's age.
    open_failures: int | None = None
    oldest_open_failure_days: float | None = None
    plan: list[PlanItem] = field(default_factory=list)
    plan_truncated: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["cursor_before"] = self.cursor_before.as_dict() if self.cursor_before else None
        data["cursor_after"] = self.cursor_after.as_dict() if self.cursor_after else None
        data["plan"] = [item.as_dict() for item in self.plan]
        return data

    def actions(self) -> dict[str, int]:
        """What the run did (or would do), by action: the counts a dry run and a real run share."""
        return {
            "created": self.created,
            "updated": self.updated,
            "adopted": self.adopted,
            "written_back": self.written_back,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "failed": self.failed,
            "still_failing": self.still_failing,
            "waiting": self.waiting,
            "dependencies": self.dependencies,
        }


class SummaryBuilder:
    """Thread-safe counting into a RunSummary (the writer and bookkeeping threads all report)."""

    def __init__(self, summary: RunSummary, *, plan_limit: int, body_limit: int):
        self.summary = summary
        self._lock = threading.Lock()
        self._reasons: Counter[str] = Counter()
        self._plan_limit = plan_limit
        self._body_limit = body_limit

    def count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self.summary, name, getattr(self.summary, name) + amount)

    def also(self, what: str) -> None:
        with self._lock:
            self.summary.also[what] = self.summary.also.get(what, 0) + 1

    def failure(self, reason: str) -> None:
        with self._lock:
            self.summary.failed += 1
            self._reasons[reason] += 1
            self.summary.failures_by_reason = dict(self._reasons)

    def plan(self, item: PlanItem) -> None:
        logger.info(
            f"dry run: would {item.action}",
            extra={
                "source_id": item.source_id,
                "label": item.label,
                "target_key": item.target_key,
                "reason": item.reason,
                "requests": [f"{r.system}: {r.operation}" for r in item.requests],
            },
        )
        with self._lock:
            if len(self.summary.plan) >= self._plan_limit:
                self.summary.plan_truncated += 1
                return
            self.summary.plan.append(self._shortened(item))

    def _shortened(self, item: PlanItem) -> PlanItem:
        requests = tuple(
            PlannedRequest(
                r.system,
                r.operation,
                r.body
                if len(r.body) <= self._body_limit
                else r.body[: self._body_limit] + f"... [{len(r.body)} characters in all]",
            )
            for r in item.requests
        )
        return PlanItem(item.action, item.source_id, item.label, item.target_key, item.reason, requests, item.needed_by)
