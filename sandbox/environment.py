"""The whole sandbox in one object: local AWS plus (as they land) the Severa and Netvisor simulators,
the secrets pointing at them and the operator mapping. ``make demo`` and ``make invoke`` use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.aws import LocalAws
from sandbox.invoke import FunctionSpec, InvokeResult, run_function
from sandbox.template import Resolver

# Placeholder credentials for the sandbox only (the simulators accept exactly these).
SANDBOX_SEVERA_SECRET = {"api_key": "sandbox-severa-api-key", "endpoint": "http://127.0.0.1:9/severa"}
SANDBOX_NETVISOR_SECRET = {
    "customer_id": "SANDBOX_CUSTOMER",
    "customer_key": "sandbox-customer-key",
    "partner_id": "SANDBOX_PARTNER",
    "partner_key": "sandbox-partner-key",
    "organisation_id": "1572860-0",
    "sender": "severa-netvisor-sandbox",
    "host": "http://127.0.0.1:9",
}


@dataclass
class Sandbox:
    aws: LocalAws = field(default_factory=LocalAws)
    severa_secret: dict[str, Any] = field(default_factory=lambda: dict(SANDBOX_SEVERA_SECRET))
    netvisor_secret: dict[str, Any] = field(default_factory=lambda: dict(SANDBOX_NETVISOR_SECRET))

    @property
    def resolver(self) -> Resolver:
        assert self.aws.resolver is not None, "start() first"
        return self.aws.resolver

    def start(self) -> Sandbox:
        self.aws.start()
        self.aws.put_secret(self.aws.parameter("SeveraSecretName"), self.severa_secret)
        self.aws.put_secret(self.aws.parameter("NetvisorSecretName"), self.netvisor_secret)
        return self

    def stop(self) -> None:
        self.aws.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def invoke(self, spec: FunctionSpec, event: Any, **kwargs: Any) -> InvokeResult:
        return run_function(spec, event, aws_env=self.aws.env(), **kwargs)
