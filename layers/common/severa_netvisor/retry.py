"""Retries where they are safe, and one credential re-read after an authentication failure.

Both clients send every request through ``call_with_retries``:

- a **read** is retried, with the policy's backoff, after a failure the client calls transient
  (a timeout, a dropped connection, a 5xx, maintenance);
- a **write** is retried only when the request provably never left (the connection was never
  made): a write that may have arrived could be applied twice, so its outcome is left to the
  caller to resolve (the engine looks the record up on the next run);
- an **authentication failure** re-reads the credentials once, forced past the cache (a key rotated
  in Secrets Manager), and tries again; a refused request was not applied, so this is safe for
  writes too, and it does not use up a retry. A second refusal is final.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from severa_netvisor.errors import IntegrationError
from severa_netvisor.observability import logger

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait before each retry; as many retries as delays."""

    delays: tuple[float, ...] = ()
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    @classmethod
    def exponential(cls, attempts: int, first_delay: float, sleep: Callable[[float], None] = time.sleep) -> RetryPolicy:
        """``attempts`` tries in all, waiting ``first_delay``, then twice that, and so on."""
        return cls(tuple(first_delay * 2**n for n in range(max(0, attempts - 1))), sleep)


@dataclass(frozen=True)
class FailureKinds:
    """How one client's errors read: which are transient, which provably never left, which are
    authentication refusals."""

    transient: Callable[[Exception], bool]
    never_sent: Callable[[Exception], bool]
    authentication: tuple[type[Exception], ...]


def call_with_retries(
    send: Callable[[], T],
    *,
    write: bool,
    policy: RetryPolicy,
    kinds: FailureKinds,
    reload_credentials: Callable[[], None] | None,
    what: str,
) -> T:
    """``send()``, retried as the module docstring says; ``what`` names the call in log lines."""
    delays = iter(policy.delays)
    reloaded = False
    while True:
        try:
            return send()
        except kinds.authentication:
            if reload_credentials is None or reloaded:
                raise
            reloaded = True
            logger.info("credentials refused; reading them again", extra={"call": what})
            reload_credentials()
        except IntegrationError as error:
            safe = kinds.never_sent(error) if write else kinds.transient(error)
            delay = next(delays, None) if safe else None
            if delay is None:
                raise
            logger.warning(
                "call failed, retrying",
                extra={"call": what, "reason": error.message, "error_class": error.error_class, "delay_seconds": delay},
            )
            policy.sleep(delay)


def connection_never_made(error: requests.RequestException) -> bool:
    """True when the connection was never established, so the remote cannot have seen the request."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if not isinstance(error, requests.ConnectionError):
        return False
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | ConnectionRefusedError)
