"""The contract between the engine and a transfer.

A **transfer** (customers, invoices, ...) is a small, long-lived definition: a name and
``start(run)``. Each run, the engine hands it a :class:`RunContext` (the engine's run id, whether it
is a dry run, the clock, the ledger) and gets back a **transfer run**: the per-run object that reads
the source, maps records and writes them. Every cache a transfer needs lives on the transfer run and
dies with it, so a warm Lambda container carries nothing from one run into the next.

The transfer run never decides *how* a record moves: the engine owns the lease, the cursor, the
ledger (pending marker, lookup before create, done), dependent records, failures, the time budget
and dry runs. The transfer only says what to read, what to send and how to find what is already
there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar

from severa_netvisor.dryrun import PlannedRequest, WritePlanner
from severa_netvisor.errors import IntegrationError, RecordError
from severa_netvisor.failures import FailedRecord, to_jsonable
from severa_netvisor.state import Cursor, LedgerEntry, SourceRef

PayloadT = TypeVar("PayloadT")
PayloadT_co = TypeVar("PayloadT_co", covariant=True)


class DriftDetected(RecordError):
    """A record already in the target changed in the source, and this transfer never overwrites."""


class DependencyFailed(RecordError):
    """A record this one needs in the target first (an invoice's customer) could not be brought over."""


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
        f"{planned.record.name} changed after it was transferred (as {entry.target_key}); it is not "
        f"overwritten. Changed: {detail}",
        action="Make the same change in Netvisor by hand, or undo it in Severa; then replay the record.",
    )


def content_hash(*parts: str | bytes) -> str:
    """Identity of what is sent: equal hashes mean nothing changed."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


#: The data of a watermark record (``watermark``): not a record, only a position for the cursor.
WATERMARK = "(end of the read)"


@dataclass(frozen=True)
class SourceRecord:
    """One record as read from the source, in the source's change order."""

    ref: SourceRef
    #: When the source last changed the record (timezone-aware); with ``ref.id`` it orders records.
    changed_at: datetime
    #: The record as read: what a failure carries so a person can see it and it can be replayed.
    data: Any
    #: What the record is to a person: "invoice 10062", "customer Länsirannikon Konsultointi Oy".
    label: str = ""

    def __post_init__(self) -> None:
        if self.changed_at.tzinfo is None:
            raise ValueError(f"changed_at of {self.ref} must be timezone-aware")

    @property
    def position(self) -> Cursor:
        return Cursor(self.changed_at, self.ref.id)

    @property
    def name(self) -> str:
        return self.label or f"{self.ref.type} {self.ref.id}"

    @property
    def is_watermark(self) -> bool:
        return isinstance(self.data, str) and self.data == WATERMARK

    @cached_property
    def fingerprint(self) -> str:
        """The record as read: unchanged fingerprint, unchanged record (an open failure stays skipped)."""
        return content_hash(json.dumps(to_jsonable(self.data), sort_keys=True, default=str))


def watermark(kind: str, at: datetime) -> SourceRecord:
    """A last record at the time of the read: once everything before it is settled, the cursor moves to
    ``at``. For sources that give no change time (or an older one) for some records: those records sit
    at the start of the window read, the watermark at its end, so a run that stops early leaves the
    cursor inside the window and the next run reads the same window again."""
    return SourceRecord(SourceRef("engine", f"{kind}-read", "!"), at, WATERMARK, label="end of the read")


def window(since: Cursor | None, read_at: datetime, overlap: timedelta, epoch: datetime) -> tuple[datetime, datetime]:
    """(the time to ask the source from, the position of records that carry no change time of their own).

    The engine hands ``since`` = stored cursor - overlap; placing such records at the stored cursor's
    time (after the watermark id ``!``) keeps them after the cursor, so a record that failed before and
    was fixed since is taken again, and keeps a stopped run's cursor inside the window."""
    asked = since.changed_at if since is not None else epoch
    return asked, min(asked + overlap, read_at - timedelta(microseconds=1))


