"""The one retry and credential re-read rule both clients share (retry.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from severa_netvisor.errors import IntegrationError
from severa_netvisor.retry import FailureKinds, RetryPolicy, call_with_retries, connection_never_made
from urllib3.exceptions import MaxRetryError, NewConnectionError


class Transient(IntegrationError):
    def __init__(self, *, never_sent: bool = False):
        super().__init__("the line dropped", retryable=True)
        self.never_sent = never_sent


class Refused(IntegrationError):
    """Credentials refused."""


class Permanent(IntegrationError):
    """The data is wrong: trying again cannot help."""


KINDS = FailureKinds(
    transient=lambda e: isinstance(e, Transient),
    never_sent=lambda e: isinstance(e, Transient) and e.never_sent,
    authentication=(Refused,),
)


class Script:
    """Answers (or raises) in order, recording each attempt."""

    def __init__(self, *steps: Exception | str):
        self.steps = list(steps)
        self.attempts = 0

    def __call__(self) -> str:
        self.attempts += 1
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def _call(script: Script, *, write: bool, reload: Callable[[], None] | None = None, delays=(1.0, 2.0, 4.0)):
    sleeps: list[float] = []
    result = call_with_retries(
        script,
        write=write,
        policy=RetryPolicy(tuple(delays), sleeps.append),
        kinds=KINDS,
        reload_credentials=reload,
        what="Test call",
    )
    return result, sleeps


def test_reads_are_retried_after_transient_failures_with_the_policy_s_backoff() -> None:
    script = Script(Transient(), Transient(), "ok")
    assert _call(script, write=False) == ("ok", [1.0, 2.0])


def test_reads_give_up_when_the_delays_run_out() -> None:
    script = Script(Transient(), Transient(), Transient(), Transient())
    with pytest.raises(Transient):
        _call(script, write=False)
    assert script.attempts == 4


def test_permanent_failures_are_not_retried() -> None:
    script = Script(Permanent("bad data"), "never")
    with pytest.raises(Permanent):
        _call(script, write=False)
    assert script.attempts == 1


def test_a_write_that_may_have_arrived_is_never_retried() -> None:
    script = Script(Transient(never_sent=False), "twice?")
    with pytest.raises(Transient):
        _call(script, write=True)
    assert script.attempts == 1


def test_a_write_that_provably_never_left_is_retried() -> None:
    script = Script(Transient(never_sent=True), "ok")
    assert _call(script, write=True) == ("ok", [1.0])


def test_an_authentication_failure_re_reads_the_credentials_once_without_using_a_retry() -> None:
    reloads: list[str] = []
    script = Script(Refused("key refused"), Transient(), "ok")
    result, sleeps = _call(script, write=False, reload=lambda: reloads.append("again"), delays=(0.5,))
    assert (result, sleeps, reloads) == ("ok", [0.5], ["again"])
    # A refused write was not applied: trying it again with the re-read key is safe.
    write = Script(Refused("key refused"), "ok")
    assert _call(write, write=True, reload=lambda: reloads.append("again"), delays=()) == ("ok", [])


def test_a_second_authentication_failure_is_final() -> None:
    reloads: list[str] = []
    script = Script(Refused("key refused"), Refused("still refused"), "never")
    with pytest.raises(Refused, match="still refused"):
        _call(script, write=False, reload=lambda: reloads.append("again"))
    assert reloads == ["again"]
    assert script.attempts == 2


def test_without_a_reloader_an_authentication_failure_is_final() -> None:
    script = Script(Refused("key refused"), "never")
    with pytest.raises(Refused):
        _call(script, write=False)
    assert script.attempts == 1


def test_only_connections_never_made_count_as_never_sent() -> None:
    refused = requests.ConnectionError(MaxRetryError(None, "/", NewConnectionError(None, "refused")))  # type: ignore[arg-type]
    assert connection_never_made(refused)
    assert connection_never_made(requests.ConnectTimeout())
    assert not connection_never_made(requests.ConnectionError("Connection aborted: RemoteDisconnected"))
    assert not connection_never_made(requests.ReadTimeout())
    assert not connection_never_made(requests.exceptions.ChunkedEncodingError())


def test_exponential_policy() -> None:
    assert RetryPolicy.exponential(4, 2.0).delays == (2.0, 4.0, 8.0)
    assert RetryPolicy.exponential(1, 2.0).delays == ()
