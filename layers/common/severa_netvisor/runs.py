"""The last run of each transfer, kept in the state table for ``severa-netvisor status``.

One item per transfer, ``run#<transfer>`` / ``last``, overwritten by every real run (dry runs and
replays leave it alone). ``caught_up_at`` is the start of the last run that read everything there
was and settled it: changes made in Severa after that moment may not be in Netvisor yet, so the
lag behind Severa is the time since then.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from severa_netvisor.state import StateError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from severa_netvisor.engine.summary import RunSummary
    from severa_netvisor.register import Failure

#: The counts a person reads about a run, in this order.
COUNTS = (
    "created",
    "updated",
    "adopted",
    "unchanged",
    "skipped",
    "failed",
    "still_failing",
    "waiting",
    "dependencies",
    "failures_new",
    "failures_closed",
    "unsettled",
)


@dataclass(frozen=True)
class LastRun:
    """What a person wants to know about a transfer's last run."""

    transfer: str
    run_id: str
    started_at: datetime
    duration_seconds: float
    #: "ok" (read everything and settled it), "partial" (stopped by its time budget, or records left
    #: for the next run) or "error" (stopped by an error someone must fix; the function alarms).
    outcome: str
    #: Why the run stopped early, in words; None when it read everything.
    stopped_early: str | None = None
    stop_action: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    #: Other things the run did, in words ("credit notes matched": 3).
    also: dict[str, int] = field(default_factory=dict)
    #: The start of the last run that caught up with Severa (None: none has yet).
    caught_up_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "transfer": self.transfer,
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "duration_seconds": self.duration_seconds,
            "outcome": self.outcome,
            "stopped_early": self.stopped_early,
            "stop_action": self.stop_action,
            "counts": dict(self.counts),
            "also": dict(self.also),
            "caught_up_at": self.caught_up_at.isoformat() if self.caught_up_at else None,
        }


def outcome_of(summary: RunSummary) -> str:
    if summary.stopped_by_error:
        return "error"
    if summary.stopped_early or summary.unsettled:
        return "partial"
    return "ok"


def caught_up(summary: RunSummary) -> bool:
    return outcome_of(summary) == "ok" and not summary.lease_busy


class RunLog:
    """Reads and writes the last-run items of the state table."""

    def __init__(self, table_name: str, client: DynamoDBClient):
        self.table_name = table_name
        self._client = client

    def __call__(self, summary: RunSummary, new_failures: Sequence[Failure]) -> None:
        self.record(summary)

    def record(self, summary: RunSummary) -> None:
        """Keep this run as the transfer's last one (a dry run, a replay or a run another held the
        lease for is not one)."""
        if summary.dry_run or summary.lease_busy or summary.replay:
            return
        values: dict[str, Any] = {
            ":run_id": {"S": summary.run_id},
            ":started_at": {"S": summary.started_at.isoformat()},
            ":duration": {"N": str(summary.duration_seconds)},
            ":outcome": {"S": outcome_of(summary)},
            ":counts": {"S": json.dumps({name: getattr(summary, name) for name in COUNTS})},
            ":also": {"S": json.dumps(summary.also)},
            ":stopped": {"S": summary.stopped_early or ""},
            ":action": {"S": summary.stop_action or ""},
        }
        expression = (
            "SET run_id = :run_id, started_at = :started_at, duration_seconds = :duration, outcome = :outcome, "
            "counts = :counts, also = :also, stopped_early = :stopped, stop_action = :action"
        )
        if caught_up(summary):
            expression += ", caught_up_at = :started_at"
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key={"pk": {"S": f"run#{summary.transfer}"}, "sk": {"S": "last"}},
                UpdateExpression=expression,
                ExpressionAttributeValues=values,
            )
        except (ClientError, BotoCoreError) as error:
            raise StateError(f"Could not keep the last run of {summary.transfer}", remote_text=str(error)) from error

    def last(self, transfer: str) -> LastRun | None:
        try:
            reply = self._client.get_item(
                TableName=self.table_name,
                Key={"pk": {"S": f"run#{transfer}"}, "sk": {"S": "last"}},
                ConsistentRead=True,
            )
        except (ClientError, BotoCoreError) as error:
            raise StateError(f"Could not read the last run of {transfer}", remote_text=str(error)) from error
        item = reply.get("Item")
        if not item:
            return None

        def text(name: str) -> str:
            return str(item.get(name, {}).get("S", ""))

        caught = text("caught_up_at")
        return LastRun(
            transfer=transfer,
            run_id=text("run_id"),
            started_at=datetime.fromisoformat(text("started_at")),
            duration_seconds=float(item.get("duration_seconds", {}).get("N", "0")),
            outcome=text("outcome"),
            stopped_early=text("stopped_early") or None,
            stop_action=text("stop_action") or None,
            counts=json.loads(text("counts") or "{}"),
            also=json.loads(text("also") or "{}"),
            caught_up_at=datetime.fromisoformat(caught) if caught else None,
        )
