"""Credit notes in Netvisor waiting to be matched to the invoices they credit, as ``status`` shows them.

Netvisor matches a credit note to its invoice only once both are sent there (an accountant sends
them), so the invoices transfer keeps a waiting match beside its ledger for each credit note
(transfers/credit_notes.py) and makes the match on the first run after both are sent. These are the
open ones: what waits for a person in Netvisor, not for a fix of the integration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the state modules bring boto3
    from severa_netvisor.state import StateStore


@dataclass(frozen=True)
class CreditNoteWaiting:
    credit_note: str
    #: The number of the invoice it credits (None: not known to the integration yet).
    invoice: str | None
    label: str

    def as_dict(self) -> dict[str, Any]:
        return {"credit_note": self.credit_note, "invoice": self.invoice, "label": self.label}


def credit_notes_waiting(store: StateStore) -> list[CreditNoteWaiting]:
    """The open waiting matches, oldest credit note number first."""
    from severa_netvisor.state import LedgerStatus  # noqa: PLC0415
    from severa_netvisor.transfers.credit_notes import MATCH_TYPE, CreditMatch  # noqa: PLC0415

    waiting = []
    for entry in store.entries_of("severa", MATCH_TYPE):
        if entry.status is LedgerStatus.DONE:
            continue
        match = CreditMatch(
            credit_guid=entry.ref.id,
            credit_number=entry.summary.get("credit_note", ""),
            credit_key=entry.target_key or "",
            original_guid=entry.summary.get("original_guid", ""),
            original_number=entry.summary.get("original_number") or None,
        )
        waiting.append(CreditNoteWaiting(match.credit_number, match.original_number, match.label))
    return sorted(waiting, key=lambda found: (len(found.credit_note), found.credit_note))
