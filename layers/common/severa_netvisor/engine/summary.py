"""The outcome of one run: counts, failures by reason, where the cursor went, and the dry-run plan."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from severa_netvisor.observability import logger
from severa_netvisor.state import Cursor


@dataclass(frozen=True)
class PlanItem:
    """What a dry run would do with one record."""

    #: create, update, adopt, write_back, skip, fail
    action: str
    source_id: str
    target_key: str | None = None
    reason: str | None = None
    #: The request body that would be sent (possibly shortened).
    preview: str | None = None


@dataclass
class RunSummary:
    transfer: str
    run_id: str
    dry_run: bool
    started_at: datetime
    duration_seconds: float = 0.0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    #: Found in the target (an earlier attempt whose outcome was unknown, or a natural-key match).
    adopted: int = 0
    written_back: int = 0
    skipped: int = 0
    failed: int = 0
    #: Taken but neither done nor reported (run stopped, queue unavailable): the cursor stays before them.
    unsettled: int = 0
    #: Failures the queue did not accept (they stay ahead of the cursor and are retried next run).
    failures_not_queued: int = 0
    failures_by_reason: dict[str, int] = field(default_factory=dict)
    stopped_early: str | None = None
    #: The error class when an error (not the time budget, not a busy lease) stopped the run: the
    #: handler then fails the invocation, so the function's Errors alarm tells someone.
    stopped_by_error: str | None = None
    #: True when another run held the lease and this one did nothing.
    lease_busy: bool = False
    cursor_before: Cursor | None = None
    cursor_after: Cursor | None = None
    plan: list[PlanItem] = field(default_factory=list)
    plan_truncated: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["cursor_before"] = self.cursor_before.as_dict() if self.cursor_before else None
        data["cursor_after"] = self.cursor_after.as_dict() if self.cursor_after else None
        return data


class SummaryBuilder:
    """Thread-safe counting into a RunSummary (the writer and bookkeeping threads all report)."""

    def __init__(self, summary: RunSummary, *, plan_limit: int, preview_limit: int):
        self.summary = summary
        self._lock = threading.Lock()
        self._reasons: Counter[str] = Counter()
        self._plan_limit = plan_limit
        self._preview_limit = preview_limit

    def count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self.summary, name, getattr(self.summary, name) + amount)

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
                "target_key": item.target_key,
                "reason": item.reason,
                "preview": (item.preview or "")[: self._preview_limit] or None,
            },
        )
        with self._lock:
            if len(self.summary.plan) >= self._plan_limit:
                self.summary.plan_truncated += 1
                return
            preview = item.preview
            if preview is not None and len(preview) > self._preview_limit:
                preview = preview[: self._preview_limit] + f"... [{len(item.preview or '')} characters in all]"
                item = PlanItem(item.action, item.source_id, item.target_key, item.reason, preview)
            self.summary.plan.append(item)
