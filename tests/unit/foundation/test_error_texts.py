"""Texts a person reads when a secret or the mapping is wrong: exact values, one period, valid examples."""

from __future__ import annotations

import re

import pytest
from aws_lambda_powertools.utilities import parameters
from pydantic import ValidationError
from severa_netvisor.credentials import NetvisorCredentials, describe_validation_error
from severa_netvisor.errors import ConfigurationError
from severa_netvisor.finnish import is_valid_business_id
from severa_netvisor.mapping.loader import load_mapping
from severa_netvisor.settings import Settings

from sandbox.template import REPO_ROOT

SECRET = {"customer_id": "C", "customer_key": "k", "partner_id": "P", "partner_key": "k",
          "organisation_id": "1572860-0"}


def _problem(**changes: str) -> str:
    with pytest.raises(ValidationError) as raised:
        NetvisorCredentials.model_validate({**SECRET, **changes})
    return describe_validation_error(raised.value)


def test_allowed_values_keep_their_case() -> None:
    assert _problem(language="fi") == "'language' input should be 'FI', 'EN' or 'SE'"


@pytest.mark.parametrize("value", ["1234567-8", "7654321-0", "FI7654321", "not an id"])
def test_the_organisation_id_must_be_a_business_id(value: str) -> None:
    problem = _problem(organisation_id=value)
    assert problem == ("'organisation_id' must be the company's business ID (Y-tunnus) with its check digit, "
                       "e.g. 1234567-1")
    assert value not in problem


def test_a_business_id_in_another_form_is_kept_in_netvisors_form() -> None:
    credentials = NetvisorCredentials.model_validate({**SECRET, "organisation_id": "FI15728600"})
    assert credentials.organisation_id == "1572860-0"


def test_every_business_id_the_readme_shows_passes_the_products_own_check() -> None:
    readme = (REPO_ROOT / "README.md").read_text("utf-8")
    # An ID quoted in the product's own "wrong check digit" message (the example digest) is shown as
    # wrong on purpose; every other one is an example a reader may copy.
    shown_wrong = re.findall(r"'(\d{7}-\d)' has a wrong check digit", readme)
    shown = [value for value in re.findall(r"\b\d{7}-\d\b", readme) if value not in shown_wrong]
    assert shown, "the README shows an example business ID"
    assert [value for value in shown if not is_valid_business_id(value)] == []
    assert [value for value in shown_wrong if is_valid_business_id(value)] == []


def test_a_missing_mapping_parameter_reads_as_one_sentence_each(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str, **_: object) -> str:
        raise parameters.exceptions.GetParameterError("Parameter /severa-netvisor/mapping not found.")

    monkeypatch.setattr(parameters, "get_parameter", missing)
    with pytest.raises(ConfigurationError) as raised:
        load_mapping(Settings(mapping_parameter_name="/severa-netvisor/mapping"))
    assert ".." not in raised.value.message
    assert "not found. Create the parameter from config/mapping.example.yaml" in raised.value.message
