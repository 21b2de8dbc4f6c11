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
``customers.match_order`` (``mapping.customers.find_existing_customer``). A business ID several Severa
accounts share (a city's billing units) is never used to match: the business IDs are counted over every
Severa account once per run, in fetch (one more read, only when something changed).

E-mail invoicing goes to the address the account's invoices are sent to (their buyer e-mail), not the
account's general e-mail: the invoices transfer notes it beside the ledger (``invoicing-email``, in its
fetch, before it brings a new customer over), and this transfer sends it with the customer; a noted
address Netvisor does not have yet brings its account into the next run.

Every customer this integration creates can be found again: by its number, its business ID, or the
code made from its Severa GUID (``SEV-…``) an account without a number gets. When the operator
switches those codes off, an account with neither number nor business ID cannot be looked up: its
create is noted beside the ledger first, and a create whose answer was lost is never sent again
blindly; the account waits, as an open failure, for a person to give it a number.

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
from severa_netvisor.errors import IntegrationError, RecordError
from severa_netvisor.mapping.customers import (
    MappedCustomer,
    NetvisorCustomerRef,
    comparable_business_id,
    find_existing_customer,
    map_customer,
)
from severa_netvisor.netvisor.xmlbuild import build_customer
from severa_netvisor.severa.characters import refuse_forbidden_characters
from severa_netvisor.severa.client import CHECK_ADDRESS_CHANGES, CHECK_CONTACT_CHANGES, EPOCH, SeveraClient
from severa_netvisor.severa.models import Address, Contact, Customer, CustomerDetails
from severa_netvisor.state import Cursor, LedgerStatus, SourceRef
from severa_netvisor.transfers.context import Clients, TransferContext

__all__ = ["CustomerNotFound", "CustomersRun", "CustomersTransfer", "account_ref", "build_transfer"]

#: AccountGetOptions.IncludeInactive: a deactivated account is carried over as an inactive customer.
INCLUDE_INACTIVE = 2
READ_OPTIONS = INCLUDE_INACTIVE | CHECK_ADDRESS_CHANGES | CHECK_CONTACT_CHANGES
PAGE_SIZE = 100
ACCOUNT_TYPE = "account"
#: Side entry: a create of an account Netvisor cannot be searched for, sent and not yet answered.
CREATE_GUARD_TYPE = "customer-create"
#: Side entry: the e-mail address an account's invoices go to (noted by the invoices transfer).
INVOICING_EMAIL_TYPE = "invoicing-email"


def invoicing_email_ref(account_guid: str) -> SourceRef:
    return SourceRef("severa", INVOICING_EMAIL_TYPE, account_guid)


def account_ref(account_guid: str) -> SourceRef:
    """The ledger key of a Severa account (what invoices look their customer up by)."""
    return SourceRef("severa", ACCOUNT_TYPE, account_guid)


class CustomerNotFound(RecordError):
    """Severa has no account with the GUID asked for."""

    system = "severa"
    action = "The account was deleted or merged in Severa: point the invoice at an existing customer."


class CustomerNotIdentifiable(RecordError):
    """An earlier create of an account that Netvisor cannot be searched for got no answer."""

    system = "netvisor"
    retryable = False
    action = (
        "Give the account a customer number in Severa. If Netvisor already has this customer (look for it by "
        "name), give it the same number there first: it is then found and kept, not created again."
    )