@dataclass(frozen=True)
class Requirement:
    """A record that must be in the target before this one: the engine brings it over first."""

    #: The transfer that moves it (its name), e.g. "customers".
    transfer: str
    ref: SourceRef
    #: What it is to a person, for messages: "customer Länsirannikon Konsultointi Oy".
    label: str = ""


@dataclass(frozen=True)
class PlannedWrite(Generic[PayloadT]):
    """What the transfer would send for one record."""

    record: SourceRecord
    #: The transfer's own request object; only ``write`` and ``lookup_existing`` look inside.
    payload: PayloadT
    #: A few fields that matter to a person (number, total, customer): drift reports diff these.
    summary: Mapping[str, str] = field(default_factory=dict)
    #: Identity of the content sent (``content_hash(...)`` of the mapped model, not of bytes that
    #: carry target keys or attachments). Defaults to the hash of ``body``.
    content_hash: str = ""
    #: The request body, built once when everything it needs is known (sent as is); None when the
    #: transfer can only build it at write time (it needs a key a requirement brings).
    body: bytes | None = None
    #: Records that must be in the target first.
    requires: tuple[Requirement, ...] = ()
    #: Counted, when done, under this name in the summary's ``also`` instead of created/updated (a
    #: follow-up such as "credit notes matched" is not a record created).
    counts_as: str | None = None
    #: Sending it again after a lost answer is how it is recovered (never looked up first: a
    #: credit-note match is made again, and one already made is answered as a duplicate), so the
    #: pending marker would guard nothing: none is written, and a record that waits run after run
    #: costs no state-table write until it is done.
    idempotent: bool = False

    def __post_init__(self) -> None:
        if not self.content_hash:
            if self.body is None:
                raise ValueError(f"{self.record.ref}: a planned write needs a content hash or a body")
            object.__setattr__(self, "content_hash", content_hash(self.body))


@dataclass(frozen=True)
class Skip:
    """``prepare`` decided the record is not for this transfer (e.g. a draft invoice)."""

    reason: str
    #: Not now, but later by itself (a credit note waiting for its invoice to be sent): counted as
    #: waiting, tried again on every run.
    waiting: bool = False


class NotYet(IntegrationError):
    """A write that cannot happen yet and will later by itself (both invoices must be sent before a
    credit note is matched): the record waits; it is neither done nor failed."""

    retryable = True


class RunLedger(Protocol):
    """The engine's ledger as a transfer run sees it: reads, and the side entries a transfer keeps
    (a credit note waiting for its original). In a dry run the writes are planned, not made."""

    def get(self, refs: Iterable[SourceRef]) -> Mapping[SourceRef, LedgerEntry]: ...

    def targets_of(self, system: str, record_type: str) -> Mapping[str, str]: ...

    def entries_of(self, system: str, record_type: str, *, from_id: str = "") -> Sequence[LedgerEntry]: ...

    def note(self, ref: SourceRef, *, target_key: str, summary: Mapping[str, str], open_: bool) -> None: ...


@dataclass
class RunContext:
    """What the engine gives a transfer at the start of each run."""

    #: The engine's run id (the Lambda request id): every log line and ledger write carries it.
    run_id: str
    transfer: str
    dry_run: bool
    full_resync: bool
    ledger: RunLedger
    now: Callable[[], datetime]
    #: How far before the stored cursor the engine reads again (records committed late).
    overlap: timedelta = timedelta(minutes=2)
    #: Set in a dry run: the transfer gives it to its clients (``client.planning(planner)``), so every
    #: write is recorded instead of sent.
    planner: WritePlanner | None = None
    #: Target keys of records brought over (or found) in this run, by source ref (dependencies).
    resolved: dict[SourceRef, str] = field(default_factory=dict)

    def key_of(self, ref: SourceRef) -> str | None:
        """The target key of a record a requirement brought over in this run (or the ledger knew)."""
        return self.resolved.get(ref)

    def plan(self, operation: str, body: str = "") -> None:
        """Note, in a dry run's plan, something the run would do outside the two systems' APIs."""
        if self.planner is not None:
            self.planner.record(PlannedRequest("integration", operation, body))


