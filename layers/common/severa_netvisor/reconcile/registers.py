"""Where the reconciliation reads open failures and credit notes waiting for their invoice.

Both are read through small protocols: ``RegisterFailures`` reads the register of open failures
(``severa_netvisor.register``), ``LedgerCreditMatches`` the credit notes the invoices transfer keeps
waiting beside its ledger until both invoices are sent in Netvisor (``transfers.credit_notes``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from severa_netvisor.register import FailureRegister as Register
from severa_netvisor.state import LedgerStatus, StateStore
from severa_netvisor.transfers.credit_notes import MATCH_TYPE

#: The record types whose failures matter to the books: invoices, their customers, payments, credit losses.
BOOK_RECORD_TYPES: tuple[tuple[str, str], ...] = (
    ("severa", "invoice"),
    ("severa", "account"),
    ("netvisor", "payment"),
    ("netvisor", "creditloss"),
)
#: The transfers whose register holds those record types.
BOOK_TRANSFERS = ("invoices", "customers", "payments")
#: Older messages carried "<step>: <ErrorClass>: <message>"; a person reads only the message.
_ENGINE_PREFIX = re.compile(r"^[a-z_-]+: [A-Z][A-Za-z0-9]*: ")


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
    """A credit note in Netvisor not yet matched to the invoice it credits (the invoice is not there,
    or the two are not both sent in Netvisor yet)."""

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


class RegisterFailures:
    """Open failures from the register of open failures, for the record types the books care about."""

    def __init__(self, register: Register, transfers: Sequence[str] = BOOK_TRANSFERS):
        self._register = register
        self._transfers = transfers

    def open_failures(self, record_types: Sequence[tuple[str, str]]) -> Iterator[OpenFailure]:
        wanted = set(record_types)
        for transfer in self._transfers:
            for failure in self._register.failures(transfer):
                if (failure.ref.system, failure.ref.type) in wanted:
                    yield OpenFailure(
                        system=failure.ref.system,
                        record_type=failure.ref.type,
                        record_id=failure.ref.id,
                        reason=readable_reason(failure.reason),
                        retryable=failure.retryable,
                        attempts=failure.attempts,
                    )


class LedgerCreditMatches:
    """Credit notes waiting to be matched: open ``invoice-credit-match`` entries beside the ledger."""

    def __init__(self, state: StateStore):
        self._state = state

    def waiting_credit_matches(self) -> Iterator[WaitingCreditMatch]:
        for entry in self._state.entries_of("severa", MATCH_TYPE):
            if entry.status is LedgerStatus.PENDING and entry.target_key:
                original = entry.summary.get("original_guid", "")
                yield WaitingCreditMatch(original_guid=original, credit_note_key=entry.target_key)
