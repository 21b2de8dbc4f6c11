"""The payments transfer: Netvisor sales payments -> Severa invoice payment date, status and log.

Here the *source* is Netvisor and the *target* is Severa, through the same engine: the engine's
single writer makes the Severa write-back calls, Netvisor reads are the fetch.

- Fetch: salespaymentlist.nv and salesinvoicelist.nv with the same last-modified window (the cursor
  minus the engine's overlap, the run's ``since``, ``payments.since`` on a first run, or
  ``FIRST_RUN_LOOKBACK``). Each payment is one record, keyed ``netvisor/payment/<key>``; an invoice
  Netvisor moved to credit loss is one more record (``netvisor/creditloss/<key>``), always reported.
- Match: the invoices transfer's ledger (``severa/invoice/<GUID>`` -> Netvisor key) read backwards
  once per run (``InvoiceLedgerIndex``), else Severa invoices awaiting payment by invoice number, then
  by reference number (``payments.match_by``), read once per run and only when needed.
- Write: a log entry, then the payment date and the paid status (open sum zero), or for a partial
  payment the log entry (with amount and remaining open sum) and, with ``record_partial_payments``,
  the partially-paid status. All three Severa calls are idempotent, so a replay is harmless.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from severa_netvisor.engine import PlannedWrite, RunBase, RunContext, SourceRecord
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.mapping.payments import (
    CREDIT_LOSS_STATUS,
    NetvisorInvoiceFacts,
    PaymentFacts,
    PaymentUnmatched,
    SeveraWriteBack,
    credit_loss_report,
    describe_payment,
    normalize_reference,
    open_sums_after,
    payment_content_hash,
    plan_write_back,
)
from severa_netvisor.netvisor.models import SalesInvoiceSummary, SalesPayment
from severa_netvisor.observability import logger
from severa_netvisor.severa.models import InvoiceKey
from severa_netvisor.state import Cursor, LedgerStatus, SourceRef
from severa_netvisor.timezone import OFFICE_ZONE, from_office_naive, to_office_naive
from severa_netvisor.transfers.context import Clients, TransferContext

TRANSFER_NAME = "payments"
#: Without a cursor, ``since`` or ``payments.since``, a first run looks this far back.
FIRST_RUN_LOOKBACK = timedelta(days=30)
PAGE_SIZE = 100
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: How far back a replay looks for one payment (Netvisor has no read of one payment by its key).
REPLAY_LOOKBACK = timedelta(days=400)

#: The summary (and so the pending marker) names the Severa invoice a payment is written back to.
SEVERA_INVOICE = "severa_invoice"

#: What a run says when the mapping switches payments off.
DISABLED_MESSAGE = "payments.enabled is false in the mapping: no payments were read or written back to Severa"


# Netvisor writes and filters times in Finnish local time, without an offset.
to_netvisor_time = to_office_naive
from_netvisor_time = from_office_naive


class InvoiceLedgerIndex:
    """Netvisor invoice key -> Severa invoice GUID, from the invoices transfer's ledger read backwards
    (one Query per run, on first need)."""

    def __init__(self, run: RunContext):
        self._run = run
        self._map: dict[str, str] | None = None

    def severa_guid(self, netvisor_key: int) -> str | None:
        if self._map is None:
            self._map = dict(self._run.ledger.targets_of("severa", "invoice"))
        return self._map.get(str(netvisor_key))


@dataclass(frozen=True)
class PaymentPlan:
    facts: PaymentFacts
    write_back: SeveraWriteBack


class SeveraInvoiceFinder:
    """Severa invoices awaiting payment, by number and by reference; read once per run, on first need,
    streamed, keeping only each invoice's GUID, number and reference (any number of open invoices)."""

    def __init__(self, clients: Clients, mapping: MappingConfig):
        self._clients = clients
        self._mapping = mapping
        self._by_number: dict[str, list[InvoiceKey]] | None = None
        self._by_reference: dict[str, list[InvoiceKey]] = {}

    def _load(self) -> None:
        statuses = self._mapping.invoice_statuses
        names = {statuses.transferred}
        if statuses.partially_paid:
            names.add(statuses.partially_paid)
        severa = self._clients.severa
        for status in severa.invoice_statuses():
            # Invoices sent by other means (by hand, the vendor's add-on) wait for payment in such statuses.
            if status.name and status.is_active and status.is_waiting_payment and not status.is_paid:
                names.add(status.name)
        seen: set[str] = set()
        self._by_number = defaultdict(list)
        self._by_reference = defaultdict(list)
        for name in sorted(names):
            for invoice in severa.iter_invoice_keys_by_status(name):
                if not invoice.guid or invoice.guid in seen:
                    continue
                seen.add(invoice.guid)
                if invoice.number is not None:
                    self._by_number[str(invoice.number)].append(invoice)
                reference = normalize_reference(invoice.reference_number)
                if reference:
                    self._by_reference[reference].append(invoice)

    def find(self, facts: PaymentFacts) -> str | None:
        numbers = [facts.invoice_number] + ([facts.invoice.number] if facts.invoice else [])
        references = [facts.reference] + ([facts.invoice.reference] if facts.invoice else [])
        for way in self._mapping.payments.match_by:
            if self._by_number is None:
                self._load()
            assert self._by_number is not None
            table, keys = (
                (self._by_number, [n.strip() for n in numbers])
                if way == "invoice_number"
                else (self._by_reference, [normalize_reference(r) for r in references])
            )
            for key in dict.fromkeys(k for k in keys if k):
                matches = table.get(key, [])
                if len(matches) > 1:
                    guids = ", ".join(sorted(i.guid or "?" for i in matches))
                    raise PaymentUnmatched(
                        f"{describe_payment(facts)}: {len(matches)} Severa invoices awaiting payment have the "
                        f"{way.replace('_', ' ')} {key} ({guids}). Mark the right one paid in Severa by hand."
                    )
                if matches:
                    return matches[0].guid
        return None


