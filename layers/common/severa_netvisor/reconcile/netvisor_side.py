"""Reading Netvisor for a period: sales invoices a page at a time, each page's lines in one request.

Netvisor takes one request at a time per company: every read here goes through the one client (its
process-wide company lock) while the reconciliation holds the shared ``netvisor-company`` lease, so
no transfer runs against Netvisor meanwhile. A page of ``salesinvoicelist.nv`` holds at most 500
invoices and ``getsalesinvoice.nv`` takes at most 500 keys (reference API.md §3.4, §4.7, §4.8), so
every 500 invoices cost two requests and memory holds one page.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime

import requests

from severa_netvisor.netvisor.client import INVOICE_KEY_BATCH, NetvisorClient
from severa_netvisor.netvisor.models import Customer, SalesInvoice, SalesInvoiceSummary, SalesPayment
from severa_netvisor.reconcile.facts import NetvisorInvoice, vat_breakdown
from severa_netvisor.reconcile.formats import ZERO
from severa_netvisor.reconcile.period import Period

NO_CODE = "(no VAT code)"


def netvisor_facts(summary: SalesInvoiceSummary, details: SalesInvoice | None) -> NetvisorInvoice:
    lines = []
    for line in details.lines if details else ():
        gross = line.line_sum if line.line_sum is not None else ZERO
        vat = line.vat_sum if line.vat_sum is not None else ZERO
        lines.append((line.vat_code or NO_CODE, line.vat_percentage, gross - vat, vat, gross))
    return NetvisorInvoice(
        key=summary.netvisor_key,
        number=summary.number,
        invoice_date=summary.invoice_date,
        status=(summary.status or "").lower(),
        customer_code=summary.customer_code,
        customer_name=summary.customer_name,
        reference=summary.reference_number,
        gross=summary.invoice_sum if summary.invoice_sum is not None else ZERO,
        open_sum=summary.open_sum,
        vat_lines=vat_breakdown(lines),
    )


def count_requests(session: requests.Session) -> list[int]:
    """A one-item list counting the requests ``session`` sends (a response hook)."""
    counter = [0]

    def hook(response: requests.Response, *args: object, **kwargs: object) -> requests.Response:
        counter[0] += 1
        return response

    session.hooks["response"].append(hook)
    return counter


class NetvisorSide:
    """The Netvisor reads of one reconciliation."""

    def __init__(self, client: NetvisorClient):
        self.client = client

    def invoices(self, period: Period) -> Iterator[list[NetvisorInvoice]]:
        """The period's sales invoices and credit notes (by invoice date), a page at a time."""
        above: int | None = None
        while True:
            page = self.client.list_sales_invoices(above_key=above, begin_date=period.start, end_date=period.end)
            summaries = [s for s in page.invoices if s.invoice_date is None or s.invoice_date in period]
            yield self._with_lines(summaries)
            if page.next_above_key is None:
                return
            above = page.next_above_key

    def by_keys(self, keys: Sequence[int]) -> list[NetvisorInvoice]:
        """Invoices by Netvisor key, whatever their date (absent keys are absent from the answer)."""
        found: list[NetvisorInvoice] = []
        for start in range(0, len(keys), INVOICE_KEY_BATCH):
            for invoice in self.client.get_sales_invoices(keys[start : start + INVOICE_KEY_BATCH]):
                if invoice.netvisor_key is None:
                    continue
                summary = SalesInvoiceSummary(
                    netvisor_key=invoice.netvisor_key,
                    number=invoice.number,
                    invoice_date=invoice.invoice_date,
                    status=invoice.status,
                    customer_name=invoice.customer_name,
                    reference_number=invoice.reference_number,
                    invoice_sum=invoice.amount,
                )
                found.append(netvisor_facts(summary, invoice))
        return found

    def _with_lines(self, summaries: Sequence[SalesInvoiceSummary]) -> list[NetvisorInvoice]:
        if not summaries:
            return []
        details = {d.netvisor_key: d for d in self.client.get_sales_invoices([s.netvisor_key for s in summaries])}
        return [netvisor_facts(s, details.get(s.netvisor_key)) for s in summaries]

    def payments(self, since: date) -> list[SalesPayment]:
        """Sales payments changed since the period began (a payment is never older than its invoice)."""
        return self.client.list_sales_payments(last_modified_start=datetime(since.year, since.month, since.day))

    def customers(self, keys: Sequence[int]) -> list[Customer]:
        return self.client.get_customers(keys)
