"""The customers transfer: Severa accounts -> Netvisor customers (create, or update when allowed).

Severa reads are frugal: one ``GetCustomersChangedSince`` (inactive accounts included, address and
contact changes counted as account changes), and only when it returns something, one read of all
addresses and one of all active contacts, however many accounts changed. A run with nothing new
therefore costs one Severa call and no Netvisor call.

Position: an account sits at its own change time. An account returned only because one of its
addresses or contacts changed keeps an older time of its own, and Severa does not say when the
address changed: it sits at the start of the window read, and a watermark at the time of the read
ends the window, so a run that stops before such an account reads it again next time.

Matching: the ledger (the Netvisor key stored by an earlier transfer) comes first, in the engine;
for an account the ledger has never seen, Netvisor's customer list (read once per run, kept up to
date with this run's creates) is searched by customer number and business ID in the operator's
``customers.match_order`` (``mapping.customers.find_existing_customer``).

The invoices transfer needs an invoice's customer in Netvisor first: it names the account as a
requirement, and the engine brings it over through this transfer (``fetch_one``, then the same path
as a scheduled run).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import datetime

from severa_netvisor.engine import PlannedWrite, RunBase, RunContext, SourceRecord
from severa_netvisor.engine.contract import watermark, window
from severa_netvisor.errors import RecordError
from severa_netvisor.mapping.customers import (
    MappedCustomer,
    NetvisorCustomerRef,
    find_existing_customer,
    map_customer,
)
from severa_netvisor.netvisor.xmlbuild import build_customer
from severa_netvisor.severa.characters import refuse_forbidden_characters
from severa_netvisor.severa.client import CHECK_ADDRESS_CHANGES, CHECK_CONTACT_CHANGES, EPOCH, SeveraClient
from severa_netvisor.severa.models import Address, Contact, Customer, CustomerDetails
from severa_netvisor.state import Cursor, SourceRef
from severa_netvisor.transfers.context import Clients, TransferContext

__all__ = ["CustomerNotFound", "CustomersRun", "CustomersTransfer", "account_ref", "build_transfer"]

#: AccountGetOptions.IncludeInactive: a deactivated account is carried over as an inactive customer.
INCLUDE_INACTIVE = 2
READ_OPTIONS = INCLUDE_INACTIVE | CHECK_ADDRESS_CHANGES | CHECK_CONTACT_CHANGES
PAGE_SIZE = 100
ACCOUNT_TYPE = "account"


def account_ref(account_guid: str) -> SourceRef:
    """The ledger key of a Severa account (what invoices look their customer up by)."""
    return SourceRef("severa", ACCOUNT_TYPE, account_guid)


class CustomerNotFound(RecordError):
    """Severa has no account with the GUID asked for."""

    system = "severa"
    action = "The account was deleted or merged in Severa: point the invoice at an existing customer."


class _NetvisorDirectory:
    """Netvisor's customer list, read once per run and kept current with the run's own creates."""

    def __init__(self, clients: Clients):
        self._clients = clients
        self._lock = threading.Lock()
        self._customers: list[NetvisorCustomerRef] | None = None

    def customers(self) -> list[NetvisorCustomerRef]:
        with self._lock:
            if self._customers is None:
                self._customers = [
                    NetvisorCustomerRef.of(c.netvisor_key, c.name, c.code, c.business_id)
                    for c in self._clients.netvisor.list_customers()
                ]
            return list(self._customers)

    def remember(self, key: int, mapped: MappedCustomer) -> None:
        """Record a customer this run created or edited, so later matches in the run see it."""
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


def change_time(customer: Customer, since: Cursor | None, placed: datetime) -> datetime:
    """An account's own change time, or ``placed`` (the window's start) when its own is older than the
    window: it was returned because an address or contact changed, at a time Severa does not tell."""
    own = customer.updated_ts or customer.insert_ts
    if since is not None and own < since.changed_at:
        return placed
    return own


def account_label(customer: Customer) -> str:
    name = (customer.name or "").strip() or "(no name)"
    return f"customer {name}" + (f" (customer number {customer.number})" if customer.number is not None else "")


def _details(customer: Customer, addresses: Sequence[Address], contacts: Sequence[Contact]) -> CustomerDetails:
    return CustomerDetails(customer=customer, addresses=list(addresses), contacts=list(contacts))


class CustomersTransfer:
    name = "customers"

    def __init__(self, context: TransferContext):
        self.context = context

    def start(self, run: RunContext) -> CustomersRun:
        return CustomersRun(run, self.context.for_run(run.planner))


#: Customers read one at a time in a run before all are read at once (3 calls each, against 3 in all).
BULK_AFTER = 3


class _CustomerBook:
    """Every Severa customer with its addresses and contacts, read once (the organisation's size, not
    the backlog's)."""

    def __init__(self, customers: Sequence[Customer], addresses: Sequence[Address], contacts: Sequence[Contact]):
        self._customers = {c.guid: c for c in customers if c.guid}
        self._addresses: dict[str, list[Address]] = {}
        for address in addresses:
            self._addresses.setdefault(address.company_guid or "", []).append(address)
        self._contacts: dict[str, list[Contact]] = {}
        for contact in contacts:
            self._contacts.setdefault(contact.account_guid or "", []).append(contact)

    @classmethod
    def read(cls, severa: SeveraClient) -> _CustomerBook:
        return cls(
            severa.customers_changed_since(EPOCH, options=READ_OPTIONS),
            severa.addresses_changed_since(EPOCH),
            severa.contacts_changed_since(EPOCH),
        )

    def details(self, guid: str) -> CustomerDetails | None:
        customer = self._customers.get(guid)
        if customer is None:
            return None  # new since the bulk read: read alone
        return _details(customer, self._addresses.get(customer.company_guid or "", []), self._contacts.get(guid, []))


class CustomersRun(RunBase[MappedCustomer]):
    matches_existing = True

    def __init__(self, run: RunContext, clients: Clients):
        self.run = run
        self.clients = clients
        mapping = clients.mapping
        self.allows_update = mapping.allow_updates.customers
        self.match_order: tuple[str, ...] = tuple(mapping.customers.match_order)
        self._directory = _NetvisorDirectory(clients)
        self._single_reads = 0
        self._book: _CustomerBook | None = None

    # -- reading ----------------------------------------------------------------------------------
    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        severa = self.clients.severa
        read_at = self.run.now()  # before the read: a change during it is read again next run
        asked, placed = window(since, read_at, self.run.overlap, EPOCH)
        customers = severa.customers_changed_since(asked, options=READ_OPTIONS)
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
                self._record(
                    customer,
                    change_time(customer, since, placed),
                    addresses.get(customer.company_guid or "", []),
                    contacts.get(customer.guid or "", []),
                )
                for customer in customers
                if customer.guid
            ),
            key=lambda record: record.position,
        )
        records.append(watermark(CustomersTransfer.name, read_at))
        for start_at in range(0, len(records), PAGE_SIZE):
            yield records[start_at : start_at + PAGE_SIZE]

    @staticmethod
    def _record(
        customer: Customer, changed_at: datetime, addresses: Sequence[Address], contacts: Sequence[Contact]
    ) -> SourceRecord:
        return SourceRecord(
            ref=account_ref(customer.guid or ""),
            changed_at=changed_at,
            data=_details(customer, addresses, contacts),
            label=account_label(customer),
        )

    def fetch_one(self, ref: SourceRef) -> SourceRecord | None:
        """One customer now (3 Severa calls); once a run has needed a few (an invoice backlog with many
        new customers), every customer is read in bulk instead, 3 calls in all (``_CustomerBook``)."""
        if self._book is None and self._single_reads >= BULK_AFTER:
            self._book = _CustomerBook.read(self.clients.severa)
        found = self._book.details(ref.id) if self._book is not None else None
        if found is not None:
            known = found.customer
            return self._record(known, known.updated_ts or known.insert_ts, found.addresses, found.contacts)
        self._single_reads += 1
        severa = self.clients.severa
        customer = severa.customer(ref.id)
        if customer is None or not customer.guid:
            return None
        addresses = severa.addresses_changed_since(EPOCH, account_guid=ref.id)
        contacts = severa.contacts_changed_since(EPOCH, account_guid=ref.id)
        return self._record(customer, customer.updated_ts or customer.insert_ts, addresses, contacts)

    # -- mapping ----------------------------------------------------------------------------------
    def prepare(self, record: SourceRecord) -> PlannedWrite[MappedCustomer]:
        details: CustomerDetails = record.data
        for part in (details.customer, *details.addresses, *details.contacts):
            refuse_forbidden_characters(part, record.name)
        mapped = map_customer(details)
        return PlannedWrite(
            record=record, payload=mapped, summary=mapped.summary(), body=build_customer(mapped.customer)
        )

    # -- Netvisor ---------------------------------------------------------------------------------
    def lookup_existing(self, planned: PlannedWrite[MappedCustomer]) -> str | None:
        key = find_existing_customer(planned.payload, self._directory.customers(), self.match_order)
        return None if key is None else str(key)

    def write(self, planned: PlannedWrite[MappedCustomer], existing_key: str | None) -> str:
        mapped = planned.payload
        netvisor = self.clients.netvisor
        if existing_key is None:
            key = netvisor.add_customer(mapped.customer, body=planned.body)
        else:
            key = int(existing_key)
            netvisor.edit_customer(key, mapped.customer, body=planned.body)
        self._directory.remember(key, mapped)
        return str(key)


def build_transfer(context: TransferContext) -> CustomersTransfer:
    return CustomersTransfer(context)
