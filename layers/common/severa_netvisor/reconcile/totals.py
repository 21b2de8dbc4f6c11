"""Counts and sums (net, VAT, gross) per month, document type and VAT code, on both sides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from severa_netvisor.reconcile.facts import NetvisorInvoice, SeveraInvoice, VatLine
from severa_netvisor.reconcile.formats import ZERO, Cell, cents, percent
from severa_netvisor.reconcile.period import month_of
from severa_netvisor.reconcile.report import Table
from severa_netvisor.reconcile.sections import totals_table

ALL = "all"
INVOICES = "invoices"
CREDIT_NOTES = "credit notes"

#: (month, document, VAT code, rate); rate None on the "all" rows.
Bucket = tuple[str, str, str, Decimal | None]


@dataclass
class Sums:
    count: int = 0
    net: Decimal = ZERO
    vat: Decimal = ZERO
    gross: Decimal = ZERO

    def add(self, net: Decimal, vat: Decimal, gross: Decimal) -> None:
        self.count += 1
        self.net += net
        self.vat += vat
        self.gross += gross

    def minus(self, other: Sums) -> Sums:
        return Sums(self.count - other.count, self.net - other.net, self.vat - other.vat, self.gross - other.gross)

    @property
    def is_zero(self) -> bool:
        return self.count == 0 and cents(self.net) == cents(self.vat) == cents(self.gross) == ZERO


@dataclass
class Totals:
    severa: dict[Bucket, Sums] = field(default_factory=dict)
    netvisor: dict[Bucket, Sums] = field(default_factory=dict)

    def _add(
        self, side: dict[Bucket, Sums], day: date, credit: bool, totals: tuple[Decimal, Decimal, Decimal],
        lines: Iterable[VatLine],
    ) -> None:  # fmt: skip
        month, document = month_of(day), CREDIT_NOTES if credit else INVOICES
        side.setdefault((month, document, ALL, None), Sums()).add(*totals)
        for line in lines:
            side.setdefault((month, document, line.code, line.rate), Sums()).add(line.net, line.vat, line.gross)

    def add_severa(self, invoice: SeveraInvoice) -> None:
        totals = (invoice.net, invoice.vat, invoice.gross)
        self._add(self.severa, invoice.invoice_date, invoice.is_credit_note, totals, invoice.vat_lines)

    def add_netvisor(self, invoice: NetvisorInvoice) -> None:
        if invoice.invoice_date is None:
            return
        totals = (invoice.net, invoice.vat, invoice.gross)
        self._add(self.netvisor, invoice.invoice_date, invoice.is_credit_note, totals, invoice.vat_lines)

    def differing(self) -> list[tuple[Bucket, Sums]]:
        """The buckets whose two sides differ, with Severa minus Netvisor."""
        found = []
        for bucket in sorted(set(self.severa) | set(self.netvisor), key=_order):
            difference = self.severa.get(bucket, Sums()).minus(self.netvisor.get(bucket, Sums()))
            if not difference.is_zero:
                found.append((bucket, difference))
        return found

    def table(self) -> Table:
        result = totals_table()
        for bucket in sorted(set(self.severa) | set(self.netvisor), key=_order):
            month, document, code, rate = bucket
            severa, netvisor = self.severa.get(bucket, Sums()), self.netvisor.get(bucket, Sums())
            difference = severa.minus(netvisor)
            cells: list[Cell] = [month, document, code, "" if rate is None else percent(rate)]
            for sums in (severa, netvisor, difference):
                cells += [sums.count, cents(sums.net), cents(sums.vat), cents(sums.gross)]
            result.add(*cells)
        return result

    def grand(self, side: str, document: str) -> Sums:
        """All months of one side for one document type (the summary's lines)."""
        source = self.severa if side == "severa" else self.netvisor
        total = Sums()
        for (_, doc, code, _), sums in source.items():
            if doc == document and code == ALL:
                total = Sums(total.count + sums.count, total.net + sums.net, total.vat + sums.vat,
                             total.gross + sums.gross)  # fmt: skip
        return total


def _order(bucket: Bucket) -> tuple[str, int, int, str, Decimal]:
    month, document, code, rate = bucket
    return (month, 0 if document == INVOICES else 1, 0 if code == ALL else 1, code, rate if rate is not None else ZERO)