def shared_business_ids(customers: Sequence[Customer]) -> frozenset[str]:
    """The business IDs more than one Severa account has (billing units of one organisation)."""
    seen: set[str] = set()
    shared: set[str] = set()
    for customer in customers:
        business_id = comparable_business_id(customer.vat_number)
        if business_id:
            (shared if business_id in seen else seen).add(business_id)
    return frozenset(shared)


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
        code = mapped.number or mapped.own_code or ""
        ref = NetvisorCustomerRef.of(key, mapped.customer.name, code, mapped.business_id or "")
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
    def read(cls, severa: SeveraClient, customers: Sequence[Customer] | None = None) -> _CustomerBook:
        """Every customer (unless the run has read them all already), address and contact."""
        return cls(
            customers if customers is not None else severa.customers_changed_since(EPOCH, options=READ_OPTIONS),
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
        self.options = mapping.customers
        self.match_order: tuple[str, ...] = tuple(mapping.customers.match_order)
        self._directory = _NetvisorDirectory(clients)
        self._single_reads = 0
        self._book: _CustomerBook | None = None
        #: Business IDs several Severa accounts share, counted in fetch (``_shared_business_ids``), and
        #: every account as read for that count (the bulk read of ``fetch_one`` takes them).
        self._shared: frozenset[str] | None = None
        self._everyone: list[Customer] | None = None
        #: Account GUID -> the e-mail its invoices go to; and the accounts whose address Netvisor lacks.
        self._emails: dict[str, str] | None = None
        self._emails_to_send: set[str] = set()

    # -- reading ----------------------------------------------------------------------------------
    def fetch_pages(self, since: Cursor | None, *, full_resync: bool) -> Iterator[Sequence[SourceRecord]]:
        severa = self.clients.severa
        read_at = self.run.now()  # before the read: a change during it is read again next run
        asked, placed = window(since, read_at, self.run.overlap, EPOCH)
        customers = severa.customers_changed_since(asked, options=READ_OPTIONS)
        changed = {c.guid for c in customers}
        customers += [c for c in map(severa.customer, sorted(self._invoicing_emails_to_send() - changed)) if c]
        if not customers:
            return
        if asked == EPOCH:  # every account was read: count the business IDs from them
            self._shared = shared_business_ids(customers)
        self._shared_business_ids()
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

    def _invoicing_emails_to_send(self) -> set[str]:
        """The invoicing e-mails the invoices transfer noted (one ledger read per run); returns the
        accounts whose address Netvisor does not have yet."""
        if self._emails is None:
            self._emails = {}
            for entry in self.run.ledger.entries_of("severa", INVOICING_EMAIL_TYPE):
                self._emails[entry.ref.id] = entry.target_key or ""
                if entry.status is not LedgerStatus.DONE:
                    self._emails_to_send.add(entry.ref.id)
        return set(self._emails_to_send)

    def _shared_business_ids(self) -> frozenset[str]:
        """Business IDs more than one Severa account has: one read of every account, once per run."""
        if self._shared is None:
            self._everyone = self.clients.severa.customers_changed_since(EPOCH, options=READ_OPTIONS)
            self._shared = shared_business_ids(self._everyone)
        return self._shared

    def fetch_one(self, ref: SourceRef) -> SourceRecord | None:
        """One customer now (3 Severa calls); once a run has needed a few (an invoice backlog with many
        new customers), every customer is read in bulk instead, 3 calls in all (``_CustomerBook``)."""
        if self._book is None and self._single_reads >= BULK_AFTER:
            self._book = _CustomerBook.read(self.clients.severa, self._everyone)
        found = self._book.details(ref.id) if self._book is not None else None
        if found is not None:
            known = found.customer
            return self._record(known, known.updated_ts or known.insert_ts, found.addresses, found.contacts)
        self._single_reads += 1
        severa = self.clients.severa
        customer = severa.customer(ref.id)
        if customer is None or not customer.guid:
            return None
        self._shared_business_ids()
        self._invoicing_emails_to_send()
        addresses = severa.addresses_changed_since(EPOCH, account_guid=ref.id)
        contacts = severa.contacts_changed_since(EPOCH, account_guid=ref.id)
        return self._record(customer, customer.updated_ts or customer.insert_ts, addresses, contacts)

    # -- mapping ----------------------------------------------------------------------------------
    def prepare(self, record: SourceRecord) -> PlannedWrite[MappedCustomer]:
        details: CustomerDetails = record.data
        for part in (details.customer, *details.addresses, *details.contacts):
            refuse_forbidden_characters(part, record.name)
        email = (self._emails or {}).get(details.customer.guid or "")
        mapped = map_customer(details, options=self.options, invoicing_email=email)
        return PlannedWrite(
            record=record, payload=mapped, summary=mapped.summary(), body=build_customer(mapped.customer)
        )

    # -- Netvisor ---------------------------------------------------------------------------------
    def lookup_existing(self, planned: PlannedWrite[MappedCustomer]) -> str | None:
        mapped = planned.payload
        shared = self._shared or frozenset()
        key = find_existing_customer(mapped, self._directory.customers(), self.match_order, shared_business_ids=shared)
        if key is None and not mapped.identifiable:
            self._refuse_a_blind_create(planned)
        return None if key is None else str(key)

    def _refuse_a_blind_create(self, planned: PlannedWrite[MappedCustomer]) -> None:
        """An account Netvisor cannot be searched for, whose earlier create got no answer: never again."""
        guard = SourceRef("severa", CREATE_GUARD_TYPE, planned.record.ref.id)
        entry = self.run.ledger.get([guard]).get(guard)
        if entry is not None and entry.status is not LedgerStatus.DONE:
            raise CustomerNotIdentifiable(
                f"{planned.record.name}: an earlier create in Netvisor got no answer, and the account has no "
                "customer number, business ID or code to look it up by; it is not created again, so that it "
                "cannot end up in Netvisor twice"
            )

    def _guarded_create(self, planned: PlannedWrite[MappedCustomer]) -> int:
        """Create an account Netvisor cannot be searched for, noting the attempt first: if the answer is
        lost, the note stays open and ``lookup_existing`` refuses to create it again."""
        guard = SourceRef("severa", CREATE_GUARD_TYPE, planned.record.ref.id)
        name = {"name": planned.payload.customer.name}
        self.run.ledger.note(guard, target_key="", summary=name, open_=True)
        try:
            key = self.clients.netvisor.add_customer(planned.payload.customer, body=planned.body)
        except IntegrationError as error:
            if not error.outcome_unknown:  # refused for sure: nothing was created
                self.run.ledger.note(guard, target_key="", summary=name, open_=False)
            raise
        self.run.ledger.note(guard, target_key=str(key), summary=name, open_=False)
        return key

    def write(self, planned: PlannedWrite[MappedCustomer], existing_key: str | None) -> str:
        mapped = planned.payload
        netvisor = self.clients.netvisor
        if existing_key is None and not mapped.identifiable:
            key = self._guarded_create(planned)
        elif existing_key is None:
            key = netvisor.add_customer(mapped.customer, body=planned.body)
        else:
            key = int(existing_key)
            netvisor.edit_customer(key, mapped.customer, body=planned.body)
        self._directory.remember(key, mapped)
        self._invoicing_email_sent(mapped)
        return str(key)

    def _invoicing_email_sent(self, mapped: MappedCustomer) -> None:
        """Netvisor has the account's invoicing e-mail now: it no longer brings the account into a run."""
        guid = mapped.account_guid
        if guid in self._emails_to_send:
            email = (self._emails or {}).get(guid, "")
            self.run.ledger.note(invoicing_email_ref(guid), target_key=email, summary={"email": email}, open_=False)
            self._emails_to_send.discard(guid)


def build_transfer(context: TransferContext) -> CustomersTransfer:
    return CustomersTransfer(context)