class PaymentsTransfer:
    name = TRANSFER_NAME

    def __init__(self, context: TransferContext):
        self.context = context

    def start(self, run: RunContext) -> PaymentsRun:
        return PaymentsRun(run, self.context.for_run(run.planner))


class PaymentsRun(RunBase[PaymentPlan]):
    #: A payment Netvisor changed after it was written back is written back again (the calls are idempotent).
    allows_update = True
    #: Severa's three write-back calls are idempotent: a lost answer is simply sent again.
    idempotent_writes = True

    def __init__(self, run: RunContext, clients: Clients):
        self.run = run
        self.clients = clients
        self.mapping = clients.mapping
        self.ledger_index = InvoiceLedgerIndex(run)
        self.finder = SeveraInvoiceFinder(clients, self.mapping)

    # -- fetch ------------------------------------------------------------------------------------
    def window_start(self, since: Cursor | None, *, full_resync: bool) -> datetime | None:
        if since is not None:
            return since.changed_at
        configured = self.mapping.payments.since
        if configured is not None:
            return datetime(configured.year, configured.month, configured.day, tzinfo=OFFICE_ZONE)
        if full_resync:
            return None
        return self.run.now() - FIRST_RUN_LOOKBACK

    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        if not self.mapping.payments.enabled:
            # Not an error: the operator switched it off. The run ends empty (no alarm); the log says why.
            logger.warning(DISABLED_MESSAGE)
            return
        read_at = self.run.now()
        start = self.window_start(since, full_resync=full_resync)
        start_local = to_netvisor_time(start) if start is not None else None
        payments = self.clients.netvisor.list_sales_payments(last_modified_start=start_local)
        invoices = list(self.clients.netvisor.iter_sales_invoices(last_modified_start=start_local))
        records = self._payment_records(payments, invoices, read_at)
        # The invoice list gives no change time: a credit loss sits at the window's start, so a re-read
        # (the engine's overlap) finds it behind the cursor and does not report it twice.
        credit_loss_at = start or EPOCH
        records.extend(
            _credit_loss_record(i, credit_loss_at) for i in invoices if i.status.lower() == CREDIT_LOSS_STATUS
        )
        records.sort(key=lambda r: (r.changed_at, r.ref.id))
        logger.info("payments read", extra={"payments": len(payments), "invoices": len(invoices), "since": str(start)})
        for offset in range(0, len(records), PAGE_SIZE):
            yield records[offset : offset + PAGE_SIZE]

    def _payment_records(
        self, payments: Sequence[SalesPayment], invoices: Sequence[SalesInvoiceSummary], read_at: datetime
    ) -> list[SourceRecord]:
        by_number = {i.number: i for i in invoices if i.number}
        by_reference = {normalize_reference(i.reference_number): i for i in invoices if i.reference_number}

        def changed(payment: SalesPayment) -> datetime:
            return from_netvisor_time(payment.last_modified) if payment.last_modified else read_at

        ordered = sorted(payments, key=lambda p: (changed(p), p.netvisor_key))
        invoice_of: dict[int, SalesInvoiceSummary | None] = {}
        for payment in ordered:
            invoice = by_number.get(payment.invoice_number) if payment.invoice_number else None
            if invoice is None and payment.invoice_number:
                # Changed outside the window (it should not be): ask for it by number.
                page = self.clients.netvisor.list_sales_invoices(invoice_number=payment.invoice_number)
                invoice = page.invoices[0] if page.invoices else None
                if invoice is not None:
                    by_number[invoice.number] = invoice
            if invoice is None and payment.reference_number:
                invoice = by_reference.get(normalize_reference(payment.reference_number))
            invoice_of[payment.netvisor_key] = invoice
        per_invoice: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
        for payment in ordered:
            invoice = invoice_of[payment.netvisor_key]
            if invoice is not None:
                per_invoice[invoice.netvisor_key].append((payment.netvisor_key, payment.sum or Decimal(0)))
        guid_of_invoice = self._invoices_written_to(ordered, invoice_of)
        open_after: dict[int, Decimal | None] = {}
        for invoice_key, items in per_invoice.items():
            open_now = next(i.open_sum for i in invoice_of.values() if i is not None and i.netvisor_key == invoice_key)
            open_after.update(open_sums_after(items, open_now))
        records = []
        for payment in ordered:
            invoice = invoice_of[payment.netvisor_key]
            facts = PaymentFacts(
                payment_key=payment.netvisor_key,
                payment_date=payment.payment_date,
                amount=payment.sum or Decimal(0),
                invoice_number=payment.invoice_number,
                reference=payment.reference_number,
                payer=payment.name,
                invoice=_invoice_facts(invoice) if invoice else None,
                open_after=open_after.get(payment.netvisor_key),
                severa_invoice_guid=(
                    self.ledger_index.severa_guid(invoice.netvisor_key) or guid_of_invoice.get(invoice.netvisor_key)
                    if invoice
                    else None
                ),
            )
            if facts.severa_invoice_guid is None and (facts.amount > 0 and invoice is not None):
                # Matched here (fetch may read), so an unmatched payment fails in ``prepare`` and is
                # reported once, not again on every re-read.
                facts = self._match_in_severa(facts)
            ref = SourceRef("netvisor", "payment", str(payment.netvisor_key))
            records.append(SourceRecord(ref, changed(payment), facts, label=describe_payment(facts)))
        return records

    def _invoices_written_to(
        self, ordered: Sequence[SalesPayment], invoice_of: dict[int, SalesInvoiceSummary | None]
    ) -> dict[int, str]:
        """Netvisor invoice key -> Severa invoice GUID, for invoices a payment was written back to before.

        A payment written back knows its Severa invoice from its own ledger entry (the invoice may since
        have left the statuses the number/reference match reads), and so do its siblings. So does one
        whose write-back may have reached Severa unrecorded (a crash, a lost answer: the ledger still
        says pending): its marker names the invoice, and the write-back is repeated (it is idempotent)
        instead of the payment being reported as matching no invoice once the invoice is paid."""
        written = self.run.ledger.get(SourceRef("netvisor", "payment", str(p.netvisor_key)) for p in ordered)
        found: dict[int, str] = {}
        for payment in ordered:
            entry = written.get(SourceRef("netvisor", "payment", str(payment.netvisor_key)))
            invoice = invoice_of[payment.netvisor_key]
            if entry is None or invoice is None:
                continue
            if entry.status is LedgerStatus.DONE and entry.target_key:
                found[invoice.netvisor_key] = entry.target_key
            elif entry.status is LedgerStatus.PENDING and entry.summary.get(SEVERA_INVOICE):
                found.setdefault(invoice.netvisor_key, entry.summary[SEVERA_INVOICE])
        return found

    def fetch_one(self, ref: SourceRef) -> SourceRecord | None:
        """A replay: the payment (or credit loss) read again from Netvisor, matched afresh."""
        start = to_netvisor_time(self.run.now() - REPLAY_LOOKBACK)
        netvisor = self.clients.netvisor
        if ref.type == "creditloss":
            invoices = [
                i for i in netvisor.iter_sales_invoices(last_modified_start=start) if str(i.netvisor_key) == ref.id
            ]
            return _credit_loss_record(invoices[0], self.run.now()) if invoices else None
        payments = [p for p in netvisor.list_sales_payments(last_modified_start=start) if str(p.netvisor_key) == ref.id]
        if not payments:
            return None
        numbers = {p.invoice_number for p in payments if p.invoice_number}
        invoices = [i for n in numbers for i in netvisor.iter_sales_invoices(invoice_number=n)]
        records = self._payment_records(payments, invoices, self.run.now())
        return records[0] if records else None

    def _match_in_severa(self, facts: PaymentFacts) -> PaymentFacts:
        try:
            guid = self.finder.find(facts)
        except PaymentUnmatched as error:
            return replace(facts, match_problem=error.message)
        if guid is None:
            ways = " or ".join(w.replace("_", " ") for w in self.mapping.payments.match_by)
            problem = (
                f"{describe_payment(facts)}: no Severa invoice matches it (not in the invoices ledger, no Severa "
                f"invoice awaiting payment with the same {ways}; reference {facts.reference or '(none)'}). "
                "Mark the invoice paid in Severa by hand, or fix its number or reference and replay the record."
            )
            return replace(facts, match_problem=problem)
        return replace(facts, severa_invoice_guid=guid)

    # -- map --------------------------------------------------------------------------------------
    def prepare(self, record: SourceRecord) -> PlannedWrite[PaymentPlan]:
        if isinstance(record.data, NetvisorInvoiceFacts):
            raise credit_loss_report(record.data)
        facts: PaymentFacts = record.data
        write_back = plan_write_back(facts, self.mapping.invoice_statuses, self.mapping.payments)
        if not facts.severa_invoice_guid:
            raise PaymentUnmatched(facts.match_problem or f"{describe_payment(facts)}: no Severa invoice matches it.")
        summary = {
            "payment": str(facts.payment_key),
            "invoice_number": facts.invoice_number,
            "amount": f"{facts.amount:f}",
            "payment_date": facts.payment_date.isoformat() if facts.payment_date else "",
            "kind": write_back.kind,
            SEVERA_INVOICE: facts.severa_invoice_guid,
        }
        return PlannedWrite(
            record,
            PaymentPlan(facts, write_back),
            summary=summary,
            content_hash=payment_content_hash(facts),
        )

    # -- target (Severa) --------------------------------------------------------------------------
    def lookup_existing(self, planned: PlannedWrite[PaymentPlan]) -> str | None:
        return planned.payload.facts.severa_invoice_guid

    def write(self, planned: PlannedWrite[PaymentPlan], existing_key: str | None) -> str:
        facts, write_back = planned.payload.facts, planned.payload.write_back
        guid = existing_key or facts.severa_invoice_guid
        if not guid:  # prepare refuses such records; kept as a guard
            raise PaymentUnmatched(f"{describe_payment(facts)}: no Severa invoice matches it.")
        severa = self.clients.severa
        # The log entry first: the paid status may make the invoice read-only in Severa.
        severa.add_invoice_log_entry(guid, write_back.log_text)
        if write_back.payment_date is not None:
            severa.set_invoice_payment_date(guid, write_back.payment_date)
        if write_back.status:
            severa.set_invoice_status(guid, write_back.status)
        return guid


def _invoice_facts(invoice: SalesInvoiceSummary) -> NetvisorInvoiceFacts:
    return NetvisorInvoiceFacts(
        netvisor_key=invoice.netvisor_key,
        number=invoice.number,
        reference=invoice.reference_number,
        status=invoice.status,
        invoice_sum=invoice.invoice_sum,
        open_sum=invoice.open_sum,
    )


def _credit_loss_record(invoice: SalesInvoiceSummary, at: datetime) -> SourceRecord:
    facts = _invoice_facts(invoice)
    return SourceRecord(
        SourceRef("netvisor", "creditloss", str(invoice.netvisor_key)),
        at,
        facts,
        label=f"invoice {invoice.number} (credit loss in Netvisor)",
    )


def build_transfer(context: TransferContext) -> PaymentsTransfer:
    return PaymentsTransfer(context)
