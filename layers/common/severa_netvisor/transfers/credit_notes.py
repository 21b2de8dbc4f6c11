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
once, and the waiting entry is closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from severa_netvisor.engine import NotYet, PlannedWrite, RunContext, Skip, SourceRecord, content_hash
from severa_netvisor.errors import IntegrationError, RecordError
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.netvisor.errors import NetvisorDuplicateDataError
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.state import LedgerStatus, SourceRef

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
        }


class CreditMatchRefused(RecordError):
    """Netvisor refused a match although both invoices look sent (vouchers missing, currencies differ)."""

    system = "netvisor"
    retryable = True
    for_author = False
    action = (
        "Check in Netvisor that both invoices are sent, have vouchers and are in the same currency; the match is "
        "tried again on every run."
    )


def note_waiting(run: RunContext, severa: SeveraClient, credit: tuple[str, str, str], original_guid: str) -> None:
    """Open a waiting match for a credit note just created in Netvisor (``credit``: its GUID, number and
    Netvisor key), with the original's number, so later runs can find it without asking Severa."""
    credit_guid, credit_number, credit_key = credit
    entry = run.ledger.get([SourceRef("severa", "invoice", original_guid)]).get(
        SourceRef("severa", "invoice", original_guid)
    )
    number = entry.summary.get("number") if entry is not None else None
    if not number:
        found = severa.invoice(original_guid)
        number = str(found.number) if found is not None and found.number is not None else None
    match = CreditMatch(credit_guid, credit_number, credit_key, original_guid, original_number=number)
    run.ledger.note(match_ref(credit_guid), target_key=credit_key, summary=match.summary(), open_=True)


def waiting_matches(run: RunContext, written: Mapping[str, str], at: datetime) -> list[SourceRecord]:
    """The open waiting matches, as records, with what is known of their invoices."""
    waiting = [e for e in run.ledger.entries_of("severa", MATCH_TYPE) if e.status is not LedgerStatus.DONE]
    if not waiting:
        return []
    originals = {e.summary.get("original_guid", "") for e in waiting}
    keys = _ledger_keys(run, originals)
    records = []
    for entry in waiting:
        original = entry.summary.get("original_guid", "")
        key = written.get(original) or keys.get(original)
        number = entry.summary.get("original_number") or None
        match = CreditMatch(
            credit_guid=entry.ref.id,
            credit_number=entry.summary.get("credit_note", ""),
            credit_key=entry.target_key or entry.summary.get("credit_note_key", ""),
            original_guid=original,
            original_key=key,
            original_number=number,
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


def prepare_match(record: SourceRecord) -> PlannedWrite[CreditMatch] | Skip:
    match: CreditMatch = record.data
    if match.original_key is None and match.original_number is None:
        return Skip(f"{match.label}: the invoice it credits is not in Netvisor yet", waiting=True)
    identity = content_hash("match", match.credit_key, match.original_guid)
    return PlannedWrite(record, match, match.summary(), identity, counts_as="credit notes matched")


def make_match(netvisor: NetvisorClient, match: CreditMatch) -> str:
    """Match now if both invoices are sent in Netvisor; otherwise ``NotYet`` (the match waits)."""
    original = match.original_key or _find_original(netvisor, match)
    if original is None:
        raise NotYet(f"{match.label}: invoice {match.original_number} is not in Netvisor yet")
    statuses = {
        str(i.netvisor_key): i.status.strip().lower()
        for i in netvisor.get_sales_invoices([int(match.credit_key), int(original)])
    }
    unsent = [
        what
        for what, key in (("the credit note", match.credit_key), ("the invoice", original))
        if statuses.get(key, "") in UNSENT
    ]
    if unsent:
        raise NotYet(f"{match.label}: {' and '.join(unsent)} must be sent in Netvisor before they can be matched")
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
    return f"{match.credit_key}->{original}"


def _find_original(netvisor: NetvisorClient, match: CreditMatch) -> str | None:
    if not match.original_number:
        return None
    number = match.original_number
    found = [s for s in netvisor.iter_sales_invoices(invoice_number=number) if s.number == number]
    return str(found[0].netvisor_key) if len(found) == 1 else None
