"""Credentials from AWS Secrets Manager, validated, cached, and re-read once after an auth failure.

Secrets are read with Powertools parameters (cached for ``secret_max_age_seconds`` in a warm
Lambda). When Severa or Netvisor rejects the credentials, callers ask for a forced re-read once, so
a key rotated in Secrets Manager is picked up without a redeploy. Validation errors name the missing
or bad field and never include a value, and every key value read is registered with the process's
scrubber (``scrub.py``).
"""

from __future__ import annotations

from typing import Any, Literal, Self, TypeVar

from aws_lambda_powertools.utilities import parameters
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from severa_netvisor.errors import CredentialsError
from severa_netvisor.finnish import is_valid_business_id, normalize_business_id
from severa_netvisor.scrub import register_secret
from severa_netvisor.settings import Settings, get_settings

NETVISOR_PRODUCTION_HOST = "https://integration.netvisor.fi"
SEVERA_PRODUCTION_ENDPOINT = "https://sync.severa.com/webservice/S3/API.svc"


class _Secret(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True)

    @model_validator(mode="after")
    def _register_secret_values(self) -> Self:
        """Every key read becomes known to the scrubber, so no echo of it reaches a log or a queue."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                register_secret(value.get_secret_value())
        return self


class NetvisorCredentials(_Secret):
    """The Netvisor secret: API identifiers of the integration user and the software partner."""

    customer_id: str = Field(min_length=1)
    customer_key: SecretStr
    partner_id: str = Field(min_length=1)
    partner_key: SecretStr
    #: The company's Finnish business ID (Y-tunnus), e.g. 1234567-1.
    organisation_id: str = Field(min_length=1)
    sender: str = Field(default="severa-netvisor", min_length=1)
    host: str = NETVISOR_PRODUCTION_HOST
    language: Literal["FI", "EN", "SE"] = "FI"

    @field_validator("host")
    @classmethod
    def _host_is_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be a URL such as https://integration.netvisor.fi")
        return value.rstrip("/")

    @field_validator("organisation_id")
    @classmethod
    def _organisation_is_a_business_id(cls, value: str) -> str:
        # Netvisor's organisation ID is the company's business ID (Y-tunnus), sent in the
        # X-Netvisor-Organisation-ID header (support.netvisor.fi, "API authentication").
        if not is_valid_business_id(value):
            raise ValueError("must be the company's business ID (Y-tunnus) with its check digit, e.g. 1234567-1")
        return normalize_business_id(value)

    @field_validator("customer_key", "partner_key")
    @classmethod
    def _key_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value


class SeveraCredentials(_Secret):
    """The Severa secret: the SOAP API key of the integration user."""

    api_key: SecretStr
    endpoint: str = SEVERA_PRODUCTION_ENDPOINT

    @field_validator("endpoint")
    @classmethod
    def _endpoint_is_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be a URL such as " + SEVERA_PRODUCTION_ENDPOINT)
        return value.rstrip("/")

    @field_validator("api_key")
    @classmethod
    def _key_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value


SecretT = TypeVar("SecretT", bound=_Secret)


def describe_validation_error(error: ValidationError) -> str:
    """Field names and what is wrong with them; never the values."""
    parts = []
    for item in error.errors(include_input=False, include_url=False):
        field = ".".join(str(p) for p in item["loc"]) or "(whole secret)"
        message = item["msg"].removeprefix("Value error, ")
        reason = "is missing" if item["type"] == "missing" else _sentence_case(message)
        parts.append(f"'{field}' {reason}")
    return "; ".join(parts)


def _sentence_case(text: str) -> str:
    """pydantic's "Input should be 'FI', 'EN' or 'SE'" as "input should be 'FI', 'EN' or 'SE'":
    only the first letter, so the allowed values keep their case."""
    return text[:1].lower() + text[1:]


class CredentialStore:
    """Reads the two secrets named in the settings."""

    def __init__(self, settings: Settings | None = None):
        self._settings = settings or get_settings()

    def netvisor(self, *, force: bool = False) -> NetvisorCredentials:
        return self._load(self._settings.netvisor_secret_name, NetvisorCredentials, force)

    def severa(self, *, force: bool = False) -> SeveraCredentials:
        return self._load(self._settings.severa_secret_name, SeveraCredentials, force)

    def _load(self, name: str, model: type[SecretT], force: bool) -> SecretT:
        raw = self._fetch(name, force)
        try:
            return model.model_validate(raw)
        except ValidationError as error:
            raise CredentialsError(
                f"Secret '{name}' is not a valid {model.__name__}: {describe_validation_error(error)}. "
                "Fix the secret's JSON in AWS Secrets Manager (see README, 'Secrets')."
            ) from None

    def _fetch(self, name: str, force: bool) -> dict[str, Any]:
        try:
            value = parameters.get_secret(
                name, transform="json", force_fetch=force, max_age=self._settings.secret_max_age_seconds
            )
        except parameters.exceptions.TransformParameterError:
            raise CredentialsError(
                f"Secret '{name}' is not JSON. Store it as a JSON object (see README, 'Secrets')."
            ) from None
        except parameters.exceptions.GetParameterError as error:
            # The SDK's message names the secret and the AWS error code; it never holds the value.
            raise CredentialsError(
                f"Secret '{name}' could not be read: {str(error).rstrip('.')}. Check that it exists in this region "
                "and that the function's role may read it."
            ) from None
        if not isinstance(value, dict):
            raise CredentialsError(f"Secret '{name}' must be a JSON object, not {type(value).__name__}.")
        return value
