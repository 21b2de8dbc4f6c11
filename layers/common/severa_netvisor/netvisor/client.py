"""``NetvisorClient``: every Netvisor resource the integration uses.

Rules it enforces (reference API.md §1, §3):
- one request at a time per Netvisor company (host + organisation id), process-wide, over one
  keep-alive ``requests.Session`` per company (signing, sending and reading the answer all happen
  under the company's lock, so the session is never used by two threads at once);
- long timeouts: ``netvisor_write_timeout_seconds`` (>= 120 s) for writes, the read timeout for reads;
- answers are read streamed, up to ``netvisor_max_response_mb`` (``answers.py``);
- retries (``retry.py``, shared with the Severa client) with backoff only where safe: reads on 5xx,
  timeouts, maintenance, technical errors and connection failures; writes only when the request
  provably never reached Netvisor (connection refused, connect timeout);
- on AUTHENTICATION_FAILED, re-read the credentials once (``credential_reloader``) and try once more;
- every request is signed for exactly the URL sent, with a fresh transaction id.

Every write goes through ``_post`` and every request through ``_call``.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode

import requests

from severa_netvisor.answers import MEGABYTE, AnswerRefused, read_body
from severa_netvisor.credentials import NetvisorCredentials
from severa_netvisor.dryrun import PlannedRequest, WritePlanner
from severa_netvisor.netvisor import xmlbuild, xmlparse
from severa_netvisor.netvisor.auth import signed_headers
from severa_netvisor.netvisor.errors import (
    NetvisorAuthenticationError,
    NetvisorConnectionError,
    NetvisorError,
    NetvisorHttpError,
    NetvisorServerError,
    NetvisorTimeoutError,
    error_from_status,
)
from severa_netvisor.netvisor.models import (
    Customer,
    CustomerInput,
    CustomerSummary,
    Dimension,
    DimensionItemInput,
    InvoicePage,
    InvoiceStatus,
    Product,
    ProductInput,
    ProductSummary,
    SalesInvoice,
    SalesInvoiceInput,
    SalesInvoiceSummary,
    SalesPayment,
    WorkdayInput,
)
from severa_netvisor.observability import logger
from severa_netvisor.retry import FailureKinds, RetryPolicy, call_with_retries, connection_never_made
from severa_netvisor.settings import Settings, get_settings

#: Netvisor's batch limits (reference API.md §3.4).
CUSTOMER_ID_BATCH = 500
PRODUCT_ID_BATCH = 400
INVOICE_KEY_BATCH = 500
INVOICE_PAGE_SIZE = 500

_companies: dict[tuple[str, str], tuple[threading.Lock, requests.Session]] = {}
_companies_guard = threading.Lock()


def _company(host: str, organisation_id: str) -> tuple[threading.Lock, requests.Session]:
    key = (host.rstrip("/").lower(), organisation_id.strip())
    with _companies_guard:
        found = _companies.get(key)
        if found is None:
            found = _companies[key] = (threading.Lock(), requests.Session())
        return found


def company_lock(host: str, organisation_id: str) -> threading.Lock:
    """The process-wide lock that keeps requests to one Netvisor company one at a time."""
    return _company(host, organisation_id)[0]


def company_session(host: str, organisation_id: str) -> requests.Session:
    """The company's keep-alive session; use it only while holding ``company_lock``."""
    return _company(host, organisation_id)[1]


def _is_transient(error: Exception) -> bool:
    return isinstance(error, NetvisorError) and error.retryable


def _never_sent(error: Exception) -> bool:
    return isinstance(error, NetvisorTimeoutError) and not error.may_have_arrived


NETVISOR_FAILURES = FailureKinds(
    transient=_is_transient, never_sent=_never_sent, authentication=(NetvisorAuthenticationError,)
)


