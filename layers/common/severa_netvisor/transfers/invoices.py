"""The invoices transfer: Severa sales invoices and credit notes to Netvisor, each exactly once.

- **Pick-up**: invoices in the operator's "ready to transfer" status (per configured business unit),
  plus, when ``invoices.sent_since`` is set, every invoice in a sent status dated since then. The
  status is the work queue: every run reads the whole ready list (one call per business unit) and the
  ledger skips what is done. Severa keeps no change time on an invoice, so a record's position is its
  ``EntryDate``, except that an invoice changed since its failure was reported counts as changed now
  (a fingerprint of the reported content is kept in the ledger), so a fixed invoice is sent on the
  next run and an unchanged one is not reported again.
- **prepare** maps and validates (``mapping.invoices``) without I/O; the customer's Netvisor key comes
  from a batch read of the customers ledger made while fetching, a missing one is resolved by the writer.
- **write** (the single Netvisor channel): ensure the customer (the customers transfer, for that one
  account), attach the Severa PDF, create the invoice, and match a credit note to its invoice once
  both are in Netvisor. A number Netvisor already holds (DUPLICATE_DATA) is looked up and adopted
  when its total agrees.
- **lookup_existing** (an earlier create's outcome is unknown): find the invoice in Netvisor by number
  and adopt it when its total agrees.
- **after_write / after_failure**: Severa invoice log entry and status.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from severa_netvisor.engine import PlannedWrite, Skip, SourceRecord, StopRun, TransferBase
from severa_netvisor.errors import ConfigurationError, IntegrationError
from severa_netvisor.failures import FailedRecord
from severa_netvisor.mapping.invoices import (
    CUSTOMER_PLACEHOLDER_PREFIX,
    InvoiceValidationError,
    MappedInvoice,
    customer_placeholder,
    map_invoice,
    pdf_attachment,
)
from severa_netvisor.netvisor import xmlbuild
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.netvisor.errors import (
    NetvisorAuthenticationError,
    NetvisorDuplicateDataError,
    NetvisorMaintenanceError,
    NetvisorServiceAccessError,
)
from severa_netvisor.netvisor.models import SalesInvoiceInput
from severa_netvisor.observability import logger
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import EPOCH, SeveraClient
from severa_netvisor.severa.models import Invoice, InvoiceStatus
from severa_netvisor.state import Cursor, LedgerStatus, SourceRef, StateError, StateStore
from severa_netvisor.transfers.context import TransferContext
from severa_netvisor.transfers.customers import CustomersTransfer, account_ref

PAGE_SIZE = 100
#: Concurrent Severa PDF reads while a page is read ahead (Severa has no one-at-a-time rule).
PDF_READERS = 4
LOG_CONTEXT = "Netvisor"
#: The customers transfer's ledger type (``account_ref``), read here for customers' Netvisor keys.
ACCOUNT_TYPE = "account"
#: A credit note created in Netvisor whose original invoice was not there yet: keyed by the original.
CREDIT_MATCH_TYPE = "invoice-credit-match"
#: The fingerprint of an invoice whose failure (validation or drift) was last reported, keyed by its GUID.
REPORTED_TYPE = "invoice-reported"
#: Netvisor errors after which no further write can succeed in this run.
_STOPPING_ERRORS = (NetvisorAuthenticationError, NetvisorMaintenanceError, NetvisorServiceAccessError)


class CustomerResolver(Protocol):
    def ensure_customer(self, account_guid: str, *, run_id: str) -> str: ...


def invoice_ref(guid: str) -> SourceRef:
    return SourceRef("severa", "invoice", guid)


def credit_match_ref(original_guid: str) -> SourceRef:
    return SourceRef("severa", CREDIT_MATCH_TYPE, original_guid)


def reported_ref(guid: str) -> SourceRef:
    return SourceRef("severa", REPORTED_TYPE, guid)


class AmbiguousInvoiceError(IntegrationError):
    system = "netvisor"


@dataclass(frozen=True)
class _Known:
    status: LedgerStatus | None
    #: Fingerprint of the invoice when its last failure was reported, and the failed step.
    reported: str | None
    step: str | None
    version: int


class CustomerNotTransferred(IntegrationError):
    """The invoice's customer is known bad in the customers ledger: fix the account, not the invoice."""

    system = "severa"
    retryable = False


