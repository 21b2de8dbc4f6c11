"""The customers transfer: Severa accounts -> Netvisor customers (create, or update when allowed).

Severa reads are frugal: one ``GetCustomersChangedSince`` (inactive accounts included, address and
contact changes counted as account changes), and only when it returns something, one read of all
addresses and one of all active contacts, however many accounts changed. A run with nothing new
therefore costs one Severa call and no Netvisor call.

Matching: the ledger (the Netvisor key stored by an earlier transfer) comes first, in the engine;
for an account the ledger has never seen, Netvisor's customer list (read once per run, kept up to
date with this run's creates) is searched by customer number and business ID in the operator's
``customers.match_order`` (``mapping.customers.find_existing_customer``).

``ensure_customer`` gives the invoices transfer the Netvisor key of one account, transferring that
account first when it never was.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from severa_netvisor.engine.model import PlannedWrite, SourceRecord, TransferBase
from severa_netvisor.errors import IntegrationError
from severa_netvisor.mapping.customers import (
    MappedCustomer,
    NetvisorCustomerRef,
    find_existing_customer,
    map_customer,
)
from severa_netvisor.observability import logger
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import CHECK_ADDRESS_CHANGES, CHECK_CONTACT_CHANGES, EPOCH
from severa_netvisor.severa.errors import SeveraNotFoundError
from severa_netvisor.severa.models import Address, Contact, Customer, CustomerDetails
from severa_netvisor.state import Cursor, LedgerEntry, LedgerStatus, SourceRef, StateConflict, StateStore
from severa_netvisor.transfers.context import TransferContext

__all__ = [
    "CustomerNotFound",
    "CustomerUnavailable",
    "CustomersTransfer",
    "account_ref",
    "build_transfer",
    "change_time",
]

#: AccountGetOptions.IncludeInactive: a deactivated account is carried over as an inactive customer.
INCLUDE_INACTIVE = 2
READ_OPTIONS = INCLUDE_INACTIVE | CHECK_ADDRESS_CHANGES | CHECK_CONTACT_CHANGES
PAGE_SIZE = 100
#: A customer list older than this is read again (ensure_customer in a warm Lambda, long runs).
DIRECTORY_MAX_AGE_SECONDS = 300.0


def account_ref(account_guid: str) -> SourceRef:
    """The ledger key of a Severa account (what invoices look their customer up by)."""
    return SourceRef("severa", "account", account_guid)


class CustomerNotFound(IntegrationError):
    """Severa has no account with the GUID asked for."""

    system = "severa"
    retryable = False


class CustomerUnavailable(IntegrationError):
    """Another run is transferring this account right now; asking again shortly will succeed."""

    retryable = True


class _NetvisorDirectory:
    """Netvisor's customer list, read once and then kept current with this process's own creates."""

    def __init__(self, context: TransferContext, max_age_seconds: float = DIRECTORY_MAX_AGE_SECONDS):
        self._context = context
        self._max_age = max_age_seconds
        self._lock = threading.Lock()
        self._customers: list[NetvisorCustomerRef] | None = None
        self._loaded_at = 0.0

    def invalidate(self) -> None:
        with self._lock:
            self._customers = None

    def customers(self) -> list[NetvisorCustomerRef]:
        with self._lock:
            if self._customers is None or time.monotonic() - self._loaded_at > self._max_age:
                listing = self._context.netvisor.list_customers()
                self._customers = [
                    NetvisorCustomerRef.of(c.netvisor_key, c.name, c.code, c.business_id) for c in listing
                ]
                self._loaded_at = time.monotonic()
            return list(self._customers)

    def remember(self, key: int, mapped: MappedCustomer) -> None:
        """Record a customer this process created or edited, so later matches in the run see it."""
        ref = NetvisorCustomerRef.of(key, mapped.customer.name, mapped.number or "", mapped.business_id or "")
        with self._lock:
            if self._customers is None:
                return
            previous = next((c for c in self._customers if c.netvisor_key == key), None)
            if previous is not None:
                # An edit without a number keeps Netvisor's number; likewise the business ID.
                ref = NetvisorCustomerRef(
                    key, ref.name, ref.code or previous.code, ref.business_id or previous.business_id
                )
            self._customers = [c for c in self._customers if c.netvisor_key != key] + [ref]


def change_time(customer: Customer, since: Cursor | None, read_at: datetime) -> datetime:
    """Where an account sits in change order.

    Its own ``UpdatedTS`` (or ``InsertTS``), except for an account returned only because one of its
    addresses or contacts changed: that one keeps an older timestamp of its own, while the change
    happened after ``since``, at a time Severa does not tell. It is placed at the moment of the read,
    so the cursor can move past it (and it is not read again and again, nor mistaken for a record
    already settled before the cursor).
    """
    own = customer.updated_ts or customer.insert_ts
    if since is not None and own < since.changed_at:
        return read_at
    return own


def _details(customer: Customer, addresses: Sequence[Address], contacts: Sequence[Contact]) -> CustomerDetails:
    return CustomerDetails(customer=customer, addresses=list(addresses), contacts=list(contacts))


class CustomersTransfer(TransferBase[MappedCustomer]):
    name = "customers"
    matches_existing = True
    writes_back = False

    def __init__(self, context: TransferContext, state: StateStore | None = None) -> None:
        self.context = context
        self.allows_update = context.mapping.allow_updates.customers
        self.match_order: tuple[str, ...] = tuple(context.mapping.customers.match_order)
        self._state = state
        self._directory = _NetvisorDirectory(context)
        # ensure_customer may be called from several threads of the invoices transfer.
        self._ensure_lock = threading.Lock()

    @property
    def state(self) -> StateStore:
        if self._state is None:
            self._state = StateStore(self.context.settings.state_table_name)
        return self._state

    # -- the engine's side ----------------------------------------------------------------------
    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        self._directory.invalidate()  # a new run sees Netvisor as it is now
        severa = self.context.severa
        start = EPOCH if since is None else since.changed_at
        read_at = datetime.now(UTC)  # before the read: a change during it is read again next run
        customers = severa.customers_changed_since(start, options=READ_OPTIONS)
        if not customers:
            return
        addresses: dict[str, list[Address]] = {}
        for address in severa.addresses_changed_since(EPOCH):
            addresses.setdefault(address.company_guid or "", []).append(address)
        contacts: dict[str, list[Contact]] = {}
        for contact in severa.contacts_changed_since(EPOCH):
            contacts.setdefault(contact.account_guid or "", []).append(contact)
        records = sorted(
            (
                SourceRecord(
                    ref=account_ref(customer.guid or ""),
                    changed_at=change_time(customer, since, read_at),
                    data=_details(
                        customer,
                        addresses.get(customer.company_guid or "", []),
                        contacts.get(customer.guid or "", []),
                    ),
                )
                for customer in customers
                if customer.guid
            ),
            key=lambda record: record.position,
        )
        for start_at in range(0, len(records), PAGE_SIZE):
            yield records[start_at : start_at + PAGE_SIZE]

    def prepare(self, record: SourceRecord) -> PlannedWrite[MappedCustomer]:
        details: CustomerDetails = record.data
        mapped = map_customer(details)
        return PlannedWrite(record=record, payload=mapped, preview=mapped.preview(), summary=mapped.summary())

    def lookup_existing(self, planned: PlannedWrite[MappedCustomer]) -> str | None:
        key = find_existing_customer(planned.payload, self._directory.customers(), self.match_order)
        return None if key is None else str(key)

    def write(self, planned: PlannedWrite[MappedCustomer], existing_key: str | None) -> str:
        mapped = planned.payload
        netvisor = self.context.netvisor
        if existing_key is None:
            key = netvisor.add_customer(mapped.customer)
        else:
            key = int(existing_key)
            netvisor.edit_customer(key, mapped.customer)
        self._directory.remember(key, mapped)
        return str(key)

    # -- for the invoices transfer --------------------------------------------------------------
    def transferred_key(self, account_guid: str) -> str | None:
        """The Netvisor key the ledger holds for this account, or None; reads nothing else, writes
        nothing (what a dry run of the invoices transfer may use instead of ``ensure_customer``)."""
        ref = account_ref(account_guid)
        entry = self.state.get_ledger([ref]).get(ref)
        if entry is not None and entry.status is LedgerStatus.DONE and entry.target_key:
            return entry.target_key
        return None

    def ensure_customer(self, account_guid: str, *, run_id: str) -> str:
        """The Netvisor key of the customer for this Severa account: from the ledger when it was
        transferred before; otherwise read that one account from Severa, map, validate, match or
        create it in Netvisor now, and record it in the ledger, exactly as a normal run would.
        Raises the same errors a normal run records for that account.

        An account transferred before is not re-sent here even if it changed since: carrying changes
        over is the customers run's work."""
        ref = account_ref(account_guid)
        with self._ensure_lock:
            entry = self.state.get_ledger([ref]).get(ref)
            if entry is not None and entry.status is LedgerStatus.DONE and entry.target_key:
                return entry.target_key
            record = self._read_one(account_guid)
            try:
                planned = self.prepare(record)
            except IntegrationError as error:
                # Recorded as a customers run would, so the invoices transfer sees the account is known
                # bad and reports its invoices once, instead of trying again on every run.
                self.state.record_failure(ref, error_text=error.message, run_id=run_id, retryable=error.retryable)
                raise
            return self._transfer_now(planned, entry, run_id)

    def _read_one(self, account_guid: str) -> SourceRecord:
        severa = self.context.severa
        try:
            customer = severa.customer(account_guid)
        except SeveraNotFoundError as error:
            raise CustomerNotFound(
                f"Severa has no account {account_guid}: it may have been deleted or merged",
                remote_text=error.remote_text,
            ) from None
        if customer is None or not customer.guid:
            raise CustomerNotFound(f"Severa has no account {account_guid}: it may have been deleted or merged")
        addresses = severa.addresses_changed_since(EPOCH, account_guid=account_guid)
        contacts = severa.contacts_changed_since(EPOCH, account_guid=account_guid)
        return SourceRecord(
            ref=account_ref(customer.guid),
            changed_at=change_time(customer, None, datetime.now(UTC)),
            data=_details(customer, addresses, contacts),
        )

    def _transfer_now(self, planned: PlannedWrite[MappedCustomer], entry: LedgerEntry | None, run_id: str) -> str:
        """The engine's create path for one record: pending marker, natural-key match, write, done."""
        ref = planned.record.ref
        try:
            pending = self.state.mark_pending(
                ref,
                content_hash=planned.content_hash,
                summary=planned.summary,
                expected_version=entry.version if entry else 0,
                run_id=run_id,
            )
        except StateConflict as error:
            raise CustomerUnavailable(
                f"{planned.payload.label} is being transferred by another run right now; try again shortly",
                remote_text=error.message,
            ) from None
        existing = self.lookup_existing(planned)
        if existing is None:
            key = self.write(planned, None)
            action = "created"
        elif self.allows_update:
            key = self.write(planned, existing)
            action = "adopted"
        else:
            key = existing
            action = "adopted"
        self.state.mark_done(
            ref,
            target_key=key,
            content_hash=planned.content_hash,
            summary=planned.summary,
            writeback_pending=False,
            expected_version=pending.version,
            run_id=run_id,
        )
        logger.info(f"customer {action} for an invoice", extra={"source_id": ref.id, "target_key": key})
        return key


def build_transfer(settings: Settings) -> CustomersTransfer:
    return CustomersTransfer(TransferContext.from_settings(settings))
