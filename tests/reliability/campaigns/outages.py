"""Issue 11's outage classes: what makes a system unusable, how it is put right, and what the run says.

Each ``Outage`` breaks one thing the way a real deployment meets it (a secret, a key, a host, a
service) and repairs it the way an operator would (the secret fixed, the key updated in the secret,
the service enabled again, the next day's quota). ``says`` are words the one-line reason of the
failed invocation must contain, one of them at least: the system and what is wrong with it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.netvisor import Fault
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.severa import sandbox_credentials as severa_secret
from tests.integration.rig import World


@dataclass(frozen=True)
class Outage:
    name: str
    says: tuple[str, ...]
    apply: Callable[[World], None]
    restore: Callable[[World], None]
    #: The clients retry (with waits) before the run stops: a transport failure or maintenance.
    retried: bool = False


def _put_netvisor_secret(w: World, **changes: str) -> None:
    w.aws.put_secret(w.names["netvisor"], {**netvisor_secret(w.netvisor), **changes})


def _restore_netvisor_secret(w: World) -> None:
    _put_netvisor_secret(w)


def _garble(w: World) -> None:
    w.aws.put_secret(w.names["netvisor"], '{"customer_id": "SIMCUSTOMER", "customer_key": ')  # cut short


def _wrong_keys(w: World) -> None:
    _put_netvisor_secret(w, customer_key="0" * 32, partner_key="1" * 32)


def _unreachable(w: World) -> None:
    _put_netvisor_secret(w, host="http://127.0.0.1:9")


def _maintenance(w: World) -> None:
    w.netvisor.faults.add(Fault(kind="maintenance"))


def _clear_netvisor_faults(w: World) -> None:
    w.netvisor.faults.clear()


def _not_enabled(w: World) -> None:
    w.netvisor.company.enabled_resources = set()


def _enabled(w: World) -> None:
    w.netvisor.company.enabled_resources = None


def _quota_gone(w: World) -> None:
    w.severa.exhaust_quota_after(0)


def _next_day(w: World) -> None:
    w.severa.quota = 10**9


def _severa_key_rotated(w: World) -> None:
    w.severa.api_key = f"regenerated-{secrets.token_hex(8)}"  # the secret still holds the old key


def _severa_secret_updated(w: World) -> None:
    w.aws.put_secret(w.names["severa"], severa_secret(w.severa))


def _netvisor_5xx(w: World) -> None:
    w.netvisor.faults.add(Fault(kind="http_5xx", status=502))


def _netvisor_timeouts(w: World) -> None:
    w.netvisor.faults.add(Fault(kind="drop"))


def _severa_500(w: World) -> None:
    w.severa.inject_http_500(times=None)


def _clear_severa_faults(w: World) -> None:
    w.severa.clear_faults()


OUTAGES = (
    Outage("garbled Netvisor secret", ("secret",), _garble, _restore_netvisor_secret),
    Outage("wrong Netvisor keys", ("AUTHENTICATION_FAILED", "rejected"), _wrong_keys, _restore_netvisor_secret),
    Outage("unreachable Netvisor host", ("127.0.0.1:9", "reach"), _unreachable, _restore_netvisor_secret, retried=True),
    Outage("Netvisor maintenance", ("maintenance", "MAINTENANCE"), _maintenance, _clear_netvisor_faults, retried=True),
    Outage("Netvisor service not enabled", ("SERVICE_ACCESS_ERROR", "not enabled"), _not_enabled, _enabled),
    Outage("Severa quota exhausted", ("quota",), _quota_gone, _next_day),
    Outage("Severa key rotated, secret not updated", ("Severa",), _severa_key_rotated, _severa_secret_updated),
    Outage(
        "a streak of Netvisor 5xx",
        ("502", "server error", "in a row"),
        _netvisor_5xx,
        _clear_netvisor_faults,
        retried=True,
    ),
    Outage(
        "a streak of Netvisor timeouts",
        ("in a row", "could not be reached", "did not answer"),
        _netvisor_timeouts,
        _clear_netvisor_faults,
        retried=True,
    ),
    Outage("a streak of Severa 500s", ("Severa",), _severa_500, _clear_severa_faults, retried=True),
)
