"""Open failures and credit notes waiting for their invoice, as the registers hold them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from severa_netvisor.reconcile.facts import NetvisorInvoice, SeveraInvoice
from severa_netvisor.reconcile.formats import ZERO
from severa_netvisor.reconcile.outcome import Outcome
from severa_netvisor.reconcile.registers import OpenFailure, WaitingCreditMatch
from severa_netvisor.reconcile.sections import CREDIT_NOTES, FAILURES
from severa_netvisor.reconcile.severa_side import StatusBook
from severa_netvisor.transfers.credit_notes import UNSENT

_KINDS = {
    "invoice": "Severa invoice",
    "account": "Severa customer",
    "payment": "Netvisor payment",
    "creditloss": "Netvisor invoice with a credit loss",
}


def check_failures(
    outcome: Outcome,
    failures: Iterable[OpenFailure],
    *,
    listed: set[str],
    label: Callable[[OpenFailure], str],
) -> None:
    """Every open failure not already listed with its invoice or payment; ``label`` names its record."""
    for failure in failures:
        if failure.record_id in listed:
            continue
        name = label(failure)
        if failure.retryable:
            action = "Nothing while it clears by itself: the integration tries again. If it stays, read the reason."
        else:
            action = "Fix what the reason says; the record is sent again when it next changes (or with a full resync)."
        outcome.add(
            FAILURES,
            (name, failure.record_id, failure.reason, "yes" if failure.retryable else "no", failure.attempts),
            subject=name,
            text=f"{name[:1].upper()}{name[1:]} could not be moved ({failure.attempts} attempt"
            f"{'' if failure.attempts == 1 else 's'}; the reason is in the report).",
            action=action,
        )


def default_label(failure: OpenFailure) -> str:
    return _KINDS.get(failure.record_type, f"{failure.system} {failure.record_type}")


@dataclass(frozen=True)
class _Wait:
    """Why one credit note waits, in words: the cells, the finding and what to do."""

    credits: str
    status: str
    in_netvisor: str
    text: str
    action: str


def _note_label(match: WaitingCreditMatch, note: NetvisorInvoice | None) -> str:
    return note.label if note else f"credit note (Netvisor key {match.credit_note_key})"


def _why_waiting(
    match: WaitingCreditMatch,
    invoice: SeveraInvoice | None,
    *,
    original: NetvisorInvoice | None,
    note: NetvisorInvoice | None,
    book: StatusBook,
) -> _Wait:
    note_label = _note_label(match, note)
    note_text = f"{note_label[:1].upper()}{note_label[1:]}"
    if invoice is None:
        return _Wait(
            f"(Severa invoice {match.original_guid}, no longer in Severa)", "", "",
            f"{note_text} credits an invoice that no longer exists in Severa.",
            "Match the credit note by hand in Netvisor to the invoice it credits, or credit it back.",
        )  # fmt: skip
    if original is None:
        return _Wait(
            invoice.label, invoice.status, "not there yet",
            f"{note_text} waits for {invoice.label}, which is not in Netvisor yet (Severa status '{invoice.status}').",
            f"Transfer {invoice.label} (status '{book.ready}' in Severa); the credit note is matched to it on that "
            "run. If it will not be transferred, match the credit note by hand in Netvisor.",
        )  # fmt: skip
    # Netvisor matches a credit note only once both invoices are sent (transfers.credit_notes cites it).
    unsent = " and ".join(d.label for d in (original, note) if d is not None and d.status in UNSENT)
    if unsent:
        return _Wait(
            invoice.label, invoice.status, f"not sent: {unsent}",
            f"{note_text} waits to be matched to {invoice.label}: Netvisor matches them only once both are sent, "
            f"and {unsent} {'are' if ' and ' in unsent else 'is'} not sent yet.",
            f"Send {unsent} from Netvisor; the next invoices run matches them.",
        )  # fmt: skip
    return _Wait(
        invoice.label, invoice.status, "both sent",
        f"{note_text} is not matched to {invoice.label} yet, although both are sent in Netvisor.",
        "Nothing if the invoices transfer runs soon: it matches them. If it stays, check in Netvisor that both "
        "have vouchers and the same currency, or match them by hand.",
    )  # fmt: skip


def check_credit_notes(
    outcome: Outcome,
    waiting: Iterable[WaitingCreditMatch],
    *,
    original: Callable[[str], SeveraInvoice | None],
    original_in_netvisor: Callable[[str], NetvisorInvoice | None],
    credit_note: Callable[[int], NetvisorInvoice | None],
    book: StatusBook,
) -> None:
    """Credit notes waiting to be matched, each with why: its invoice is not in Netvisor, or one of the
    two is not sent there yet, or the match has not been made yet."""
    for match in waiting:
        key = int(match.credit_note_key) if match.credit_note_key.isdigit() else None
        note = credit_note(key) if key is not None else None
        invoice = original(match.original_guid)
        in_netvisor = original_in_netvisor(match.original_guid) if invoice is not None else None
        why = _why_waiting(match, invoice, original=in_netvisor, note=note, book=book)
        outcome.add(
            CREDIT_NOTES,
            (note.number if note else "", match.credit_note_key, why.credits, why.status, why.in_netvisor),
            subject=_note_label(match, note),
            text=why.text,
            action=why.action,
            weight=abs(note.gross) if note else (abs(invoice.gross) if invoice else ZERO),
        )
