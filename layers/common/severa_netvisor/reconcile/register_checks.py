"""Open failures and credit notes waiting for their invoice, as the registers hold them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from severa_netvisor.reconcile.facts import NetvisorInvoice, SeveraInvoice
from severa_netvisor.reconcile.formats import ZERO
from severa_netvisor.reconcile.outcome import Outcome
from severa_netvisor.reconcile.registers import OpenFailure, WaitingCreditMatch
from severa_netvisor.reconcile.sections import CREDIT_NOTES, FAILURES
from severa_netvisor.reconcile.severa_side import StatusBook

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


def check_credit_notes(
    outcome: Outcome,
    waiting: Iterable[WaitingCreditMatch],
    *,
    original: Callable[[str], SeveraInvoice | None],
    credit_note: Callable[[int], NetvisorInvoice | None],
    book: StatusBook,
) -> None:
    for match in waiting:
        key = int(match.credit_note_key) if match.credit_note_key.isdigit() else None
        note = credit_note(key) if key is not None else None
        note_label = note.label if note else f"credit note (Netvisor key {match.credit_note_key})"
        invoice = original(match.original_guid)
        if invoice is None:
            credits, status = f"(Severa invoice {match.original_guid}, no longer in Severa)", ""
            text = f"{note_label[:1].upper()}{note_label[1:]} credits an invoice that no longer exists in Severa."
            action = "Match the credit note by hand in Netvisor to the invoice it credits, or credit it back."
        else:
            credits, status = invoice.label, invoice.status
            text = (
                f"{note_label[:1].upper()}{note_label[1:]} waits for {invoice.label}, which is not in Netvisor yet "
                f"(Severa status '{invoice.status}')."
            )
            action = (
                f"Transfer {invoice.label} (status '{book.ready}' in Severa); the credit note is matched to it on "
                "that run. If it will not be transferred, match the credit note by hand in Netvisor."
            )
        outcome.add(
            CREDIT_NOTES,
            (note.number if note else "", match.credit_note_key, credits, status),
            subject=note_label,
            text=text,
            action=action,
            weight=abs(note.gross) if note else (abs(invoice.gross) if invoice else ZERO),
        )
