"""Every Netvisor error class, retries only where safe, the per-company lock, re-read credentials."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from severa_netvisor.credentials import NetvisorCredentials
from severa_netvisor.errors import IntegrationError
from severa_netvisor.netvisor import NetvisorClient
from severa_netvisor.netvisor import errors as e
from severa_netvisor.netvisor.models import (
    CustomerInput,
    InvoiceProductLine,
    SalesInvoiceInput,
)
from severa_netvisor.settings import Settings

from sandbox.netvisor import Company, Fault, NetvisorSimulator, sandbox_credentials
from tests.integration.netvisor.conftest import raw_request


def _invoice(customer_key: int, number: str | None = None) -> SalesInvoiceInput:
    return SalesInvoiceInput(
        invoice_date=date(2025, 2, 28),
        amount=Decimal("125.50"),
        customer_identifier=str(customer_key),
        number=number,
        payment_term_net_days=14,
        lines=(
            InvoiceProductLine(
                product_identifier="W1",
                name="Konsultointi",
                unit_price=Decimal("100"),
                vat_percentage=Decimal("25.5"),
                quantity=Decimal(1),
            ),
        ),
    )


def _wrong(credentials: NetvisorCredentials, **changes: str) -> NetvisorCredentials:
    return NetvisorCredentials.model_validate({**sandbox_credentials_of(credentials), **changes})


def sandbox_credentials_of(credentials: NetvisorCredentials) -> dict[str, str]:
    data = credentials.model_dump()
    data["customer_key"] = credentials.customer_key.get_secret_value()
    data["partner_key"] = credentials.partner_key.get_secret_value()
    return data


# ---------------------------------------------------------------- authentication


def test_bad_keys_are_authentication_failed_and_not_retried(sim, credentials, settings, sleeps):
    client = NetvisorClient(_wrong(credentials, customer_key="wrong"), settings, sleep=sleeps.append)
    with pytest.raises(e.NetvisorAuthenticationError) as caught:
        client.list_customers()
    error = caught.value
    assert isinstance(error, IntegrationError)
    assert error.system == "netvisor"
    assert error.remote_text == (
        "AUTHENTICATION_FAILED :: Integration keys are not valid. "
        "Please check the keys specific to the user and partner."
    )
    assert error.http_status == 401
    assert not error.retryable
    assert "API identifiers" in error.action
    assert sim.request_log.count() == 1
    assert sleeps == []
    assert "wrong" not in str(error) + repr(error) + repr(client)


def test_credential_reloader_is_called_once_and_the_call_retried(sim, credentials: NetvisorCredentials, settings):
    calls: list[int] = []

    def reload() -> NetvisorCredentials:
        calls.append(1)
        return credentials

    client = NetvisorClient(_wrong(credentials, partner_key="old"), settings, credential_reloader=reload)
    assert client.list_customers() == []
    assert calls == [1]
    assert sim.request_log.count(outcome="AUTHENTICATION_FAILED") == 1
    assert sim.request_log.count(outcome="OK") == 1


def test_reloaded_credentials_still_wrong_fail_after_one_retry(sim, credentials, settings):
    still_wrong = _wrong(credentials, partner_key="old")
    calls: list[int] = []

    def reload() -> NetvisorCredentials:
        calls.append(1)
        return still_wrong

    client = NetvisorClient(still_wrong, settings, credential_reloader=reload)
    with pytest.raises(e.NetvisorAuthenticationError):
        client.add_customer(CustomerInput(name="A"))
    assert calls == [1]
    assert sim.request_log.count() == 2
    assert sim.state.customers == {}


def test_deactivated_identifiers(sim, client):
    sim.company.identifiers_active = False
    with pytest.raises(e.NetvisorAuthenticationError, match="not active"):
        client.check_credentials()


def test_mac_over_another_url_stale_timestamp_and_missing_algorithm_are_rejected(sim, credentials):
    tampered = raw_request(sim, credentials, "GET", "customerlist.nv", params={"keyword": "a"},
                           header_overrides={"X-Netvisor-Authentication-MAC": "0" * 64})  # fmt: skip
    assert tampered.status_code == 401
    assert b"AUTHENTICATION_FAILED :: Integration keys are not valid" in tampered.content
    old = raw_request(sim, credentials, "GET", "customerlist.nv", now=datetime.now(UTC) - timedelta(hours=1))
    assert b"AUTHENTICATION_FAILED :: The timestamp of the request is not valid" in old.content
    legacy = raw_request(sim, credentials, "GET", "customerlist.nv",
                         drop_headers=("X-Netvisor-Authentication-MACHashCalculationAlgorithm",))  # fmt: skip
    assert b"AUTHENTICATION_FAILED" in legacy.content
    upper = raw_request(sim, credentials, "GET", "customerlist.nv")
    assert upper.status_code == 200


def test_reused_transaction_id_is_request_not_unique(sim, credentials):
    first = raw_request(sim, credentials, "GET", "customerlist.nv", transaction_id="same-id")
    again = raw_request(sim, credentials, "GET", "customerlist.nv", transaction_id="same-id")
    assert first.status_code == 200
    assert again.status_code == 409
    assert b"<Status>FAILED</Status>" in again.content
    assert b"REQUEST_NOT_UNIQUE :: The transaction ID has already been used" in again.content


def test_without_use_http_status_codes_failures_are_http_200(sim, credentials):
    response = raw_request(sim, credentials, "GET", "getcustomer.nv", params={"id": "1"},
                           drop_headers=("X-Netvisor-Authentication-UseHTTPResponseStatusCodes",))  # fmt: skip
    assert response.status_code == 200
    assert b"INVALID_DATA :: Data form incorrect:. Customer not found with Netvisor identifier: 1" in response.content


def test_finnish_error_texts(sim, credentials):
    response = raw_request(sim, credentials.model_copy(update={"language": "FI", "customer_id": "x"}),
                           "GET", "customerlist.nv")  # fmt: skip
    assert "AUTHENTICATION_FAILED :: Integraatiokumppania ei löydy, katso dokumentaatio" in response.text


# ---------------------------------------------------------------- data errors


def test_invalid_data_names_the_element(client, sim):
    with pytest.raises(e.NetvisorInvalidDataError) as caught:
        client._post("customer.nv", b"<root><customer><customerbaseinformation><city>x</city><name>A</name>"
                                    b"</customerbaseinformation></customer></root>", method="add")  # fmt: skip
    assert caught.value.remote_text == (
        "INVALID_DATA :: Data form incorrect:. Element 'name' is in the wrong place in "
        "'root/customer/customerbaseinformation': it must come before 'city'"
    )
    assert caught.value.http_status == 400
    assert sim.request_log.count("customer.nv") == 1  # a rejected write is not retried


def test_unknown_vat_code_is_invalid_data(client, seeded):
    from severa_netvisor.netvisor.xmlbuild import build_sales_invoice

    body = build_sales_invoice(_invoice(seeded["customer"])).replace(b'vatcode="KOMY"', b'vatcode="ALV24"')
    with pytest.raises(e.NetvisorInvalidDataError, match="Unknown VAT code 'ALV24'"):
        client._post("salesinvoice.nv", body, method="add")


def test_too_many_ids_is_invalid_data_size(sim, credentials):
    response = raw_request(sim, credentials, "GET", "getcustomer.nv",
                           params={"idlist": ",".join(str(i) for i in range(501))})  # fmt: skip
    assert b"INVALID_DATA_SIZE :: Too many identifiers in 'idlist': at most 500" in response.content


def test_duplicate_invoice_number_is_duplicate_data(client, sim, seeded):
    client.add_sales_invoice(_invoice(seeded["customer"], number="900"))
    with pytest.raises(e.NetvisorDuplicateDataError, match="Invoice number already exists: 900"):
        client.add_sales_invoice(_invoice(seeded["customer"], number="900"))
    assert len(sim.state.invoices) == 1


def test_service_access_error_when_the_resource_is_not_enabled(sim, client):
    sim.company.enabled_resources = {"customerlist.nv"}
    assert client.list_customers() == []
    with pytest.raises(e.NetvisorServiceAccessError) as caught:
        client.list_products()
    assert caught.value.http_status == 403
    assert "Rights of interface resources" in caught.value.action
    assert sim.request_log.count("productlist.nv") == 1


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("PERIOD_LOCK", e.NetvisorPeriodLockError),
        ("REQUEST_NOT_UNIQUE", e.NetvisorRequestNotUniqueError),
        ("INVALID_DATA_SIZE", e.NetvisorInvalidDataSizeError),
        ("TECHNICAL_ERROR", e.NetvisorTechnicalError),
    ],
)
def test_injected_errors_on_a_write_are_raised_and_not_applied(client, sim, seeded, code, cls):
    sim.faults.add(Fault(kind="error", resource="salesinvoice.nv", code=code, text="Simuloitu virhe & syy"))
    with pytest.raises(cls) as caught:
        client.add_sales_invoice(_invoice(seeded["customer"]))
    assert caught.value.remote_text == f"{code} :: Simuloitu virhe & syy"
    assert sim.state.invoices == {}
    assert sim.request_log.count("salesinvoice.nv") == 1


# ---------------------------------------------------------------- retries


@pytest.mark.parametrize("spelling", ["SYSTEM_MAINTENANCE", "SYSTEM_MAINTANANCE"])
def test_maintenance_read_is_retried_write_is_not(client, sim, seeded, sleeps, spelling):
    sim.faults.add(Fault(kind="maintenance", resource="customerlist.nv", code=spelling, nth=1))
    assert [c.code for c in client.list_customers()] == ["1001"]
    assert sleeps == [0.5]
    sim.faults.add(Fault(kind="maintenance", resource="salesinvoice.nv", code=spelling))
    with pytest.raises(e.NetvisorMaintenanceError) as caught:
        client.add_sales_invoice(_invoice(seeded["customer"]))
    assert caught.value.retryable
    assert caught.value.http_status == 503
    assert sim.request_log.count("salesinvoice.nv") == 1


def test_reads_retry_with_backoff_then_give_up(client, sim, sleeps):
    sim.faults.add(Fault(kind="error", resource="dimensionlist.nv", code="TECHNICAL_ERROR"))
    with pytest.raises(e.NetvisorTechnicalError):
        client.list_dimensions()
    assert sleeps == [0.5, 1.0, 2.0]
    assert sim.request_log.count("dimensionlist.nv") == 4


def test_http_5xx_read_retried_write_not(client, sim, seeded, sleeps):
    sim.faults.add(Fault(kind="http_5xx", resource="getcustomer.nv", status=502, nth=1))
    assert client.get_customer(seeded["customer"]).code == "1001"
    assert len(sleeps) == 1
    sim.faults.add(Fault(kind="http_5xx", resource="customer.nv", status=500))
    with pytest.raises(e.NetvisorServerError) as caught:
        client.add_customer(CustomerInput(name="B"))
    assert caught.value.http_status == 500
    assert "500 Service Unavailable" in (caught.value.remote_text or "")
    assert sim.request_log.count("customer.nv") == 2  # the seed plus one attempt


def test_malformed_error_body_is_parsed_with_the_text_verbatim(client, sim):
    sim.faults.add(Fault(kind="malformed", resource="customerlist.nv"))
    with pytest.raises(e.NetvisorAuthenticationError) as caught:
        client.list_customers()
    text = caught.value.remote_text or ""
    assert text.startswith("AUTHENTICATION_FAILED :: URI-metodi ei kelpaa")
    assert "&YOUR_PRIVATE_KEY_HERE :: 0123abcd" in text


def _real_sleep(record: list[float]):
    # The abandoned request is still running in the simulator: waiting out the backoff for real keeps
    # the retry from overlapping it (which Netvisor, and the simulator, would reject).
    def sleep(seconds: float) -> None:
        record.append(seconds)
        time.sleep(seconds)

    return sleep


def test_read_timeout_is_retried(sim, credentials, sleeps):
    fast = Settings(netvisor_read_timeout_seconds=0.1, netvisor_connect_timeout_seconds=1.0)
    client = NetvisorClient(credentials, fast, sleep=_real_sleep(sleeps), backoff_seconds=1.0)
    sim.faults.add(Fault(kind="latency", resource="productlist.nv", seconds=0.4, nth=1))
    assert client.list_products() == []
    assert sleeps == [1.0]


def test_read_timeout_gives_up_as_a_timeout_error(sim, credentials, sleeps):
    fast = Settings(netvisor_read_timeout_seconds=0.1, netvisor_connect_timeout_seconds=1.0)
    client = NetvisorClient(credentials, fast, sleep=_real_sleep(sleeps), max_attempts=2, backoff_seconds=1.0)
    sim.faults.add(Fault(kind="latency", resource="productlist.nv", seconds=0.4))
    with pytest.raises(e.NetvisorTimeoutError) as caught:
        client.list_products()
    assert caught.value.may_have_arrived
    assert caught.value.retryable
    assert sleeps == [1.0]
    assert sim.request_log.count("productlist.nv") <= 2


def test_dropped_write_is_applied_but_never_resent(client, sim, seeded, sleeps):
    sim.faults.add(Fault(kind="drop", resource="salesinvoice.nv"))
    with pytest.raises(e.NetvisorConnectionError) as caught:
        client.add_sales_invoice(_invoice(seeded["customer"]))
    assert caught.value.may_have_arrived
    assert not caught.value.retryable
    assert "check in Netvisor" in caught.value.action
    assert len(sim.state.invoices) == 1  # Netvisor has it: a blind resend would duplicate it
    assert sim.request_log.count("salesinvoice.nv") == 1
    assert sleeps == []


def test_dropped_read_is_retried(client, sim, sleeps):
    sim.faults.add(Fault(kind="drop", resource="customerlist.nv", nth=1))
    assert client.list_customers() == []
    assert len(sleeps) == 1


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_refused_connection_write_is_retried_because_it_never_arrived(credentials, settings, sleeps):
    unreachable = credentials.model_copy(update={"host": f"http://127.0.0.1:{_closed_port()}"})
    client = NetvisorClient(unreachable, settings, sleep=sleeps.append, backoff_seconds=0.25)
    with pytest.raises(e.NetvisorConnectionError) as caught:
        client.add_customer(CustomerInput(name="A"))
    assert not caught.value.may_have_arrived
    assert caught.value.retryable
    assert sleeps == [0.25, 0.5, 1.0]


def test_nth_request_fault(client, sim, sleeps):
    sim.faults.add(Fault(kind="error", code="PERIOD_LOCK", nth=3))
    client.list_customers()
    client.list_products()
    with pytest.raises(e.NetvisorPeriodLockError):
        client.add_customer(CustomerInput(name="A"))
    client.add_customer(CustomerInput(name="A"))
    assert len(sim.state.customers) == 1
    sim.faults.clear()
    assert len(sim.faults) == 0


# ---------------------------------------------------------------- one request at a time


def test_client_serialises_requests_to_one_company(sim, credentials, settings):
    sim.faults.add(Fault(kind="latency", resource="customerlist.nv", seconds=0.2))
    clients = [NetvisorClient(credentials, settings) for _ in range(3)]
    failures: list[BaseException] = []

    def call(c: NetvisorClient) -> None:
        try:
            c.list_customers()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=call, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sim.request_log.count("customerlist.nv", outcome="OK") == 3


def test_simulator_rejects_overlapping_requests(sim, credentials):
    sim.faults.add(Fault(kind="latency", resource="customerlist.nv", seconds=1.0, nth=1))
    first: list[requests.Response] = []
    thread = threading.Thread(target=lambda: first.append(raw_request(sim, credentials, "GET", "customerlist.nv")))
    thread.start()
    deadline = datetime.now() + timedelta(seconds=5)
    while sim.in_flight() == 0 and datetime.now() < deadline:
        threading.Event().wait(0.01)
    second = raw_request(sim, credentials, "GET", "dimensionlist.nv")
    thread.join()
    assert first[0].status_code == 200
    assert second.status_code == 500
    assert b"TECHNICAL_ERROR :: Overlapping requests to the same environment" in second.content


def test_two_companies_do_not_block_each_other(credentials, settings):
    other = Company(organisation_id="0737546-2", customer_id="C2", partner_id="SIMPARTNER")
    with NetvisorSimulator([Company(), other]) as simulator:
        second = NetvisorClient(
            NetvisorCredentials.model_validate(sandbox_credentials(simulator, "0737546-2")), settings
        )
        second.add_customer(CustomerInput(name="Toinen"))
        assert len(simulator.companies["0737546-2"].state.customers) == 1
        assert simulator.state.customers == {}
