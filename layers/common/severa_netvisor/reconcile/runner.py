"""One reconciliation: read Severa, Netvisor and the ledger for a period, compare, report.

It only reads. Netvisor is read one request at a time while the run holds the shared
``netvisor-company`` lease the transfers take (``engine.EngineOptions.shared_lease``), so no
transfer talks to Netvisor meanwhile and the two sides are read as one consistent picture. A busy
lease is waited for (a transfer run ends within its Lambda timeout), up to ``lease_wait_seconds``.
Severa calls are counted and checked against the daily quota before the invoices are read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from severa_netvisor.engine import EngineOptions
from severa_netvisor.errors import IntegrationError
from severa_netvisor.mapping.config import MappingConfig
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.observability import logger
from severa_netvisor.reconcile import customer_checks, invoice_checks, payment_checks, register_checks
from severa_netvisor.reconcile.facts import LedgerFacts, NetvisorInvoice, SeveraInvoice
from severa_netvisor.reconcile.netvisor_side import NetvisorSide
from severa_netvisor.reconcile.outcome import Outcome
from severa_netvisor.reconcile.pairing import Outside, Pairing, pair_invoices
from severa_netvisor.reconcile.period import Period
from severa_netvisor.reconcile.registers import (
    BOOK_RECORD_TYPES,
    CreditMatchRegister,
    FailureRegister,
    OpenFailure,
    readable_reason,
)
from severa_netvisor.reconcile.report import Finding, Overview, Report, Usage
from severa_netvisor.reconcile.sections import TOTALS
from severa_netvisor.reconcile.severa_side import SeveraSide, StatusBook, read_status_book, severa_facts
from severa_netvisor.reconcile.totals import CREDIT_NOTES, INVOICES, Totals
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.state import BATCH_GET_LIMIT, Lease, LedgerEntry, LedgerStatus, SourceRef, StateStore
from severa_netvisor.transfers.customers import account_ref
from severa_netvisor.transfers.invoices import invoice_ref

SHARED_LEASE = EngineOptions().shared_lease or "netvisor-company"


class ReconciliationError(IntegrationError):
    """The reconciliation could not run; the message says why and what to do."""

    system = "reconcile"


@dataclass(frozen=True)
class ReconcileOptions:
    #: Days of Severa invoices per call (each answer streamed, one invoice at a time).
    window_days: int = 7
    #: How long to wait for a transfer to finish with Netvisor before giving up.
    lease_wait_seconds: float = 600.0
    lease_poll_seconds: float = 10.0
    #: The lease outlives the run's own deadline by this much, so a crashed run's lease expires.
    lease_slack_seconds: float = 60.0
    #: Severa invoices read one by one (dated outside the period, credited by a waiting credit note).
    max_severa_lookups: int = 200
    #: Severa calls left for the transfers: the run refuses to start when it would leave fewer.
    quota_reserve: int = 5_000


def _ledger_facts(entry: LedgerEntry | None) -> LedgerFacts | None:
    if entry is None:
        return None
    summary = entry.summary
    return LedgerFacts(
        status=entry.status.value,
        target_key=entry.target_key,
        sent_number=str(summary.get("number", "")),
        sent_date=str(summary.get("date", "")),
        sent_total=str(summary.get("total", "")),
        sent_reference=str(summary.get("reference", "")),
        last_error=entry.last_error,
    )


def _decimal(text: object) -> Decimal:
    try:
        return Decimal(str(text))
    except (InvalidOperation, ValueError):
        return Decimal(0)


@dataclass
class _Books:
    """What the run read, reduced to facts."""

    statuses: StatusBook
    severa: dict[str, SeveraInvoice] = field(default_factory=dict)
    ledger: dict[str, LedgerFacts] = field(default_factory=dict)
    netvisor: dict[int, NetvisorInvoice] = field(default_factory=dict)
    #: Severa invoices read by GUID (outside the period), by GUID; None: Severa no longer has it.
    outside: dict[str, SeveraInvoice | None] = field(default_factory=dict)


class Reconciliation:
    """``Reconciliation(...).run(period, run_id)`` -> ``Report``. Clients and stores come from outside."""

    def __init__(
        self,
        *,
        severa: SeveraClient,
        netvisor: NetvisorClient,
        mapping: MappingConfig,
        state: StateStore,
        failures: FailureRegister,
        credit_matches: CreditMatchRegister,
        netvisor_requests: Callable[[], int] = lambda: 0,
        options: ReconcileOptions | None = None,
        remaining_seconds: Callable[[], float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.severa = severa
        self.netvisor = netvisor
        self.mapping = mapping
        self.state = state
        self.failures = failures
        self.credit_matches = credit_matches
        self.netvisor_requests = netvisor_requests
        self.options = options or ReconcileOptions()
        self.remaining_seconds = remaining_seconds
        self.sleep = sleep
        self.severa_side = SeveraSide(severa, mapping, window_days=self.options.window_days)
        self.netvisor_side = NetvisorSide(netvisor)
        self._reverse: dict[str, str] | None = None
        self._refused: dict[str, OpenFailure] = {}
        self._lookups = 0
        #: Severa invoices outside the period not read because of the lookup limit.
        self._unread = 0

    # -- the run ----------------------------------------------------------------------------------
    def run(self, period: Period, run_id: str) -> Report:
        started, calls_before, requests_before = time.monotonic(), self.severa.calls, self.netvisor_requests()
        self._reverse, self._lookups, self._unread = None, 0, 0
        lease = self._take_lease(run_id)
        try:
            report = self._reconcile(period)
        finally:
            self._release(lease)
        quota = self.severa.quota
        report.usage.severa_calls = self.severa.calls - calls_before
        report.usage.severa_quota, report.usage.severa_quota_used = quota.quota, quota.used
        report.usage.netvisor_requests = self.netvisor_requests() - requests_before
        report.usage.seconds = time.monotonic() - started
        logger.info(
            "reconciliation done",
            extra={"period": period.key, "verdict": report.verdict, "differences": len(report.findings),
                   "severa_calls": report.usage.severa_calls, "netvisor_requests": report.usage.netvisor_requests},
        )  # fmt: skip
        return report

    def _reconcile(self, period: Period) -> Report:
        books = _Books(read_status_book(self.severa, self.mapping))
        self._check_quota(period)
        open_failures = list(self.failures.open_failures(BOOK_RECORD_TYPES))
        # An invoice whose failure is open was refused: the register says why (the ledger does not).
        self._refused = {f.record_id: f for f in open_failures if (f.system, f.record_type) == ("severa", "invoice")}
        for window in self.severa_side.invoices(period, books.statuses):
            for start in range(0, len(window), BATCH_GET_LIMIT):
                self._take_severa(books, window[start : start + BATCH_GET_LIMIT])
        for page in self.netvisor_side.invoices(period):
            books.netvisor.update((invoice.key, invoice) for invoice in page)
        pairing = pair_invoices(books.severa, books.netvisor, books.ledger, _RunLookups(self, books))
        outcome = Outcome()
        invoice_checks.missing(outcome, pairing, books.statuses)
        alike = invoice_checks.changed(outcome, pairing, books.statuses)
        invoice_checks.netvisor_only(outcome, pairing)
        listed = invoice_checks.in_waiting(pairing) | self._payments(outcome, pairing, books, period)
        invoice_checks.waiting(outcome, pairing)
        customers = self._customers(outcome, pairing)
        register_checks.check_failures(
            outcome,
            open_failures,
            listed=listed,
            label=lambda failure: self._failure_label(failure, books, customers),
        )
        register_checks.check_credit_notes(
            outcome,
            self.credit_matches.waiting_credit_matches(),
            original=lambda guid: self._severa_invoice(books, guid),
            original_in_netvisor=lambda guid: self._netvisor_of(books, guid),
            credit_note=lambda key: books.netvisor.get(key) or self._netvisor_invoice(key),
            book=books.statuses,
        )
        return self._report(period, books, pairing, outcome, alike)

    # -- reading ----------------------------------------------------------------------------------
    def _check_quota(self, period: Period) -> None:
        """After the first call Severa's headers say how much of the day's quota is left."""
        remaining = self.severa.quota.remaining
        windows = sum(1 for _ in period.windows(self.options.window_days))
        needed = windows * max(1, len(self.mapping.invoices.business_units)) + 3 + self.options.max_severa_lookups
        if remaining is not None and remaining < needed + self.options.quota_reserve:
            raise ReconciliationError(
                f"Severa's daily API quota has {remaining} calls left; the reconciliation needs up to {needed} "
                f"and leaves {self.options.quota_reserve} for the transfers. Run it after midnight UTC, when the "
                "quota resets."
            )

    def _take_severa(self, books: _Books, facts: Sequence[SeveraInvoice]) -> None:
        """Keep a batch of invoices with their ledger entries (one BatchGetItem)."""
        if not facts:
            return
        entries = self.state.get_ledger(invoice_ref(f.guid) for f in facts)
        for fact in facts:
            books.severa[fact.guid] = fact
            ledger = self.facts_of(fact.guid, entries.get(invoice_ref(fact.guid)))
            if ledger is not None:
                books.ledger[fact.guid] = ledger

    def facts_of(self, guid: str, entry: LedgerEntry | None) -> LedgerFacts | None:
        """The ledger's facts of an invoice; one whose failure is open counts as refused, with its reason."""
        failure = self._refused.get(guid)
        if failure is None or (entry is not None and entry.status is LedgerStatus.DONE):
            return _ledger_facts(entry)
        return LedgerFacts(status=LedgerStatus.FAILED.value, target_key=None, last_error=failure.reason)

    def severa_guid_of(self, netvisor_key: int) -> str | None:
        if self._reverse is None:
            self._reverse = self.state.targets_of("severa", "invoice")
        return self._reverse.get(str(netvisor_key))

    def _severa_invoice(self, books: _Books, guid: str) -> SeveraInvoice | None:
        if guid in books.severa:
            return books.severa[guid]
        return self.read_outside(books, guid).invoice

    def read_outside(self, books: _Books, guid: str) -> Outside:
        if guid in books.outside:
            return Outside(books.outside[guid])
        if self._lookups >= self.options.max_severa_lookups:
            self._unread += 1
            return Outside(None, read=False)
        self._lookups += 1
        invoice = self.severa_side.invoice(guid)
        books.outside[guid] = severa_facts(invoice, books.statuses, self.mapping) if invoice else None
        return Outside(books.outside[guid])

    def _netvisor_of(self, books: _Books, guid: str) -> NetvisorInvoice | None:
        """The Netvisor invoice the ledger says a Severa invoice became (None: not transferred)."""
        ref = invoice_ref(guid)
        ledger = books.ledger.get(guid) or _ledger_facts(self.state.get_ledger([ref]).get(ref))
        key = ledger.target_key if ledger is not None and ledger.status == LedgerStatus.DONE.value else None
        if not key or not key.isdigit():
            return None
        return books.netvisor.get(int(key)) or self._netvisor_invoice(int(key))

    def _netvisor_invoice(self, key: int) -> NetvisorInvoice | None:
        found = self.netvisor_side.by_keys([key])
        return found[0] if found else None

    # -- payments and customers -------------------------------------------------------------------
    def _payments(self, outcome: Outcome, pairing: Pairing, books: _Books, period: Period) -> set[str]:
        invoices = [p for p in pairing.pairs if not p.netvisor.is_credit_note]
        if not invoices:
            return set()
        numbers = {p.netvisor.number for p in invoices}
        listed = [p for p in self.netvisor_side.payments(period.start) if p.invoice_number in numbers]
        entries = self.state.get_ledger(SourceRef("netvisor", "payment", str(p.netvisor_key)) for p in listed)
        payments = []
        for payment in listed:
            entry = entries.get(SourceRef("netvisor", "payment", str(payment.netvisor_key)))
            payments.append(
                payment_checks.NetvisorPayment(
                    key=payment.netvisor_key,
                    invoice_number=payment.invoice_number,
                    payment_date=payment.payment_date,
                    amount=payment.sum if payment.sum is not None else Decimal(0),
                    ledger_status=entry.status.value if entry else "",
                    ledger_reason=readable_reason(entry.last_error) if entry else "",
                )
            )
        guids = {p.severa.guid for p in invoices}
        recorded = [
            payment_checks.RecordedPayment(
                key=entry.ref.id,
                severa_guid=entry.target_key or "",
                amount=_decimal(entry.summary.get("amount")),
                payment_date=str(entry.summary.get("payment_date", "")),
            )
            for entry in self.state.iter_ledger("netvisor", "payment", status=LedgerStatus.DONE)
            if entry.target_key in guids
        ]
        return payment_checks.check_payments(outcome, invoices, payments, recorded, books.statuses)

    def _customers(self, outcome: Outcome, pairing: Pairing) -> dict[str, str]:
        """Adds the customer differences; returns Severa account GUID -> customer number (for labels)."""
        accounts = sorted({i.account_guid for i in pairing.severa_in_books if i.account_guid})
        entries = self.state.get_ledger(account_ref(guid) for guid in accounts)
        keys: dict[str, int] = {}
        for guid in accounts:
            entry = entries.get(account_ref(guid))
            if entry is not None and entry.status is LedgerStatus.DONE and (entry.target_key or "").isdigit():
                keys[guid] = int(entry.target_key or "")
        numbers = {i.account_guid: i.customer_number for i in pairing.severa_in_books}
        if not keys:
            return numbers
        severa = self.severa_side.customers()
        netvisor = {c.netvisor_key: c for c in self.netvisor_side.customers(sorted(set(keys.values())))
                    if c.netvisor_key is not None}  # fmt: skip
        pairs = customer_checks.customer_pairs(accounts, keys, severa, netvisor)
        customer_checks.check_customers(outcome, pairs, updates_allowed=self.mapping.allow_updates.customers)
        numbers.update({guid: str(c.number) for guid, c in severa.items() if c.number is not None})
        return numbers

    def _failure_label(self, failure: OpenFailure, books: _Books, customers: dict[str, str]) -> str:
        if failure.record_type == "invoice":
            known = books.severa.get(failure.record_id) or books.outside.get(failure.record_id)
            if known is not None:
                return known.label
        if failure.record_type == "account" and customers.get(failure.record_id):
            return f"customer {customers[failure.record_id]}"
        return register_checks.default_label(failure)

    # -- the report -------------------------------------------------------------------------------
    def _report(self, period: Period, books: _Books, pairing: Pairing, outcome: Outcome, alike: int) -> Report:
        totals = Totals()
        for severa in pairing.severa_in_books:
            totals.add_severa(severa)
        for netvisor in books.netvisor.values():
            totals.add_netvisor(netvisor)
        findings = list(outcome.findings)
        if not findings and totals.differing():
            # Every per-invoice difference is listed above, so this should not happen; say so if it does.
            findings.append(
                Finding(
                    TOTALS,
                    "totals",
                    "The totals per VAT code differ although no single invoice does.",
                    "Compare the totals table with Netvisor's sales report for the period and report this.",
                )
            )
        usage = Usage(severa_invoices=len(pairing.severa_in_books), netvisor_invoices=len(books.netvisor))
        overview = []
        for document in (INVOICES, CREDIT_NOTES):
            ours, theirs = totals.grand("severa", document), totals.grand("netvisor", document)
            overview.append(Overview(document, ours.count, ours.gross, theirs.count, theirs.gross))
        report = Report(
            period, datetime.now(UTC), totals.table(), outcome.sections(), findings, usage, overview=overview,
            in_both=len(pairing.pairs), alike=alike,
        )  # fmt: skip
        if self._unread:
            report.notes.append(
                f"{self._unread} Severa invoices outside the period were not read one by one (the limit is "
                f"{self.options.max_severa_lookups}): reconcile a shorter period, or raise "
                "RECONCILE_MAX_SEVERA_LOOKUPS."
            )
        return report

    # -- the lease --------------------------------------------------------------------------------
    def _lease_seconds(self) -> float:
        remaining = self.remaining_seconds() if self.remaining_seconds else 900.0
        return remaining + self.options.lease_slack_seconds

    def _take_lease(self, owner: str) -> Lease:
        waited = 0.0
        limit = self.options.lease_wait_seconds
        if self.remaining_seconds is not None:
            limit = min(limit, max(0.0, self.remaining_seconds() - 300.0))  # keep time to read and report
        while True:
            lease = self.state.acquire_lease(SHARED_LEASE, owner, self._lease_seconds())
            if lease is not None:
                return lease
            if waited >= limit:
                holder = self.state.lease_holder(SHARED_LEASE)
                raise ReconciliationError(
                    f"A transfer has been using Netvisor for more than {waited:.0f} s (held by "
                    f"{holder.owner if holder else 'another run'}), so the reconciliation did not start: it reads "
                    "Netvisor only when no transfer does. Run it again later."
                )
            logger.info("waiting for a transfer to finish with Netvisor", extra={"lease": SHARED_LEASE})
            self.sleep(self.options.lease_poll_seconds)
            waited += self.options.lease_poll_seconds

    def _release(self, lease: Lease) -> None:
        try:
            if not self.state.release_lease(lease):
                logger.warning("the Netvisor lease had expired before the reconciliation released it")
        except IntegrationError as error:
            logger.warning("could not release the Netvisor lease; it expires by itself", extra={"error": error.message})


class _RunLookups:
    """The pairing's reads beyond the period, through the run (counted and limited)."""

    def __init__(self, run: Reconciliation, books: _Books):
        self.run, self.books = run, books

    def netvisor_by_keys(self, keys: Sequence[int]) -> dict[int, NetvisorInvoice]:
        return {invoice.key: invoice for invoice in self.run.netvisor_side.by_keys(list(keys))}

    def severa_guid_of(self, netvisor_key: int) -> str | None:
        return self.run.severa_guid_of(netvisor_key)

    def severa_outside(self, guid: str) -> Outside:
        return self.run.read_outside(self.books, guid)

    def ledger_outside(self, guid: str) -> LedgerFacts | None:
        return self.run.facts_of(guid, self.run.state.get_ledger([invoice_ref(guid)]).get(invoice_ref(guid)))