def _url(host: str, resource: str, params: dict[str, str]) -> str:
    """The URL sent, which is also the URL the MAC signs.

    Public clients disagree on whether the signed URL is percent-encoded: Heltti's
    netvisor-api-client signs requests' prepared, encoded URL (netvisor_api_client/auth.py,
    ``make_mac(r.url, ...)``) and xi-netvisor the ``http_build_query`` URL it sends
    (Component/Request.php), while rantalainen's netvisor-api-client signs a query joined by hand,
    unencoded, that ``got`` then sends encoded (src/index.ts, ``_generateHeaders``), and kiskolabs
    signs an unescaped query (reference API.md §2.2). Netvisor's own canonicalisation is not
    documented. So no value here needs encoding: RFC 3986 admits ``:`` and ``,`` in a query, and
    dates (``changedsince=2025-03-03T09:00:00``), keys and key lists go out verbatim, so the URL is
    the same encoded or decoded and every reading of the rule signs the same string. Only free
    text (``keyword``, which no transfer uses) would still need encoding.
    """
    query = urlencode(params, safe=":,", quote_via=quote)
    return f"{host}/{resource}?{query}" if query else f"{host}/{resource}"


def _ansi_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


#: What each write resource does, in an accountant's words (dry-run plans).
_OPERATIONS = {
    "customer.nv": "customer",
    "product.nv": "product",
    "salesinvoice.nv": "sales invoice",
    "matchcreditnote.nv": "match a credit note to its invoice",
    "updatesalesinvoicestatus.nv": "change a sales invoice's status",
    "dimensionitem.nv": "dimension item",
    "workday.nv": "payroll workday (replace the day)",
}


def planned_request(resource: str, body: bytes | None, params: dict[str, str | None]) -> PlannedRequest:
    """A write as a dry run shows it: the operation in words, the XML with attachments by name and size."""
    what = _OPERATIONS.get(resource, resource)
    method = params.get("method")
    operation = {"add": f"create {what}", "edit": f"update {what}"}.get(method or "", what)
    extra = ", ".join(f"{k}={v}" for k, v in params.items() if v is not None and k != "method")
    text = describe_body(body) if body is not None else ""
    return PlannedRequest("netvisor", f"{operation} ({resource}{'; ' + extra if extra else ''})", text)


def describe_body(body: bytes) -> str:
    """The request body as text, each attachment's base64 data replaced by its size (plans stay readable)."""
    from lxml import etree  # noqa: PLC0415 - only dry runs need it

    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return body.decode("utf-8", errors="replace")
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() == "documentdata" and element.text:
            size = len(element.text) * 3 // 4 - element.text.count("=")
            element.text = f"[{size} bytes]"
    return etree.tostring(root, encoding="unicode")


