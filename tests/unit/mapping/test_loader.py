"""Loading the mapping configuration from a local file or from SSM (moto through ``local_aws``)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from severa_netvisor import settings as settings_module
from severa_netvisor.errors import ConfigurationError
from severa_netvisor.mapping import get_mapping, load_mapping, parse_mapping
from severa_netvisor.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "mapping.example.yaml"


def unique_name() -> str:
    # Powertools caches parameters by name for the life of the process: a fresh name per test.
    return f"/severa-netvisor-tests/mapping-{uuid.uuid4().hex}"


def test_file_yaml(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    config = load_mapping(Settings(mapping_file=str(path)))
    assert config.invoice_statuses.paid == "Maksettu"


def test_file_json(tmp_path):
    expected = parse_mapping(EXAMPLE.read_text(encoding="utf-8"))
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(expected.model_dump(mode="json")), encoding="utf-8")
    assert load_mapping(Settings(mapping_file=str(path))) == expected


def test_missing_file(tmp_path):
    path = tmp_path / "absent.yaml"
    with pytest.raises(ConfigurationError, match=r"mapping file '.*absent.yaml' could not be read"):
        load_mapping(Settings(mapping_file=str(path)))


def test_invalid_file_names_the_source_and_the_key(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text("products: {default_product_code: TYO}\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_mapping(Settings(mapping_file=str(path)))
    message = str(caught.value)
    assert f"mapping file '{path}' is invalid" in message
    assert "invoice_statuses: is required but missing" in message


def test_ssm_parameter_yaml(local_aws):
    name = unique_name()
    local_aws.put_parameter(name, EXAMPLE.read_text(encoding="utf-8"))
    config = load_mapping(Settings(mapping_file=None, mapping_parameter_name=name))
    assert config.products.default_product_code == "TYO"


def test_ssm_parameter_json(local_aws):
    name = unique_name()
    expected = parse_mapping(EXAMPLE.read_text(encoding="utf-8"))
    local_aws.put_parameter(name, json.dumps(expected.model_dump(mode="json")))
    assert load_mapping(Settings(mapping_file=None, mapping_parameter_name=name)) == expected


def test_ssm_parameter_is_cached(local_aws):
    name = unique_name()
    local_aws.put_parameter(name, EXAMPLE.read_text(encoding="utf-8"))
    settings = Settings(mapping_file=None, mapping_parameter_name=name, secret_max_age_seconds=300)
    first = load_mapping(settings)
    local_aws.put_parameter(name, "not: [valid")  # within max age the cached text is used
    assert load_mapping(settings) == first


def test_missing_ssm_parameter(local_aws):
    name = unique_name()
    with pytest.raises(ConfigurationError) as caught:
        load_mapping(Settings(mapping_file=None, mapping_parameter_name=name))
    message = str(caught.value)
    assert f"SSM parameter '{name}'" in message
    assert "could not be read" in message
    assert "ParameterNotFound" in message
    assert caught.value.retryable is False


def test_invalid_ssm_parameter_names_the_key(local_aws):
    name = unique_name()
    local_aws.put_parameter(
        name, EXAMPLE.read_text(encoding="utf-8").replace("reverse_charge_code: RAMY", "reverse_charge_code: EVTO")
    )
    with pytest.raises(ConfigurationError) as caught:
        load_mapping(Settings(mapping_file=None, mapping_parameter_name=name))
    assert f"The SSM parameter '{name}' is invalid: vat.reverse_charge_code: 'EVTO' is a purchase-side code" in str(
        caught.value
    )


def test_get_mapping_reads_once_per_process(tmp_path, monkeypatch):
    path = tmp_path / "mapping.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("MAPPING_FILE", str(path))
    settings_module.get_settings.cache_clear()
    get_mapping.cache_clear()
    try:
        first = get_mapping()
        path.write_text("broken: [", encoding="utf-8")
        assert get_mapping() is first
    finally:
        get_mapping.cache_clear()
        settings_module.get_settings.cache_clear()


def test_example_without_comments_fits_a_standard_ssm_parameter():
    config = parse_mapping(EXAMPLE.read_text(encoding="utf-8"))
    compact = json.dumps(config.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False)
    assert len(compact.encode("utf-8")) < 4096
    assert parse_mapping(compact) == config
