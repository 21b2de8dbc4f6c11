"""Reading Severa's answers within limits: streamed invoice lists, size caps, control characters,
connections kept alive, writes retried only when they never left, secrets never echoed back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from severa_netvisor.credentials import SeveraCredentials
from severa_netvisor.settings import Settings
from severa_netvisor.severa.characters import ForbiddenCharacter, forbidden_characters
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.severa.errors import (
    SeveraAnswerRefusedError,
    SeveraAuthenticationError,
    SeveraTransportError,
    SeveraValidationError,
)

from sandbox.aws import free_port
from sandbox.severa import SeveraSimulator, build_state, sandbox_credentials
from sandbox.severa.seed import READY_STATUS
from tests.reliability.hostile import bodies
from tests.reliability.hostile.canned import CannedServer

from .conftest import FAST_SETTINGS, ClientFactory


def test_the_ready_list_streams_one_invoice_at_a_time_equal_to_the_whole_list(
    client: SeveraClient, sim: SeveraSimulator
) -> None:
    whole = client.invoices_by_status(READY_STATUS)
    assert whole
    calls = sim.calls["GetInvoicesByStatus"]
    streamed = client.iter_invoices_by_status(READY_STATUS)
    first = next(streamed)
    assert first == whole[0]
    assert [first, *streamed] == whole
    assert sim.calls["GetInvoicesByStatus"] == calls + 1
    assert client.quota.used == sim.used_quota  # the quota header is read from the stream too
    by_date = list(client.iter_invoices_by_date(datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)))
    assert {i.guid for i in by_date} == set(sim.state.invoices)


def test_an_empty_or_unknown_status_streams_nothing(client: SeveraClient, sim: SeveraSimulator) -> None:
    assert list(client.iter_invoices_by_status("Ei tällaista tilaa")) == []
    sim.inject_fault("NotFound", "GetInvoicesByStatus")
    assert list(client.iter_invoices_by_status(READY_STATUS)) == []


def test_the_stream_re_reads_the_key_once_after_an_authentication_failure(sim: SeveraSimulator) -> None:
    secret = sandbox_credentials(sim)
    rotated = SeveraCredentials.model_validate(secret)
    stale = SeveraCredentials.model_validate({**secret, "api_key": "an-old-rotated-key"})
    with SeveraClient(stale, FAST_SETTINGS, credential_reloader=lambda: rotated) as client:
        assert list(client.iter_invoices_by_status(READY_STATUS)) == client.invoices_by_status(READY_STATUS)
    with (
        SeveraClient(stale, FAST_SETTINGS, credential_reloader=lambda: stale) as client,
        pytest.raises(SeveraAuthenticationError, match="GetInvoicesByStatus"),
    ):
        next(client.iter_invoices_by_status(READY_STATUS))


def test_the_list_methods_keep_a_size_limit_and_the_stream_reads_past_it() -> None:
    state = build_state(5, accounts=20, invoices=400, hour_entries=1)
    small = Settings(severa_max_response_mb=1)
    with SeveraSimulator(state=state) as sim:
        credentials = SeveraCredentials.model_validate(sandbox_credentials(sim))
        with SeveraClient(credentials, small, retry_delays=(0.0,)) as client:
            with pytest.raises(SeveraAnswerRefusedError) as raised:
                client.invoices_by_status(READY_STATUS)
            assert raised.value.message == (
                "Severa GetInvoicesByStatus: the answer is larger than 1 MB (1.77 MB announced); it was refused"
            )
            assert raised.value.retryable is False
            assert sim.calls["GetInvoicesByStatus"] == 1  # refused answers are not asked for again
            ready = sum(1 for r in state.invoices.values() if r["InvoiceStatus"] == READY_STATUS)
            assert sum(1 for _ in client.iter_invoices_by_status(READY_STATUS)) == ready > 100


def _accounts(names: list[str]) -> bytes:
    return bodies.severa("GetAccountsChangedSince", "".join(bodies.account(name) for name in names))


def test_a_control_character_fails_only_the_record_that_holds_it() -> None:
    """Issue 13, defect 6: one ``&#x1;`` in one customer's name made the whole answer unreadable."""
    names = ["Alfa Oy", "Beta&#x1; Oy", "Gamma Ab", "Delta Ky", "Epsilon Oy"]
    with CannedServer(_accounts(names)) as server:
        credentials = SeveraCredentials(api_key="canned-severa-key", endpoint=server.url)
        with SeveraClient(credentials, FAST_SETTINGS, retry_delays=()) as client:
            accounts = client.accounts_changed_since(datetime(2026, 1, 1, tzinfo=UTC))
    assert [a.name for a in accounts] == ["Alfa Oy", "Beta\x01 Oy", "Gamma Ab", "Delta Ky", "Epsilon Oy"]
    assert [forbidden_characters(a) for a in accounts].count([]) == 4
    assert forbidden_characters(accounts[1]) == [ForbiddenCharacter("Name", 1)]


