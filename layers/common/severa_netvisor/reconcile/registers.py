"""Where the reconciliation reads open failures and credit notes waiting for their invoice.

Both are read through small protocols so the register of open failures can replace today's reading
of the ledger without touching the reconciliation: ``LedgerFailures`` and ``LedgerCreditMatches``
read what ``state.py`` holds now (ledger entries with status ``failed`` and their ``last_error``;
``ledger#severa#invoice-credit-match`` entries whose write-back is pending).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from severa_netvisor.state import LedgerStatus, StateStore
from severa_netvisor.transfers.invoices import CREDIT_MATCH_TYPE

#: The record types whose failures matter to the books: invoices, their customers, payments, credit losses.
BOOK_RECORD_TYPES: tuple[tuple[str, str], ...] = (
    ("severa", "invoice"),
    ("severa", "account"),
    ("netvisor", "payment"),
    ("netvisor", "creditloss"),
)
#: The engine stores "<step>: <ErrorClass>: <message>"; a person reads only the message.
_ENGINE_PREFIX = re.compile(r"^[a-z_]+: [A-Z][A-Za-z0-9]*: ")


@dataclass(frozen=True)
class OpenFailure:
    system: str
    record_type: str
    record_id: str
    #: The reason in words (the record, the field, the fix), without internal names.
    reason: str
    #: True: the integration tries again by itself; False: someone must fix the record.
    retryable: bool
    attempts: int


@dataclass(frozen=True)
class WaitingCreditMatch:
    """A credit note in Netvisor whose original invoice was not there yet when it was sent."""

    original_guid: str
    credit_note_key: str


class FailureRegister(Protocol):
    def open_failures(self, record_types: Sequence[tuple[str, str]]) -> Iterator[OpenFailure]: ...


class CreditMatchRegister(Protocol):
    def waiting_credit_matches(self) -> Iterator[WaitingCreditMatch]: ...


def readable_reason(text: str | None) -> str:
    if not text:
        return "(no reason recorded)"
    return _ENGINE_PREFIX.sub("", text, count=1)


class LedgerFailures:
    """Open failures as the ledger holds them today: entries with status ``failed``, and ``pending``
    entries whose last attempt failed (the engine keeps a refused create pending)."""

    def __init__(self, state: StateStore):
        self._state = state

    def open_failures(self, record_types: Sequence[tuple[str, str]]) -> Iterator[OpenFailure]:
        for system, record_type in record_types:
            for status in (LedgerStatus.FAILED, LedgerStatus.PENDING):
                yield from self._failures(system, record_type, status)

    def _failures(self, system: str, record_type: str, status: LedgerStatus) -> Iterator[OpenFailure]:
        for entry in self._state.iter_ledger(system, record_type, status=status):
            if status is LedgerStatus.FAILED or entry.last_error:
                yield OpenFailure(
                    system=system,
                    record_type=record_type,
                    record_id=entry.ref.id,
                    reason=readable_reason(entry.last_error),
                    retryable=entry.last_error_retryable,
                    attempts=entry.attempts,
                )


class LedgerCreditMatches:
    """Credit-note matches still owed: ``invoice-credit-match`` entries with the write-back pending."""

    def __init__(self, state: StateStore):
        self._state = state

    def waiting_credit_matches(self) -> Iterator[WaitingCreditMatch]:
        for entry in self._state.iter_ledger("severa", CREDIT_MATCH_TYPE, status=LedgerStatus.DONE):
            if entry.writeback_pending and entry.target_key:
                yield WaitingCreditMatch(original_guid=entry.ref.id, credit_note_key=entry.target_key)
