"""probe_severa: the secret from Secrets Manager (moto), one cheap check against the simulator."""

from __future__ import annotations

import uuid

import pytest
from severa_netvisor.credentials import CredentialStore
from severa_netvisor.settings import Settings
from severa_netvisor.severa.connection import probe_severa
from severa_netvisor.severa.errors import (
    SeveraAuthenticationError,
    SeveraQuotaExceededError,
    SeveraTransportError,
)

from sandbox.aws import LocalAws, free_port
from sandbox.severa import SeveraSimulator, sandbox_credentials


def _store(local_aws: LocalAws, secret: dict[str, str]) -> tuple[CredentialStore, Settings]:
    settings = Settings(
        severa_secret_name=f"t/{uuid.uuid4().hex[:8]}/severa",
        severa_operation_timeout_seconds=2.0,
        severa_connect_timeout_seconds=1.0,
    )
    local_aws.put_secret(settings.severa_secret_name, secret)
    return CredentialStore(settings), settings


def test_probe_reports_version_and_quota(local_aws: LocalAws, sim: SeveraSimulator) -> None:
    store, settings = _store(local_aws, sandbox_credentials(sim))
    details = probe_severa(store, settings)
    assert details["version"] == sim.state.version
    assert details["endpoint"] == sim.url
    assert details["currencies"] == ["EUR", "SEK", "USD"]
    assert (details["quota"], details["used_quota"]) == (sim.quota, sim.used_quota)


def test_probe_access_denied_says_what_to_do(local_aws: LocalAws, sim: SeveraSimulator) -> None:
    store, settings = _store(local_aws, {**sandbox_credentials(sim), "api_key": "revoked-key-9876"})
    with pytest.raises(SeveraAuthenticationError) as raised:
        probe_severa(store, settings)
    error = raised.value
    assert "Access denied" in error.message
    assert "regenerated" in error.message
    assert "update the secret" in error.action
    assert "revoked-key-9876" not in error.message + error.action
    assert sim.calls["GetVersion"] == 2  # one forced re-read of the secret, one retry


def test_probe_unreachable_endpoint(local_aws: LocalAws) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}/webservice/S3/API.svc"
    store, settings = _store(local_aws, {"api_key": "k", "endpoint": endpoint})
    with pytest.raises(SeveraTransportError) as raised:
        probe_severa(store, settings)
    assert endpoint in raised.value.message
    assert "unreachable" in raised.value.message
    assert "endpoint" in raised.value.action


def test_probe_quota_exhausted(local_aws: LocalAws, sim: SeveraSimulator) -> None:
    store, settings = _store(local_aws, sandbox_credentials(sim))
    sim.exhaust_quota_after(0)
    with pytest.raises(SeveraQuotaExceededError) as raised:
        probe_severa(store, settings)
    assert "exhausted" in raised.value.message
    assert "midnight" in raised.value.action


def test_probe_plugs_into_the_connection_check(local_aws: LocalAws, sim: SeveraSimulator) -> None:
    from severa_netvisor.connection_check import run_connection_check

    store, settings = _store(local_aws, sandbox_credentials(sim))
    report = run_connection_check(store, severa_probe=lambda s: probe_severa(s, settings))
    severa = next(check for check in report.checks if check.system == "severa")
    assert severa.ok
    assert severa.details["version"] == sim.state.version
    sim.api_key = "rotated-elsewhere"
    report = run_connection_check(store, severa_probe=lambda s: probe_severa(s, settings))
    severa = next(check for check in report.checks if check.system == "severa")
    assert not severa.ok
    assert "update the secret" in severa.action
