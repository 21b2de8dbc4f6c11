"""A fresh, small, seeded Severa simulator per test, and clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from severa_netvisor.credentials import SeveraCredentials
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import SeveraClient

from sandbox.severa import SeveraSimulator, build_state, sandbox_credentials

API_KEY = "test-key-ÄÖ-123"
#: Short timeouts so that timeout tests stay quick.
FAST_SETTINGS = Settings(severa_operation_timeout_seconds=1.0, severa_connect_timeout_seconds=1.0)


@pytest.fixture
def sim() -> Iterator[SeveraSimulator]:
    state = build_state(3, accounts=6, invoices=16, hour_entries=40)
    with SeveraSimulator(api_key=API_KEY, quota=1000, state=state) as simulator:
        yield simulator


ClientFactory = Callable[..., SeveraClient]


@pytest.fixture
def make_client(sim: SeveraSimulator) -> Iterator[ClientFactory]:
    clients: list[SeveraClient] = []
    sleeps: list[float] = []

    def factory(**kwargs: Any) -> SeveraClient:
        secret = sandbox_credentials(sim)
        if "api_key" in kwargs:
            secret["api_key"] = kwargs.pop("api_key")
        kwargs.setdefault("retry_delays", (0.0, 0.0))
        kwargs.setdefault("sleep", sleeps.append)
        client = SeveraClient(SeveraCredentials.model_validate(secret), FAST_SETTINGS, **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> SeveraClient:
    return make_client()
