"""``NetvisorSimulator``: a stateful Netvisor on 127.0.0.1 for tests and the demo.

It checks what Netvisor checks (HMAC-SHA256 MAC over the URL as received, the identifiers, a fresh
transaction id, a recent timestamp, one request at a time per company, resource rights, the request
body's element order and required fields) and answers from its state in Netvisor's format. With
``X-Netvisor-Authentication-UseHTTPResponseStatusCodes: 1`` a failure carries a 4xx/5xx status
(Netvisor's mapping is undocumented; the one here is ours), otherwise HTTP 200 with FAILED.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.keepalive import IDLE_SECONDS, KeepAliveServer
from sandbox.netvisor import render
from sandbox.netvisor.faults import Fault, FaultSet
from sandbox.netvisor.resources import RESOURCES, Request
from sandbox.netvisor.state import CompanyState, InvoiceRecord, PaymentRecord
from sandbox.netvisor.validate import InvalidData

try:
    from zoneinfo import ZoneInfo

    FINNISH_TIME: timezone | ZoneInfo = ZoneInfo("Europe/Helsinki")
except Exception:  # pragma: no cover - no tz database: Finnish winter time is close enough
    FINNISH_TIME = timezone(timedelta(hours=2))

#: Our choice of HTTP status per error code (Netvisor's is not documented; reference API.md §3.3).
HTTP_STATUS = {
    "AUTHENTICATION_FAILED": 401,
    "SERVICE_ACCESS_ERROR": 403,
    "INVALID_DATA": 400,
    "INVALID_DATA_SIZE": 400,
    "PERIOD_LOCK": 400,
    "DUPLICATE_DATA": 409,
    "REQUEST_NOT_UNIQUE": 409,
    "SYSTEM_MAINTENANCE": 503,
    "SYSTEM_MAINTANANCE": 503,
    "TECHNICAL_ERROR": 500,
}
TEXTS = {
    "EN": {
        "bad_keys": "Integration keys are not valid. Please check the keys specific to the user and partner.",
        "deactivated": "The integration identifiers of the user are not active. Create new identifiers.",
        "not_unique": "The transaction ID has already been used. The ID must change in every request.",
        "stale": "The timestamp of the request is not valid. Check the clock of the sending system.",
        "access": "No access rights to the resource, or the resource is not in use: ",
        "overlap": "Overlapping requests to the same environment. Send one request at a time.",
        "maintenance": "Netvisor is under maintenance. Please try again later.",
    },
    "FI": {
        "bad_keys": "Integraatiokumppania ei löydy, katso dokumentaatio",
        "deactivated": "Käyttäjän integraatiotunnisteet eivät ole voimassa. Luo uudet tunnisteet.",
        "not_unique": "Tapahtumatunniste on jo käytetty. Tunnisteen on muututtava jokaisessa pyynnössä.",
        "stale": "Pyynnön aikaleima ei kelpaa. Tarkista lähettävän järjestelmän kello.",
        "access": "Ei käyttöoikeutta resurssiin, tai resurssi ei ole käytössä: ",
        "overlap": "Päällekkäisiä pyyntöjä samaan ympäristöön. Lähetä yksi pyyntö kerrallaan.",
        "maintenance": "Netvisorissa on huoltokatko. Yritä myöhemmin uudelleen.",
    },
}


def _text(language: str, key: str) -> str:
    return TEXTS.get(language, TEXTS["EN"]).get(key, TEXTS["EN"][key])


@dataclass
class Company:
    """A Netvisor company (customer environment) and the API identifiers that may use it."""

    organisation_id: str = "1572860-0"
    name: str = "Simuloitu Oy"
    customer_id: str = "SIMCUSTOMER"
    customer_key: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)
    partner_id: str = "SIMPARTNER"
    partner_key: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)
    #: False: the API identifiers were deactivated (AUTHENTICATION_FAILED).
    identifiers_active: bool = True
    #: Resources enabled under "Rights of interface resources"; None = all.
    enabled_resources: set[str] | None = None
    dimension_names: tuple[str, ...] = ("Projekti", "Kustannuspaikka")
    state: CompanyState = field(default_factory=CompanyState)
    in_flight: int = 0
    used_transaction_ids: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        for name in self.dimension_names:
            self.state.add_dimension_name(name)


@dataclass
class LoggedRequest:
    method: str
    resource: str
    params: dict[str, str]
    organisation_id: str
    transaction_id: str
    http_status: int
    outcome: str  # "OK", an error code, or a fault kind
    body: bytes = b""


class RequestLog:
    def __init__(self) -> None:
        self.entries: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.entries.append(entry)

    def count(self, resource: str | None = None, *, method: str | None = None, outcome: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for e in self.entries
                if (resource is None or e.resource == resource.lower())
                and (method is None or e.method == method)
                and (outcome is None or e.outcome == outcome)
            )

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(Counter(e.resource for e in self.entries))

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()


@dataclass
class _Exchange:
    """One request as read, and its answer; it holds the company while the resource works."""

    http: BaseHTTPRequestHandler
    resource: str
    params: dict[str, str]
    body: bytes
    headers: dict[str, str]
    now: datetime
    request_log: RequestLog
    guard: threading.Lock
    held: list[Company] = field(default_factory=list)

    @classmethod
    def read(
        cls, http: BaseHTTPRequestHandler, now: datetime, request_log: RequestLog, guard: threading.Lock
    ) -> _Exchange:
        split = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        return cls(
            http=http,
            resource=split.path.strip("/").lower(),
            params={k.lower(): v for k, v in parse_qsl(split.query, keep_blank_values=True)},
            body=http.rfile.read(length) if length else b"",
            headers={k.lower(): v for k, v in http.headers.items()},
            now=now,
            request_log=request_log,
            guard=guard,
        )

    @property
    def use_status(self) -> bool:
        return self.headers.get("x-netvisor-authentication-usehttpresponsestatuscodes") == "1"

    @property
    def language(self) -> str:
        return (self.headers.get("x-netvisor-interface-language") or "FI").upper()

    @property
    def org_id(self) -> str:
        return self.headers.get("x-netvisor-organisation-id", "")

    @property
    def txid(self) -> str:
        return self.headers.get("x-netvisor-authentication-transactionid", "")

    def log(self, status: int, outcome: str) -> None:
        entry = LoggedRequest(
            self.http.command, self.resource, self.params, self.org_id, self.txid, status, outcome, self.body
        )
        self.request_log.add(entry)

    def hold(self, company: Company) -> bool:
        """Count this request in flight for the company; True when another one already is."""
        with self.guard:
            overlapping = company.in_flight > 0
            company.in_flight += 1
            self.held.append(company)
        return overlapping

    def release(self) -> None:
        # Done before the answer goes out: a client that sends its next request the moment it has
        # this answer must not be taken for an overlapping one.
        with self.guard:
            while self.held:
                self.held.pop().in_flight -= 1

    def answer(self, status: int, payload: bytes, outcome: str, content_type: str = "text/xml; charset=utf-8") -> None:
        self.release()
        self.log(status, outcome)
        self.http.send_response(status)
        self.http.send_header("Content-Type", content_type)
        self.http.send_header("Content-Length", str(len(payload)))
        self.http.end_headers()
        self.http.wfile.write(payload)

    def fail(self, code: str, text: str) -> None:
        status = HTTP_STATUS.get(code, 400) if self.use_status else 200
        self.answer(status, render.failed_document(self.now, code, text), code)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # Netvisor answers HTTP/1.1 with keep-alive; every answer carries its Content-Length.
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the request log holds what tests need

    def do_GET(self) -> None:
        self.server.simulator.handle(self)

    def do_POST(self) -> None:
        self.server.simulator.handle(self)


class _Server(KeepAliveServer):
    allow_reuse_address = True

    def __init__(self, simulator: NetvisorSimulator):
        super().__init__(("127.0.0.1", simulator.port), _Handler)
        self.simulator = simulator


class NetvisorSimulator:
    """``sim = NetvisorSimulator().start(); sim.url; sim.stop()``, or ``with NetvisorSimulator() as sim``."""

    def __init__(
        self,
        companies: list[Company] | None = None,
        *,
        port: int = 0,
        timestamp_skew_seconds: int = 300,
        clock: Any = None,
    ):
        self.companies: dict[str, Company] = {c.organisation_id: c for c in (companies or [Company()])}
        self.port = port
        self.timestamp_skew_seconds = timestamp_skew_seconds
        self._clock = clock
        self.faults = FaultSet()
        self.request_log = RequestLog()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    def start(self) -> NetvisorSimulator:
        self._server = _Server(self)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="netvisor-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far (a keep-alive client opens one per company)."""
        return self._server.connections_accepted if self._server is not None else 0

    def __enter__(self) -> NetvisorSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------ inspection and control

    @property
    def company(self) -> Company:
        """The first (usually only) company."""
        return next(iter(self.companies.values()))

    @property
    def state(self) -> CompanyState:
        return self.company.state

    def now(self) -> datetime:
        """Finnish local time, naive, as Netvisor writes it."""
        if self._clock is not None:
            moment: datetime = self._clock()
            return moment
        return datetime.now(FINNISH_TIME).replace(tzinfo=None, microsecond=0)

    def in_flight(self, organisation_id: str | None = None) -> int:
        return (self.companies[organisation_id] if organisation_id else self.company).in_flight

    def send_invoices(self, *numbers: str, organisation_id: str | None = None) -> int:
        """An accountant sends unsent invoices from Netvisor (all, or those numbered); how many."""
        company = self.companies[organisation_id] if organisation_id else self.company
        return company.state.send_invoices(self.now(), *numbers)

    def add_payment(
        self,
        invoice: int | str,
        amount: Decimal | str,
        payment_date: date | None = None,
        *,
        name: str = "",
        organisation_id: str | None = None,
    ) -> PaymentRecord:
        """A payment arrives on a bank statement and is targeted to ``invoice`` (key or number)."""
        state = (self.companies[organisation_id] if organisation_id else self.company).state
        with state.lock:  # re-entrant: ``_invoice`` takes it too
            record = self._invoice(state, invoice)
            if record.status == "paid":
                raise ValueError(f"invoice {record.number} is already paid")
            customer = state.customers.get(record.customer_key)
            return state.apply_payment(
                record,
                Decimal(str(amount)),
                payment_date or self.now().date(),
                name or (customer.name if customer else ""),
                self.now(),
            )

    def add_failed_payment(
        self, invoice: int | str, amount: Decimal | str, code: str, text: str, payment_date: date | None = None
    ) -> PaymentRecord:
        """A payment the bank reported failed (BankStatus FAILED): listed, but it settles nothing."""
        state = self.company.state
        record = self._invoice(state, invoice)
        return state.apply_payment(
            record, Decimal(str(amount)), payment_date or self.now().date(), "", self.now(), failed=(code, text)
        )

    def add_unlinked_payment(
        self, amount: Decimal | str, reference: str, *, name: str = "", payment_date: date | None = None
    ) -> PaymentRecord:
        """A bank statement line whose reference matches no invoice: Netvisor cannot target it."""
        state = self.company.state
        return state.unlinked_payment(Decimal(str(amount)), payment_date or self.now().date(), name, reference,
                                      self.now())  # fmt: skip

    def target_payment(self, payment: PaymentRecord, invoice: int | str) -> None:
        """An accountant targets an untargeted payment to its invoice in Netvisor."""
        state = self.company.state
        state.target_payment(payment, self._invoice(state, invoice), self.now())

    def add_write_off(self, invoice: int | str, payment_date: date | None = None) -> PaymentRecord:
        """An accountant writes an invoice's open sum off as a credit loss in Netvisor."""
        state = self.company.state
        return state.write_off(self._invoice(state, invoice), payment_date or self.now().date(), self.now())

    @staticmethod
    def _invoice(state: CompanyState, invoice: int | str) -> InvoiceRecord:
        with state.lock:
            record: InvoiceRecord | None = state.invoices.get(invoice) if isinstance(invoice, int) else None
            if record is None:
                record = state.invoice_by_number(str(invoice))
        if record is None:
            raise KeyError(f"no invoice with key or number {invoice!r}")
        return record

    def lock_workday(self, employee: str, day: date, *, organisation_id: str | None = None) -> None:
        """Mark an employee's day approved: imports for it fail as in Netvisor."""
        state = (self.companies[organisation_id] if organisation_id else self.company).state
        with state.lock:
            state.locked_days.add((employee, day))

    # ------------------------------------------------------------ HTTP

    def handle(self, http: BaseHTTPRequestHandler) -> None:
        """The pipeline of one request: faults that answer first, authentication, routing, then the
        resource under the company's one-request-at-a-time rule."""
        exchange = _Exchange.read(http, self.now(), self.request_log, self._guard)
        firing = self.faults.firing(exchange.resource)
        if self._answer_fault(exchange, firing):
            return
        admitted = self._admit(exchange)
        if admitted is None:
            return
        try:
            self._serve(exchange, *admitted, firing)
        finally:
            exchange.release()

    def _answer_fault(self, exchange: _Exchange, firing: list[Fault]) -> bool:
        """Faults that answer before anything is applied; True when one did."""
        for fault in firing:
            if fault.kind == "http_5xx":
                page = f"<html><body><h1>{fault.status} Service Unavailable</h1></body></html>".encode()
                exchange.answer(fault.status, page, "http_5xx", "text/html")
                return True
            if fault.kind == "maintenance":
                exchange.fail(fault.code or "SYSTEM_MAINTENANCE", fault.text or _text(exchange.language, "maintenance"))
                return True
            if fault.kind == "error":
                exchange.fail(fault.code or "TECHNICAL_ERROR", fault.text or "Simulated error")
                return True
            if fault.kind == "malformed":
                code = fault.code or "AUTHENTICATION_FAILED"
                text = fault.text or (
                    "URI-metodi ei kelpaa, katso dokumentaatio. Käytä MAC-tiivisteen laskentaan merkkijonoa: "
                    f"{self.url}{exchange.http.path}&sender&customerid&timestamp&{exchange.language}"
                    f"&{exchange.org_id}&{exchange.txid}&YOUR_PRIVATE_KEY_HERE :: 0123abcd"
                )
                status = HTTP_STATUS.get(code, 400) if exchange.use_status else 200
                exchange.answer(status, render.malformed_document(exchange.now, code, text), "malformed")
                return True
        return False

    def _admit(self, exchange: _Exchange) -> tuple[Company, Callable[[Request], bytes]] | None:
        """The company and the resource's handler, or None once the refusal is answered."""
        http = exchange.http
        company = self.companies.get(exchange.org_id)
        url = f"http://{http.headers.get('Host', '')}{http.path}"
        refusal = self._authenticate(company, exchange.headers, url, exchange.language)
        if refusal is not None:
            exchange.fail(*refusal)
            return None
        assert company is not None
        handler = RESOURCES.get((http.command, exchange.resource))
        if handler is None:
            exchange.answer(404, b"<html><body>404 Not Found</body></html>", "not_found", "text/html")
            return None
        if company.enabled_resources is not None and exchange.resource not in company.enabled_resources:
            exchange.fail("SERVICE_ACCESS_ERROR", _text(exchange.language, "access") + exchange.resource)
            return None
        return company, handler

    def _serve(
        self, exchange: _Exchange, company: Company, handler: Callable[[Request], bytes], firing: list[Fault]
    ) -> None:
        if exchange.hold(company):
            exchange.fail("TECHNICAL_ERROR", _text(exchange.language, "overlap"))
            return
        for fault in firing:
            if fault.kind == "latency":
                time.sleep(fault.seconds)
        request = Request(
            exchange.resource,
            exchange.http.command,
            exchange.params,
            exchange.body,
            company.state,
            exchange.now,
            exchange.language,
            self.url,
        )
        try:
            payload = handler(request)
        except InvalidData as error:
            exchange.fail(error.code, error.text)
            return
        if any(fault.kind == "drop" for fault in firing):
            exchange.release()
            exchange.log(0, "drop")
            self._drop(exchange.http)
            return
        exchange.answer(200, payload, "OK")

    @staticmethod
    def _drop(http: BaseHTTPRequestHandler) -> None:
        """Applied, but no answer: close the connection as a timed-out proxy would."""
        http.close_connection = True
        with contextlib.suppress(OSError):
            http.connection.shutdown(socket.SHUT_RDWR)

    def _authenticate(  # noqa: PLR0911 - one refusal per check
        self, company: Company | None, headers: dict[str, str], url: str, language: str
    ) -> tuple[str, str] | None:
        bad = ("AUTHENTICATION_FAILED", _text(language, "bad_keys"))
        if company is None:
            return bad
        get = headers.get
        if get("x-netvisor-authentication-customerid") != company.customer_id:
            return bad
        if get("x-netvisor-authentication-partnerid") != company.partner_id:
            return bad
        if (get("x-netvisor-authentication-machashcalculationalgorithm") or "").upper() != "HMACSHA256":
            return bad
        fields = [
            url,
            get("x-netvisor-authentication-sender", ""),
            get("x-netvisor-authentication-customerid", ""),
            get("x-netvisor-authentication-timestamp", ""),
            get("x-netvisor-interface-language", ""),
            get("x-netvisor-organisation-id", ""),
            get("x-netvisor-authentication-transactionid", ""),
            get("x-netvisor-authentication-timestampunix", ""),
            company.customer_key,
            company.partner_key,
        ]
        key = f"{company.customer_key}&{company.partner_key}".encode("latin-1")
        try:
            expected = hmac.new(key, "&".join(fields).encode("latin-1"), hashlib.sha256).hexdigest()
        except UnicodeEncodeError:
            return bad
        if not hmac.compare_digest(expected, (get("x-netvisor-authentication-mac") or "").lower()):
            return bad
        if not company.identifiers_active:
            return ("AUTHENTICATION_FAILED", _text(language, "deactivated"))
        try:
            sent = int(get("x-netvisor-authentication-timestampunix") or "")
        except ValueError:
            return ("AUTHENTICATION_FAILED", _text(language, "stale"))
        if abs(datetime.now(UTC).timestamp() - sent) > self.timestamp_skew_seconds:
            return ("AUTHENTICATION_FAILED", _text(language, "stale"))
        transaction_id = get("x-netvisor-authentication-transactionid") or ""
        with self._guard:
            if not transaction_id or transaction_id in company.used_transaction_ids:
                return ("REQUEST_NOT_UNIQUE", _text(language, "not_unique"))
            company.used_transaction_ids.add(transaction_id)
        return None


def sandbox_credentials(simulator: NetvisorSimulator, organisation_id: str | None = None) -> dict[str, str]:
    """The Netvisor secret's JSON for a company of ``simulator``."""
    company = simulator.companies[organisation_id] if organisation_id else simulator.company
    return {
        "customer_id": company.customer_id,
        "customer_key": company.customer_key,
        "partner_id": company.partner_id,
        "partner_key": company.partner_key,
        "organisation_id": company.organisation_id,
        "sender": "severa-netvisor-sandbox",
        "host": simulator.url,
        "language": "EN",
    }
