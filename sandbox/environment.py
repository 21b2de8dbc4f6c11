"""The whole sandbox in one object: local AWS (moto), the Severa and Netvisor simulators with
seeded data, the secrets pointing at them and the operator mapping. ``make demo``,
``make invoke`` and the end-to-end tests use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.aws import LocalAws
from sandbox.invoke import FunctionSpec, InvokeResult, run_function
from sandbox.netvisor import Company, NetvisorSimulator
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.severa import SeveraSimulator, build_state
from sandbox.severa import sandbox_credentials as severa_secret
from sandbox.template import Resolver

#: The operator mapping the sandbox deploys (as the SSM parameter the template names).
SANDBOX_MAPPING = Path(__file__).resolve().parent / "mapping.yaml"
#: Dimension headers the simulated Netvisor company has (they are made by hand in Netvisor).
SANDBOX_DIMENSION_NAMES = ("Projekti", "Kustannuspaikka", "Liiketoimintayksikkö")

#: Netvisor payroll record types the sandbox company has (normal hours, overtime 50 % and 100 %).
SANDBOX_RECORD_TYPES = {"11", "12", "13"}

# Credentials for the sandbox only: they open nothing but the local simulators.
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
class SandboxSize:
    """How much seeded data the Severa simulator starts with."""

    seed: int = 1
    accounts: int = 12
    invoices: int = 30
    hour_entries: int = 120
    #: The hand-made cases of ``sandbox/severa/cases.py`` too: reverse charge at home and in the EU,
    #: credit notes across the rate change, hour entries to move and delete, ...
    real_world: bool = True


@dataclass
class Sandbox:
    size: SandboxSize = field(default_factory=SandboxSize)
    aws: LocalAws = field(default_factory=LocalAws)
    severa: SeveraSimulator | None = None
    netvisor: NetvisorSimulator | None = None

    @property
    def resolver(self) -> Resolver:
        assert self.aws.resolver is not None, "start() first"
        return self.aws.resolver

    def start(self) -> Sandbox:
        self.aws.start()
        state = build_state(
            self.size.seed,
            accounts=self.size.accounts,
            invoices=self.size.invoices,
            hour_entries=self.size.hour_entries,
            real_world=self.size.real_world,
        )
        self.severa = SeveraSimulator(api_key=SANDBOX_SEVERA_SECRET["api_key"], state=state).start()
        self.netvisor = NetvisorSimulator([Company(dimension_names=SANDBOX_DIMENSION_NAMES)]).start()
        # Record types (collector ratios) the sandbox mapping's hours section names.
        self.netvisor.company.state.collector_ratios |= SANDBOX_RECORD_TYPES
        self.aws.put_parameter(self.aws.parameter("MappingParameterName"), SANDBOX_MAPPING.read_text("utf-8"))
        self.aws.put_secret(self.aws.parameter("SeveraSecretName"), severa_secret(self.severa))
        self.aws.put_secret(self.aws.parameter("NetvisorSecretName"), netvisor_secret(self.netvisor))
        return self

    def stop(self) -> None:
        for simulator in (self.severa, self.netvisor):
            if simulator is not None:
                simulator.stop()
        self.aws.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def invoke(self, spec: FunctionSpec, event: Any, **kwargs: Any) -> InvokeResult:
        return run_function(spec, event, aws_env=self.aws.env(), **kwargs)
