"""What the reconciliation keeps of each record: small, flat and typed.

Severa invoices and Netvisor sales invoices are read a window or a page at a time and reduced to these
records at once, so memory holds one window of full records plus a few hundred bytes per invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from severa_netvisor.reconcile.formats import ZERO


class Stage(StrEnum):
    """Where a Severa invoice stands, by its status."""

    #: Sent: transferred to Netvisor (or sent otherwise), paid, partially paid; Netvisor must have it.
    BOOKED = "booked"
    #: Ready to transfer (or set to the error status): waiting for the integration.
    WAITING = "waiting"
    #: A draft or another status the integration does not handle.
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class VatLine:
    """One VAT code and rate of an invoice, summed over its rows."""

    code: str
    rate: Decimal | None
    net: Decimal
    vat: Decimal
    gross: Decimal


#: (VAT code, rate, net, VAT, gross) of one row or line.
LineSums = tuple[str, Decimal | None, Decimal, Decimal, Decimal]


def vat_breakdown(lines: list[LineSums]) -> tuple[VatLine, ...]:
    """Rows or lines (code, rate, net, VAT, gross) summed per code and rate, in a stable order."""
    sums: dict[tuple[str, Decimal | None], list[Decimal]] = {}
    for code, rate, net, vat, gross in lines:
        bucket = sums.setdefault((code, rate), [ZERO, ZERO, ZERO])
        bucket[0] += net
        bucket[1] += vat
        bucket[2] += gross
    ordered = sorted(sums.items(), key=lambda item: (item[0][0], item[0][1] if item[0][1] is not None else -1))
    return tuple(VatLine(code, rate, net, vat, gross) for (code, rate), (net, vat, gross) in ordered)


@dataclass(frozen=True, slots=True)
class SeveraInvoice:
    guid: str
    number: str
    invoice_date: date
    status: str
    stage: Stage
    account_guid: str
    customer_number: str
    customer_name: str
    gross: Decimal
    net: Decimal
    vat: Decimal
    reference: str
    is_credit_note: bool
    credited_guid: str | None
    paid: bool
    payment_date: date | None
    vat_lines: tuple[VatLine, ...]

    @property
    def label(self) -> str:
        return f"{'credit note' if self.is_credit_note else 'invoice'} {self.number or '(no number)'}"


@dataclass(frozen=True, slots=True)
class NetvisorInvoice:
    key: int
    number: str
    invoice_date: date | None
    status: str
    customer_code: str
    customer_name: str
    reference: str
    gross: Decimal
    open_sum: Decimal | None
    vat_lines: tuple[VatLine, ...] = ()

    @property
    def is_credit_note(self) -> bool:
        return self.gross < 0

    @property
    def net(self) -> Decimal:
        return sum((line.net for line in self.vat_lines), ZERO)

    @property
    def vat(self) -> Decimal:
        return sum((line.vat for line in self.vat_lines), ZERO)

    @property
    def label(self) -> str:
        return f"{'credit note' if self.is_credit_note else 'invoice'} {self.number or f'(Netvisor key {self.key})'}"


@dataclass(frozen=True, slots=True)
class LedgerFacts:
    """The invoices ledger's word on one Severa invoice."""

    status: str
    target_key: str | None
    #: What was sent (from the entry's summary): number, ISO date, total, reference.
    sent_number: str = ""
    sent_date: str = ""
    sent_total: str = ""
    sent_reference: str = ""
    last_error: str | None = None
