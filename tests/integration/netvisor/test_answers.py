"""Netvisor answers read within limits, one keep-alive session per company, secrets never echoed back."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from severa_netvisor.credentials import NetvisorCredentials
from severa_netvisor.netvisor import NetvisorClient
from severa_netvisor.netvisor.client import company_session
from severa_netvisor.netvisor.errors import NetvisorError, NetvisorHttpError
from severa_netvisor.netvisor.models import CustomerInput
from severa_netvisor.settings import Settings

from sandbox.netvisor import NetvisorSimulator
from sandbox.netvisor.faults import Fault
from tests.reliability.hostile import bodies
from tests.reliability.hostile.canned import CannedServer


def _canned_client(server: CannedServer, settings: Settings) -> NetvisorClient:
    credentials = NetvisorCredentials(
        customer_id="CANNED",
        customer_key="canned-customer-key",
        partner_id="CANNED",
        partner_key="canned-partner-key",
        organisation_id="1572860-0",
        host=server.host,
    )
    return NetvisorClient(credentials, settings, sleep=lambda _s: None)


def test_an_answer_above_the_limit_is_refused_naming_the_call_and_not_asked_for_again() -> None:
    whole = bodies.netvisor("<CustomerList></CustomerList>")
    cut = whole.index(b"<CustomerList>")
    settings = Settings(netvisor_max_response_mb=2)
    with CannedServer(bodies.padded(whole[:cut], whole[cut:], megabytes=20)) as server:
        with pytest.raises(NetvisorHttpError) as raised:
            _canned_client(server, settings).list_customers()
        assert server.requests == 1
    error = raised.value
    assert error.message == "Netvisor customerlist.nv: the answer is larger than 2 MB; it was not read"
    assert error.retryable is False
    assert "NETVISOR_MAX_RESPONSE_MB" in error.action


def test_an_answer_nesting_too_deep_is_refused() -> None:
    body = bodies.netvisor(f"<CustomerList><Customer>{bodies.nested(1500, 'Nest')}</Customer></CustomerList>")
    with CannedServer(body) as server, pytest.raises(NetvisorHttpError) as raised:
        _canned_client(server, Settings()).list_customers()
    assert raised.value.message == "Netvisor customerlist.nv: the answer nests deeper than 64 levels; it was refused"


def test_a_malformed_error_body_keeps_its_text_verbatim() -> None:
    with CannedServer(bodies.unclosed_statuses(2000)) as server, pytest.raises(NetvisorError) as raised:
        _canned_client(server, Settings()).list_customers()
    assert raised.value.remote_text == "INVALID_DATA :: R&D refused"


def test_one_connection_per_company_shared_by_clients_and_threads(
    sim: NetvisorSimulator, credentials: NetvisorCredentials, settings: Settings
) -> None:
    clients = [NetvisorClient(credentials, settings) for _ in range(3)]
    assert clients[0].session is clients[1].session is company_session(credentials.host, credentials.organisation_id)
    sim.faults.add(Fault(kind="latency", resource="customerlist.nv", seconds=0.01))
    failures: list[BaseException] = []

    def work(client: NetvisorClient) -> None:
        try:
            for _ in range(5):
                client.list_customers()
            client.add_customer(CustomerInput(name="Asiakas"))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sim.request_log.count(outcome="OK") == 36
    assert sim.connections_accepted == 1


def test_an_echoed_key_reaches_no_error(sim: NetvisorSimulator, client: NetvisorClient) -> None:
    key = sim.company.customer_key
    sim.faults.add(
        Fault(kind="malformed", resource="customerlist.nv", code="AUTHENTICATION_FAILED", text=f"MAC was &{key}&x")
    )
    with pytest.raises(NetvisorError) as raised:
        client.list_customers()
    error = raised.value
    for text in (str(error), error.message, error.remote_text or ""):
        assert key not in text
    assert "MAC was" in (error.remote_text or "")


def test_dates_and_key_lists_go_out_unencoded_so_the_signed_url_is_the_same_either_way(
    sim: NetvisorSimulator, client: NetvisorClient
) -> None:
    """Issue 12 (low): the MAC signed ``changedsince=2025-03-03T09%3A00%3A00``; whether Netvisor
    decodes the URL before checking the MAC is not documented, so nothing in it needs encoding now."""
    sent: list[str] = []
    client.session.hooks["response"].append(lambda response, **_: sent.append(response.request.url))
    client.list_customers(changed_since=datetime(2025, 3, 3, 9, 0, 0))
    client.get_customers([1, 2, 3])
    assert sent[0].endswith("/customerlist.nv?changedsince=2025-03-03T09:00:00")
    assert sent[1].endswith("/getcustomer.nv?idlist=1,2,3")
    assert all("%" not in url for url in sent)
