"""Faults and transport failures, injected in the simulator, as the client's exceptions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from severa_netvisor.credentials import SeveraCredentials
from severa_netvisor.errors import IntegrationError
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.severa.errors import (
    SeveraAuthenticationError,
    SeveraError,
    SeveraGeneralFailureError,
    SeveraNoPermissionError,
    SeveraNotFoundError,
    SeveraQuotaExceededError,
    SeveraTermsNotApprovedError,
    SeveraTransportError,
    SeveraValidationError,
)
from severa_netvisor.severa.models import QuotaStatus

from sandbox.aws import free_port
from sandbox.severa import SeveraSimulator
from sandbox.severa.seed import SENT_STATUS

from .conftest import API_KEY, ClientFactory


@pytest.mark.parametrize(
    ("fault_type", "error_class", "retryable"),
    [
        ("NoPermission", SeveraNoPermissionError, False),
        ("NotFound", SeveraNotFoundError, False),
        ("Validation", SeveraValidationError, False),
        ("GeneralFailure", SeveraGeneralFailureError, True),
        ("TosNotApproved", SeveraTermsNotApprovedError, False),
    ],
)
def test_each_fault_type_on_a_write_maps_to_its_error(
    client: SeveraClient, sim: SeveraSimulator, fault_type: str, error_class: type[SeveraError], retryable: bool
) -> None:
    guid = next(g for g, r in sim.state.invoices.items() if r["InvoiceStatus"] != SENT_STATUS)
    text = f"{fault_type}: Lasku ä ö å € ei kelpaa"
    sim.inject_fault(fault_type, "SetInvoiceStatus", text=text)
    with pytest.raises(error_class) as raised:
        client.set_invoice_status(guid, SENT_STATUS)
    error = raised.value
    assert isinstance(error, IntegrationError)
    assert error.system == "severa"
    assert error.remote_text == text  # verbatim
    assert text in error.message
    assert "SetInvoiceStatus" in error.message
    assert error.retryable is retryable
    assert error.action
    assert sim.calls["SetInvoiceStatus"] == 1  # faults are never retried by the client
    assert sim.state.invoices[guid]["InvoiceStatus"] != SENT_STATUS


def test_not_found_on_reads_means_nothing(client: SeveraClient, sim: SeveraSimulator) -> None:
    sim.inject_fault("NotFound", "GetCustomersChangedSince")
    sim.inject_fault("NotFound", "GetInvoiceByGUID")
    assert client.customers_changed_since(datetime(2000, 1, 1, tzinfo=UTC)) == []
    assert client.invoice(next(iter(sim.state.invoices))) is None


def test_general_failure_on_a_read_is_raised_not_retried(client: SeveraClient, sim: SeveraSimulator) -> None:
    sim.inject_fault("GeneralFailure", "GetCurrencies", text="Object reference not set to an instance of an object.")
    with pytest.raises(SeveraGeneralFailureError) as raised:
        client.currencies()
    assert raised.value.remote_text == "Object reference not set to an instance of an object."
    assert sim.calls["GetCurrencies"] == 1


def test_fault_on_the_nth_call_only(client: SeveraClient, sim: SeveraSimulator) -> None:
    sim.inject_fault("Validation", "GetVersion", nth_call=2)
    client.get_version()
    with pytest.raises(SeveraValidationError):
        client.get_version()
    client.get_version()


def test_wrong_key_without_reloader_gives_an_actionable_error(make_client: ClientFactory) -> None:
    client = make_client(api_key="wrong-key-1234")
    with pytest.raises(SeveraAuthenticationError) as raised:
        client.get_version()
    error = raised.value
    assert error.remote_text == "Access denied"
    assert "the API key was regenerated or the API user deactivated: update the secret" in error.message
    assert "update the secret" in error.action
    assert error.retryable is False
    assert "wrong-key-1234" not in error.message + repr(error) + repr(client)


def test_regenerated_key_is_picked_up_by_one_reload(make_client: ClientFactory, sim: SeveraSimulator) -> None:
    reloads: list[int] = []

    def reload() -> SeveraCredentials:
        reloads.append(1)
        return SeveraCredentials(api_key="regenerated-key", endpoint=sim.url)

    client = make_client(credential_reloader=reload)
    assert client.get_version()
    sim.api_key = "regenerated-key"
    assert client.invoice_statuses()
    assert reloads == [1]
    assert client.currencies()  # the fresh key stays in use
    assert reloads == [1]


def test_reload_happens_once_then_the_failure_is_raised(make_client: ClientFactory, sim: SeveraSimulator) -> None:
    reloads: list[int] = []

    def reload() -> SeveraCredentials:
        reloads.append(1)
        return SeveraCredentials(api_key="still-wrong", endpoint=sim.url)

    client = make_client(api_key="wrong", credential_reloader=reload)
    with pytest.raises(SeveraAuthenticationError, match="update the secret"):
        client.get_version()
    assert reloads == [1]
    assert sim.calls["GetVersion"] == 2


def test_quota_exhaustion_stops_the_run_with_quota_figures(client: SeveraClient, sim: SeveraSimulator) -> None:
    client.get_version()
    sim.exhaust_quota_after(2)
    client.get_version()
    client.currencies()
    with pytest.raises(SeveraQuotaExceededError) as raised:
        client.invoice_statuses()
    error = raised.value
    assert error.stops_run is True
    assert error.retryable is True
    assert (error.quota, error.used_quota) == (3, 3)
    assert error.remote_text == "Quota limit"
    assert "3/3" in error.message
    assert client.quota.quota == 3
    assert client.quota.used == 3
    assert client.quota.remaining == 0


def test_injected_quota_fault_is_recognised(client: SeveraClient, sim: SeveraSimulator) -> None:
    sim.inject_fault("QuotaLimitExceeded", "GetInvoicesByStatus")
    with pytest.raises(SeveraQuotaExceededError):
        client.invoices_by_status(SENT_STATUS)


def test_quota_headers_are_read_after_every_call_including_faults(client: SeveraClient, sim: SeveraSimulator) -> None:
    assert client.quota == QuotaStatus()
    client.get_version()
    assert (client.quota.quota, client.quota.used) == (1000, 1)
    client.currencies()
    assert client.quota.used == 2
    sim.inject_fault("NoPermission", "GetCurrencies")
    with pytest.raises(SeveraNoPermissionError):
        client.currencies()
    assert client.quota.used == 3 == sim.used_quota


def test_http_500_on_a_read_is_retried(make_client: ClientFactory, sim: SeveraSimulator) -> None:
    sleeps: list[float] = []
    client = make_client(retry_delays=(0.01, 0.02), sleep=sleeps.append)
    sim.inject_http_500("GetCurrencies")
    assert client.currencies()
    assert sim.calls["GetCurrencies"] == 2
    assert sleeps == [0.01]


def test_dropped_connections_on_a_read_are_retried_with_backoff(
    make_client: ClientFactory, sim: SeveraSimulator
) -> None:
    sleeps: list[float] = []
    client = make_client(retry_delays=(0.01, 0.02), sleep=sleeps.append)
    sim.inject_drop("GetVersion", times=2)
    assert client.get_version() == sim.state.version
    assert sleeps == [0.01, 0.02]


def test_persistent_transport_failure_gives_up_after_the_retries(client: SeveraClient, sim: SeveraSimulator) -> None:
    sim.inject_http_500("GetVersion", times=None)
    with pytest.raises(SeveraTransportError) as raised:
        client.get_version()
    assert raised.value.status_code == 500
    assert raised.value.retryable is True
    assert "500 Internal Server Error" in (raised.value.remote_text or "")
    assert sim.calls["GetVersion"] == 3


@pytest.mark.parametrize("inject", ["http_500", "drop", "malformed"])
def test_writes_are_never_retried(client: SeveraClient, sim: SeveraSimulator, inject: str) -> None:
    guid = next(iter(sim.state.invoices))
    getattr(sim, f"inject_{inject}")("AddNewInvoiceLogEntry")
    with pytest.raises(SeveraTransportError):
        client.add_invoice_log_entry(guid, "Siirretty")
    assert sim.calls["AddNewInvoiceLogEntry"] == 1
    assert sim.state.log_of(guid) == []


def test_malformed_answer_on_a_read_is_retried(client: SeveraClient, sim: SeveraSimulator) -> None:
    sim.inject_malformed("GetAllInvoiceStatuses")
    assert client.invoice_statuses()
    assert sim.calls["GetAllInvoiceStatuses"] == 2


def test_slow_answer_times_out_and_the_retry_succeeds(sim: SeveraSimulator) -> None:
    settings = Settings(severa_operation_timeout_seconds=0.2, severa_connect_timeout_seconds=0.5)
    credentials = SeveraCredentials(api_key=API_KEY, endpoint=sim.url)
    with SeveraClient(credentials, settings, retry_delays=(0.0,), sleep=lambda _s: None) as client:
        sim.inject_latency(0.6, "GetVersion", times=1)
        assert client.get_version() == sim.state.version
        assert sim.calls["GetVersion"] == 2
        sim.inject_latency(0.6, "GetCurrencies", times=None)
        with pytest.raises(SeveraTransportError, match="timed out"):
            client.currencies()


def test_unreachable_endpoint_is_a_transport_error() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}/webservice/S3/API.svc"
    credentials = SeveraCredentials(api_key="k", endpoint=endpoint)
    with (
        SeveraClient(credentials, retry_delays=(), sleep=lambda _s: None) as client,
        pytest.raises(SeveraTransportError, match="cannot reach") as raised,
    ):
        client.get_version()
    assert endpoint in raised.value.message
    assert raised.value.retryable is True
