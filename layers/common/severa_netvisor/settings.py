"""Runtime settings, read from the environment the SAM template (or the sandbox) gives a function.

Every name and endpoint is overridable by environment variable, so the same code runs in Lambda,
under the local invoke runner and in tests against the simulators and moto. Each field is read from
the variable of the same name in any case (``STATE_TABLE_NAME`` for ``state_table_name``); values
given to the constructor win. (This is what pydantic-settings did; it was dropped because importing
it brought asyncio and argparse into every cold start.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    state_table_name: str = Field(default="severa-netvisor-state", min_length=3)
    failed_records_queue_url: str = Field(default="", description="SQS URL of the failed-records queue")
    severa_secret_name: str = "severa-netvisor/severa"  # noqa: S105 - a name, not a secret
    netvisor_secret_name: str = "severa-netvisor/netvisor"  # noqa: S105 - a name, not a secret
    #: SSM parameter holding the operator's mapping configuration (YAML or JSON).
    mapping_parameter_name: str = "/severa-netvisor/mapping"
    #: A local mapping file; when set it wins over the SSM parameter (sandbox, tests).
    mapping_file: str | None = None
    #: How long a secret stays cached in a warm Lambda before it is read again.
    secret_max_age_seconds: int = Field(default=300, ge=0)
    #: How long the mapping stays in use before it is read (and validated) again.
    mapping_max_age_seconds: int = Field(default=300, ge=0)
    #: Netvisor: at least 120 s for writes (Netvisor's own advice); reads are cheaper.
    netvisor_write_timeout_seconds: float = Field(default=120.0, ge=120.0)
    netvisor_read_timeout_seconds: float = Field(default=60.0, gt=0)
    netvisor_connect_timeout_seconds: float = Field(default=10.0, gt=0)
    severa_operation_timeout_seconds: float = Field(default=120.0, gt=0)
    severa_connect_timeout_seconds: float = Field(default=10.0, gt=0)
    #: The largest answer either client reads (streamed lists of invoices are bounded per invoice instead).
    severa_max_response_mb: int = Field(default=128, ge=1)
    #: The share of Severa's daily call quota (counted per organisation, shared with every other
    #: integration) past which a run stops taking new work; the next day's runs go on.
    severa_quota_share: float = Field(default=0.6, gt=0, le=1)
    netvisor_max_response_mb: int = Field(default=64, ge=1)
    #: Stop taking new records when the Lambda has less than this left.
    time_budget_margin_seconds: float = Field(default=60.0, ge=0)
    environment: str = "production"
    #: The stack's alarm topic: each run with new failures sends one e-mail digest there (empty: none).
    alarm_topic_arn: str = ""
    #: The stack's name, so that the digest's commands name it (severa-netvisor --stack NAME ...).
    stack_name: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, given: Any) -> Any:
        values = dict(given) if isinstance(given, Mapping) else {}
        environment = {name.lower(): value for name, value in os.environ.items()}
        for field in cls.model_fields:
            if field not in values and field in environment:
                values[field] = environment[field]
        return values


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once per cold start)."""
    return Settings()
