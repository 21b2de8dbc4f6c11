"""The Severa SOAP client: zeep over the WSDL that ships in this package.

- The WSDL is parsed from the package once per process (never fetched: no network at cold start)
  and the service address is the secret's endpoint.
- Every call carries the ``WebServicePassword`` header and explicit connect and operation timeouts.
- Faults become ``SeveraError`` subclasses (remote text verbatim, secrets scrubbed).
- Retries and the credential re-read go through ``retry.py`` (shared with the Netvisor client):
  reads are retried after transport failures, with backoff; writes only when the request provably
  never left; an authentication failure re-reads the secret once (``credential_reloader``).
- The ``Quota`` / ``UsedQuota`` headers of every response, faults included, are kept in ``quota``.
- zeep builds and sends each request; the answer is left unread (streamed) and read by ``reply.py``
  within limits: single records and files as one tree, at most ``severa_max_response_mb``; lists item
  by item. ``iter_invoices_by_status`` / ``iter_invoices_by_date`` yield invoices one at a time in
  bounded memory whatever the backlog; ``iter_invoice_stubs_by_*`` keep each one compressed, typed
  on demand (``stubs.py``); the list-returning methods keep the size limit.
- NotFound on a read and a nil or missing result mean "nothing" (API.md §3): an empty list,
  or None for a single get.
- Every write goes through ``_call(..., write=True)``.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import requests
from lxml import etree
from pydantic import BaseModel
from zeep import Client as ZeepClient
from zeep import Settings as ZeepSettings
from zeep.proxy import ServiceProxy
from zeep.transports import Transport
from zeep.wsdl import Document

from severa_netvisor.answers import MEGABYTE, AnswerRefused, iter_body
from severa_netvisor.credentials import SeveraCredentials
from severa_netvisor.dryrun import PlannedRequest, WritePlanner
from severa_netvisor.observability import logger
from severa_netvisor.retry import FailureKinds, RetryPolicy, call_with_retries, connection_never_made
from severa_netvisor.scrub import scrub
from severa_netvisor.settings import Settings, get_settings
from severa_netvisor.severa.characters import visible
from severa_netvisor.severa.errors import (
    SeveraAuthenticationError,
    SeveraNotFoundError,
    SeveraQuotaShareReached,
    SeveraTransportError,
)
from severa_netvisor.severa.models import (
    Account,
    Address,
    BusinessUnit,
    Case,
    Contact,
    Currency,
    Customer,
    CustomerDetails,
    HourEntry,
    Invoice,
    InvoiceFile,
    InvoiceKey,
    InvoiceStatus,
    Product,
    QuotaStatus,
    User,
    WorkType,
)
from severa_netvisor.severa.reply import ItemReader, as_bytes, as_one, as_text, read_reply, refused_answer
from severa_netvisor.severa.stubs import InvoiceStub, invoice_key

WSDL_PATH = Path(__file__).resolve().parent / "wsdl" / "severa.wsdl"
SERVICE_NS = "http://soap.severa.com/"


def _quiet_zeep() -> None:
    """Keep zeep's own loggers at WARNING, whatever level the process runs at (pinned again where the
    WSDL is loaded and a client made, in case logging was configured after import).

    zeep logs every request envelope at DEBUG, WebServicePassword included: the API key must never
    reach a log. And at DEBUG zeep logs each schema component it registers with the component as an
    argument; a handler that renders arguments (a structured logger) calls ``str`` on an element
    whose type is not resolved yet, which raises inside zeep's WSDL load ("'UnresolvedType' object
    has no attribute 'is_global'"): the first Severa read of the process failed. Nothing zeep says
    below WARNING helps whoever runs the integration.
    """
    logging.getLogger("zeep").setLevel(logging.WARNING)
    logging.getLogger("zeep.transports").setLevel(logging.WARNING)


_quiet_zeep()

#: AccountGetOptions flags (API.md §4.1): count address / contact changes as account changes.
CHECK_ADDRESS_CHANGES = 64
CHECK_CONTACT_CHANGES = 128
#: "Since the beginning": Severa has no "all" read for addresses and contacts.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: S2 waits 15 s first; a Lambda has less patience, and the next scheduled run retries anyway.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (2.0, 6.0)
#: Answers that carry a file as one base64 text (parsed with libxml2's huge-text option).
FILE_OPERATIONS = frozenset({"GetInvoicePdfByInvoiceGUID", "GetInvoiceAttachmentFile"})

ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")


def _is_transient(error: Exception) -> bool:
    return isinstance(error, SeveraTransportError) and error.retryable


def _never_sent(error: Exception) -> bool:
    return isinstance(error, SeveraTransportError) and not error.may_have_arrived


SEVERA_FAILURES = FailureKinds(
    transient=_is_transient, never_sent=_never_sent, authentication=(SeveraAuthenticationError,)
)


class _StreamingTransport(Transport):
    """zeep's transport, but the answer is left unread (``stream=True``) for the client to read
    within its limits; and no logging of envelopes (they carry the API key)."""

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
        return self.session.post(address, data=message, headers=headers, timeout=self.operation_timeout, stream=True)


@lru_cache(maxsize=4)
def load_wsdl_document(path: Path = WSDL_PATH) -> Document:
    """The parsed WSDL, once per process (a warm Lambda reuses it)."""
    _quiet_zeep()
    started = time.perf_counter()
    # The transport only reads the local file here; cache=None keeps zeep from writing anywhere.
    document = Document(str(path), Transport(cache=None), settings=_zeep_settings())  # type: ignore[no-untyped-call,arg-type]
    logger.debug("Severa WSDL loaded", extra={"seconds": round(time.perf_counter() - started, 3)})
    return document


def _zeep_settings(*, raw_response: bool = False) -> ZeepSettings:
    return ZeepSettings(strict=True, xml_huge_tree=True, raw_response=raw_response)


#: Severa's write operations, in an accountant's words (dry-run plans).
_OPERATIONS = {
    "SetInvoiceStatus": "set the invoice's status",
    "SetInvoicePaymentDate": "set the invoice's payment date",
    "AddNewInvoiceLogEntry": "add a line to the invoice's log",
}


def planned_request(operation: str, params: dict[str, Any]) -> PlannedRequest:
    shown = {k: v for k, v in params.items() if v is not None and k not in ("source", "ignoreDuplicates")}
    body = "; ".join(f"{k}: {v.isoformat() if isinstance(v, datetime | date) else v}" for k, v in shown.items())
    return PlannedRequest("severa", f"{_OPERATIONS.get(operation, operation)} ({operation})", body)


def _count(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _utc(moment: datetime) -> datetime:
    """Severa compares date-times in UTC (API.md §3); a naive value is taken as UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class SeveraClient:
    """One Severa organisation, reached with one API key."""

    def __init__(
        self,
        credentials: SeveraCredentials,
        settings: Settings | None = None,
        *,
        credential_reloader: Callable[[], SeveraCredentials] | None = None,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        sleep: Callable[[float], None] = time.sleep,
        wsdl_path: Path = WSDL_PATH,
    ):
        self._settings = settings or get_settings()
        self._credentials = credentials
        self._reloader = credential_reloader
        self._retry = RetryPolicy(tuple(retry_delays), sleep)
        self._max_bytes = self._settings.severa_max_response_mb * MEGABYTE
        self._quota = QuotaStatus()
        self._session = requests.Session()
        _quiet_zeep()
        transport = _StreamingTransport(  # type: ignore[no-untyped-call]
            cache=None,
            session=self._session,
            timeout=self._settings.severa_connect_timeout_seconds,
            # requests takes (connect, read): zeep has no timeout at all unless told.
            operation_timeout=(
                self._settings.severa_connect_timeout_seconds,
                self._settings.severa_operation_timeout_seconds,
            ),
        )
        self._zeep = ZeepClient(  # type: ignore[no-untyped-call]
            # raw_response: zeep hands back the HTTP response and reply.py reads it.
            load_wsdl_document(wsdl_path),
            transport=transport,
            settings=_zeep_settings(raw_response=True),
        )
        self._services: dict[str, ServiceProxy] = {}
        #: Calls made by this client (each one counts against Severa's daily quota).
        self.calls = 0
        #: Set on a dry run's copy (``planning``): writes are recorded there, never sent.
        self._planner: WritePlanner | None = None

    def planning(self, planner: WritePlanner) -> SeveraClient:
        """A copy of this client whose writes are recorded in ``planner`` instead of sent (reads go out)."""
        planned = copy.copy(self)
        planned._planner = planner
        return planned

    def __repr__(self) -> str:
        return f"SeveraClient(endpoint={self._credentials.endpoint!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> SeveraClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def endpoint(self) -> str:
        return self._credentials.endpoint

    @property
    def quota(self) -> QuotaStatus:
        """Quota and used quota from the latest response's headers."""
        return self._quota

    def check_quota_share(self) -> None:
        """Raise ``SeveraQuotaShareReached`` once today's calls (as the latest answer counted them, the
        other integrations' included) reach ``severa_quota_share`` of the daily quota."""
        quota, share = self._quota, self._settings.severa_quota_share
        if not quota.quota or quota.used is None or quota.used < quota.quota * share:
            return
        raise SeveraQuotaShareReached(
            f"Severa's API calls today reached {_count(quota.used)} of the daily {_count(quota.quota)} "
            f"({quota.used / quota.quota:.0%}); this integration stops taking new work at {share:.0%} so that "
            "the organisation's other integrations keep theirs. The rest is taken after Severa's daily reset "
            "(UTC midnight)",
            quota=quota.quota,
            used_quota=quota.used,
            share=share,
        )

    # -- API information ---------------------------------------------------------------------
    def get_version(self) -> str:
        return as_text(self._call("IAPI", "GetVersion"))

    def get_entity_schema_version(self) -> str:
        return as_text(self._call("IAPI", "GetEntitySchemaVersion"))

    # -- customers ---------------------------------------------------------------------------
    def accounts_changed_since(self, since: datetime, options: int = 0) -> list[Account]:
        """Accounts inserted or updated since ``since`` (options: API.md §4.1 AccountGetOptions values)."""
        return self._list(Account, "IAccount", "GetAccountsChangedSince", startDateTime=_utc(since), options=options)

    def account(self, account_guid: str) -> Account | None:
        return as_one(Account, self._call("IAccount", "GetAccountByGUID", accountGuid=account_guid))

    def customers_changed_since(self, since: datetime, options: int = 0) -> list[Customer]:
        return self._list(Customer, "ICustomer", "GetCustomersChangedSince", startDateTime=_utc(since), options=options)

    def customers_with_details_changed_since(self, since: datetime) -> list[CustomerDetails]:
        """Customers whose own data, addresses or contacts changed since ``since``, each with all its
        addresses and contacts, in three calls whatever the number of customers (quota-frugal)."""
        options = CHECK_ADDRESS_CHANGES | CHECK_CONTACT_CHANGES
        customers = self.customers_changed_since(since, options=options)
        if not customers:
            return []
        addresses: dict[str, list[Address]] = {}
        for address in self.addresses_changed_since(EPOCH):
            addresses.setdefault(address.company_guid or "", []).append(address)
        contacts: dict[str, list[Contact]] = {}
        for contact in self.contacts_changed_since(EPOCH):
            contacts.setdefault(contact.account_guid or "", []).append(contact)
        return [
            CustomerDetails(
                customer=customer,
                addresses=addresses.get(customer.company_guid or "", []),
                contacts=contacts.get(customer.guid or "", []),
            )
            for customer in customers
        ]

    def customer(self, account_guid: str) -> Customer | None:
        return as_one(Customer, self._call("ICustomer", "GetCustomerByGUID", accountGuid=account_guid))

    def addresses_changed_since(self, since: datetime, account_guid: str = "", options: int = 0) -> list[Address]:
        """Addresses changed since ``since``; an empty ``account_guid`` means every account."""
        return self._list(
            Address,
            "IAddress",
            "GetAddressesChangedSince",
            accountGUID=account_guid,
            startDateTime=_utc(since),
            options=options,
        )

    def address(self, address_guid: str) -> Address | None:
        return as_one(Address, self._call("IAddress", "GetAddressByGUID", addressGUID=address_guid))

    def contacts_changed_since(self, since: datetime, account_guid: str = "", options: int = 0) -> list[Contact]:
        return self._list(
            Contact,
            "IContact",
            "GetContactsChangedSince",
            accountGUID=account_guid,
            startDateTime=_utc(since),
            options=options,
        )

    def contacts_of_account(self, account_guid: str) -> list[Contact]:
        return self._list(Contact, "IContact", "GetContactsByAccountGUID", accountGUID=account_guid)

    # -- dimensions and products ---------------------------------------------------------------
    def cases_changed_since(self, since: datetime, business_unit_guid: str = "", options: int = 0) -> list[Case]:
        return self._list(
            Case,
            "ICase",
            "GetCasesChangedSince",
            businessUnitGUID=business_unit_guid,
            startDateTime=_utc(since),
            options=options,
        )

    def case(self, case_guid: str) -> Case | None:
        return as_one(Case, self._call("ICase", "GetCaseByGUID", caseGuid=case_guid))

    def business_units_changed_since(
        self, since: datetime, business_unit_guid: str = "", options: int = 0
    ) -> list[BusinessUnit]:
        return self._list(
            BusinessUnit,
            "IBusinessUnit",
            "GetBusinessUnitsChangedSince",
            businessUnitGUID=business_unit_guid,
            startDateTime=_utc(since),
            options=options,
        )

    def products_changed_since(self, since: datetime, options: int = 0) -> list[Product]:
        return self._list(Product, "IProduct", "GetProductsChangedSince", startDateTime=_utc(since), options=options)

    def work_types_changed_since(self, since: datetime, options: int = 0) -> list[WorkType]:
        return self._list(WorkType, "IWorkType", "GetWorkTypesChangedSince", startDateTime=_utc(since), options=options)

    def all_work_types(self) -> list[WorkType]:
        return self._list(WorkType, "IWorkType", "GetAllWorkTypes")

    def users_changed_since(self, since: datetime, business_unit_guid: str = "", options: int = 0) -> list[User]:
        return self._list(
            User,
            "IUser",
            "GetUsersChangedSince",
            businessUnitGUID=business_unit_guid,
            startDateTime=_utc(since),
            options=options,
        )

    def currencies(self) -> list[Currency]:
        return self._list(Currency, "ICurrency", "GetCurrencies")

    # -- invoices ----------------------------------------------------------------------------
    def invoice_statuses(self) -> list[InvoiceStatus]:
        return self._list(InvoiceStatus, "IInvoiceStatus", "GetAllInvoiceStatuses")

    def invoices_by_status(
        self, status: str, business_unit_guid: str = "", options: int = 0, max_invoices: int | None = None
    ) -> list[Invoice]:
        """Invoices whose status has this *name*; an empty business unit means all of them.

        The whole list at once, within ``severa_max_response_mb``; a backlog of any size goes through
        ``iter_invoices_by_status``."""
        return list(
            self._read_items(
                Invoice,
                "IInvoice",
                "GetInvoicesByStatus",
                self._max_bytes,
                businessUnitGUID=business_unit_guid,
                status=status,
                options=options,
                maxInvoices=max_invoices,
            )
        )

    def iter_invoices_by_status(
        self, status: str, business_unit_guid: str = "", options: int = 0, max_invoices: int | None = None
    ) -> Iterator[Invoice]:
        """``invoices_by_status`` one invoice at a time, in bounded memory whatever the backlog.

        Only the opening of the answer is retried; a failure once invoices have come raises
        ``SeveraTransportError`` to the caller, after the invoices already yielded."""
        return self._stream_items(
            Invoice,
            "IInvoice",
            "GetInvoicesByStatus",
            businessUnitGUID=business_unit_guid,
            status=status,
            options=options,
            maxInvoices=max_invoices,
        )

    def invoices_by_date(
        self, start: datetime, end: datetime, business_unit_guid: str = "", options: int = 0
    ) -> list[Invoice]:
        return list(
            self._read_items(
                Invoice,
                "IInvoice",
                "GetInvoicesByDate",
                self._max_bytes,
                **self._dates(start, end, business_unit_guid, options),
            )
        )

    def iter_invoices_by_date(
        self, start: datetime, end: datetime, business_unit_guid: str = "", options: int = 0
    ) -> Iterator[Invoice]:
        """``invoices_by_date`` one invoice at a time (see ``iter_invoices_by_status``)."""
        return self._stream_items(
            Invoice, "IInvoice", "GetInvoicesByDate", **self._dates(start, end, business_unit_guid, options)
        )

    def iter_invoice_stubs_by_status(self, status: str, business_unit_guid: str = "") -> Iterator[InvoiceStub]:
        """``iter_invoices_by_status`` as stubs: key members now, the typed invoice when asked for
        (``InvoiceStub.invoice()``); a backlog is then about 2.5 KB per invoice wherever it is kept."""
        return self._stream_stubs(
            "GetInvoicesByStatus", businessUnitGUID=business_unit_guid, status=status, options=0, maxInvoices=None
        )

    def iter_invoice_stubs_by_date(
        self, start: datetime, end: datetime, business_unit_guid: str = ""
    ) -> Iterator[InvoiceStub]:
        """``iter_invoices_by_date`` as stubs (see ``iter_invoice_stubs_by_status``)."""
        return self._stream_stubs("GetInvoicesByDate", **self._dates(start, end, business_unit_guid, 0))

    def iter_invoice_keys_by_status(self, status: str, business_unit_guid: str = "") -> Iterator[InvoiceKey]:
        """GUID, number, reference, entry date and status of each invoice in the status, streamed
        (a few hundred bytes each; nothing else of the invoice is kept or typed)."""
        operation = "GetInvoicesByStatus"
        params = {"businessUnitGUID": business_unit_guid, "status": status, "options": 0, "maxInvoices": None}
        for element in self._stream_elements(operation, params):
            yield invoice_key(element, operation)

    def _stream_stubs(self, operation: str, **params: Any) -> Iterator[InvoiceStub]:
        for element in self._stream_elements(operation, params):
            yield InvoiceStub.of(element, operation)

    def _stream_elements(self, operation: str, params: dict[str, Any]) -> Iterator[etree._Element]:
        """A list answer's items, each element valid until the next is asked for."""
        try:
            response = self._retrying(lambda: self._opened("IInvoice", operation, params), operation, write=False)
        except SeveraNotFoundError:
            return
        reader = ItemReader(operation, Invoice, on_quota=self._keep_quota)
        yield from reader.elements(self._chunks(operation, response, None))

    @staticmethod
    def _dates(start: datetime, end: datetime, business_unit_guid: str, options: int) -> dict[str, Any]:
        return {
            "businessUnitGUID": business_unit_guid,
            "startDate": _utc(start),
            "endDate": _utc(end),
            "options": options,
        }

    def invoice(self, invoice_guid: str) -> Invoice | None:
        return as_one(Invoice, self._call("IInvoice", "GetInvoiceByGUID", invoiceGUID=invoice_guid))

    def invoice_pdf(self, invoice_guid: str, *, attachment_only: bool = False) -> bytes | None:
        """The invoice PDF (or only its attachment part); None when Severa has none."""
        option = "AttachmentOnly" if attachment_only else "All"
        raw = self._call("IInvoice", "GetInvoicePdfByInvoiceGUID", invoiceGuid=invoice_guid, getAttachmentOnly=option)
        return as_bytes(raw, "GetInvoicePdfByInvoiceGUID")

    def invoice_attachments(self, invoice_guid: str) -> list[InvoiceFile]:
        return self._list(InvoiceFile, "IInvoice", "GetInvoiceAttachmentFileGUIDs", invoiceGuid=invoice_guid)

    def invoice_attachment_file(self, attachment_guid: str) -> bytes | None:
        raw = self._call("IInvoice", "GetInvoiceAttachmentFile", attachmentGuid=attachment_guid)
        return as_bytes(raw, "GetInvoiceAttachmentFile")

    def set_invoice_status(self, invoice_guid: str, status: str) -> None:
        """Move the invoice to the status with this *name* (NotFound if no such status or invoice)."""
        self._call("IInvoice", "SetInvoiceStatus", write=True, invoiceGUID=invoice_guid, status=status)

    def set_invoice_payment_date(self, invoice_guid: str, payment_date: date | None) -> None:
        """Set (or with None remove) the payment date."""
        value: datetime | None
        if payment_date is None:
            value = None
        elif isinstance(payment_date, datetime):
            value = _utc(payment_date)
        else:
            # A calendar date: midnight without an offset keeps the same day whatever Severa's zone.
            value = datetime(payment_date.year, payment_date.month, payment_date.day)
        self._call("IInvoice", "SetInvoicePaymentDate", write=True, invoiceGUID=invoice_guid, paymentDate=value)

    def add_invoice_log_entry(
        self,
        invoice_guid: str,
        text: str,
        *,
        context: str = "Netvisor",
        source: str = "severa-netvisor",
        event_time: datetime | None = None,
        ignore_duplicates: bool = True,
    ) -> None:
        """An audit line in the invoice's log; with ``ignore_duplicates`` repeating it is harmless.

        The text is scrubbed of known secret values, and characters XML cannot carry become U+FFFD
        (the reason a record failed may quote the record's own text)."""
        self._call(
            "IInvoice",
            "AddNewInvoiceLogEntry",
            write=True,
            invoiceGuid=invoice_guid,
            context=context,
            text=visible(scrub(text)),
            source=source,
            eventTimeUtc=_utc(event_time) if event_time else None,
            ignoreDuplicates=ignore_duplicates,
        )

    # -- hours -------------------------------------------------------------------------------
    def hour_entries_changed_since(self, since: datetime) -> list[HourEntry]:
        return self._list(HourEntry, "IHourEntry", "GetHourEntriesChangedSince", startDate=_utc(since))

    def hour_entries_by_date(
        self, start: datetime | None, end: datetime | None, business_unit_guid: str = ""
    ) -> list[HourEntry]:
        return self._list(
            HourEntry,
            "IHourEntry",
            "GetHourEntriesByDate",
            businessUnitGUID=business_unit_guid,
            startdate=_utc(start) if start else None,
            enddate=_utc(end) if end else None,
        )

    # -- the call itself ---------------------------------------------------------------------
    def _service(self, interface: str) -> ServiceProxy:
        service = self._services.get(interface)
        if service is None:
            binding = f"{{{SERVICE_NS}}}Severa.API.{interface}"
            service = self._zeep.create_service(binding, self._credentials.endpoint)  # type: ignore[no-untyped-call]
            self._services[interface] = service
        return service

    def _call(self, interface: str, operation: str, *, write: bool = False, **params: Any) -> etree._Element | None:
        """One call whose answer is read whole (single records, files, writes): its result element."""
        if write and self._planner is not None:  # every write goes through here; a dry run records it
            self._planner.record(planned_request(operation, params))
            return None
        huge_text = operation in FILE_OPERATIONS
        try:
            return self._retrying(
                lambda: self._read_whole(operation, self._send(interface, operation, params), huge_text=huge_text),
                operation,
                write=write,
            )
        except SeveraNotFoundError:
            if write:
                raise
            return None  # a get of something gone, or Severa's "none" on a list read (API.md §3)

    def _list(self, model: type[ModelT], interface: str, operation: str, **params: Any) -> list[ModelT]:
        """A list read, item by item as it arrives, at most ``severa_max_response_mb`` in all."""
        return list(self._read_items(model, interface, operation, self._max_bytes, **params))

    def _read_items(
        self, model: type[ModelT], interface: str, operation: str, limit: int, **params: Any
    ) -> list[ModelT]:
        def attempt() -> list[ModelT]:
            return list(self._items_of(self._opened(interface, operation, params), model, operation, limit))

        try:
            return self._retrying(attempt, operation, write=False)
        except SeveraNotFoundError:
            return []

    def _stream_items(self, model: type[ModelT], interface: str, operation: str, **params: Any) -> Iterator[ModelT]:
        try:
            response = self._retrying(lambda: self._opened(interface, operation, params), operation, write=False)
        except SeveraNotFoundError:
            return iter(())
        return self._items_of(response, model, operation, None)

    def _items_of(
        self, response: requests.Response, model: type[ModelT], operation: str, limit: int | None
    ) -> Iterator[ModelT]:
        reader = ItemReader(operation, model, on_quota=self._keep_quota)
        return reader.items(self._chunks(operation, response, limit))

    def _retrying(self, send: Callable[[], T], operation: str, *, write: bool) -> T:
        try:
            return call_with_retries(
                send,
                write=write,
                policy=self._retry,
                kinds=SEVERA_FAILURES,
                reload_credentials=self._reload_credentials if self._reloader is not None else None,
                what=f"Severa {operation}",
            )
        except SeveraAuthenticationError as error:
            raise SeveraAuthenticationError(
                f"Severa denied access to {operation} ({error.remote_text or 'Access denied'}): the API "
                "key was regenerated or the API user deactivated: update the secret.",
                operation=operation,
                remote_text=error.remote_text,
            ) from None

    def _reload_credentials(self) -> None:
        assert self._reloader is not None
        fresh = self._reloader()
        if fresh.endpoint != self._credentials.endpoint:
            self._services.clear()
        self._credentials = fresh

    def _password_header(self) -> etree._Element:
        header = etree.Element(f"{{{SERVICE_NS}}}WebServicePassword")
        header.text = self._credentials.api_key.get_secret_value()
        return header

    def _keep_quota(self, quota: QuotaStatus) -> None:
        self._quota = quota

    # -- one request, its answer unread ----------------------------------------------------------
    def _send(self, interface: str, operation: str, params: dict[str, Any]) -> requests.Response:
        method = getattr(self._service(interface), operation)
        self.calls += 1
        try:
            response: requests.Response = method(**params, _soapheaders=[self._password_header()])
        except requests.RequestException as error:
            raise self._transport_error(operation, error) from None
        return response

    def _opened(self, interface: str, operation: str, params: dict[str, Any]) -> requests.Response:
        """A successful answer, its body still unread; any other answer raises its error."""
        response = self._send(interface, operation, params)
        if response.status_code != 200:
            self._read_whole(operation, response, huge_text=False)  # a fault, or a transport error
        return response

    def _read_whole(self, operation: str, response: requests.Response, *, huge_text: bool) -> etree._Element | None:
        try:
            content = b"".join(self._chunks(operation, response, self._max_bytes))
        except AnswerRefused as refused:
            raise refused_answer(operation, refused) from None
        reply = read_reply(operation, response.status_code, content, huge_text=huge_text)
        if reply.quota is not None:
            self._quota = reply.quota
        if reply.error is not None:
            raise reply.error
        return reply.result

    def _chunks(self, operation: str, response: requests.Response, limit: int | None) -> Iterator[bytes]:
        """The answer's bytes; a connection lost while reading is a transport error."""
        try:
            yield from iter_body(response, limit)
        except requests.RequestException as error:
            raise self._transport_error(operation, error, reading=True) from None

    def _transport_error(
        self, operation: str, error: requests.RequestException, *, reading: bool = False
    ) -> SeveraTransportError:
        never = not reading and connection_never_made(error)
        if isinstance(error, requests.Timeout) and not never:
            return SeveraTransportError(f"Severa {operation}: timed out", operation=operation)
        return SeveraTransportError(
            f"Severa {operation}: cannot reach {self._credentials.endpoint} ({type(error).__name__})",
            operation=operation,
            may_have_arrived=not never,
        )
