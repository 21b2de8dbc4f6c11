"""The Severa SOAP 1.1 simulator: an HTTP server on 127.0.0.1 that behaves like Severa's API.svc.

    with SeveraSimulator(api_key="k", quota=100_000) as sim:
        client = SeveraClient(SeveraCredentials(**sandbox_credentials(sim)))

It serves the WSDL (``GET …/API.svc?wsdl``), checks the ``WebServicePassword`` header ("Access
denied" otherwise), validates each request body against the WSDL's schemas, dispatches on
SOAPAction, answers from its state in WCF's wire format, counts calls against a daily quota (reset
at UTC midnight) and puts ``Quota`` / ``UsedQuota`` headers on every answer, faults included.
Faults can be injected per test: latency, HTTP 500, dropped connections (before or after the call
took effect), malformed answers, any Severa fault for an operation or its Nth call, quota exhaustion
after N calls.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal

from lxml import etree

from sandbox.keepalive import IDLE_SECONDS, KeepAliveServer
from sandbox.severa.faults import DEFAULT_TEXTS, Injection, Injections, fault_type_name
from sandbox.severa.operations import HANDLERS, SoapFault
from sandbox.severa.seed import build_state
from sandbox.severa.state import SeveraState
from sandbox.severa.wire import (
    API_NS,
    RESULT_NSMAP,
    SERVICE_NS,
    SOAP_ENV,
    XSI,
    Contract,
    load_contract,
    load_validator,
    unshield,
    wsdl_path,
)

SERVICE_PATH = "/webservice/S3/API.svc"
PRODUCTION_ADDRESS = "https://sync.severa.com/webservice/S3/API.svc"
DISPATCHER_NS = "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher"
EmptyResults = Literal["empty", "nil", "omit"]
# Default-namespace maps as WCF writes them (typed Any: the lxml stubs only allow str prefixes).
_SERVICE_NSMAP: Any = {None: SERVICE_NS}
_FAULT_NSMAP: Any = {None: API_NS, "i": XSI}


@dataclass(frozen=True)
class RecordedRequest:
    """One POST as it arrived (for tests of the client's envelopes)."""

    soap_action: str
    operation: str | None
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes = b""
    content_type: str = "text/xml; charset=utf-8"
    drop: bool = False


class SeveraSimulator:
    def __init__(
        self,
        api_key: str = "sandbox-severa-api-key",
        quota: int = 100_000,
        *,
        state: SeveraState | None = None,
        empty_results: EmptyResults = "empty",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.api_key = api_key
        self.quota = quota
        self.used_quota = 0
        self.state = state if state is not None else build_state(1)
        #: How an empty list result goes on the wire: an empty element, ``i:nil``, or no element.
        self.empty_results: EmptyResults = empty_results
        self.clock = clock
        self.injections = Injections()
        self.calls: Counter[str] = Counter()
        self.requests: deque[RecordedRequest] = deque(maxlen=2000)
        self._quota_day: date = clock().date()
        self._lock = threading.RLock()
        self._contract: Contract = load_contract()
        self._validator = load_validator()
        self._host, self._port = host, port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> SeveraSimulator:
        self._server = _Server((self._host, self._port), _Handler, self)
        port = self._server.server_address[1]
        self.url = f"http://{self._host}:{port}{SERVICE_PATH}"
        self._thread = threading.Thread(
            # A short poll interval keeps stop() quick (tests start and stop many simulators).
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="severa-simulator",
            daemon=True,
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
        """TCP connections accepted so far (a keep-alive client opens few)."""
        return self._server.connections_accepted if self._server is not None else 0

    def __enter__(self) -> SeveraSimulator:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- fault injection ---------------------------------------------------------------------
    def inject_fault(
        self,
        fault_type: str,
        operation: str | None = None,
        *,
        text: str | None = None,
        nth_call: int | None = None,
        times: int | None = 1,
    ) -> Injection:
        """Answer a Severa fault (e.g. ``"NoPermission"``) instead of the result."""
        full = fault_type_name(fault_type)
        return self.injections.add(
            Injection("fault", operation, nth_call, times, fault_type=full, text=text or DEFAULT_TEXTS[full])
        )

    def inject_latency(self, seconds: float, operation: str | None = None, *, times: int | None = None) -> Injection:
        return self.injections.add(Injection("latency", operation, None, times, seconds=seconds))

    def inject_http_500(
        self, operation: str | None = None, *, nth_call: int | None = None, times: int | None = 1
    ) -> Injection:
        """HTTP 500 with an HTML body (a proxy or IIS failure, not a SOAP fault)."""
        return self.injections.add(Injection("http500", operation, nth_call, times))

    def inject_drop(
        self, operation: str | None = None, *, nth_call: int | None = None, times: int | None = 1
    ) -> Injection:
        """Close the connection without answering (what a client sees as a reset or timeout)."""
        return self.injections.add(Injection("drop", operation, nth_call, times))

    def inject_drop_after(
        self, operation: str | None = None, *, nth_call: int | None = None, times: int | None = 1
    ) -> Injection:
        """Carry the call out, then close the connection without answering (the answer is lost)."""
        return self.injections.add(Injection("drop_after", operation, nth_call, times))

    def inject_malformed(
        self, operation: str | None = None, *, nth_call: int | None = None, times: int | None = 1
    ) -> Injection:
        """HTTP 200 with a truncated envelope."""
        return self.injections.add(Injection("malformed", operation, nth_call, times))

    def exhaust_quota_after(self, calls: int) -> None:
        """Let exactly ``calls`` more calls through today, then answer the quota fault."""
        with self._lock:
            self.quota = self.used_quota + calls

    def clear_faults(self) -> None:
        self.injections.clear()

    # -- the SOAP endpoint -------------------------------------------------------------------
    def wsdl(self) -> bytes:
        return wsdl_path().read_bytes().replace(PRODUCTION_ADDRESS.encode(), self.url.encode())

    def answer(self, soap_action: str, headers: dict[str, str], body: bytes) -> _Answer:
        action = soap_action.strip().strip('"')
        operation = self._contract.operations.get(action)
        name = operation.name if operation else None
        with self._lock:
            self.requests.append(RecordedRequest(action, name, headers, body))
            self.calls[name or action] += 1
        rules = self.injections.firing(name or action)
        for rule in rules:
            if rule.kind == "latency":
                time.sleep(rule.seconds)
        for rule in rules:
            if rule.kind == "drop":
                return _Answer(0, drop=True)
            if rule.kind == "http500":
                return _Answer(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")
            if rule.kind == "malformed":
                return _Answer(200, b'<s:Envelope xmlns:s="' + SOAP_ENV.encode() + b'"><s:Body><Get')
        with self._lock:
            answer = self._answer_soap(action, body, rules)
        if any(rule.kind == "drop_after" for rule in rules):
            return _Answer(0, drop=True)
        return answer

    def _answer_soap(self, action: str, body: bytes, rules: list[Injection]) -> _Answer:  # noqa: PLR0911
        try:
            envelope = etree.fromstring(body)
        except etree.XMLSyntaxError as error:
            return self._fault("s:Client", f"The message is not well-formed XML: {error}")
        password = envelope.findtext(f"{{{SOAP_ENV}}}Header/{{{SERVICE_NS}}}WebServicePassword")
        if password is None or password != self.api_key:
            return self._severa_fault("AuthenticationFailureException", "Access denied")
        today = self.clock().date()
        if today != self._quota_day:
            self._quota_day, self.used_quota = today, 0
        if self.used_quota >= self.quota:
            return self._severa_fault("QuotaLimitExceededException", "Quota limit", "Quota limit reached")
        self.used_quota += 1
        for rule in rules:
            if rule.kind == "fault":
                return self._severa_fault(rule.fault_type, rule.text)
        operation = self._contract.operations.get(action)
        if operation is None:
            return self._fault(
                "a:ActionNotSupported",
                f"The message with Action '{action}' cannot be processed at the receiver, due to a "
                "ContractFilter mismatch at the EndpointDispatcher.",
            )
        request = envelope.find(f"{{{SOAP_ENV}}}Body/{{{SERVICE_NS}}}{operation.name}")
        if request is None:
            return self._fault("a:DeserializationFailed", f"The body does not hold {{{SERVICE_NS}}}{operation.name}.")
        if not self._validator.validate(etree.fromstring(etree.tostring(request))):
            errors = str(self._validator.error_log).replace("\n", "; ")
            return self._fault(
                "a:DeserializationFailed",
                f"The formatter threw an exception while trying to deserialize the message: {errors}",
            )
        handler = HANDLERS.get(operation.name)
        if handler is None:
            return self._severa_fault("GeneralFailureException", f"{operation.name} is not simulated")
        try:
            result = handler(self.state, self._contract.read_params(operation, request))
        except SoapFault as fault:
            return self._severa_fault(fault.fault_type, fault.description, fault.faultstring)
        return _Answer(200, self._result_envelope(operation.name, operation.result, result))

    # -- envelopes ---------------------------------------------------------------------------
    def _envelope(self) -> tuple[etree._Element, etree._Element]:
        envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"s": SOAP_ENV})
        header = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
        for name, value in (("Quota", self.quota), ("UsedQuota", self.used_quota)):
            etree.SubElement(header, f"{{{SERVICE_NS}}}{name}", nsmap=_SERVICE_NSMAP).text = str(value)
        return envelope, etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")

    def _result_envelope(self, name: str, member: Any, result: Any) -> bytes:
        envelope, body = self._envelope()
        response = etree.SubElement(body, f"{{{SERVICE_NS}}}{name}Response", nsmap=_SERVICE_NSMAP)
        if member is not None:
            is_list = isinstance(result, list)
            if not (is_list and not result and self.empty_results == "omit"):
                element = etree.SubElement(response, f"{{{SERVICE_NS}}}{member.name}", nsmap=RESULT_NSMAP)
                if is_list and not result and self.empty_results == "nil":
                    element.set(f"{{{XSI}}}nil", "true")
                else:
                    self._contract.write_content(element, member, result)
        return unshield(etree.tostring(envelope, xml_declaration=False, encoding="utf-8"))

    def _severa_fault(self, fault_type: str, description: str, faultstring: str | None = None) -> _Answer:
        envelope, body = self._envelope()
        fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
        etree.SubElement(fault, "faultcode").text = "s:Client"
        reason = etree.SubElement(fault, "faultstring")
        reason.text = faultstring or description
        reason.set("{http://www.w3.org/XML/1998/namespace}lang", "en-US")
        detail = etree.SubElement(etree.SubElement(fault, "detail"), f"{{{API_NS}}}{fault_type}", nsmap=_FAULT_NSMAP)
        etree.SubElement(detail, f"{{{API_NS}}}Description").text = description
        etree.SubElement(detail, f"{{{API_NS}}}Source").set(f"{{{XSI}}}nil", "true")
        return _Answer(500, etree.tostring(envelope, encoding="utf-8"))

    def _fault(self, code: str, text: str) -> _Answer:
        """A WCF dispatcher fault (no typed detail): bad XML, unknown action, schema violation."""
        envelope, body = self._envelope()
        fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault", nsmap={"a": DISPATCHER_NS})
        etree.SubElement(fault, "faultcode").text = code
        reason = etree.SubElement(fault, "faultstring")
        reason.text = text
        reason.set("{http://www.w3.org/XML/1998/namespace}lang", "en-US")
        return _Answer(500, etree.tostring(envelope, encoding="utf-8"))


class _Server(KeepAliveServer):
    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], simulator: SeveraSimulator):
        super().__init__(address, handler)
        self.simulator = simulator


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "Microsoft-IIS/10.0"
    # IIS keeps connections alive (HTTP/1.1); every answer carries its Content-Length.
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests make thousands of calls."""

    def do_GET(self) -> None:
        if self.path.split("?")[0].rstrip("/") in (SERVICE_PATH, SERVICE_PATH + "/WSDL") and (
            "wsdl" in self.path.lower()
        ):
            self._send(_Answer(200, self.server.simulator.wsdl()))
        else:
            self._send(_Answer(404, b"Not found", "text/plain"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path.split("?")[0].rstrip("/") != SERVICE_PATH:
            self._send(_Answer(404, b"Not found", "text/plain"))
            return
        headers = dict(self.headers.items())
        answer = self.server.simulator.answer(self.headers.get("SOAPAction", ""), headers, body)
        self._send(answer)

    def _send(self, answer: _Answer) -> None:
        if answer.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        # The client may have given up already (timeout tests): that is not the server's problem.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)


def sandbox_credentials(simulator: SeveraSimulator) -> dict[str, str]:
    """The Severa secret's JSON for a running simulator."""
    return {"api_key": simulator.api_key, "endpoint": simulator.url}