class TransferRun(Protocol[PayloadT]):
    """What a transfer does in one run. ``RunBase`` gives the optional parts defaults."""

    #: A record already in the target whose content changed is updated (else: a drift failure).
    allows_update: bool
    #: Before creating a record the ledger has never seen, ask ``lookup_existing`` (natural keys).
    matches_existing: bool
    #: ``after_write`` does something; the ledger then tracks whether it is still owed.
    writes_back: bool
    #: Writing the same record twice is harmless (a day replaced in payroll): a lost answer is resent.
    idempotent_writes: bool

    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        """Source records whose (changed_at, id) is at or after ``since`` (all when None), page by page,
        ordered by (changed_at, id). A record's ``changed_at`` is when *it* changed in the source, never
        the time of the read: the cursor must never pass a record that was not settled. Returning a
        record again is harmless (the ledger skips it). Stream: fetch the next page only when asked."""
        ...

    def fetch_one(self, ref: SourceRef) -> SourceRecord | None:
        """Read one record from the source now (a dependency, a replay); None when it is gone."""
        ...

    def requirements(self, record: SourceRecord) -> Sequence[Requirement]:
        """Records that must be in the target before this one (read from the record, no I/O)."""
        ...

    def prepare(self, record: SourceRecord) -> PlannedWrite[PayloadT] | Skip:
        """Map and validate one record; no I/O. Raise an IntegrationError naming record and field."""
        ...

    def preload(self, planned: Sequence[PlannedWrite[PayloadT]]) -> None:
        """Read ahead, off the writer thread, what the writes of a page will need from the source (an
        invoice's PDF). Called once per page with the records that go to the writer; must not raise
        for one record (a write whose preload failed reads it itself)."""
        ...

    def lookup_existing(self, planned: PlannedWrite[PayloadT]) -> str | None:
        """The target key of a record already in the target for ``planned`` (natural keys), or None.
        Called on the single target channel. Raise an IntegrationError on ambiguity."""
        ...

    def write(self, planned: PlannedWrite[PayloadT], existing_key: str | None) -> str:
        """Create (``existing_key`` None) or update the target record; return its key. The only call
        that changes the target; the engine never runs two at once."""
        ...

    def after_write(self, record: SourceRecord, target_key: str, *, again: bool = False) -> None:
        """Write back to the source (status, log entry). Runs beside the target writes. ``again``: the
        record was already in the target and the source asks for it once more (re-readied)."""
        ...

    def needs_write_back(self, record: SourceRecord, entry: LedgerEntry) -> bool:
        """An unchanged record already in the target: does the source still wait for the write-back?"""
        ...

    def after_failure(self, record: SourceRecord, failure: FailedRecord) -> None:
        """Tell the source's author about a failure they can fix (called once per new reason)."""
        ...


class Transfer(Protocol):
    """A transfer's long-lived definition."""

    @property
    def name(self) -> str:
        """Short, stable name: lease/cursor keys, register partition and the only metric dimension."""
        ...

    def start(self, run: RunContext) -> TransferRun[Any]:
        """The per-run part, with its caches; built fresh for every run."""
        ...


class RunBase(Generic[PayloadT]):
    """Defaults for the optional parts of :class:`TransferRun`."""

    allows_update: bool = False
    matches_existing: bool = False
    writes_back: bool = False
    idempotent_writes: bool = False

    def fetch_one(self, ref: SourceRef) -> SourceRecord | None:
        raise IntegrationError(f"{ref.type} records cannot be read one at a time; wait for the next scheduled run")

    def requirements(self, record: SourceRecord) -> Sequence[Requirement]:
        return ()

    def preload(self, planned: Sequence[PlannedWrite[PayloadT]]) -> None:
        return None

    def lookup_existing(self, planned: PlannedWrite[PayloadT]) -> str | None:
        return None

    def after_write(self, record: SourceRecord, target_key: str, *, again: bool = False) -> None:
        return None

    def needs_write_back(self, record: SourceRecord, entry: LedgerEntry) -> bool:
        return False

    def after_failure(self, record: SourceRecord, failure: FailedRecord) -> None:
        return None
