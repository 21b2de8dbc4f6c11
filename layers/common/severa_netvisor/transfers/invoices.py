"""The invoices transfer: Severa sales invoices and credit notes to Netvisor, each exactly once.

- **Pick-up** (``invoice_pickup``): the operator's "ready to transfer" status is the work queue; every
  run reads all of it. An invoice's position is its entry date (Severa keeps no change time on it).
  An invoice whose failure is open and which has not changed since is not tried again (the engine's
  register); a fixed one is.
- **Customer first**: each invoice names its customer as a requirement; the engine brings an account
  Netvisor does not have yet over through the customers transfer, with the same exactly-once path as
  a scheduled customers run, before the invoice is written.
- **prepare** maps and validates (``mapping.invoices``) without I/O; the request body is built once,
  there, when the customer's Netvisor key is known (else once, when written). Its identity (the
  content hash) comes from the mapped invoice, not from bytes carrying keys or the PDF.
- **preload** reads the Severa PDFs of a page ahead, off the Netvisor writer thread.
- **write** (the single Netvisor channel): create (or, when updates are allowed, edit) with the PDF
  attached. A number Netvisor already holds (DUPLICATE_DATA, or an earlier create's answer was lost)
  is adopted only when number, customer, date, total and reference all agree; otherwise it is a
  conflict a person resolves.
- **What prepare needs besides the invoice** is read in fetch, in bulk (``_learn``): every customer's
  reverse-charge flag (Severa keeps it on the account, not the invoice: one read of all accounts per
  run), and for a credit note the supply dates of the invoice it credits (from the invoices the run has
  read, else the ledger, else one Severa read), whose VAT rates its rows keep.
- **Credit notes** are matched to their invoices once both are sent in Netvisor (``credit_notes``); the
  invoice's Severa log then says so, and one the credit notes settle in full gets the paid status.
- **after_write / after_failure**: Severa's invoice log and status. The log is for the invoice's
  author: it gets the transfer and the failures they can fix, never outages or configuration.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from severa_netvisor.engine import (
    PlannedWrite,
    Requirement,
    RunBase,
    RunContext,
    Skip,
    SourceRecord,
    content_hash,
)
from severa_netvisor.errors import IntegrationError, RecordError
from severa_netvisor.failures import FailedRecord
from severa_netvisor.mapping.invoices import (
    CUSTOMER_PLACEHOLDER_PREFIX,
    InvoiceValidationError,
    MappedInvoice,
    buyer_email,
    customer_placeholder,
    invoice_label,
    local_date,
    map_invoice,
    pdf_attachment,
)
from severa_netvisor.netvisor import xmlbuild
from severa_netvisor.netvisor.errors import NetvisorDuplicateDataError
from severa_netvisor.netvisor.models import SalesInvoice, SalesInvoiceInput, SalesInvoiceSummary
from severa_netvisor.observability import logger
from severa_netvisor.severa.characters import refuse_forbidden_characters
from severa_netvisor.severa.client import EPOCH
from severa_netvisor.severa.models import Invoice
from severa_netvisor.state import Cursor, LedgerEntry, SourceRef
from severa_netvisor.timezone import finnish_date, office_date
from severa_netvisor.transfers.context import Clients, TransferContext
from severa_netvisor.transfers.credit_notes import (
    MATCH_TYPE,
    CreditMatch,
    MatchOutcome,
    invoices_of_matches,
    make_match,
    match_outcome,
    note_waiting,
    prepare_match,
    waiting_matches,
)
from severa_netvisor.transfers.customers import account_ref, invoicing_email_ref
from severa_netvisor.transfers.invoice_pickup import Pickup, check_pickup, spool_invoices

__all__ = [
    "AmbiguousInvoiceError",
    "InvoicePayload",
    "InvoiceValidationError",
    "InvoicesRun",
    "InvoicesTransfer",
    "build_transfer",
    "invoice_ref",
]

PAGE_SIZE = 100
FIRST_PAGE_SIZE = 10
#: Concurrent Severa PDF reads while a page is read ahead (Severa has no one-at-a-time rule).
PDF_READERS = 4
LOG_CONTEXT = "Netvisor"
#: AccountGetOptions.IncludeInactive: an inactive customer's invoices still need its reverse-charge flag.
INCLUDE_INACTIVE = 2
#: Up to this many customers' reverse-charge flags are read one by one; more in one read of all accounts.
FEW_ACCOUNTS = 5
#: The ledger summary field holding an invoice's supply dates (what its credit notes' VAT rates follow).
SUPPLY_DATES = "supply_dates"


def invoice_ref(guid: str) -> SourceRef:
    return SourceRef("severa", "invoice", guid)


class AmbiguousInvoiceError(RecordError):
    """Netvisor already holds an invoice under this number that is not this one."""

    system = "netvisor"
    action = (
        "Check the invoice with this number in Netvisor: if it is this invoice, correct it there so that "
        "customer, date, total and reference agree, then replay; if it is another, renumber one of them."
    )


@dataclass(frozen=True)
class Credited:
    """What a credit note needs of the invoice it credits: its rows' supply dates (the credit note's VAT
    date) and its number (the credit note's waiting match names it)."""

    supply_dates: tuple[date, ...] = ()
    number: str | None = None


@dataclass(frozen=True)
class InvoicePayload:
    mapped: MappedInvoice
    guid: str
    #: The customer's number (Netvisor's customer code): how an invoice already there is recognised.
    customer_number: str = ""


class InvoicesTransfer:
    name = "invoices"
    #: An invoice's customer must be in Netvisor first: the engine brings it over with this transfer.
    needs = ("customers",)

    def __init__(self, context: TransferContext):
        self.context = context

    def start(self, run: RunContext) -> InvoicesRun:
        return InvoicesRun(run, self.context.for_run(run.planner))


class InvoicesRun(RunBase[Any]):
    writes_back = True

    def __init__(self, run: RunContext, clients: Clients):
        self.run = run
        self.clients = clients
        self.mapping = clients.mapping
        self.allows_update = self.mapping.allow_updates.invoices
        self._lock = threading.Lock()
        self._pickup: Pickup | None = None
        #: Severa PDFs read ahead a page at a time (``preload``), taken by ``write``.
        self._pdfs: dict[str, bytes | None] = {}
        #: Request bodies completed ahead (``preload``), taken by ``write``.
        self._bodies: dict[str, tuple[SalesInvoiceInput, bytes]] = {}
        #: Severa invoice GUID -> Netvisor key, for invoices this run wrote or adopted.
        self._written: dict[str, str] = {}
        #: Severa account GUID -> its ReverseCharge flag (read in bulk in fetch, see ``_learn``).
        self._reverse_charge: dict[str, bool] = {}
        #: Severa invoice GUID -> what its credit notes need of it, for the invoices credit notes credit.
        self._credited: dict[str, Credited] = {}
        #: Credit note GUID -> the match this run made (for the Severa write-back of the invoice).
        self._matches: dict[str, MatchOutcome] = {}
        #: The credit notes waiting for a match when the run began, and their invoices as Netvisor lists
        #: them (read once, in bulk, by the writer when the first match comes up).
        self._waiting: list[SourceRecord] = []
        self._waiting_invoices: dict[str, SalesInvoice] | None = None

    # -- reading ----------------------------------------------------------------------------------
    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        # The ready status is the work queue: read all of it (``since`` cannot narrow a status read),
        # spooled (``invoice_pickup``): pages are typed one at a time, whatever the backlog.
        severa = self.clients.severa
        pickup = self._pickup = check_pickup(severa, self.mapping)
        # Credit notes waiting for a match, as they are before this run writes anything: the ones this
        # run creates wait for the next run (their invoices must be sent in Netvisor first anyway).
        matches = self._waiting = waiting_matches(self.run, {}, self.run.now())
        # Past the day's share of Severa's quota no new page is taken (the run stops, checkpointed):
        # checked before the list is read too, so the runs until Severa's reset cost one call each.
        severa.check_quota_share()
        spool = spool_invoices(severa, self.mapping, pickup, self.run.now())
        # A short first page: Netvisor's writer starts as soon as a few invoices are ready.
        pages = spool.pages(PAGE_SIZE, first=min(FIRST_PAGE_SIZE, PAGE_SIZE))
        try:
            for invoices in pages:
                severa.check_quota_share()
                self._learn(invoices, bulk=True)
                yield [self._record(invoice) for invoice in invoices]
        finally:
            pages.close()
        for start in range(0, len(matches), PAGE_SIZE):
            yield matches[start : start + PAGE_SIZE]

    @staticmethod
    def _record(invoice: Invoice) -> SourceRecord:
        return SourceRecord(invoice_ref(invoice.guid or ""), invoice.entry_date, invoice, label=invoice_label(invoice))

    def fetch_one(self, ref: SourceRef) -> SourceRecord | None:
        if ref.type == MATCH_TYPE:
            found = waiting_matches(self.run, {}, self.run.now())
            return next((r for r in found if r.ref == ref), None)
        if self._pickup is None:
            self._pickup = check_pickup(self.clients.severa, self.mapping)
        invoice = self.clients.severa.invoice(ref.id)
        if invoice is None or not invoice.guid:
            return None
        self._learn([invoice], bulk=False)
        return self._record(invoice)

    def _learn(self, invoices: Sequence[Invoice], *, bulk: bool) -> None:
        """Read (here, off the writer thread) what ``prepare`` needs besides the invoices themselves."""
        self._learn_reverse_charge(invoices, bulk=bulk)
        self._learn_credited(invoices)
        self._note_invoicing_emails(invoices)

    def _note_invoicing_emails(self, invoices: Sequence[Invoice]) -> None:
        """Note beside the ledger the address each customer's invoices go to (the latest invoice's buyer
        e-mail), before any customer is brought over: the customers transfer sends it as the customer's
        e-mail invoicing address (``transfers.customers``)."""
        emails: dict[str, str] = {}
        for invoice in sorted(invoices, key=lambda i: i.entry_date):
            email = buyer_email(invoice)
            if email and invoice.account_guid:
                emails[invoice.account_guid] = email
        if not emails:
            return
        noted = self.run.ledger.get([invoicing_email_ref(guid) for guid in emails])
        for guid, email in sorted(emails.items()):
            entry = noted.get(invoicing_email_ref(guid))
            if entry is None or entry.target_key != email:
                self.run.ledger.note(invoicing_email_ref(guid), target_key=email, summary={"email": email}, open_=True)

    def _learn_reverse_charge(self, invoices: Sequence[Invoice], *, bulk: bool) -> None:
        """The customers' ReverseCharge flags, for the invoices whose VAT depends on it (a 0 % row on an
        invoice not marked tax-free): a few accounts one by one, more in one read of every account."""
        wanted = {i.account_guid for i in invoices if i.account_guid and _flag_matters(i)} - set(self._reverse_charge)
        if not wanted:
            return
        severa = self.clients.severa
        if bulk and len(wanted) > FEW_ACCOUNTS:
            accounts = severa.accounts_changed_since(EPOCH, options=INCLUDE_INACTIVE)
            self._reverse_charge.update({a.guid: bool(a.reverse_charge) for a in accounts if a.guid})
        for guid in sorted(g for g in wanted - set(self._reverse_charge) if g):
            account = severa.account(guid)
            self._reverse_charge[guid] = bool(account and account.reverse_charge)

    def _learn_credited(self, invoices: Sequence[Invoice]) -> None:
        """For each credit note, the supply dates and number of the invoice it credits: from the invoices this run
        has read (each keeps its few dates here, since a credit note usually comes pages after its
        invoice), else from the invoices ledger (sent before), else read from Severa."""
        for invoice in invoices:
            if invoice.guid and not invoice.is_credit_note:
                self._note_original(invoice.guid, invoice)
        missing = {(i.reimburse_invoice_guid or "").strip() for i in invoices} - {""} - set(self._credited)
        if not missing:
            return
        sent = self.run.ledger.get([invoice_ref(guid) for guid in sorted(missing)])
        for ref, entry in sent.items():
            if entry.summary.get(SUPPLY_DATES):
                days = tuple(map(date.fromisoformat, entry.summary[SUPPLY_DATES].split(",")))
                self._credited[ref.id] = Credited(days, entry.summary.get("number") or None)
        for guid in sorted(missing - set(self._credited)):
            self._note_original(guid, self.clients.severa.invoice(guid))

    def _note_original(self, guid: str, invoice: Invoice | None) -> None:
        if invoice is None:
            self._credited.setdefault(guid, Credited())
            return
        number = str(invoice.number) if invoice.number is not None else None
        self._credited.setdefault(guid, Credited(supply_dates(invoice), number))

    def requirements(self, record: SourceRecord) -> Sequence[Requirement]:
        if record.ref.type == MATCH_TYPE:
            return ()
        invoice: Invoice = record.data
        if not invoice.account_guid:
            return ()
        name = (invoice.account_name or "").strip() or invoice.account_guid
        return (Requirement("customers", account_ref(invoice.account_guid), f"customer {name}"),)

    # -- mapping ----------------------------------------------------------------------------------
    def prepare(self, record: SourceRecord) -> PlannedWrite[Any] | Skip:
        if record.ref.type == MATCH_TYPE:
            return prepare_match(record, today=self._today(), wait_days=self.mapping.invoices.credit_note_wait_days)
        invoice: Invoice = record.data
        refuse_forbidden_characters(invoice, record.name)
        statuses = self.mapping.invoice_statuses
        sent_names = self._pickup.sent_names if self._pickup else set()
        if invoice.invoice_status not in (statuses.ready_to_transfer, statuses.transferred, *sent_names):
            return Skip(f"its status '{invoice.invoice_status}' is not '{statuses.ready_to_transfer}'")
        customer = self.run.key_of(account_ref(invoice.account_guid or ""))
        credited = self._credited.get((invoice.reimburse_invoice_guid or "").strip(), Credited())
        mapped = map_invoice(
            invoice,
            self.mapping,
            customer_key=customer,
            reverse_charge=self._reverse_charge.get(invoice.account_guid or ""),
            original_supply_dates=credited.supply_dates,
        )
        if invoice.invoice_status in sent_names:
            # Severa (or its e-invoicing operator) has sent it already: Netvisor must not send it again.
            mapped = _with_status(mapped, "open")
        # The identity leaves out the customer's Netvisor key (known now or only at write time), the PDF,
        # and the Netvisor status: it follows the Severa status at pickup, and an invoice this integration
        # sent is read again (with ``sent_since``) in a sent status (transferred, paid) unchanged.
        stable = mapped.invoice.model_copy(
            update={
                "customer_identifier": customer_placeholder(mapped.account_guid),
                "status": self.mapping.invoices.netvisor_status,
            }
        )
        body = (
            None
            if customer is None or self.mapping.invoices.attach_pdf
            else xmlbuild.build_sales_invoice(mapped.invoice)
        )
        summary = {**mapped.summary, SUPPLY_DATES: ",".join(d.isoformat() for d in supply_dates(invoice))}
        return PlannedWrite(
            record,
            InvoicePayload(mapped, record.ref.id, str(invoice.account_number or "")),
            summary,
            content_hash(stable.model_dump_json()),
            body=body,
            requires=tuple(self.requirements(record)),
        )

    def preload(self, planned: Sequence[PlannedWrite[Any]]) -> None:
        if not self.mapping.invoices.attach_pdf:
            return
        wanted = [p.payload.guid for p in planned if isinstance(p.payload, InvoicePayload)]
        if not wanted:
            return
        severa = self.clients.severa
        with ThreadPoolExecutor(max_workers=PDF_READERS, thread_name_prefix="severa-pdf") as pool:
            pdfs = dict(zip(wanted, pool.map(_quietly(severa.invoice_pdf), wanted), strict=True))
        with self._lock:
            self._pdfs.update({guid: pdf for guid, pdf in pdfs.items() if pdf is not _FAILED})
        # The bodies, PDF attached, built here rather than on the Netvisor writer when the customer's
        # key is known already (a new customer's comes from the writer: that body is built there).
        for plan in planned:
            if not (isinstance(plan.payload, InvoicePayload) and self._customer_known(plan.payload)):
                continue
            try:
                completed = self._complete(plan)
            except Exception as error:  # the write builds it (and fails there, for this record, if it must)
                logger.warning(
                    "building an invoice ahead failed", extra={"source_id": plan.payload.guid, "reason": str(error)}
                )
                continue
            with self._lock:
                self._bodies[plan.payload.guid] = completed

    def _customer_known(self, payload: InvoicePayload) -> bool:
        invoice = payload.mapped.invoice
        if not invoice.customer_identifier.startswith(CUSTOMER_PLACEHOLDER_PREFIX):
            return True
        return self.run.key_of(account_ref(payload.mapped.account_guid)) is not None

    # -- Netvisor (the single writer) -------------------------------------------------------------
    def lookup_existing(self, planned: PlannedWrite[Any]) -> str | None:
        if not isinstance(planned.payload, InvoicePayload):
            return None  # a credit-note match: it is simply made again (a repeat is harmless)
        key = self._find_existing(planned.payload)
        if key is not None:
            with self._lock:
                self._written[planned.payload.guid] = key
        return key

    def write(self, planned: PlannedWrite[Any], existing_key: str | None) -> str:
        if isinstance(planned.payload, CreditMatch):
            match: CreditMatch = planned.payload
            days = self.mapping.invoices.credit_note_wait_days
            if self._waiting_invoices is None:  # the writer's thread only: no lock needed
                self._waiting_invoices = invoices_of_matches(self.clients.netvisor, self._waiting)
            outcome = make_match(
                self.clients.netvisor, match, today=self._today(), wait_days=days, known=self._waiting_invoices
            )
            with self._lock:
                self._matches[match.credit_guid] = outcome
            return outcome.key
        payload: InvoicePayload = planned.payload
        with self._lock:
            completed = self._bodies.pop(payload.guid, None)
        invoice, body = completed or self._complete(planned)
        netvisor = self.clients.netvisor
        if existing_key is not None:
            netvisor.edit_sales_invoice(int(existing_key), invoice, body=body)
            key = existing_key
        else:
            key = self._create(payload, invoice, body)
        with self._lock:
            self._written[payload.guid] = key
        return key

    def _complete(self, planned: PlannedWrite[Any]) -> tuple[SalesInvoiceInput, bytes]:
        """The invoice as sent, and its body (built once): the customer's key and the PDF filled in."""
        payload: InvoicePayload = planned.payload
        invoice = payload.mapped.invoice
        update: dict[str, Any] = {}
        if invoice.customer_identifier.startswith(CUSTOMER_PLACEHOLDER_PREFIX):
            update["customer_identifier"] = self.run.key_of(account_ref(payload.mapped.account_guid))
        if self.mapping.invoices.attach_pdf:
            pdf = self._pdf(payload.guid)
            if pdf:
                print_it = self.mapping.invoices.print_by_default
                update["attachments"] = (pdf_attachment(payload.mapped.number, pdf, print_by_default=print_it),)
        if not update and planned.body is not None:
            return invoice, planned.body
        invoice = invoice.model_copy(update=update)
        return invoice, xmlbuild.build_sales_invoice(invoice)

    def _pdf(self, guid: str) -> bytes | None:
        with self._lock:
            if guid in self._pdfs:
                return self._pdfs.pop(guid)
        return self.clients.severa.invoice_pdf(guid)  # not read ahead (a replay, a failed read-ahead)

    def _create(self, payload: InvoicePayload, invoice: SalesInvoiceInput, body: bytes) -> str:
        try:
            return str(self.clients.netvisor.add_sales_invoice(invoice, body=body))
        except NetvisorDuplicateDataError:
            # The number is taken: ours from an attempt nobody recorded, or someone else's.
            existing = self._find_existing(payload)
            if existing is None:
                raise
            logger.warning(
                "invoice already in Netvisor with the same customer, date, total and reference; adopted",
                extra={"invoice_number": payload.mapped.number, "netvisor_key": existing},
            )
            return existing

    def _find_existing(self, payload: InvoicePayload) -> str | None:
        """The Netvisor invoice that *is* this one: same number, customer, date, total and reference."""
        number = payload.mapped.number
        found = [s for s in self.clients.netvisor.iter_sales_invoices(invoice_number=number) if s.number == number]
        if not found:
            return None
        same = [s for s in found if not _differences(s, payload)]
        if len(same) == 1:
            return str(same[0].netvisor_key)
        mapped = payload.mapped
        details = "; ".join(
            f"Netvisor key {s.netvisor_key}: {', '.join(_differences(s, payload)) or 'identical'}" for s in found
        )
        raise AmbiguousInvoiceError(
            f"Netvisor already holds invoice number {mapped.number}, but "
            + ("more than one such invoice agrees with this one" if same else "not as this invoice")
            + f" ({details}); neither is changed"
        )

    # -- Severa write-back ------------------------------------------------------------------------
    def needs_write_back(self, record: SourceRecord, entry: LedgerEntry) -> bool:
        """An invoice set back to "ready" in Severa, unchanged: it is in Netvisor already; say so and
        set its status back, instead of reading it on every run forever."""
        invoice = record.data
        return (
            isinstance(invoice, Invoice) and invoice.invoice_status == self.mapping.invoice_statuses.ready_to_transfer
        )

    def after_write(self, record: SourceRecord, target_key: str, *, again: bool = False) -> None:
        invoice = record.data
        if isinstance(invoice, CreditMatch):
            self._after_match(invoice, target_key)
            return
        if not isinstance(invoice, Invoice):
            return
        guid = record.ref.id
        credited = (invoice.reimburse_invoice_guid or "").strip()
        if invoice.is_credit_note and credited and not again:
            credit = (guid, str(invoice.number), target_key)
            known = self._credited.get(credited, Credited()).number
            note_waiting(self.run, self.clients.severa, credit, credited, self._today(), number=known)
        kind = "credit note" if invoice.is_credit_note else "invoice"
        severa = self.clients.severa
        if again:
            text = f"Already in Netvisor as {kind} {invoice.number} (Netvisor key {target_key}); not sent again."
            severa.add_invoice_log_entry(guid, text, context=LOG_CONTEXT)
        elif self.mapping.invoices.log_success:
            text = f"Transferred to Netvisor as {kind} {invoice.number} (Netvisor key {target_key})"
            severa.add_invoice_log_entry(guid, text, context=LOG_CONTEXT)
        statuses = self.mapping.invoice_statuses
        if invoice.invoice_status == statuses.ready_to_transfer:
            severa.set_invoice_status(guid, statuses.transferred)

    def _after_match(self, match: CreditMatch, target_key: str) -> None:
        """The credited invoice's Severa log says so; settled in full by credit notes, it is paid."""
        with self._lock:
            outcome = self._matches.get(match.credit_guid)
        original_key = target_key.partition("->")[2]
        if outcome is None and original_key:
            # Made by an earlier run that stopped before this write-back: how Netvisor lists the invoice now.
            outcome = match_outcome(self.clients.netvisor, match, original_key, match.original_number or "")
        if outcome is None:
            return
        severa = self.clients.severa
        original = f"invoice {match.original_number}" if match.original_number else "the invoice"
        if outcome.settles_original:
            text = f"Credited in full in Netvisor by credit note {match.credit_number}: nothing is left to pay."
        elif outcome.original_open is not None:
            text = (
                f"Credit note {match.credit_number} matched to {original} in Netvisor; "
                f"{_money(outcome.original_open)} EUR is still open."
            )
        else:
            text = f"Credit note {match.credit_number} matched to {original} in Netvisor."
        severa.add_invoice_log_entry(match.original_guid, text, context=LOG_CONTEXT)
        if outcome.settles_original:
            severa.set_invoice_status(match.original_guid, self.mapping.invoice_statuses.paid)

    def _today(self) -> date:
        return office_date(self.run.now())

    def after_failure(self, record: SourceRecord, failure: FailedRecord) -> None:
        """Tell the invoice's author, in its Severa log, about what they can fix (never outages)."""
        invoice = record.data
        if not isinstance(invoice, Invoice) or not failure.for_author:
            return
        reason = failure.message if len(failure.message) <= 1500 else failure.message[:1500] + " ..."
        # The reason usually names the fix already; a specific action is added, the generic one is not.
        specific = failure.action and failure.action != IntegrationError.action
        what = f" What to do: {failure.action}" if specific else ""
        severa = self.clients.severa
        severa.add_invoice_log_entry(record.ref.id, f"Not transferred to Netvisor: {reason}{what}", context=LOG_CONTEXT)
        statuses = self.mapping.invoice_statuses
        if statuses.error and invoice.invoice_status == statuses.ready_to_transfer and failure.step != "drift":
            severa.set_invoice_status(record.ref.id, statuses.error)


_FAILED: Any = object()


def _quietly(read: Any) -> Any:
    def attempt(guid: str) -> Any:
        try:
            return read(guid)
        except Exception as error:  # the write reads it again, and fails there if it must
            logger.warning("reading an invoice PDF ahead failed", extra={"source_id": guid, "reason": str(error)})
            return _FAILED

    return attempt


def _flag_matters(invoice: Invoice) -> bool:
    """The customer's reverse-charge flag decides a VAT code only for a 0 % row of an invoice that is not
    marked tax-free (a tax-free invoice is reverse charge whatever the flag; a taxed row is domestic)."""
    tax_free = invoice.is_tax_free or bool(invoice.invoice_config and invoice.invoice_config.is_tax_free)
    return not tax_free and any(row.row_vat_rate_percent == 0 for row in invoice.invoice_rows)


def supply_dates(invoice: Invoice) -> tuple[date, ...]:
    """The supply (delivery) days of an invoice's rows, in the office's calendar."""
    return tuple(sorted({local_date(row.row_delivery_date) for row in invoice.invoice_rows}))


def _with_status(mapped: MappedInvoice, status: str) -> MappedInvoice:
    return replace(mapped, invoice=mapped.invoice.model_copy(update={"status": status}))


def _differences(found: SalesInvoiceSummary, payload: InvoicePayload) -> list[str]:
    """What differs between a Netvisor invoice and this one, in words (empty: the same invoice)."""
    invoice = payload.mapped.invoice
    problems = []
    if found.invoice_date is not None and found.invoice_date != invoice.invoice_date:
        problems.append(f"date {finnish_date(found.invoice_date)} (this one {finnish_date(invoice.invoice_date)})")
    if found.invoice_sum is not None and found.invoice_sum != invoice.amount:
        problems.append(f"total {_money(found.invoice_sum)} (this one {_money(invoice.amount)})")
    ours, theirs = _digits(invoice.reference_number), _digits(found.reference_number)
    if ours and theirs and ours != theirs:
        problems.append(f"reference {found.reference_number} (this one {invoice.reference_number})")
    name = (invoice.customer_name or "").strip().casefold()
    code = payload.customer_number
    if found.customer_code and code and found.customer_code.strip() != code:
        problems.append(f"customer number {found.customer_code} (this one {code})")
    elif (
        not (found.customer_code and code)
        and found.customer_name
        and name
        and found.customer_name.strip().casefold() != name
    ):
        problems.append(f"customer {found.customer_name} (this one {invoice.customer_name})")
    return problems


def _digits(text: str | None) -> str:
    return "".join(ch for ch in (text or "") if ch.isalnum()).upper().lstrip("0")


def _money(value: Decimal) -> str:
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


def build_transfer(context: TransferContext) -> InvoicesTransfer:
    return InvoicesTransfer(context)
