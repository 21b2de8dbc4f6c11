"""Netvisor payments -> what to write back to the Severa invoice. Pure: no I/O, no engine.

A Netvisor sales payment is read together with the invoice it was targeted to (its invoice sum and
the open sum Netvisor holds now). From them this module decides whether the payment settled the
invoice, left part of it open, or is something the integration must not guess about (a reversal, a
credit loss, a payment Netvisor did not target to any invoice, one the bank reported failed), and
words the Severa invoice log entry. A negative payment on a credit note is a refund to the customer:
it settles the credit note, it is not a reversal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from severa_netvisor.errors import IntegrationError
from severa_netvisor.mapping.config import InvoiceStatuses, PaymentOptions

CENT = Decimal("0.01")

#: The Netvisor invoice status of an invoice written off as a credit loss.
CREDIT_LOSS_STATUS = "creditloss"


class PaymentNotApplicable(IntegrationError):
    """A payment (or invoice status) the integration reports instead of writing back."""

    system = "netvisor"
    retryable = False


class PaymentUnmatched(IntegrationError):
    """No Severa invoice could be found for a Netvisor payment."""

    system = "severa"
    retryable = False


@dataclass(frozen=True)
class NetvisorInvoiceFacts:
    """What salesinvoicelist.nv says about the invoice a payment was targeted to."""

    netvisor_key: int
    number: str
    reference: str
    status: str
    invoice_sum: Decimal | None
    open_sum: Decimal | None


@dataclass(frozen=True)
class PaymentFacts:
    """One Netvisor sales payment with its invoice, as the transfer read them."""

    payment_key: int
    payment_date: date | None
    amount: Decimal
    invoice_number: str
    reference: str
    payer: str
    invoice: NetvisorInvoiceFacts | None
    #: The invoice's open sum right after this payment (Netvisor's open sum now plus the payments to the
    #: same invoice read after this one); None when Netvisor gave no open sum.
    open_after: Decimal | None
    #: The Severa invoice: through the ledger of the invoices transfer, else by number or reference.
    severa_invoice_guid: str | None = None
    #: Why no Severa invoice was found (unmatched or ambiguous), when none was.
    match_problem: str | None = None
    #: Netvisor targeted the payment to an invoice (salespaymentlist.nv ``limitlinkedpayments=1``).
    linked: bool = True
    #: The bank's status of the payment ("OK", "FAILED" or empty) and, when it failed, its reason.
    bank_status: str = ""
    bank_error: str = ""
    #: For a payment that leaves nothing open: the latest date among the invoice's payments, the day it
    #: was paid in full (None: the payment's own date).
    paid_on: date | None = None

    @property
    def failed_at_the_bank(self) -> bool:
        return self.bank_status.strip().upper() not in ("", "OK")


@dataclass(frozen=True)
class SeveraWriteBack:
    """What to do to the Severa invoice for one payment; applied in this order."""

    kind: Literal["paid", "partial"]
    payment_date: date | None
    #: Status name to set, or None.
    status: str | None
    log_text: str

    def describe(self) -> str:
        parts: list[str] = [self.kind]
        if self.payment_date:
            parts.append(f"payment date {self.payment_date.isoformat()}")
        if self.status:
            parts.append(f"status '{self.status}'")
        return ", ".join(parts)


def money(value: Decimal | None) -> str:
    """Finnish notation for a log entry: ``1 234,50``."""
    if value is None:
        return "?"
    text = f"{value.quantize(CENT):,.2f}"
    return text.replace(",", " ").replace(".", ",")


def normalize_reference(value: str | None) -> str:
    """References are printed in groups (``12345 67890``) and RF ones in upper or lower case."""
    return "".join((value or "").split()).upper().lstrip("0")


def open_sums_after(payments: Sequence[tuple[int, Decimal]], open_now: Decimal | None) -> dict[int, Decimal | None]:
    """Open sum of one invoice right after each of its payments, given in Netvisor's order.

    Netvisor only gives the open sum *now*; a payment earlier in the list left the later payments open.
    """
    result: dict[int, Decimal | None] = {}
    if open_now is None:
        return {key: None for key, _ in payments}
    running = open_now
    for key, amount in reversed(payments):
        result[key] = running
        running += amount
    return result


def payment_content_hash(facts: PaymentFacts) -> str:
    """Identity of a payment: a payment read again unchanged is skipped by the ledger."""
    text = "|".join(
        (
            str(facts.payment_key),
            facts.payment_date.isoformat() if facts.payment_date else "",
            f"{facts.amount:f}",
            facts.invoice_number,
            facts.reference,
        )
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def finnish_date(day: date | None) -> str:
    return f"{day.day}.{day.month}.{day.year}" if day else "(no date)"


def describe_payment(facts: PaymentFacts) -> str:
    """The payment as an accountant finds it in Netvisor: amount, payer, date, invoice or reference."""
    payer = f" from {facts.payer}" if facts.payer else ""
    target = f"invoice {facts.invoice_number}" if facts.invoice_number else f"reference {facts.reference or '(none)'}"
    return (
        f"Netvisor payment {facts.payment_key} of {money(facts.amount)} EUR{payer} on "
        f"{finnish_date(facts.payment_date)} to {target}"
    )


def _not_a_payment(facts: PaymentFacts) -> None:
    """Refuse what Netvisor lists but is not a payment of a known invoice."""
    what = describe_payment(facts)
    if not facts.linked:
        raise PaymentUnmatched(
            f"{what}: not targeted to any invoice in Netvisor (its reference matches none), so it is not "
            "written to Severa. Target it to its invoice in Netvisor; the next run then records it."
        )
    if facts.failed_at_the_bank:
        reason = f" ({facts.bank_error})" if facts.bank_error else ""
        raise PaymentNotApplicable(
            f"{what}: the bank reported it failed{reason}; it is not a payment and Severa is not changed. "
            "Check the payment with the bank or in Netvisor."
        )
    if facts.amount == 0:
        raise PaymentNotApplicable(f"{what} is zero; nothing to record. Check the payment in Netvisor.")


def plan_write_back(facts: PaymentFacts, statuses: InvoiceStatuses, options: PaymentOptions) -> SeveraWriteBack:
    """Decide the Severa write-back for one payment; raise ``PaymentNotApplicable`` when it must be reported."""
    what = describe_payment(facts)
    _not_a_payment(facts)
    invoice = facts.invoice
    if invoice is None:
        raise PaymentUnmatched(
            f"{what}: Netvisor lists no sales invoice with that number or reference. Target the payment to its "
            "invoice in Netvisor, then replay it."
        )
    if invoice.status.lower() == CREDIT_LOSS_STATUS:
        raise PaymentNotApplicable(
            f"{what}: Netvisor invoice {invoice.number} is recorded as a credit loss. Severa is not marked paid; "
            "record the credit loss in Severa by hand."
        )
    if facts.open_after is None:
        raise PaymentNotApplicable(
            f"{what}: Netvisor gave no open sum for invoice {invoice.number}, so whether it is paid in full is "
            "unknown. Replay the record when Netvisor shows the open sum."
        )
    if invoice.invoice_sum is not None and invoice.invoice_sum < 0:
        return _refund(facts, invoice, facts.open_after, statuses)
    if facts.amount < 0:
        raise PaymentNotApplicable(
            f"{what} is negative: a reversed or returned payment. Severa is not changed; check the invoice in "
            "Netvisor and correct its payment status in Severa by hand."
        )
    return _payment(facts, invoice, facts.open_after, statuses, options)


def _payment(
    facts: PaymentFacts, invoice: NetvisorInvoiceFacts, open_after: Decimal, statuses: InvoiceStatuses,
    options: PaymentOptions,
) -> SeveraWriteBack:  # fmt: skip
    source = f"Netvisor invoice {invoice.number} (key {invoice.netvisor_key})"
    payer = f" from {facts.payer}" if facts.payer else ""
    when = finnish_date(facts.payment_date)
    if open_after <= 0:
        extra = f"; overpaid by {money(-open_after)} EUR" if open_after < 0 else ""
        paid_on = facts.paid_on or facts.payment_date
        later = f" (paid in full on {finnish_date(paid_on)})" if paid_on != facts.payment_date else ""
        return SeveraWriteBack(
            kind="paid",
            payment_date=paid_on,
            status=statuses.paid,
            log_text=(
                f"Payment {money(facts.amount)} EUR{payer} on {when}: paid in full{extra}{later}. {source}, "
                f"payment {facts.payment_key}."
            ),
        )
    # An invoice paid in full by now (a later payment in the same read) never goes back to "partially paid",
    # whatever order the payments are written back in.
    paid_now = invoice.open_sum is not None and invoice.open_sum <= 0
    status = statuses.partially_paid if options.record_partial_payments and not paid_now else None
    total = f" of {money(invoice.invoice_sum)} EUR" if invoice.invoice_sum is not None else ""
    return SeveraWriteBack(
        kind="partial",
        payment_date=None,
        status=status,
        log_text=(
            f"Partial payment {money(facts.amount)} EUR{payer} on {when}; open {money(open_after)} EUR"
            f"{total}. {source}, payment {facts.payment_key}."
        ),
    )


def _refund(
    facts: PaymentFacts, credit: NetvisorInvoiceFacts, open_after: Decimal, statuses: InvoiceStatuses
) -> SeveraWriteBack:
    """A payment on a credit note: negative, it is the refund of the credit to the customer."""
    what = describe_payment(facts)
    if facts.amount > 0:
        raise PaymentNotApplicable(
            f"{what}: a payment received for credit note {credit.number}. Severa is not changed; check it in "
            "Netvisor (it may belong to another invoice)."
        )
    source = f"Netvisor credit note {credit.number} (key {credit.netvisor_key})"
    to = f" to {facts.payer}" if facts.payer else ""
    when = finnish_date(facts.payment_date)
    refund = money(-facts.amount)
    if open_after >= 0:
        return SeveraWriteBack(
            kind="paid",
            payment_date=facts.paid_on or facts.payment_date,
            status=statuses.paid,
            log_text=f"Refund {refund} EUR{to} on {when}: the credit note is settled. {source}, payment "
            f"{facts.payment_key}.",
        )
    return SeveraWriteBack(
        kind="partial",
        payment_date=None,
        status=None,
        log_text=f"Partial refund {refund} EUR{to} on {when}; {money(-open_after)} EUR still to refund. {source}, "
        f"payment {facts.payment_key}.",
    )


def credit_loss_report(invoice: NetvisorInvoiceFacts) -> PaymentNotApplicable:
    """An invoice Netvisor moved to credit loss: reported, never guessed into a Severa status."""
    return PaymentNotApplicable(
        f"Netvisor invoice {invoice.number} (key {invoice.netvisor_key}) was recorded as a credit loss "
        f"(open {money(invoice.open_sum)} EUR of {money(invoice.invoice_sum)} EUR). Severa is not changed; "
        "record the credit loss in Severa by hand."
    )
