"""Credit notes matched to the invoices they credit, in Netvisor, once each.

Netvisor's matchcreditnote.nv "can be used to match credit note to existing sales invoice. The
invoice status of both invoices has to be 'Sent' and vouchers have to be created. Credit note and
invoice have to be in the same currency."
(https://support.netvisor.fi/en/support/solutions/articles/77000554165-matching-credit-note-to-invoice-matchcreditnote-nv)

So a match usually cannot happen when the credit note is created (both arrive unsent, and someone
sends them from Netvisor). Each credit note that credits an invoice gets a *waiting match* beside the
ledger (``invoice-credit-match``, keyed by the credit note, so several credit notes of one invoice
each get their own). Every run of the invoices transfer takes the waiting matches as records of
their own, through the engine: a match whose invoice is not in Netvisor yet, or whose invoices are
not both sent, waits (counted in the summary, tried again next run); once both are sent it is made,
once, and the waiting entry is closed. A match that has waited longer than
``invoices.credit_note_wait_days`` is also an open failure (retried on every run, closed when made),
so ``failures list`` shows it to someone who can send the invoices.

After a match, what Netvisor lists for the invoice (its open sum and status) is kept for the Severa
write-back: the invoice's log says it was credited, and an invoice the credit notes settled in full
gets Severa's paid status (it is never paid by a payment, so the payments transfer never sees it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NoReturn

from severa_netvisor.engine import NotYet, PlannedWrite, RunContext, Skip, SourceRecord, content_hash
from severa_netvisor.errors import IntegrationError, RecordError
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.netvisor.errors import NetvisorDuplicateDataError
from severa_netvisor.netvisor.models import SalesInvoice
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.state import LedgerStatus, SourceRef
from severa_netvisor.timezone import finnish_date

MATCH_TYPE = "invoice-credit-match"
#: Netvisor statuses of invoices not sent yet (salesinvoicelist.nv / getsalesinvoice.nv status texts).
UNSENT = frozenset({"unsent", "draft", "invoicedraft", ""})


def match_ref(credit_guid: str) -> SourceRef:
    return SourceRef("severa", MATCH_TYPE, credit_guid)


@dataclass(frozen=True)
class CreditMatch:
    """A credit note in Netvisor waiting to be matched to the invoice it credits."""

    credit_guid: str
    credit_number: str
    credit_key: str
    original_guid: str
    #: The original's Netvisor key, when the ledger (or this run) knows it.
    original_key: str | None = None
    #: The original's number, to find it in Netvisor when it was sent there some other way.
    original_number: str | None = None
    #: The day the match started waiting (Finnish calendar day); None for matches noted before it was kept.
    waiting_since: date | None = None

    @property
    def label(self) -> str:
        original = f"invoice {self.original_number}" if self.original_number else "the invoice it credits"
        return f"credit note {self.credit_number} against {original}"

    def summary(self) -> dict[str, str]:
        return {
            "credit_note": self.credit_number,
            "credit_note_key": self.credit_key,
            "original_guid": self.original_guid,
            "original_number": self.original_number or "",
            "waiting_since": self.waiting_since.isoformat() if self.waiting_since else "",
        }

    def overdue(self, today: date, wait_days: int) -> str | None:
        """Why the match has waited too long, in words; None while it may still wait."""
        if self.waiting_since is None or (today - self.waiting_since).days <= wait_days:
            return None
        return (
            f"it has waited since {finnish_date(self.waiting_since)}, longer than "
            f"invoices.credit_note_wait_days ({wait_days} days)"
        )


@dataclass(frozen=True)
class MatchOutcome:
    """A match made in Netvisor, and what Netvisor lists for the invoice afterwards."""

    key: str
    original_key: str
    #: The invoice's open sum and status in Netvisor after the match; None when it was not listed.
    original_open: Decimal | None = None
    original_status: str = ""

    @property
    def settles_original(self) -> bool:
        """The credit notes (with any payments) leave nothing open on the invoice."""
        return self.original_open is not None and self.original_open <= 0


class CreditNoteWaitsTooLong(RecordError):
    """A credit note has waited for its match longer than the mapping allows: someone must send them."""

    system = "netvisor"
    retryable = True
    for_author = False
    action = (
        "Send the credit note and the invoice it credits from Netvisor (a credit note can be matched only once "
        "both are sent and have vouchers); the next invoices run then matches them and closes this failure."
    )


class CreditMatchRefused(RecordError):
    """Netvisor refused a match although both invoices look sent (vouchers missing, currencies differ)."""

    system = "netvisor"
    retryable = True
    for_author = False
    action = (
        "Check in Netvisor that both invoices are sent, have vouchers and are in the same currency; the match is "
        "tried again on every run."
    )


def note_waiting(
    run: RunContext,
    severa: SeveraClient,
    credit: tuple[str, str, str],
    original_guid: str,
    today: date,
    *,
    number: str | None = None,
) -> None:
    """Open a waiting match for a credit note just created in Netvisor (``credit``: its GUID, number and
    Netvisor key), with the original's number (``number`` when the run has read it already, else from
    the ledger or Severa), so later runs can find it without asking Severa."""
    credit_guid, credit_number, credit_key = credit
    if not number:
        ref = SourceRef("severa", "invoice", original_guid)
        entry = run.ledger.get([ref]).get(ref)
        number = entry.summary.get("number") if entry is not None else None
    if not number:
        found = severa.invoice(original_guid)
        number = str(found.number) if found is not None and found.number is not None else None
    match = CreditMatch(
        credit_guid, credit_number, credit_key, original_guid, original_number=number, waiting_since=today
    )
    run.ledger.note(match_ref(credit_guid), target_key=credit_key, summary=match.summary(), open_=True)


def waiting_matches(run: RunContext, written: Mapping[str, str], at: datetime) -> list[SourceRecord]:
    """The open waiting matches, as records, with what is known of their invoices; and the matches made
    whose Severa write-back is still owed (a run stopped between the two), so it is made."""
    entries = run.ledger.entries_of("severa", MATCH_TYPE)
    waiting = [e for e in entries if e.status is not LedgerStatus.DONE or e.writeback_pending]
    if not waiting:
        return []
    originals = {e.summary.get("original_guid", "") for e in waiting}
    keys = _ledger_keys(run, originals)
    records = []
    for entry in waiting:
        original = entry.summary.get("original_guid", "")
        key = written.get(original) or keys.get(original)
        number = entry.summary.get("original_number") or None
        since = entry.summary.get("waiting_since") or ""
        match = CreditMatch(
            credit_guid=entry.ref.id,
            credit_number=entry.summary.get("credit_note", ""),
            credit_key=entry.target_key or entry.summary.get("credit_note_key", ""),
            original_guid=original,
            original_key=key,
            original_number=number,
            waiting_since=date.fromisoformat(since) if since else None,
        )
        records.append(SourceRecord(entry.ref, at, match, label=match.label))
    return records


def _ledger_keys(run: RunContext, guids: Iterable[str]) -> dict[str, str]:
    refs = [SourceRef("severa", "invoice", guid) for guid in guids if guid]
    return {
        ref.id: entry.target_key
        for ref, entry in run.ledger.get(refs).items()
        if entry.status is LedgerStatus.DONE and entry.target_key
    }


def prepare_match(record: SourceRecord, *, today: date, wait_days: int) -> PlannedWrite[CreditMatch] | Skip:
    match: CreditMatch = record.data
    if match.original_key is None and match.original_number is None:
        reason = f"{match.label}: the invoice it credits is not in Netvisor yet"
        overdue = match.overdue(today, wait_days)
        if overdue:
            raise CreditNoteWaitsTooLong(f"{reason}; {overdue}")
        return Skip(reason, waiting=True)
    identity = content_hash("match", match.credit_key, match.original_guid)
    # Idempotent: a match whose answer was lost is made again (``_match`` takes "already matched" as made).
    return PlannedWrite(record, match, match.summary(), identity, counts_as="credit notes matched", idempotent=True)


def make_match(
    netvisor: NetvisorClient,
    match: CreditMatch,
    *,
    today: date,
    wait_days: int,
    known: Mapping[str, SalesInvoice] | None = None,
) -> MatchOutcome:
    """Match now if both invoices are sent in Netvisor; otherwise ``NotYet`` (the match waits), or, once it
    has waited too long, ``CreditNoteWaitsTooLong`` (an open failure, tried again on every run).

    ``known``: the two invoices as this run already read them (``invoices_of_matches``), by key; the
    ones missing are read now."""
    overdue = match.overdue(today, wait_days)
    original = match.original_key or _find_original(netvisor, match)
    if original is None:
        _wait(f"{match.label}: invoice {match.original_number} is not in Netvisor yet", overdue)
    keys = (match.credit_key, original)
    found = {key: known[key] for key in keys if known is not None and key in known}
    if len(found) < len(keys):
        found = {str(i.netvisor_key): i for i in netvisor.get_sales_invoices([int(key) for key in keys])}
    unsent = [
        what
        for what, key in (("the credit note", match.credit_key), ("the invoice", original))
        if (found[key].status.strip().lower() if key in found else "") in UNSENT
    ]
    if unsent:
        _wait(f"{match.label}: {' and '.join(unsent)} must be sent in Netvisor before they can be matched", overdue)
    number = found[original].number if original in found else match.original_number
    _match(netvisor, match, original)
    return match_outcome(netvisor, match, original, number or "")


def invoices_of_matches(netvisor: NetvisorClient, records: Sequence[SourceRecord]) -> dict[str, SalesInvoice]:
    """Both invoices of every waiting match, read in bulk (getsalesinvoice.nv takes hundreds of keys a
    request): a run over many waiting credit notes costs a request or two, not one per credit note."""
    keys = sorted(
        {int(key) for r in records for key in (r.data.credit_key, r.data.original_key) if key and key.isdigit()}
    )
    return {str(i.netvisor_key): i for i in netvisor.get_sales_invoices(keys)} if keys else {}


def _wait(reason: str, overdue: str | None) -> NoReturn:
    if overdue:
        raise CreditNoteWaitsTooLong(f"{reason}; {overdue}")
    raise NotYet(reason)


def _match(netvisor: NetvisorClient, match: CreditMatch, original: str) -> None:
    try:
        netvisor.match_credit_note(int(match.credit_key), int(original))
    except NetvisorDuplicateDataError:
        pass  # already matched: the goal is reached
    except IntegrationError as error:
        if error.stops_run or error.transient or error.outcome_unknown:
            raise
        raise CreditMatchRefused(
            f"Netvisor refused to match {match.label}: {error.remote_text or error.message}",
            remote_text=error.remote_text,
        ) from error


def match_outcome(netvisor: NetvisorClient, match: CreditMatch, original: str, number: str) -> MatchOutcome:
    """The match, with the invoice as Netvisor lists it now (its open sum tells whether it is settled)."""
    key = f"{match.credit_key}->{original}"
    if not number:
        return MatchOutcome(key, original)
    listed = [s for s in netvisor.iter_sales_invoices(invoice_number=number) if str(s.netvisor_key) == original]
    if not listed:
        return MatchOutcome(key, original)
    return MatchOutcome(key, original, listed[0].open_sum, listed[0].status)


def _find_original(netvisor: NetvisorClient, match: CreditMatch) -> str | None:
    if not match.original_number:
        return None
    number = match.original_number
    found = [s for s in netvisor.iter_sales_invoices(invoice_number=number) if s.number == number]
    return str(found[0].netvisor_key) if len(found) == 1 else None
