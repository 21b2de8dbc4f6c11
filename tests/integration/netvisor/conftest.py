"""A fresh Netvisor simulator per test, a client pointed at it, and helpers for raw signed requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from severa_netvisor.credentials import NetvisorCredentials
from severa_netvisor.netvisor import NetvisorClient
from severa_netvisor.netvisor.auth import signed_headers
from severa_netvisor.netvisor.models import CustomerInput, ProductInput
from severa_netvisor.settings import Settings

from sandbox.netvisor import NetvisorSimulator, sandbox_credentials


class Clock:
    """The simulator's clock (Finnish local time), moved by tests."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 3, 9, 0, 0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self.now += timedelta(**delta)
            return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock: Clock) -> Iterator[NetvisorSimulator]:
    with NetvisorSimulator(clock=clock) as simulator:
        yield simulator


@pytest.fixture
def credentials(sim: NetvisorSimulator) -> NetvisorCredentials:
    return NetvisorCredentials.model_validate(sandbox_credentials(sim))


@pytest.fixture
def settings() -> Settings:
    return Settings(netvisor_read_timeout_seconds=5.0, netvisor_connect_timeout_seconds=2.0)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(credentials: NetvisorCredentials, settings: Settings, sleeps: list[float]) -> NetvisorClient:
    return NetvisorClient(credentials, settings, sleep=sleeps.append, backoff_seconds=0.5)


@pytest.fixture
def seeded(client: NetvisorClient, sim: NetvisorSimulator) -> dict[str, int]:
    """A customer (code 1001), a product (code W1) and dimension items, created through the client."""
    customer = client.add_customer(CustomerInput(name="Asiakas Oy", code="1001", business_id="1572860-0"))
    product = client.add_product(
        ProductInput(name="Konsultointi", group="Palvelut", code="W1", unit_price=Decimal("100"))
    )
    sim.state.add_dimension_item("Projekti", "P-100")
    sim.state.add_dimension_item("Kustannuspaikka", "Myynti")
    return {"customer": customer, "product": product}


def raw_request(
    sim: NetvisorSimulator,
    credentials: NetvisorCredentials,
    method: str,
    resource: str,
    body: bytes | None = None,
    *,
    params: dict[str, str] | None = None,
    header_overrides: dict[str, str] | None = None,
    transaction_id: str | None = None,
    now: datetime | None = None,
    drop_headers: tuple[str, ...] = (),
) -> requests.Response:
    """A request signed like the client's, with knobs to break it."""
    prepared = requests.Request(method, f"{sim.url}/{resource}", params=params, data=body).prepare()
    assert prepared.url is not None
    headers: dict[str, Any] = signed_headers(credentials, prepared.url, transaction_id=transaction_id, now=now)
    headers.update(header_overrides or {})
    for name in drop_headers:
        headers.pop(name, None)
    prepared.headers.update(headers)
    with requests.Session() as session:
        return session.send(prepared, timeout=10)
