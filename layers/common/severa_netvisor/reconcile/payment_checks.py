"""Payments: Netvisor's payments of each paired invoice against what was recorded in Severa.

What Severa was told is what the payments transfer wrote back, as its ledger records it (Severa keeps
no open sum of its own). So for each invoice: payments in Netvisor the ledger does not record as
written back, payments written back that Netvisor no longer has, and the paid status on both sides.
The open sum "as Severa knows it" is Netvisor's open sum plus what Severa has not been told, minus
what Severa was told and Netvisor no longer has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from severa_netvisor.reconcile.formats import ZERO, amount, cents
from severa_netvisor.reconcile.outcome import Outcome
from severa_netvisor.reconcile.pairing import Pair
from severa_netvisor.reconcile.sections import PAYMENTS
from severa_netvisor.reconcile.severa_side import StatusBook
from severa_netvisor.timezone import finnish_date


@dataclass(frozen=True, slots=True)
class NetvisorPayment:
    key: int
    invoice_number: str
    payment_date: date | None
    amount: Decimal
    #: The payments transfer's ledger: "done" (written back to Severa), "failed", "pending" or "".
    ledger_status: str = ""
    ledger_reason: str = ""


@dataclass(frozen=True, slots=True)
class RecordedPayment:
    """A payment the payments transfer wrote back to a Severa invoice."""

    key: str
    severa_guid: str
    amount: Decimal
    payment_date: str


def _listed(payments: Iterable[NetvisorPayment | RecordedPayment]) -> str:
    parts = []
    for payment in payments:
        if isinstance(payment, NetvisorPayment):
            when = finnish_date(payment.payment_date) if payment.payment_date else "(no date)"
        else:
            when = _iso_to_finnish(payment.payment_date)
        parts.append(f"{when} {amount(payment.amount)} (payment {payment.key})")
    return "; ".join(parts)


def _iso_to_finnish(text: str) -> str:
    try:
        return finnish_date(date.fromisoformat(text))
    except ValueError:
        return text or "(no date)"


@dataclass
class _Invoice:
    pair: Pair
    only_netvisor: list[NetvisorPayment]
    gone: list[RecordedPayment]
    paid_in_netvisor: bool

    @property
    def netvisor_open(self) -> Decimal | None:
        return self.pair.netvisor.open_sum

    @property
    def severa_open(self) -> Decimal | None:
        if self.netvisor_open is None:
            return None
        told = sum((p.amount for p in self.only_netvisor), ZERO) - sum((p.amount for p in self.gone), ZERO)
        return self.netvisor_open + told


def _assess(pair: Pair, payments: list[NetvisorPayment], recorded: list[RecordedPayment]) -> _Invoice:
    keys = {str(p.key) for p in payments}
    only = [p for p in payments if p.ledger_status != "done"]
    gone = [r for r in recorded if r.key not in keys]
    open_sum = pair.netvisor.open_sum
    paid = open_sum is not None and open_sum <= ZERO and bool(payments)
    return _Invoice(pair, only, gone, paid)


def check_payments(
    outcome: Outcome,
    pairs: Iterable[Pair],
    payments: Iterable[NetvisorPayment],
    recorded: Iterable[RecordedPayment],
    book: StatusBook,
) -> set[str]:
    """Adds the payment differences; returns the Netvisor payment keys listed (their failures are shown here)."""
    by_number: dict[str, list[NetvisorPayment]] = defaultdict(list)
    for payment in payments:
        by_number[payment.invoice_number].append(payment)
    by_guid: dict[str, list[RecordedPayment]] = defaultdict(list)
    for entry in recorded:
        by_guid[entry.severa_guid].append(entry)
    listed: set[str] = set()
    for pair in pairs:
        if pair.netvisor.is_credit_note or pair.netvisor.gross <= ZERO:
            continue
        state = _assess(pair, by_number.get(pair.netvisor.number, []), by_guid.get(pair.severa.guid, []))
        if _report(outcome, state, book):
            listed |= {str(p.key) for p in state.only_netvisor}
    return listed


def _report(outcome: Outcome, state: _Invoice, book: StatusBook) -> bool:
    s, n = state.pair.severa, state.pair.netvisor
    open_nv = state.netvisor_open
    if state.paid_in_netvisor and not s.paid:
        kind = "paid in Netvisor, not marked paid in Severa"
        text = f"{_cap(s.label)} is paid in Netvisor but not marked paid in Severa (status '{s.status}')."
        action = _unrecorded_action(state) or f"Set it to '{book.paid_name}' in Severa by hand."
    elif s.paid and open_nv is not None and open_nv > ZERO:
        kind = "marked paid in Severa, open in Netvisor"
        text = f"{_cap(s.label)} is marked paid in Severa, but {amount(open_nv)} of it is open in Netvisor."
        action = (
            "Check in Netvisor whether the payment arrived but was not targeted to this invoice; if the customer "
            f"has not paid, set the Severa status back to '{book.transferred}'."
        )
    elif state.only_netvisor or state.gone:
        kind = "open sums differ"
        text = (
            f"{_cap(s.label)}: open {amount(open_nv or ZERO)} in Netvisor, {amount(state.severa_open or ZERO)} as "
            f"Severa knows it" + _why(state) + "."
        )
        action = _unrecorded_action(state) or (
            "A payment was removed or re-targeted in Netvisor after it was recorded in Severa: correct the "
            "invoice's payment information in Severa by hand."
        )
    else:
        return False
    outcome.add(
        PAYMENTS,
        (s.number, n.key, kind, cents(n.gross), None if open_nv is None else cents(open_nv),
         None if state.severa_open is None else cents(state.severa_open), s.status,
         _listed(state.only_netvisor), _listed(state.gone)),
        subject=s.label, text=text, action=action,
        weight=sum((p.amount for p in state.only_netvisor), ZERO) + sum((p.amount for p in state.gone), ZERO),
    )  # fmt: skip
    return True


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _why(state: _Invoice) -> str:
    parts = []
    if state.only_netvisor:
        parts.append(f"a payment of {amount(sum((p.amount for p in state.only_netvisor), ZERO))} is recorded only "
                     "in Netvisor")  # fmt: skip
    if state.gone:
        parts.append(f"{amount(sum((p.amount for p in state.gone), ZERO))} recorded in Severa is no longer in Netvisor")
    return ": " + " and ".join(parts) if parts else ""


def _unrecorded_action(state: _Invoice) -> str:
    if not state.only_netvisor:
        return ""
    failed = [p for p in state.only_netvisor if p.ledger_status == "failed"]
    if failed:
        return f"The payments transfer could not record it: {failed[0].ledger_reason} Fix that; it is then recorded."
    return (
        "The payments transfer records it on its next run (it reads payments changed since its last run); if "
        "it stays here, record it in Severa by hand."
    )
