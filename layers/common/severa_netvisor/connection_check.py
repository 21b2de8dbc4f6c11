"""The connection check: can this deployment reach Severa and Netvisor with its credentials?

Each system gets one check: read and validate its secret, then (where a probe is registered) make
one cheap authenticated call. Every failure carries the reason and what the admin should do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from severa_netvisor.credentials import CredentialStore
from severa_netvisor.errors import IntegrationError
from severa_netvisor.netvisor.connection import probe_netvisor
from severa_netvisor.observability import logger
from severa_netvisor.severa.connection import probe_severa


@dataclass(frozen=True)
class CheckResult:
    system: str
    ok: bool
    message: str
    action: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConnectionReport:
    checks: list[CheckResult]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(check) for check in self.checks]}


class ConnectionCheckFailed(IntegrationError):
    """At least one system failed its check; the message lists each failure and what to do."""

    def __init__(self, report: ConnectionReport):
        failures = [f"{c.system}: {c.message} -> {c.action}" for c in report.checks if not c.ok]
        super().__init__("Connection check failed. " + " | ".join(failures))
        self.report = report


#: A probe makes one cheap authenticated call and returns what it learned (e.g. the API version).
Probe = Callable[[CredentialStore], dict[str, Any]]


def _check(system: str, load: Callable[[], object], probe: Probe | None, store: CredentialStore) -> CheckResult:
    try:
        load()
    except IntegrationError as error:
        return CheckResult(system, False, error.message, "Fix the secret, then run the check again.")
    if probe is None:
        return CheckResult(system, True, "secret is present and well-formed")
    try:
        details = probe(store)
    except IntegrationError as error:
        action = getattr(error, "action", "") or "See the message; run the check again after fixing it."
        return CheckResult(system, False, error.message, action)
    return CheckResult(system, True, "authenticated call succeeded", details=details)


def run_connection_check(
    store: CredentialStore | None = None,
    severa_probe: Probe | None = None,
    netvisor_probe: Probe | None = None,
) -> ConnectionReport:
    store = store or CredentialStore()
    severa_probe = severa_probe or probe_severa
    netvisor_probe = netvisor_probe or probe_netvisor
    report = ConnectionReport(
        [
            _check("severa", store.severa, severa_probe, store),
            _check("netvisor", store.netvisor, netvisor_probe, store),
        ]
    )
    for check in report.checks:
        if check.ok:
            logger.info("connection check passed", extra={"system": check.system, "details": check.details})
        else:
            logger.error(
                "connection check failed",
                extra={"system": check.system, "reason": check.message, "action": check.action},
            )
    return report
