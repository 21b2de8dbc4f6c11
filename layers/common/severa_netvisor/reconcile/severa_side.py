"""Reading Severa for a period: its invoice statuses, and its invoices, streamed one at a time.

Each call asks for ``window_days`` days of invoices (a week by default) and the client streams the
answer: each invoice is reduced to its facts as it arrives, so memory holds one invoice of Severa's
answer at a time. A week keeps each answer short, so Severa is never kept waiting on a slow reader.
Each window is asked for a day more on both sides and filtered by the invoice's office date, so an
invoice near a window's edge is counted once whatever time zone Severa compares dates in.

An invoice's side of the books is what the integration makes of it (``mapping.invoices.map_invoice``):
its Netvisor VAT code per row, and a credit note's signs as Netvisor wants them. An invoice the mapping
refuses is taken as Severa has it, its rows under "(not mapped)".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from severa_netvisor.errors import IntegrationError
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.invoices import local_date, map_invoice
from severa_netvisor.netvisor.models import InvoiceProductLine
from severa_netvisor.reconcile.facts import LineSums, SeveraInvoice, Stage, vat_breakdown
from severa_netvisor.reconcile.formats import ZERO
from severa_netvisor.reconcile.period import Period
from severa_netvisor.severa.client import EPOCH, SeveraClient
from severa_netvisor.severa.models import Customer, Invoice
from severa_netvisor.transfers.invoice_pickup import PICKUP_STATUSES, checked_statuses, unit_guids

#: The VAT code of the rows of an invoice the mapping refuses (it has no Netvisor code yet).
NOT_MAPPED = "(not mapped)"


@dataclass(frozen=True)
class StatusBook:
    """What each Severa invoice status means for the books."""

    ready: str
    transferred: str
    paid_name: str
    booked: frozenset[str]
    waiting: frozenset[str]
    paid: frozenset[str]

    def stage(self, status: str | None) -> Stage:
        if status in self.booked:
            return Stage.BOOKED
        if status in self.waiting:
            return Stage.WAITING
        return Stage.OTHER


def read_status_book(client: SeveraClient, mapping: MappingConfig) -> StatusBook:
    """Severa's statuses with the mapping's names, each name checked as the invoices transfer checks its
    own (Severa answers a read of an unknown status with nothing, which would pass for "all agree")."""
    statuses = checked_statuses(client, mapping, (*PICKUP_STATUSES, "paid", "partially_paid"))
    names = mapping.invoice_statuses
    sent_otherwise = {s.name for s in statuses if s.name and (s.is_sent or s.is_paid)}
    booked = {names.transferred, names.paid, *([names.partially_paid] if names.partially_paid else [])}
    waiting = {names.ready_to_transfer, *([names.error] if names.error else [])}
    return StatusBook(
        ready=names.ready_to_transfer,
        transferred=names.transferred,
        paid_name=names.paid,
        booked=frozenset((booked | sent_otherwise) - waiting),
        waiting=frozenset(waiting),
        paid=frozenset({names.paid} | {s.name for s in statuses if s.name and s.is_paid}),
    )


def _raw_lines(invoice: Invoice) -> list[LineSums]:
    """Severa's own rows, signs turned on a credit note Severa gives with positive amounts."""
    details = invoice.invoice_details
    turn = invoice.is_credit_note and details is not None and details.invoice_total_vat_included_amount > ZERO
    sign = Decimal(-1) if turn else Decimal(1)
    return [
        (NOT_MAPPED, row.row_vat_rate_percent, sign * row.row_vat_excluded_amount, sign * row.row_vat_amount,
         sign * row.row_amount)
        for row in invoice.invoice_rows
        if (row.row_vat_excluded_amount, row.row_vat_amount, row.row_amount) != (ZERO, ZERO, ZERO)
    ]  # fmt: skip


def _mapped_lines(
    invoice: Invoice, mapping: MappingConfig
) -> list[tuple[str, Decimal | None, Decimal, Decimal, Decimal]]:
    """The rows as the invoices transfer sends them; raises ``IntegrationError`` when it refuses the invoice."""
    mapped = map_invoice(invoice, mapping)
    lines: list[LineSums] = []
    for line in mapped.invoice.lines:
        if isinstance(line, InvoiceProductLine) and line.line_sum is not None and line.vat_sum is not None:
            lines.append((str(line.vat_code), line.vat_percentage, line.line_sum - line.vat_sum, line.vat_sum,
                          line.line_sum))  # fmt: skip
    return lines


def severa_facts(invoice: Invoice, book: StatusBook, mapping: MappingConfig) -> SeveraInvoice:
    try:
        lines = _mapped_lines(invoice, mapping)
    except IntegrationError:
        lines = _raw_lines(invoice)
    breakdown = vat_breakdown(lines)
    gross, net, vat = (sum((getattr(b, name) for b in breakdown), ZERO) for name in ("gross", "net", "vat"))
    details = invoice.invoice_details
    reference = (invoice.reference_number or (details.seller_reference_identifier if details else None) or "").strip()
    return SeveraInvoice(
        guid=invoice.guid or "",
        number="" if invoice.number is None else str(invoice.number),
        invoice_date=local_date(invoice.date),
        status=invoice.invoice_status or "",
        stage=book.stage(invoice.invoice_status),
        account_guid=invoice.account_guid or "",
        customer_number="" if invoice.account_number is None else str(invoice.account_number),
        customer_name=(invoice.account_name or "").strip(),
        gross=gross,
        net=net,
        vat=vat,
        reference=reference,
        is_credit_note=invoice.is_credit_note or gross < ZERO,
        credited_guid=(invoice.reimburse_invoice_guid or "").strip() or None,
        paid=(invoice.invoice_status or "") in book.paid,
        payment_date=local_date(invoice.payment_date) if invoice.payment_date else None,
        vat_lines=breakdown,
    )


def _utc_day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class SeveraSide:
    """The Severa reads of one reconciliation (every call counts against the daily quota)."""

    def __init__(self, client: SeveraClient, mapping: MappingConfig, *, window_days: int):
        self.client = client
        self.mapping = mapping
        self.window_days = window_days

    def invoices(self, period: Period, book: StatusBook) -> Iterator[list[SeveraInvoice]]:
        """The period's invoices (by invoice date) as facts, a window at a time. Each window's answer is
        read to its end before anything else is done (no other request while Severa is sending)."""
        units = unit_guids(self.client, self.mapping)
        for start, end in period.windows(self.window_days):
            seen: set[str] = set()
            facts: list[SeveraInvoice] = []
            query_start, query_end = _utc_day(start - timedelta(days=1)), _utc_day(end + timedelta(days=1))
            for unit in units:
                for invoice in self.client.iter_invoices_by_date(query_start, query_end, unit):
                    if invoice.guid and invoice.guid not in seen and start <= local_date(invoice.date) <= end:
                        seen.add(invoice.guid)
                        facts.append(severa_facts(invoice, book, self.mapping))
            yield facts

    def invoice(self, guid: str) -> Invoice | None:
        return self.client.invoice(guid)

    def customers(self) -> dict[str, Customer]:
        """Every Severa customer by account GUID, in one call (cheaper in quota than one call each)."""
        return {c.guid: c for c in self.client.customers_changed_since(EPOCH) if c.guid}
