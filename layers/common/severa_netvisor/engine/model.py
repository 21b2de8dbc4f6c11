"""What a transfer gives the engine, and what the engine asks of it.

A transfer (customers, products, invoices, ...) implements :class:`Transfer`: it reads source
records page by page, maps one record to a :class:`PlannedWrite` (or a :class:`Skip`), finds an
existing target record when asked, writes one record to the target and optionally writes back to
the source. The engine owns everything else: lease, cursor, ledger, concurrency, failures, budget.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from severa_netvisor.errors import IntegrationError
from severa_netvisor.failures import FailedRecord
from severa_netvisor.state import Cursor, SourceRef

PayloadT = TypeVar("PayloadT")


class StopRun(IntegrationError):
    """The run cannot go on (quota exhausted, credentials refused, target down): checkpoint and end.

    The record at hand is *not* reported as failed: it stays ahead of the cursor, so the next run
    takes it again. Any ``IntegrationError`` with a true ``stops_run`` attribute is treated the same,
    so clients can mark such errors without importing the engine.
    """

    retryable = True
    stops_run = True


class DriftDetected(IntegrationError):
    """A record already in the target changed in the source, and this transfer never overwrites."""

    retryable = False


def stops_run(error: BaseException) -> bool:
    return isinstance(error, IntegrationError) and bool(getattr(error, "stops_run", False))


@dataclass(frozen=True)
class SourceRecord:
    """One record as read from the source, in the source's change order."""

    ref: SourceRef
    #: When the source last changed the record (timezone-aware); with ``ref.id`` it orders records.
    changed_at: datetime
    #: The record as read: what a failed-records message carries so the record can be replayed.
    #: Anything ``failures.to_jsonable`` understands (dicts, pydantic models, dataclasses, ...).
    data: Any

    def __post_init__(self) -> None:
        if self.changed_at.tzinfo is None:
            raise ValueError(f"changed_at of {self.ref} must be timezone-aware")

    @property
    def position(self) -> Cursor:
        return Cursor(self.changed_at, self.ref.id)


@dataclass(frozen=True)
class PlannedWrite(Generic[PayloadT]):
    """What the transfer would send for one record: the payload, and the request body as text."""

    record: SourceRecord
    #: The transfer's own request object; only ``write`` and ``lookup_existing`` look inside.
    payload: PayloadT
    #: The request body that would be sent (e.g. the Netvisor XML); shown by dry runs.
    preview: str
    #: A few fields that matter to a person (number, total, customer): drift reports diff these.
    summary: Mapping[str, str] = field(default_factory=dict)
    #: Identity of the content sent; defaults to the SHA-256 of ``preview``. Equal hash = unchanged.
    content_hash: str = ""

    def __post_init__(self) -> None:
        if not self.content_hash:
            digest = hashlib.sha256(self.preview.encode("utf-8")).hexdigest()
            object.__setattr__(self, "content_hash", digest)


@dataclass(frozen=True)
class Skip:
    """``prepare`` decided the record is not for this transfer (e.g. a draft invoice)."""

    reason: str


class Transfer(Protocol[PayloadT]):
    """What every transfer implements. ``TransferBase`` gives the optional parts defaults."""

    @property
    def name(self) -> str:
        """Short, stable name: lease/cursor keys and the only metric dimension."""
        ...

    @property
    def allows_update(self) -> bool:
        """A record already in the target whose content changed is updated (else: drift failure)."""
        ...

    @property
    def matches_existing(self) -> bool:
        """Before creating a record the ledger has never seen, ask ``lookup_existing`` (natural keys)."""
        ...

    @property
    def writes_back(self) -> bool:
        """``after_write`` does something; the ledger then tracks whether it is still owed."""
        ...

    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        """Source records whose (changed_at, id) is at or after ``since`` (all when None), page by page,
        ordered by (changed_at, id). ``since`` already includes the engine's overlap window and its
        ``record_id`` may be empty; returning a record again is harmless (the ledger skips it).
        Stream: fetch the next page only when asked. A failure ends the run cleanly (checkpointed)."""
        ...

    def prepare(self, record: SourceRecord) -> PlannedWrite[PayloadT] | Skip:
        """Map and validate one record; no I/O. Raise an IntegrationError naming record and field."""
        ...

    def lookup_existing(self, planned: PlannedWrite[PayloadT]) -> str | None:
        """The target key of a record already in the target for ``planned`` (by number, natural key),
        or None. Called on the single target channel. Raise an IntegrationError on ambiguity."""
        ...

    def write(self, planned: PlannedWrite[PayloadT], existing_key: str | None) -> str:
        """Create (``existing_key`` None) or update the target record; return its key. The only call
        that changes the target; the engine never runs two at once."""
        ...

    def after_write(self, record: SourceRecord, target_key: str) -> None:
        """Write back to the source (status, log entry). Runs concurrently with target writes."""
        ...

    def after_failure(self, record: SourceRecord, failure: FailedRecord) -> None:
        """Tell the source about a failure (e.g. a Severa log entry). Errors here are only logged."""
        ...


class TransferBase(Generic[PayloadT]):
    """Defaults for the optional parts of :class:`Transfer`; subclasses set ``name`` and the rest."""

    name: str = ""
    allows_update: bool = False
    matches_existing: bool = False
    writes_back: bool = False

    def lookup_existing(self, planned: PlannedWrite[PayloadT]) -> str | None:
        return None

    def after_write(self, record: SourceRecord, target_key: str) -> None:
        return None

    def after_failure(self, record: SourceRecord, failure: FailedRecord) -> None:
        return None
