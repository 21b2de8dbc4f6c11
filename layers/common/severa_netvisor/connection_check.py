"""The connection check: can this deployment reach Severa and Netvisor with its credentials?

Each system gets one check: read and validate its secret, then (where a probe is registered) make
one cheap authenticated call. Every failure carries the reason and what the admin should do.

Netvisor refuses a request to a company while another one to it is in flight, so the Netvisor probe
takes its turn like every transfer run: it waits for the shared ``netvisor-company`` lease
(``NetvisorTurn``). A transfer that keeps the lease for the whole wait is talking to Netvisor with
the same credentials (and raises its own alarm if they fail): the probe is then left out and the
check says so, rather than failing the check (a false alarm) or making the transfer's request fail.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from severa_netvisor.credentials import CredentialStore
from severa_netvisor.engine.core import EngineOptions
from severa_netvisor.errors import IntegrationError
from severa_netvisor.netvisor.connection import probe_netvisor
from severa_netvisor.observability import logger
from severa_netvisor.severa.connection import probe_severa
from severa_netvisor.state import Lease, StateError, StateStore

#: The lease every run that talks to Netvisor holds (``EngineOptions.shared_lease``).
NETVISOR_LEASE = EngineOptions().shared_lease or "netvisor-company"


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


@dataclass
class NetvisorTurn:
    """The company's one-request-at-a-time turn: the shared lease, waited for up to ``wait_seconds``."""

    state: StateStore
    #: How long to wait for a transfer to finish with Netvisor (within the function's own timeout).
    wait_seconds: float = 120.0
    #: How long the probe may hold the lease (it expires by itself after a crash).
    hold_seconds: float = 180.0
    poll_seconds: float = 2.0
    lease: str = NETVISOR_LEASE
    sleep: Callable[[float], None] = time.sleep
    owner: str = field(default_factory=lambda: f"connection-check-{uuid.uuid4()}")

    def take(self) -> Lease | None:
        """The lease, or None when a transfer kept it for the whole wait. Raises StateError."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            lease = self.state.acquire_lease(self.lease, self.owner, self.hold_seconds)
            if lease is not None:
                return lease
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            logger.info("waiting for a transfer to finish with Netvisor", extra={"lease": self.lease})
            self.sleep(min(self.poll_seconds, left))

    def give_back(self, lease: Lease) -> None:
        try:
            self.state.release_lease(lease)
        except StateError as error:
            logger.warning("could not release the Netvisor lease; it expires by itself", extra={"error": error.message})

    def holder(self) -> str:
        try:
            holder = self.state.lease_holder(self.lease)
        except StateError:
            return "another run"
        return holder.owner if holder else "another run"


def _netvisor_check(store: CredentialStore, probe: Probe, turn: NetvisorTurn | None) -> CheckResult:
    if turn is None:
        return _check("netvisor", store.netvisor, probe, store)
    try:
        lease = turn.take()
    except StateError as error:
        return CheckResult(
            "state table",
            False,
            f"{error.message} ({error.remote_text})",
            "Check that the state table exists and the function may use it (the transfers need it too).",
        )
    if lease is None:
        waited = f"{turn.wait_seconds:g} s"
        return CheckResult(
            "netvisor",
            True,
            f"not probed: a transfer run ({turn.holder()}) used Netvisor for the whole {waited} wait, and "
            "Netvisor takes one request at a time; that run reports any Netvisor problem itself",
            details={"probed": False},
        )
    try:
        return _check("netvisor", store.netvisor, probe, store)
    finally:
        turn.give_back(lease)


def run_connection_check(
    store: CredentialStore | None = None,
    severa_probe: Probe | None = None,
    netvisor_probe: Probe | None = None,
    *,
    netvisor_turn: NetvisorTurn | None = None,
) -> ConnectionReport:
    """Check both systems. With ``netvisor_turn``, the Netvisor probe waits for the company's turn."""
    store = store or CredentialStore()
    severa_probe = severa_probe or probe_severa
    netvisor_probe = netvisor_probe or probe_netvisor
    report = ConnectionReport(
        [
            _check("severa", store.severa, severa_probe, store),
            _netvisor_check(store, netvisor_probe, netvisor_turn),
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