def test_a_log_entry_quoting_a_control_character_is_still_written(client: SeveraClient, sim: SeveraSimulator) -> None:
    guid = next(iter(sim.state.invoices))
    client.add_invoice_log_entry(guid, "Asiakas Beta\x01 Oy: kenttä Name")
    assert [e.text for e in sim.state.log_of(guid)] == ["Asiakas Beta\ufffd Oy: kenttä Name"]


def test_one_connection_serves_many_calls(client: SeveraClient, sim: SeveraSimulator) -> None:
    for _ in range(10):
        client.get_version()
    list(client.iter_invoices_by_status(READY_STATUS))
    client.currencies()
    assert sim.connections_accepted == 1


def test_a_write_is_retried_only_when_it_never_left(make_client: ClientFactory, sim: SeveraSimulator) -> None:
    sleeps: list[float] = []
    endpoint = f"http://127.0.0.1:{free_port()}/webservice/S3/API.svc"
    refused = SeveraClient(
        SeveraCredentials(api_key="refused-severa-key", endpoint=endpoint),
        FAST_SETTINGS,
        retry_delays=(0.01, 0.02),
        sleep=sleeps.append,
    )
    with refused, pytest.raises(SeveraTransportError) as raised:
        refused.set_invoice_status("0d5f9a1e-0000-4000-8000-000000000001", READY_STATUS)
    assert raised.value.may_have_arrived is False
    assert sleeps == [0.01, 0.02]  # connection refused: nothing reached Severa, so trying again is safe

    guid = next(iter(sim.state.invoices))
    client = make_client(retry_delays=(0.01,), sleep=sleeps.append)
    sim.inject_drop("AddNewInvoiceLogEntry")
    with pytest.raises(SeveraTransportError) as dropped:
        client.add_invoice_log_entry(guid, "Siirretty")
    assert dropped.value.may_have_arrived is True
    assert sim.calls["AddNewInvoiceLogEntry"] == 1


def test_an_echoed_api_key_reaches_no_error_and_no_severa_log(sim: SeveraSimulator) -> None:
    key = "Severa-API-key-echo-5ad1f3"
    secret = {**sandbox_credentials(sim), "api_key": key}
    sim.api_key = key
    with SeveraClient(SeveraCredentials.model_validate(secret), FAST_SETTINGS, retry_delays=()) as client:
        sim.inject_fault("Validation", "SetInvoiceStatus", text=f"Header WebServicePassword={key} not valid")
        guid = next(iter(sim.state.invoices))
        with pytest.raises(SeveraValidationError) as raised:
            client.set_invoice_status(guid, READY_STATUS)
        error = raised.value
        for text in (str(error), error.message, error.remote_text or ""):
            assert key not in text
        assert "not valid" in (error.remote_text or "")
        client.add_invoice_log_entry(guid, f"Netvisor answered: {error}; echo {key}")
        [entry] = sim.state.log_of(guid)
        assert key not in (entry.text or "")