def _batches(keys: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


class NetvisorClient:
    def __init__(
        self,
        credentials: NetvisorCredentials,
        settings: Settings | None = None,
        *,
        credential_reloader: Callable[[], NetvisorCredentials] | None = None,
        session: requests.Session | None = None,
        max_attempts: int = 4,
        backoff_seconds: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._credentials = credentials
        self._settings = settings or get_settings()
        self._reload = credential_reloader
        #: A session given by the caller (tests); otherwise the company's shared keep-alive session.
        self._own_session = session
        self._retry = RetryPolicy.exponential(max_attempts, backoff_seconds, sleep)
        #: Set on a dry run's copy (``planning``): writes are recorded there, never sent.
        self._planner: WritePlanner | None = None

    def planning(self, planner: WritePlanner) -> NetvisorClient:
        """A copy of this client whose writes are recorded in ``planner`` instead of sent (reads go out)."""
        planned = copy.copy(self)
        planned._planner = planner
        return planned

    def __repr__(self) -> str:  # never the keys
        c = self._credentials
        return f"NetvisorClient(host={c.host!r}, organisation_id={c.organisation_id!r})"

    @property
    def session(self) -> requests.Session:
        """The session requests to this client's company go over."""
        c = self._credentials
        return self._own_session or company_session(c.host, c.organisation_id)

    # ------------------------------------------------------------ transport

    def _send_once(
        self, method: str, resource: str, params: dict[str, str], body: bytes | None, write: bool
    ) -> xmlparse.Element | None:
        credentials = self._credentials
        read_timeout = (
            self._settings.netvisor_write_timeout_seconds if write else self._settings.netvisor_read_timeout_seconds
        )
        timeout = (self._settings.netvisor_connect_timeout_seconds, read_timeout)
        started = time.monotonic()
        with company_lock(credentials.host, credentials.organisation_id):
            session = self.session
            request = requests.Request(method, _url(credentials.host, resource, params), data=body)
            prepared = session.prepare_request(request)
            assert prepared.url is not None
            # Signed under the lock: the timestamp is the moment the request really leaves.
            prepared.headers.update(signed_headers(credentials, prepared.url))
            if body is not None:
                prepared.headers["Content-Type"] = "text/xml; charset=utf-8"
            status, content = self._exchange(session, prepared, timeout, resource, write)
        logger.debug(
            "netvisor request",
            extra={
                "resource": resource,
                "transaction_id": prepared.headers["X-Netvisor-Authentication-TransactionId"],
                "http_status": status,
                "seconds": round(time.monotonic() - started, 3),
            },
        )
        return self._interpret(status, content, resource)

    def _exchange(
        self,
        session: requests.Session,
        prepared: requests.PreparedRequest,
        timeout: tuple[float, float],
        resource: str,
        write: bool,
    ) -> tuple[int, bytes]:
        """Send and read the whole answer (streamed, within the size limit): (HTTP status, body)."""
        limit = self._settings.netvisor_max_response_mb * MEGABYTE
        try:
            response = session.send(prepared, timeout=timeout, allow_redirects=False, stream=True)
            return response.status_code, read_body(response, limit)
        except AnswerRefused as refused:
            raise NetvisorHttpError(
                f"Netvisor {resource}: the answer {refused.reason}; it was not read",
                resource=resource,
                action="Netvisor's answer exceeded the integration's limit: ask for less (a narrower "
                "date range), or raise NETVISOR_MAX_RESPONSE_MB on the function if the data is genuine.",
            ) from None
        except requests.ConnectionError as error:
            never = connection_never_made(error)
            raise NetvisorConnectionError(
                f"Netvisor {resource}: could not connect to {self._credentials.host}"
                if never
                else f"Netvisor {resource}: the connection broke before an answer arrived",
                may_have_arrived=not never,
                resource=resource,
                retryable=never or not write,
                write=write,
            ) from None
        except requests.Timeout:
            raise NetvisorTimeoutError(
                f"Netvisor {resource}: no answer within {timeout[1]:g} s",
                may_have_arrived=True,
                resource=resource,
                retryable=not write,
                write=write,
            ) from None
        except requests.RequestException as error:
            raise NetvisorConnectionError(
                f"Netvisor {resource}: request failed ({type(error).__name__})",
                may_have_arrived=True,
                resource=resource,
                retryable=not write,
                write=write,
            ) from None

    @staticmethod
    def _interpret(status_code: int, body: bytes, resource: str) -> xmlparse.Element | None:
        try:
            root = xmlparse.parse_xml(body)
        except AnswerRefused as refused:
            raise NetvisorHttpError(
                f"Netvisor {resource}: the answer {refused.reason}; it was refused",
                resource=resource,
                http_status=status_code,
            ) from None
        status = xmlparse.read_status(body, root)
        if status is not None and not status.ok:
            raise error_from_status(
                status.code or "FAILED", status.text or "", resource=resource, http_status=status_code
            )
        snippet = body[:500].decode("utf-8", errors="replace")
        if status_code >= 500:
            raise NetvisorServerError(
                f"Netvisor {resource} answered HTTP {status_code}",
                remote_text=snippet,
                resource=resource,
                http_status=status_code,
            )
        if status_code >= 400 or status is None:
            raise NetvisorHttpError(
                f"Netvisor {resource} answered HTTP {status_code} without a Netvisor status",
                remote_text=snippet,
                resource=resource,
                http_status=status_code,
            )
        return root

    def _call(
        self,
        method: str,
        resource: str,
        params: dict[str, str] | None = None,
        body: bytes | None = None,
        *,
        write: bool,
    ) -> xmlparse.Element | None:
        sent = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        return call_with_retries(
            lambda: self._send_once(method, resource, sent, body, write),
            write=write,
            policy=self._retry,
            kinds=NETVISOR_FAILURES,
            reload_credentials=self._reload_credentials if self._reload is not None else None,
            what=f"Netvisor {resource}",
        )

    def _reload_credentials(self) -> None:
        assert self._reload is not None
        self._credentials = self._reload()

    def _get(self, resource: str, **params: str | None) -> xmlparse.Element | None:
        return self._call("GET", resource, {k: v for k, v in params.items() if v is not None}, write=False)

    def _post(self, resource: str, body: bytes | None, **params: str | None) -> xmlparse.Element | None:
        """Every write goes through here (a dry run's copy records it instead)."""
        if self._planner is not None:
            self._planner.record(planned_request(resource, body, params))
            return None
        return self._call("POST", resource, {k: v for k, v in params.items() if v is not None}, body, write=True)

    def _inserted(self, root: xmlparse.Element | None, resource: str) -> int:
        if self._planner is not None:
            return self._planner.placeholder_key()
        key = xmlparse.inserted_key(root)
        if key is None:
            raise NetvisorHttpError(f"Netvisor {resource} accepted the data but returned no key", resource=resource)
        return key

    # ------------------------------------------------------------ checks

    def check_credentials(self) -> dict[str, Any]:
        """One cheap authenticated read (customers changed from now on: an empty list)."""
        root = self._get("customerlist.nv", changedsince=_ansi_datetime(datetime.now(UTC)))
        status = xmlparse.child(root, "responsestatus")
        return {
            "host": self._credentials.host,
            "organisation_id": self._credentials.organisation_id,
            "resource": "customerlist.nv",
            "server_timestamp": xmlparse.text(status, "timestamp"),
        }

    # ------------------------------------------------------------ customers

    # Every write takes the request ``body`` a transfer already built (built once, sent as is); without
    # it the body is built here from the model.
    def add_customer(self, customer: CustomerInput, *, body: bytes | None = None) -> int:
        body = body or xmlbuild.build_customer(customer)
        return self._inserted(self._post("customer.nv", body, method="add"), "customer.nv")

    def edit_customer(self, netvisor_key: int, customer: CustomerInput, *, body: bytes | None = None) -> None:
        self._post("customer.nv", body or xmlbuild.build_customer(customer), method="edit", id=str(netvisor_key))

    def list_customers(
        self, *, keyword: str | None = None, changed_since: datetime | None = None, codes: Sequence[str] = ()
    ) -> list[CustomerSummary]:
        """customerlist.nv. Netvisor ignores ``changed_since`` when ``keyword`` is given."""
        root = self._get(
            "customerlist.nv",
            keyword=keyword,
            changedsince=_ansi_datetime(changed_since) if changed_since else None,
            customercodelist=",".join(codes) if codes else None,
        )
        return xmlparse.parse_customer_list(root)

    def get_customer(self, netvisor_key: int) -> Customer:
        """getcustomer.nv?id=. An unknown key is INVALID_DATA (NetvisorInvalidDataError), as in Netvisor."""
        customers = xmlparse.parse_customers(self._get("getcustomer.nv", id=str(netvisor_key)))
        if not customers:
            raise NetvisorHttpError(
                f"Netvisor getcustomer.nv returned no customer {netvisor_key}", resource="getcustomer.nv"
            )
        return customers[0]

    def get_customers(self, netvisor_keys: Sequence[int]) -> list[Customer]:
        found: list[Customer] = []
        for batch in _batches(list(netvisor_keys), CUSTOMER_ID_BATCH):
            root = self._get("getcustomer.nv", idlist=",".join(str(k) for k in batch))
            found.extend(xmlparse.parse_customers(root))
        return found

    # ------------------------------------------------------------ products

    def add_product(self, product: ProductInput, *, body: bytes | None = None) -> int:
        body = body or xmlbuild.build_product(product)
        return self._inserted(self._post("product.nv", body, method="add"), "product.nv")

    def edit_product(self, netvisor_key: int, product: ProductInput, *, body: bytes | None = None) -> None:
        self._post("product.nv", body or xmlbuild.build_product(product), method="edit", id=str(netvisor_key))

    def list_products(
        self, *, keyword: str | None = None, changed_since: datetime | None = None
    ) -> list[ProductSummary]:
        root = self._get(
            "productlist.nv",
            keyword=keyword,
            changedsince=_ansi_datetime(changed_since) if changed_since else None,
        )
        return xmlparse.parse_product_list(root)

    def get_product(self, netvisor_key: int) -> Product | None:
        """getproduct.nv?id=; None when Netvisor answers with an empty ``<Product>`` (not found)."""
        products = xmlparse.parse_products(self._get("getproduct.nv", id=str(netvisor_key)))
        return products[0] if products else None

    def get_products(self, netvisor_keys: Sequence[int]) -> list[Product]:
        found: list[Product] = []
        for batch in _batches(list(netvisor_keys), PRODUCT_ID_BATCH):
            found.extend(xmlparse.parse_products(self._get("getproduct.nv", idlist=",".join(map(str, batch)))))
        return found

    # ------------------------------------------------------------ sales invoices

    def add_sales_invoice(self, invoice: SalesInvoiceInput, *, body: bytes | None = None) -> int:
        body = body or xmlbuild.build_sales_invoice(invoice)
        return self._inserted(self._post("salesinvoice.nv", body, method="add"), "salesinvoice.nv")

    def edit_sales_invoice(self, netvisor_key: int, invoice: SalesInvoiceInput, *, body: bytes | None = None) -> None:
        """A full replacement: Netvisor keeps only what the edit sends."""
        body = body or xmlbuild.build_sales_invoice(invoice)
        self._post("salesinvoice.nv", body, method="edit", id=str(netvisor_key))

    def list_sales_invoices(
        self,
        *,
        status: InvoiceStatus | None = None,
        last_modified_start: datetime | None = None,
        last_modified_end: datetime | None = None,
        above_key: int | None = None,
        invoice_number: str | None = None,
        begin_date: date | None = None,
        end_date: date | None = None,
        customer_code: str | None = None,
    ) -> InvoicePage:
        """One page of salesinvoicelist.nv (at most 500); continue with ``next_above_key``."""
        root = self._get(
            "salesinvoicelist.nv",
            invoicestatus=status,
            lastmodifiedstart=_ansi_datetime(last_modified_start) if last_modified_start else None,
            lastmodifiedend=_ansi_datetime(last_modified_end) if last_modified_end else None,
            invoicesabovenetvisorkey=str(above_key) if above_key is not None else None,
            invoicenumber=invoice_number,
            begininvoicedate=begin_date.isoformat() if begin_date else None,
            endinvoicedate=end_date.isoformat() if end_date else None,
            customercode=customer_code,
        )
        invoices = xmlparse.parse_sales_invoice_list(root)
        full = len(invoices) >= INVOICE_PAGE_SIZE
        return InvoicePage(
            invoices=tuple(invoices), next_above_key=max(i.netvisor_key for i in invoices) if full else None
        )

    def iter_sales_invoices(self, **filters: Any) -> Iterator[SalesInvoiceSummary]:
        """Every matching invoice summary, page after page (keyword arguments of ``list_sales_invoices``)."""
        above: int | None = filters.pop("above_key", None)
        while True:
            page = self.list_sales_invoices(above_key=above, **filters)
            yield from page.invoices
            if page.next_above_key is None:
                return
            above = page.next_above_key

    def get_sales_invoice(self, netvisor_key: int, *, include_attachments: bool = False) -> SalesInvoice | None:
        """getsalesinvoice.nv; None when Netvisor answers with an empty ``<SalesInvoice />``."""
        root = self._get(
            "getsalesinvoice.nv",
            netvisorkey=str(netvisor_key),
            includeattachments="1" if include_attachments else None,
            showcommentlines="1",
        )
        invoices = xmlparse.parse_sales_invoices(root)
        return invoices[0] if invoices else None

    def get_sales_invoices(self, netvisor_keys: Sequence[int]) -> list[SalesInvoice]:
        found: list[SalesInvoice] = []
        for batch in _batches(list(netvisor_keys), INVOICE_KEY_BATCH):
            root = self._get("getsalesinvoice.nv", netvisorkeylist=",".join(map(str, batch)), showcommentlines="1")
            found.extend(xmlparse.parse_sales_invoices(root))
        return found

    def match_credit_note(self, credit_note_key: int, invoice_key: int) -> None:
        self._post("matchcreditnote.nv", xmlbuild.build_match_credit_note(credit_note_key, invoice_key))

    def update_sales_invoice_status(self, netvisor_key: int, status: InvoiceStatus) -> None:
        self._post("updatesalesinvoicestatus.nv", None, netvisorkey=str(netvisor_key), status=status)

    # ------------------------------------------------------------ payments

    def list_sales_payments(
        self,
        *,
        last_modified_start: datetime | None = None,
        last_modified_end: datetime | None = None,
        invoice_key: int | None = None,
        invoice_number: str | None = None,
        limit_by_type: Literal["onlycreditloss", "excludecreditloss"] | None = None,
        linked: bool | None = None,
    ) -> list[SalesPayment]:
        """salespaymentlist.nv (77000554171). ``limit_by_type``: only, or all but, credit-loss write-offs;
        ``linked``: only payments targeted to an invoice (True) or only those that are not (False)."""
        root = self._get(
            "salespaymentlist.nv",
            lastmodifiedstart=_ansi_datetime(last_modified_start) if last_modified_start else None,
            lastmodifiedend=_ansi_datetime(last_modified_end) if last_modified_end else None,
            invoicenetvisorkey=str(invoice_key) if invoice_key is not None else None,
            invoicenumber=invoice_number,
            limitbytype=limit_by_type,
            limitlinkedpayments=None if linked is None else ("1" if linked else "0"),
        )
        return xmlparse.parse_sales_payment_list(root)

    # ------------------------------------------------------------ dimensions

    def list_dimensions(self, *, show_hidden: bool = True) -> list[Dimension]:
        return xmlparse.parse_dimension_list(self._get("dimensionlist.nv", showhidden="1" if show_hidden else None))

    def add_dimension_item(self, item: DimensionItemInput, *, body: bytes | None = None) -> None:
        self._post("dimensionitem.nv", body or xmlbuild.build_dimension_item(item), method="add")

    def edit_dimension_item(self, item: DimensionItemInput) -> None:
        """Renames ``item.old_item`` to ``item.item`` (and updates the other given fields)."""
        if not item.old_item:
            raise xmlbuild.RequestBuildError("Cannot edit a dimension item without its current name (old_item).")
        self._post("dimensionitem.nv", xmlbuild.build_dimension_item(item), method="edit")

    # ------------------------------------------------------------ payroll

    def import_workday(self, workday: WorkdayInput, *, body: bytes | None = None) -> None:
        self._post("workday.nv", body or xmlbuild.build_workday(workday))
