"""What the child process does: serve one hostile answer, make one client call, report the outcome.

Every function takes JSON-able arguments and returns a JSON-able summary of what the call returned;
an exception is reported by ``child.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from severa_netvisor.credentials import NetvisorCredentials, SeveraCredentials
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import SeveraClient

from tests.reliability.hostile import bodies
from tests.reliability.hostile.canned import Body, CannedServer

#: Severa: the call, the operation it makes, and the element an item of its result is.
SEVERA_CALLS = {
    "list": ("GetAccountsChangedSince", "a:Account"),
    "single": ("GetAccountByGUID", None),
    "stream": ("GetInvoicesByStatus", "a:Invoice"),
}


def _severa_client(server: CannedServer) -> SeveraClient:
    credentials = SeveraCredentials(api_key="hostile-severa-key", endpoint=server.url)
    return SeveraClient(credentials, Settings(), retry_delays=(0.0, 0.0), sleep=lambda _s: None)


def _severa_call(call: str, body: Body) -> dict[str, Any]:
    with CannedServer(body) as server, _severa_client(server) as client:
        if call == "list":
            result: Any = [a.name for a in client.accounts_changed_since(datetime(2026, 1, 1, tzinfo=UTC))]
        elif call == "single":
            account = client.account("0d5f9a1e-0000-4000-8000-000000000001")
            result = account.name if account else None
        else:
            result = sum(1 for _ in client.iter_invoices_by_status("Ready to transfer"))
        return {"result": result, "requests": server.requests}


def _severa_body(call: str, name_xml: str, doctype: str = "") -> bytes:
    operation, item = SEVERA_CALLS[call]
    members = (
        "<a:GUID>0d5f9a1e-0000-4000-8000-000000000001</a:GUID><a:InsertTS>2026-01-02T10:00:00</a:InsertTS>"
        f"<a:IsActive>true</a:IsActive><a:Name>{name_xml}</a:Name>"
    )
    content = f"<{item}>{members}</{item}>" if item else members
    return bodies.severa(operation, content, doctype)


def severa_doctype(call: str, doctype: str, name_xml: str) -> dict[str, Any]:
    """An answer carrying a DTD (entity bombs, external entities, an external DTD)."""
    return _severa_call(call, _severa_body(call, name_xml, doctype))


def severa_nested(call: str, levels: int) -> dict[str, Any]:
    return _severa_call(call, _severa_body(call, bodies.nested(levels)))


def severa_huge(call: str, megabytes: int) -> dict[str, Any]:
    whole = _severa_body(call, "x")
    cut = whole.index(b"</s:Header>")
    return _severa_call(call, bodies.padded(whole[:cut], whole[cut:], megabytes))


def severa_character_references(call: str, count: int) -> dict[str, Any]:
    """Many broken ``&#`` fragments and forbidden references: food for a careless pattern."""
    return _severa_call(call, _severa_body(call, "&amp;#x1" * count + "&#x1;" * count))


def _netvisor_call(body: Body) -> dict[str, Any]:
    with CannedServer(body) as server:
        credentials = NetvisorCredentials(
            customer_id="HOSTILE",
            customer_key="hostile-netvisor-customer-key",
            partner_id="HOSTILE",
            partner_key="hostile-netvisor-partner-key",
            organisation_id="1572860-0",
            host=server.host,
        )
        client = NetvisorClient(credentials, Settings(), max_attempts=1, sleep=lambda _s: None)
        customers = client.list_customers()
        return {"result": [c.name for c in customers], "requests": server.requests}


def _customer(name_xml: str) -> str:
    return f"<CustomerList><Customer><Netvisorkey>1</Netvisorkey><Name>{name_xml}</Name></Customer></CustomerList>"


def netvisor_doctype(doctype: str, name_xml: str) -> dict[str, Any]:
    return _netvisor_call(bodies.netvisor(_customer(name_xml), doctype))


def netvisor_nested(levels: int) -> dict[str, Any]:
    return _netvisor_call(bodies.netvisor(_customer(bodies.nested(levels, "Nest"))))


def netvisor_huge(megabytes: int) -> dict[str, Any]:
    whole = bodies.netvisor(_customer("x"))
    cut = whole.index(b"<CustomerList>")
    return _netvisor_call(bodies.padded(whole[:cut], whole[cut:], megabytes))


def netvisor_unclosed_statuses(count: int) -> dict[str, Any]:
    return _netvisor_call(bodies.unclosed_statuses(count))


def _ready_answer() -> tuple[bytes, list[bytes], bytes]:
    """A real GetInvoicesByStatus answer from the Severa simulator, cut into head, items and tail."""
    from sandbox.severa import SeveraSimulator, build_state, sandbox_credentials
    from sandbox.severa.seed import READY_STATUS

    with SeveraSimulator(state=build_state(3, accounts=2, invoices=12, hour_entries=1)) as sim:
        credentials = SeveraCredentials.model_validate(sandbox_credentials(sim))
        with SeveraClient(credentials) as client:
            raw = client._send("IInvoice", "GetInvoicesByStatus", {"status": READY_STATUS}).content
    start = raw.index(b">", raw.index(b"<GetInvoicesByStatusResult")) + 1
    end = raw.index(b"</GetInvoicesByStatusResult>")
    items = [b"<a:Invoice>" + part for part in raw[start:end].split(b"<a:Invoice>") if part]
    return raw[:start], items, raw[end:]


def severa_many_invoices(call: str, invoices: int) -> dict[str, Any]:
    """``invoices`` real invoices in one answer (repeated from a simulator's answer), read by ``call``."""
    head, items, tail = _ready_answer()

    def chunks() -> Any:
        yield head
        for n in range(invoices):
            yield items[n % len(items)]
        yield tail

    with CannedServer(chunks) as server:
        credentials = SeveraCredentials(api_key="hostile-severa-key", endpoint=server.url)
        with SeveraClient(credentials, Settings(severa_max_response_mb=4096), retry_delays=()) as client:
            if call == "stream":
                count = sum(1 for _ in client.iter_invoices_by_status("Ready to transfer"))
            else:
                count = len(client.invoices_by_status("Ready to transfer"))
    return {"result": count, "bytes_per_invoice": sum(map(len, items)) // len(items)}
