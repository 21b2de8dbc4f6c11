"""The pieces of work that flow from the intake to the writer and the bookkeeping threads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from severa_netvisor.engine.contract import DriftDetected, PlannedWrite, Requirement, SourceRecord, TransferRun
from severa_netvisor.errors import IntegrationError
from severa_netvisor.register import Failure
from severa_netvisor.state import LedgerEntry


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


class Mode(Enum):
    CREATE = "create"  # never in the target: pending marker, then create
    UPDATE = "update"  # in the target, content changed, updates allowed
    MATCH = "match"  # new to the ledger, but the transfer matches target records by natural keys
    RECOVER = "recover"  # an earlier create's outcome is unknown: look up before creating


@dataclass
class Lane:
    """Which transfer a piece of work belongs to: the run's own, or one it depends on."""

    name: str
    run: TransferRun[Any]


@dataclass(frozen=True)
class Taken:
    """A record the run has taken: where it sits in the intake's order, whose it is, its open failure."""

    #: Position in the intake's order (None for a dependency: it is not on this run's cursor).
    seq: int | None
    lane: Lane
    record: SourceRecord
    #: The record's register item as read this run (open or closed), if any.
    failure: Failure | None = None


@dataclass
class Work:
    #: Position in the intake's order (None for a dependency: it is not on this run's cursor).
    seq: int | None
    lane: Lane
    planned: PlannedWrite[Any]
    entry: LedgerEntry | None
    mode: Mode
    #: The record's register item as read this run (open or closed), if any.
    failure: Failure | None = None
    #: For a dependency: the label of the record that needs it.
    needed_by: str | None = None

    @property
    def taken(self) -> Taken:
        return Taken(self.seq, self.lane, self.planned.record, self.failure)


@dataclass(frozen=True)
class Outcome:
    action: str  # created, updated, adopted
    target_key: str
    content_hash: str
    summary: Mapping[str, str]
    drift: DriftDetected | None = None


@dataclass(frozen=True)
class ErrorInfo:
    error_class: str
    message: str
    remote_text: str | None
    retryable: bool
    action: str
    for_author: bool
    alarms: bool = True

    @property
    def stop_error(self) -> str | None:
        """What a run this error stops records as its error: none for a stop that raises no alarm."""
        return self.error_class if self.alarms else None


def describe(error: BaseException) -> ErrorInfo:
    if isinstance(error, IntegrationError):
        return ErrorInfo(
            error.error_class,
            error.message,
            error.remote_text,
            error.retryable,
            error.action,
            error.for_author,
            error.alarms,
        )
    # Not one of ours: a bug or an unwrapped library error. Say what it is; retrying will not help.
    return ErrorInfo(
        type(error).__name__,
        str(error) or type(error).__name__,
        None,
        False,
        "This is a fault in the integration: report it with the run id from the log.",
        False,
    )


@dataclass
class DependencyState:
    """What became of a record another record needs, in this run."""

    requirement: Requirement
    key: str | None = None
    error: IntegrationError | None = None
    #: Labels of the records waiting for it.
    waiting: list[str] = field(default_factory=list)
