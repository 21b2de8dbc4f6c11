"""probe_netvisor: the connection check's Netvisor half, reading the secret from (moto's) Secrets Manager."""

from __future__ import annotations

import socket
import uuid

import pytest
from severa_netvisor.connection_check import run_connection_check
from severa_netvisor.credentials import CredentialStore
from severa_netvisor.netvisor import (
    NetvisorAuthenticationError,
    NetvisorConnectionError,
    NetvisorServiceAccessError,
    probe_netvisor,
)
from severa_netvisor.settings import Settings

from sandbox.netvisor import sandbox_credentials


@pytest.fixture
def store_for(local_aws):
    def make(secret: dict[str, str]) -> CredentialStore:
        name = f"severa-netvisor/netvisor-{uuid.uuid4().hex}"
        local_aws.put_secret(name, secret)
        return CredentialStore(Settings(netvisor_secret_name=name, netvisor_connect_timeout_seconds=1.0))

    return make


def test_probe_succeeds_with_details(sim, store_for):
    details = probe_netvisor(store_for(sandbox_credentials(sim)))
    assert details["host"] == sim.url
    assert details["organisation_id"] == sim.company.organisation_id
    assert details["resource"] == "customerlist.nv"
    assert sim.request_log.count("customerlist.nv", outcome="OK") == 1


def test_probe_bad_keys(sim, store_for):
    secret = {**sandbox_credentials(sim), "customer_key": "not-the-key"}
    with pytest.raises(NetvisorAuthenticationError) as caught:
        probe_netvisor(store_for(secret))
    assert "rejected the API identifiers" in caught.value.message
    assert "Integration keys are not valid" in caught.value.message
    assert "API identifiers" in caught.value.action
    assert "not-the-key" not in caught.value.message


def test_probe_deactivated_identifiers(sim, store_for):
    sim.company.identifiers_active = False
    with pytest.raises(NetvisorAuthenticationError, match="not active"):
        probe_netvisor(store_for(sandbox_credentials(sim)))


def test_probe_resource_not_enabled(sim, store_for):
    sim.company.enabled_resources = {"salesinvoice.nv"}
    with pytest.raises(NetvisorServiceAccessError) as caught:
        probe_netvisor(store_for(sandbox_credentials(sim)))
    assert "not enabled" in caught.value.message
    assert "Rights of interface resources" in caught.value.action


def test_probe_host_unreachable(sim, store_for):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    secret = {**sandbox_credentials(sim), "host": f"http://127.0.0.1:{port}"}
    with pytest.raises(NetvisorConnectionError) as caught:
        probe_netvisor(store_for(secret))
    assert f"127.0.0.1:{port} could not be reached" in caught.value.message
    assert "'host'" in caught.value.action


def test_connection_check_reports_the_netvisor_result(sim, store_for):
    good = run_connection_check(store_for(sandbox_credentials(sim)), netvisor_probe=probe_netvisor)
    netvisor = next(c for c in good.checks if c.system == "netvisor")
    assert netvisor.ok
    assert netvisor.details["resource"] == "customerlist.nv"
    sim.company.enabled_resources = set()
    bad = run_connection_check(store_for(sandbox_credentials(sim)), netvisor_probe=probe_netvisor)
    netvisor = next(c for c in bad.checks if c.system == "netvisor")
    assert not netvisor.ok
    assert "Rights of interface resources" in netvisor.action
