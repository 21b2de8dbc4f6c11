"""Secrets through Powertools parameters against moto: validation, caching, forced re-read."""

from __future__ import annotations

import uuid

import pytest
from severa_netvisor.credentials import CredentialStore
from severa_netvisor.errors import CredentialsError
from severa_netvisor.settings import Settings

from sandbox.aws import LocalAws
from sandbox.environment import SANDBOX_NETVISOR_SECRET, SANDBOX_SEVERA_SECRET


def _store(local_aws: LocalAws, severa: object = None, netvisor: object = None) -> CredentialStore:
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(severa_secret_name=f"t/{suffix}/severa", netvisor_secret_name=f"t/{suffix}/netvisor")
    if severa is not None:
        local_aws.put_secret(settings.severa_secret_name, severa)  # type: ignore[arg-type]
    if netvisor is not None:
        local_aws.put_secret(settings.netvisor_secret_name, netvisor)  # type: ignore[arg-type]
    return CredentialStore(settings)


def test_valid_secrets_load_and_keys_stay_hidden(local_aws: LocalAws) -> None:
    store = _store(local_aws, SANDBOX_SEVERA_SECRET, SANDBOX_NETVISOR_SECRET)
    netvisor = store.netvisor()
    assert netvisor.customer_id == SANDBOX_NETVISOR_SECRET["customer_id"]
    assert netvisor.customer_key.get_secret_value() == SANDBOX_NETVISOR_SECRET["customer_key"]
    assert SANDBOX_NETVISOR_SECRET["customer_key"] not in repr(netvisor)
    assert SANDBOX_SEVERA_SECRET["api_key"] not in repr(store.severa())


def test_missing_field_is_named_and_no_value_is_printed(local_aws: LocalAws) -> None:
    broken = {k: v for k, v in SANDBOX_NETVISOR_SECRET.items() if k != "partner_key"}
    store = _store(local_aws, netvisor=broken)
    with pytest.raises(CredentialsError) as raised:
        store.netvisor()
    message = str(raised.value)
    assert "'partner_key' is missing" in message
    assert all(str(value) not in message for value in broken.values() if len(str(value)) > 3)


def test_bad_value_is_named_without_echoing_it(local_aws: LocalAws) -> None:
    store = _store(local_aws, severa={"api_key": "k3y-value-123", "endpoint": "ftp://k3y-value-123"})
    with pytest.raises(CredentialsError, match="'endpoint'") as raised:
        store.severa()
    assert "k3y-value-123" not in str(raised.value)


def test_secret_that_is_not_json_gets_a_clear_error(local_aws: LocalAws) -> None:
    store = _store(local_aws, severa="just-a-key-not-json")
    with pytest.raises(CredentialsError, match="is not JSON") as raised:
        store.severa()
    assert "just-a-key-not-json" not in str(raised.value)


def test_missing_secret_names_the_secret(local_aws: LocalAws) -> None:
    store = _store(local_aws)
    with pytest.raises(CredentialsError, match="could not be read"):
        store.severa()


def test_cached_until_forced_so_a_rotated_key_is_picked_up(local_aws: LocalAws) -> None:
    store = _store(local_aws, severa=SANDBOX_SEVERA_SECRET)
    assert store.severa().api_key.get_secret_value() == SANDBOX_SEVERA_SECRET["api_key"]
    rotated = {**SANDBOX_SEVERA_SECRET, "api_key": "rotated-key"}
    local_aws.put_secret(store._settings.severa_secret_name, rotated)
    assert store.severa().api_key.get_secret_value() == SANDBOX_SEVERA_SECRET["api_key"], "served from cache"
    assert store.severa(force=True).api_key.get_secret_value() == "rotated-key"
