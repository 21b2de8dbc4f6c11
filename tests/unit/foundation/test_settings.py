from __future__ import annotations

import pytest
from pydantic import ValidationError
from severa_netvisor.settings import Settings


def test_every_name_is_overridable_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_TABLE_NAME", "other-state")
    monkeypatch.setenv("FAILED_RECORDS_QUEUE_URL", "http://127.0.0.1:1/q")
    monkeypatch.setenv("SEVERA_SECRET_NAME", "x/severa")
    monkeypatch.setenv("NETVISOR_SECRET_NAME", "x/netvisor")
    monkeypatch.setenv("MAPPING_FILE", "/tmp/mapping.yaml")
    settings = Settings()
    assert settings.state_table_name == "other-state"
    assert settings.failed_records_queue_url == "http://127.0.0.1:1/q"
    assert (settings.severa_secret_name, settings.netvisor_secret_name) == ("x/severa", "x/netvisor")
    assert settings.mapping_file == "/tmp/mapping.yaml"


def test_netvisor_write_timeout_below_netvisors_advice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETVISOR_WRITE_TIMEOUT_SECONDS", "30")
    with pytest.raises(ValidationError, match="netvisor_write_timeout_seconds"):
        Settings()