@dataclass(frozen=True)
class InvoicePayload:
    mapped: MappedInvoice
    guid: str


class InvoicesTransfer(TransferBase[InvoicePayload]):
    name = "invoices"
    writes_back = True
    matches_existing = False  # a number clash is caught by Netvisor itself (DUPLICATE_DATA) and resolved

    def __init__(
        self,
        context: TransferContext,
        state: StateStore,
        *,
        customers: CustomerResolver | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.context = context
        self.mapping = context.mapping
        self.state = state
        self.allows_update = self.mapping.allow_updates.invoices
        self.run_id = f"invoices-{uuid.uuid4()}"
        self._customers = customers
        self._now = now
        self._lock = threading.Lock()
        #: Netvisor customer keys known from the customers ledger (filled while fetching).
        self._customer_keys: dict[str, str] = {}
        #: Accounts the customers ledger knows as failed: account GUID -> the failure's text.
        self._failed_customers: dict[str, str] = {}
        #: The customers ledger's state per account, part of each invoice's fingerprint: an invoice
        #: refused because of its customer is tried again once the customer's entry changes.
        self._customer_states: dict[str, str] = {}
        #: Severa invoice GUID -> Netvisor key, for invoices this process wrote or adopted.
        self._written: dict[str, str] = {}
        #: Credit notes waiting for their original: original GUID -> credit note Netvisor key.
        self._waiting_credits: dict[str, str] = {}
        #: Per invoice GUID: its ledger status and last reported failure (read while fetching).
        self._known: dict[str, _Known] = {}
        self._fingerprints: dict[str, str] = {}
        #: Severa PDFs read ahead, a page at a time, so the Netvisor writer never waits on Severa.
        self._pdfs: dict[str, bytes | None] = {}
        self._mapping_json = self.mapping.model_dump_json()
        self._retry_reported = False

    # Clients are built on first use (a cold start with a bad event reads no secret).
    @property
    def severa(self) -> SeveraClient:
        return self.context.severa

    @property
    def netvisor(self) -> NetvisorClient:
        return self.context.netvisor

    @property
    def customers(self) -> CustomerResolver:
        if self._customers is None:
            # The customers transfer's own path: ledger first, else that one account is transferred now.
            self._customers = CustomersTransfer(self.context, self.state)
        return self._customers

    # -- reading ----------------------------------------------------------------------------------
    def _unit_guids(self) -> list[str]:
        wanted = self.mapping.invoices.business_units
        if not wanted:
            return [""]
        units = {u.name: u.guid for u in self.severa.business_units_changed_since(EPOCH) if u.name and u.guid}
        missing = [name for name in wanted if name not in units]
        if missing:
            raise ConfigurationError(
                "invoices.business_units names units Severa does not have: "
                + ", ".join(missing)
                + ". Correct the mapping (names as spelled in Severa)."
            )
        return [units[name] for name in wanted]

    def _checked_statuses(self) -> list[InvoiceStatus]:
        """Severa's invoice statuses, after checking the mapping names only statuses that exist.

        Severa answers a status read for an unknown name with nothing at all, so a misspelt
        "ready to transfer" status would otherwise transfer nothing, silently, forever.
        """
        statuses = self.severa.invoice_statuses()
        known = {s.name for s in statuses if s.name}
        configured = self.mapping.invoice_statuses
        named = {
            "invoice_statuses.ready_to_transfer": configured.ready_to_transfer,
            "invoice_statuses.transferred": configured.transferred,
            "invoice_statuses.error": configured.error,
        }
        missing = [f"{key} '{name}'" for key, name in named.items() if name and name not in known]
        if missing:
            raise ConfigurationError(
                "The mapping names invoice statuses Severa does not have: " + ", ".join(missing)
                + ". Severa's statuses: " + ", ".join(f"'{name}'" for name in sorted(known))
                + ". Correct the names in the mapping (spelled exactly as in Severa)."
            )
        return statuses

    def _read_invoices(self) -> list[Invoice]:
        ready = self.mapping.invoice_statuses.ready_to_transfer
        statuses = self._checked_statuses()
        found: dict[str, Invoice] = {}
        units = self._unit_guids()
        for unit in units:
            for invoice in self.severa.invoices_by_status(ready, unit):
                if invoice.guid:
                    found[invoice.guid] = invoice
        since = self.mapping.invoices.sent_since
        if since is not None:
            sent = {s.name for s in statuses if s.is_sent and s.name}
            start = datetime(since.year, since.month, since.day, tzinfo=UTC)
            for unit in units:
                for invoice in self.severa.invoices_by_date(start, self._now(), unit):
                    if invoice.guid and invoice.invoice_status in sent:
                        found.setdefault(invoice.guid, invoice)
        return list(found.values())

    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        # The ready status is the work queue: read all of it (``since`` cannot narrow a status read).
        self._retry_reported = full_resync  # a full resync tries known failures again
        invoices = self._read_invoices()
        self._prefetch(invoices)
        now = self._now()
        records = []
        for invoice in invoices:
            guid = invoice.guid or ""
            changed_at = invoice.entry_date
            with self._lock:
                known = self._known.get(guid)
                fingerprint = self._fingerprints[guid] = self._fingerprint(invoice)
            if known is not None and known.status is LedgerStatus.FAILED and known.reported not in (None, fingerprint):
                # Severa keeps no change time: an invoice fixed since its failure was reported counts as
                # changed now, so the engine takes it again instead of skipping a known failure.
                changed_at = now
            records.append(SourceRecord(invoice_ref(guid), changed_at, invoice))
        records.sort(key=lambda r: (r.changed_at, r.ref.id))
        for start in range(0, len(records), PAGE_SIZE):
            page = records[start : start + PAGE_SIZE]
            # The engine reads the next page in a thread while this one is written, so these Severa
            # reads overlap with the Netvisor writes instead of adding to them.
            self._read_pdfs(page)
            yield page

    def _will_send(self, guid: str) -> bool:
        """Whether the run will likely send this invoice (so its PDF is worth reading ahead)."""
        if guid in self._pdfs:
            return False
        known = self._known.get(guid)
        if known is None:
            return True
        unchanged_failure = known.status is LedgerStatus.FAILED and known.reported == self._fingerprints.get(guid)
        return known.status is not LedgerStatus.DONE and not unchanged_failure

    def _read_pdfs(self, page: Sequence[SourceRecord]) -> None:
        if not self.mapping.invoices.attach_pdf:
            return
        with self._lock:
            wanted = [r.ref.id for r in page if self._will_send(r.ref.id)]
        if not wanted:
            return
        with ThreadPoolExecutor(max_workers=PDF_READERS, thread_name_prefix="severa-pdf") as pool:
            pdfs = dict(zip(wanted, pool.map(self.severa.invoice_pdf, wanted), strict=True))
        with self._lock:
            self._pdfs.update(pdfs)

    def _fingerprint(self, invoice: Invoice) -> str:
        """The invoice as read plus the mapping: equal fingerprints fail equally."""
        # Only a known-bad customer counts: once it is fixed the invoice's fingerprint changes and the
        # invoice is tried again; a customer created meanwhile must not re-report an invalid invoice.
        account = invoice.account_guid or ""
        customer_state = self._customer_states.get(account, "") if account in self._failed_customers else ""
        text = invoice.model_dump_json(exclude={"invoice_status"}) + self._mapping_json + customer_state
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _prefetch(self, invoices: Sequence[Invoice]) -> None:
        """Batch reads of the ledger: customers' Netvisor keys, waiting credit-note matches, and each
        invoice's own entry with the fingerprint of its last reported failure."""
        guids = [i.guid for i in invoices if i.guid]
        accounts = {i.account_guid for i in invoices if i.account_guid}
        refs = [account_ref(a) for a in accounts]
        for guid in guids:
            refs += [invoice_ref(guid), credit_match_ref(guid), reported_ref(guid)]
        entries = self.state.get_ledger(refs)
        with self._lock:
            for guid in guids:
                own, reported = entries.get(invoice_ref(guid)), entries.get(reported_ref(guid))
                self._known[guid] = _Known(
                    own.status if own else None,
                    reported.content_hash if reported else None,
                    reported.summary.get("step") if reported else None,
                    reported.version if reported else 0,
                )
            for ref, entry in entries.items():
                if ref.type == ACCOUNT_TYPE:
                    self._customer_states[ref.id] = f"{entry.status}:{entry.version}"
                    # Only a failure the account itself must fix; a passing one (Netvisor down) is retried.
                    if entry.status is LedgerStatus.FAILED and not entry.last_error_retryable:
                        self._failed_customers[ref.id] = entry.last_error or "see the customers transfer's failure"
                if entry.status is not LedgerStatus.DONE or not entry.target_key:
                    continue
                if ref.type == ACCOUNT_TYPE:
                    self._customer_keys[ref.id] = entry.target_key
                elif ref.type == CREDIT_MATCH_TYPE and entry.writeback_pending:
                    self._waiting_credits.setdefault(ref.id, entry.target_key)

    # -- mapping ----------------------------------------------------------------------------------
    def prepare(self, record: SourceRecord) -> PlannedWrite[InvoicePayload] | Skip:
        invoice: Invoice = record.data
        statuses = self.mapping.invoice_statuses
        if invoice.invoice_status not in (statuses.ready_to_transfer, statuses.transferred) and (
            self.mapping.invoices.sent_since is None
        ):
            return Skip(f"status '{invoice.invoice_status}' is not '{statuses.ready_to_transfer}'")
        with self._lock:
            key = self._customer_keys.get(invoice.account_guid or "")
            known = self._known.get(record.ref.id)
            fingerprint = self._fingerprints.get(record.ref.id)
        if known is not None and fingerprint is not None and known.reported == fingerprint and not self._retry_reported:
            # A pending create refused at prepare (e.g. its customer failed) sent nothing since.
            refused_before_sending = known.status is LedgerStatus.PENDING and known.step == "prepare"
            if known.status is LedgerStatus.FAILED or refused_before_sending:
                return Skip("unchanged since its failure was reported (see the failed-records queue)")
            if known.status is LedgerStatus.DONE and known.step == "drift":
                return Skip("its change after the transfer was already reported as drift")
        if key is None and (invoice.account_guid or "") in self._failed_customers:
            raise CustomerNotTransferred(
                f"Severa invoice {invoice.number} ({record.ref.id}) cannot be transferred: its customer "
                f"(Severa account {invoice.account_guid}) could not be transferred to Netvisor: "
                f"{self._failed_customers[invoice.account_guid or '']} Fix the account in Severa; the invoice "
                "is sent on the first run after its customer is transferred."
            )
        mapped = map_invoice(invoice, self.mapping, customer_key=key)
        # The hash ignores the customer key (known now or only at write time) and the PDF.
        stable = mapped.invoice.model_copy(update={"customer_identifier": customer_placeholder(mapped.account_guid)})
        content_hash = hashlib.sha256(xmlbuild.build_sales_invoice(stable)).hexdigest()
        preview = xmlbuild.build_sales_invoice(mapped.invoice).decode("utf-8")
        if self.mapping.invoices.attach_pdf:
            preview += f"\n<!-- + the Severa PDF of invoice {mapped.number} as an attachment -->"
        payload = InvoicePayload(mapped, record.ref.id)
        return PlannedWrite(record, payload, preview, mapped.summary, content_hash)

    # -- Netvisor (the single writer) -------------------------------------------------------------
    def lookup_existing(self, planned: PlannedWrite[InvoicePayload]) -> str | None:
        try:
            key = self._find_by_number(planned.payload.mapped)
        except _STOPPING_ERRORS as error:
            raise StopRun(f"Netvisor refuses requests: {error.message}", remote_text=error.remote_text) from error
        if key is not None:
            with self._lock:
                self._written[planned.payload.guid] = key
            # The lost attempt may have ended before its credit-note match: the engine adopts without
            # calling ``write``, so the match happens here.
            self._match_credits(planned.payload, key)
        return key

    def _find_by_number(self, mapped: MappedInvoice) -> str | None:
        found = [
            s for s in self.netvisor.iter_sales_invoices(invoice_number=mapped.number) if s.number == mapped.number
        ]
        if not found:
            return None
        amount = mapped.invoice.amount
        same = [s for s in found if s.invoice_sum is None or s.invoice_sum == amount]
        if len(same) == 1:
            return str(same[0].netvisor_key)
        keys = ", ".join(str(s.netvisor_key) for s in found)
        raise AmbiguousInvoiceError(
            f"Netvisor holds invoice number {mapped.number} as {keys}, but "
            + ("none" if not same else "more than one")
            + f" with this invoice's total {amount}; it is not adopted. Check the invoice in Netvisor and "
            "remove the wrong one (or renumber it), then replay"
        )

    def write(self, planned: PlannedWrite[InvoicePayload], existing_key: str | None) -> str:
        payload = planned.payload
        mapped = payload.mapped
        try:
            invoice = self._complete(payload)
            if existing_key is not None:
                self.netvisor.edit_sales_invoice(int(existing_key), invoice)
                key = existing_key
            else:
                key = self._create(mapped, invoice)
        except _STOPPING_ERRORS as error:
            raise StopRun(f"Netvisor refuses writes: {error.message}", remote_text=error.remote_text) from error
        with self._lock:
            self._written[payload.guid] = key
        self._match_credits(payload, key)
        return key

    def _complete(self, payload: InvoicePayload) -> SalesInvoiceInput:
        """The invoice as sent: the customer's Netvisor key and the Severa PDF filled in."""
        invoice = payload.mapped.invoice
        update: dict[str, Any] = {}
        if invoice.customer_identifier.startswith(CUSTOMER_PLACEHOLDER_PREFIX):
            key = self.customers.ensure_customer(payload.mapped.account_guid, run_id=self.run_id)
            with self._lock:
                self._customer_keys[payload.mapped.account_guid] = key
            update["customer_identifier"] = key
        if self.mapping.invoices.attach_pdf:
            with self._lock:
                read_ahead = payload.guid in self._pdfs
                pdf = self._pdfs.pop(payload.guid, None)
            if not read_ahead:  # e.g. a record the engine took again after a stop
                pdf = self.severa.invoice_pdf(payload.guid)
            if pdf:
                attachment = pdf_attachment(
                    payload.mapped.number, pdf, print_by_default=self.mapping.invoices.print_by_default
                )
                update["attachments"] = (attachment,)
        return invoice.model_copy(update=update) if update else invoice

    def _create(self, mapped: MappedInvoice, invoice: SalesInvoiceInput) -> str:
        try:
            return str(self.netvisor.add_sales_invoice(invoice))
        except NetvisorDuplicateDataError:
            # The number is taken: ours from an attempt nobody recorded, or someone else's (refused).
            existing = self._find_by_number(mapped)
            if existing is None:
                raise
            logger.warning(
                "invoice number already in Netvisor with the same total; adopted",
                extra={"invoice_number": mapped.number, "netvisor_key": existing},
            )
            return existing

    # -- credit notes -----------------------------------------------------------------------------
    def _match_credits(self, payload: InvoicePayload, key: str) -> None:
        """Match credit notes to their invoices once both are in Netvisor; never fails the write."""
        mapped = payload.mapped
        try:
            if mapped.is_credit_note and mapped.credited_guid:
                original = self._original_key(mapped.credited_guid)
                if original is None:
                    self._wait_for_original(mapped.credited_guid, key)
                else:
                    self._match(key, original, mapped.credited_guid)
            with self._lock:
                waiting = self._waiting_credits.get(payload.guid)
            if waiting is not None:
                self._match(waiting, key, payload.guid)
        except IntegrationError as error:
            logger.warning(
                "credit note not matched yet; the match is retried when the invoice is sent again",
                extra={"invoice_number": mapped.number, "error": error.message},
            )

    def _original_key(self, original_guid: str) -> str | None:
        with self._lock:
            if original_guid in self._written:
                return self._written[original_guid]
        entry = self.state.get_ledger([invoice_ref(original_guid)]).get(invoice_ref(original_guid))
        if entry is not None and entry.status is LedgerStatus.DONE and entry.target_key:
            return entry.target_key
        # Sent to Netvisor some other way (by hand, an earlier integration): find it by its number.
        original = self.severa.invoice(original_guid)
        if original is None or original.number is None:
            return None
        number = str(original.number)
        found = [s for s in self.netvisor.iter_sales_invoices(invoice_number=number) if s.number == number]
        return str(found[0].netvisor_key) if len(found) == 1 else None

    def _wait_for_original(self, original_guid: str, credit_key: str) -> None:
        with self._lock:
            self._waiting_credits[original_guid] = credit_key
        ref = credit_match_ref(original_guid)
        entry = self.state.get_ledger([ref]).get(ref)
        self.state.mark_done(
            ref,
            target_key=credit_key,
            content_hash="",
            summary={"credit_note_key": credit_key},
            writeback_pending=True,
            expected_version=entry.version if entry else 0,
            run_id=self.run_id,
        )

    def _match(self, credit_key: str, invoice_key: str, original_guid: str) -> None:
        with contextlib.suppress(NetvisorDuplicateDataError):  # already matched: the goal is reached
            self.netvisor.match_credit_note(int(credit_key), int(invoice_key))
        logger.info("credit note matched", extra={"credit_note_key": credit_key, "invoice_key": invoice_key})
        with self._lock:
            waited = self._waiting_credits.pop(original_guid, None)
        if waited is not None:
            ref = credit_match_ref(original_guid)
            entry = self.state.get_ledger([ref]).get(ref)
            if entry is not None and entry.writeback_pending:
                self.state.mark_written_back(ref, expected_version=entry.version, run_id=self.run_id)

    # -- Severa write-back ------------------------------------------------------------------------
    def after_write(self, record: SourceRecord, target_key: str) -> None:
        invoice: Invoice = record.data
        guid = record.ref.id
        kind = "credit note" if invoice.is_credit_note else "invoice"
        self.severa.add_invoice_log_entry(
            guid, f"Transferred to Netvisor as {kind} {invoice.number} (Netvisor key {target_key})", context=LOG_CONTEXT
        )
        statuses = self.mapping.invoice_statuses
        if invoice.invoice_status == statuses.ready_to_transfer:
            self.severa.set_invoice_status(guid, statuses.transferred)

    def after_failure(self, record: SourceRecord, failure: FailedRecord) -> None:
        invoice: Invoice = record.data
        reason = failure.message if len(failure.message) <= 1500 else failure.message[:1500] + " ..."
        self.severa.add_invoice_log_entry(record.ref.id, f"Not transferred to Netvisor: {reason}", context=LOG_CONTEXT)
        statuses = self.mapping.invoice_statuses
        if statuses.error and invoice.invoice_status == statuses.ready_to_transfer and failure.step != "drift":
            self.severa.set_invoice_status(record.ref.id, statuses.error)
        try:
            self._remember_report(record.ref.id, failure.step)
        except StateError as error:  # at worst the same failure is reported once more
            logger.warning(
                "could not record the reported failure", extra={"source_id": record.ref.id, "error": error.message}
            )

    def _remember_report(self, guid: str, step: str) -> None:
        """Record what was reported, so an unchanged invoice is not reported again every run."""
        if step not in ("prepare", "drift"):
            return  # other failures are retried by the engine (a pending create) or by the write-back
        with self._lock:
            fingerprint = self._fingerprints.get(guid)
            known = self._known.get(guid)
        if fingerprint is None:
            return
        entry = self.state.mark_done(
            reported_ref(guid),
            target_key="reported",
            content_hash=fingerprint,
            summary={"step": step},
            writeback_pending=False,
            expected_version=known.version if known else 0,
            run_id=self.run_id,
        )
        with self._lock:
            status = known.status if known else (LedgerStatus.FAILED if step == "prepare" else LedgerStatus.DONE)
            self._known[guid] = _Known(status, fingerprint, step, entry.version)


def build_transfer(settings: Settings) -> InvoicesTransfer:
    """What ``functions/invoices/app.py`` runs: the mapping now, the clients on first use."""
    return InvoicesTransfer(TransferContext.from_settings(settings), StateStore(settings.state_table_name))


__all__ = [
    "ACCOUNT_TYPE",
    "CREDIT_MATCH_TYPE",
    "AmbiguousInvoiceError",
    "InvoicePayload",
    "InvoiceValidationError",
    "InvoicesTransfer",
    "build_transfer",
    "credit_match_ref",
    "invoice_ref",
    "reported_ref",
]
