"""The payments transfer: Netvisor sales payments -> Severa invoice payment date, status and log.

Here the *source* is Netvisor and the *target* is Severa, through the same engine: the engine's
single writer makes the Severa write-back calls, Netvisor reads are the fetch.

- Fetch: salespaymentlist.nv and salesinvoicelist.nv with the same last-modified window (the cursor
  minus the engine's overlap, the run's ``since``, ``payments.since`` on a first run, or
  ``FIRST_RUN_LOOKBACK``). The payment list is read with Netvisor's documented filters
  (77000554171): credit-loss write-offs left out (``limitbytype=excludecreditloss``: a write-off is not
  a payment), and the payments targeted to an invoice apart from those that are not
  (``limitlinkedpayments``). Each payment is one record, keyed ``netvisor/payment/<key>``; one not
  targeted to any invoice, or one the bank reported failed (``BankStatus``), is an open failure naming
  it as an accountant finds it, never a partial payment; targeted later, it is written back and its
  failure closed. An invoice Netvisor moved to credit loss is one more record
  (``netvisor/creditloss/<key>``), always reported.
- Order: payments are written back in the order Netvisor booked them (their change times: the cursor
  needs that), but the paid date is the day the invoice was paid in full, the latest of its payments'
  dates (its payments outside the window read when they count), not the date of the payment booked
  last; and a partial payment of an invoice paid in full by now never sets "partially paid", whatever
  order the write-backs run in. A negative payment on a credit note is its refund: it settles the
  credit note (not a "reversed payment").
- Match: the invoices transfer's ledger (``severa/invoice/<GUID>`` -> Netvisor key) read backwards
  once per run (``InvoiceLedgerIndex``), else Severa invoices awaiting payment by invoice number, then
  by reference number (``payments.match_by``), read once per run and only when needed.
- Write: a log entry, then the payment date and the paid status (open sum zero), or for a partial
  payment the log entry (with amount and remaining open sum) and, with ``record_partial_payments``,
  the partially-paid status. All three Severa calls are idempotent, so a replay is harmless.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Literal

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

#: salespaymentlist.nv ``limitbytype``: every payment but credit-loss write-offs (77000554171).
NO_WRITE_OFFS: Literal["excludecreditloss"] = "excludecreditloss"

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
        netvisor = self.clients.netvisor
        payments = netvisor.list_sales_payments(
            last_modified_start=start_local, limit_by_type=NO_WRITE_OFFS, linked=True
        )
        untargeted = netvisor.list_sales_payments(
            last_modified_start=start_local, limit_by_type=NO_WRITE_OFFS, linked=False
        )
        invoices = list(netvisor.iter_sales_invoices(last_modified_start=start_local))
        records = self._payment_records(payments, invoices, read_at)
        records += [self._untargeted_record(p, read_at) for p in untargeted]
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
        def changed(payment: SalesPayment) -> datetime:
            return from_netvisor_time(payment.last_modified) if payment.last_modified else read_at

        ordered = sorted(payments, key=lambda p: (changed(p), p.netvisor_key))
        invoice_of = self._invoices_of(ordered, invoices)
        open_after, paid_on = self._open_sums(ordered, invoice_of)
        guid_of_invoice = self._invoices_written_to(ordered, invoice_of)
        records = []
        for payment in ordered:
            invoice = invoice_of[payment.netvisor_key]
            facts = replace(
                _facts(payment, invoice),
                open_after=open_after.get(payment.netvisor_key),
                paid_on=paid_on.get(payment.netvisor_key),
                severa_invoice_guid=(
                    self.ledger_index.severa_guid(invoice.netvisor_key) or guid_of_invoice.get(invoice.netvisor_key)
                    if invoice
                    else None
                ),
            )
            if facts.severa_invoice_guid is None and invoice is not None and _writes_back(facts, invoice):
                # Matched here (fetch may read), so an unmatched payment fails in ``prepare`` and is
                # reported once, not again on every re-read.
                facts = self._match_in_severa(facts)
            ref = SourceRef("netvisor", "payment", str(payment.netvisor_key))
            records.append(SourceRecord(ref, changed(payment), facts, label=describe_payment(facts)))
        return records

    def _invoices_of(
        self, ordered: Sequence[SalesPayment], invoices: Sequence[SalesInvoiceSummary]
    ) -> dict[int, SalesInvoiceSummary | None]:
        """Each payment's invoice: from the invoices read in the window, else asked for by number."""
        by_number = {i.number: i for i in invoices if i.number}
        by_reference = {normalize_reference(i.reference_number): i for i in invoices if i.reference_number}
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
        return invoice_of

    def _open_sums(
        self, ordered: Sequence[SalesPayment], invoice_of: Mapping[int, SalesInvoiceSummary | None]
    ) -> tuple[dict[int, Decimal | None], dict[int, date]]:
        """Per payment, the invoice's open sum right after it (in the order Netvisor booked them, the order
        they are written back in); and for a payment that leaves nothing open, the day the invoice was paid
        in full: the latest of its payments' dates, not the date of the one booked last."""
        per_invoice: dict[int, list[SalesPayment]] = defaultdict(list)
        invoices: dict[int, SalesInvoiceSummary] = {}
        for payment in ordered:
            invoice = invoice_of[payment.netvisor_key]
            if invoice is not None and not _failed(payment):
                per_invoice[invoice.netvisor_key].append(payment)
                invoices[invoice.netvisor_key] = invoice
        open_after: dict[int, Decimal | None] = {}
        paid_on: dict[int, date] = {}
        for key, items in per_invoice.items():
            sums = open_sums_after([(p.netvisor_key, p.sum or Decimal(0)) for p in items], invoices[key].open_sum)
            open_after.update(sums)
            settling = [p.netvisor_key for p in items if _settles(sums[p.netvisor_key], invoices[key])]
            if settling and any(p.payment_date for p in items):
                day = self._paid_in_full_on(invoices[key], items)
                paid_on.update(dict.fromkeys(settling, day))
        return open_after, paid_on

    def _paid_in_full_on(self, invoice: SalesInvoiceSummary, items: Sequence[SalesPayment]) -> date:
        """The latest date among the invoice's payments: those read now, and, when they do not account for
        all that was paid, its earlier ones (one more read of Netvisor's list, for this invoice only)."""
        dates = [p.payment_date for p in items if p.payment_date]
        paid = sum((p.sum or Decimal(0) for p in items), Decimal(0))
        total, open_now = invoice.invoice_sum, invoice.open_sum
        if total is not None and open_now is not None and abs(total - open_now) > abs(paid):
            earlier = self.clients.netvisor.list_sales_payments(
                invoice_key=invoice.netvisor_key, limit_by_type=NO_WRITE_OFFS, linked=True
            )
            dates += [p.payment_date for p in earlier if p.payment_date and not _failed(p)]
        return max(dates)

    @staticmethod
    def _untargeted_record(payment: SalesPayment, read_at: datetime) -> SourceRecord:
        """A payment Netvisor did not target to any invoice: reported (``prepare``), never applied."""
        changed = from_netvisor_time(payment.last_modified) if payment.last_modified else read_at
        facts = replace(_facts(payment, None), linked=False)
        return SourceRecord(SourceRef("netvisor", "payment", str(payment.netvisor_key)), changed, facts,
                            label=describe_payment(facts))  # fmt: skip

    def _invoices_written_to(
        self, ordered: Sequence[SalesPayment], invoice_of: Mapping[int, SalesInvoiceSummary | None]
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
        def read(linked: bool) -> list[SalesPayment]:
            found = netvisor.list_sales_payments(last_modified_start=start, limit_by_type=NO_WRITE_OFFS, linked=linked)
            return [p for p in found if str(p.netvisor_key) == ref.id]

        payments = read(True)
        if not payments:
            untargeted = read(False)
            return self._untargeted_record(untargeted[0], self.run.now()) if untargeted else None
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


def _settles(open_after: Decimal | None, invoice: SalesInvoiceSummary) -> bool:
    """Nothing is left open after the payment (for a credit note: nothing left to refund)."""
    if open_after is None:
        return False
    credit_note = invoice.invoice_sum is not None and invoice.invoice_sum < 0
    return open_after >= 0 if credit_note else open_after <= 0


def _failed(payment: SalesPayment) -> bool:
    """The bank reported the payment failed: it settles nothing (salespaymentlist.nv BankStatus)."""
    return payment.bank_status.strip().upper() not in ("", "OK")


def _writes_back(facts: PaymentFacts, invoice: SalesInvoiceSummary) -> bool:
    """Worth finding in Severa: a payment of an invoice, or a refund of a credit note."""
    credit_note = invoice.invoice_sum is not None and invoice.invoice_sum < 0
    return facts.amount > 0 or (credit_note and facts.amount < 0)


def _facts(payment: SalesPayment, invoice: SalesInvoiceSummary | None) -> PaymentFacts:
    error = " ".join(p for p in (payment.bank_status_error_code, payment.bank_status_error_text) if p)
    return PaymentFacts(
        payment_key=payment.netvisor_key,
        payment_date=payment.payment_date,
        amount=payment.sum or Decimal(0),
        invoice_number=payment.invoice_number,
        reference=payment.reference_number,
        payer=payment.name,
        invoice=_invoice_facts(invoice) if invoice else None,
        open_after=None,
        bank_status=payment.bank_status,
        bank_error=error,
    )


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
