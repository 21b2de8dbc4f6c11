"""What the reliability campaigns share on top of the one rig (``tests.integration.rig``).

- ``Warm``: a transfer's real Lambda handler (``make_handler``), built once and invoked again and
  again in this process, as a warm container does.
- ``refusals``: the requests Netvisor refused because another one to the company was in flight.
- ``wait_for``: poll a condition (another thread's progress) without sleeping blindly.
- ``SOAK``: ``make soak`` is running (``RELIABILITY_SOAK=1``): the sampled tests take every point.
- ``quick_retries``: the clients the handler builds retry as they do in Lambda, without the waits
  between attempts (a campaign injects thousands of faults; the waits would be hours).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from severa_netvisor.credentials import CredentialStore, NetvisorCredentials, SeveraCredentials
from severa_netvisor.engine import EngineOptions
from severa_netvisor.handler import Handler, make_handler
from severa_netvisor.netvisor.client import NetvisorClient
from severa_netvisor.settings import Settings
from severa_netvisor.severa.client import SeveraClient
from severa_netvisor.transfers.context import MappingSource, TransferContext
from severa_netvisor.transfers.registry import build_named

from tests.integration.engine.doubles import FakeContext
from tests.integration.rig import World

#: The lease every run that talks to Netvisor holds, as deployed.
NETVISOR_LEASE = EngineOptions().shared_lease or "netvisor-company"


@dataclass
class Warm:
    """One transfer's handler as a warm Lambda container keeps it: built on the first invocation, then
    reused by every later one (``w.settings(**settings)`` in place of the function's environment)."""

    w: World
    transfer: str
    settings: dict[str, Any] = field(default_factory=dict)
    options: EngineOptions | None = None
    _handler: Handler | None = None

    @property
    def handler(self) -> Handler:
        if self._handler is None:
            self._handler = make_handler(
                lambda context: build_named(self.transfer, context),
                settings=self.w.settings(**self.settings),
                options=self.options,
            )
        return self._handler

    def __call__(
        self, event: dict[str, Any] | None = None, *, remaining: Callable[[], float] | None = None
    ) -> dict[str, Any]:
        context = FakeContext(function_name=self.transfer)
        if remaining is not None:
            context.remaining = remaining
        return self.handler(event or {}, context)  # type: ignore[arg-type]


def refusals(w: World) -> int:
    """Requests Netvisor refused as overlapping another one to the company (TECHNICAL_ERROR)."""
    return w.netvisor.request_log.count(outcome="TECHNICAL_ERROR")


def wait_for(condition: Callable[[], bool], *, timeout: float = 30.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


#: ``make soak`` runs the sampled tests on every point (crash points, stops) instead of a sample.
SOAK = os.environ.get("RELIABILITY_SOAK") == "1"


def _no_wait(_seconds: float) -> None:
    return None


class QuickRetryContext(TransferContext):
    """``TransferContext.from_settings`` as in Lambda, but its clients do not wait between retries."""

    def new_severa(self, credentials: SeveraCredentials, reload: Callable[[], SeveraCredentials]) -> SeveraClient:
        return SeveraClient(credentials, self.settings, credential_reloader=reload, sleep=_no_wait)

    def new_netvisor(
        self, credentials: NetvisorCredentials, reload: Callable[[], NetvisorCredentials]
    ) -> NetvisorClient:
        return NetvisorClient(credentials, self.settings, credential_reloader=reload, sleep=_no_wait)


def _quick(_cls: type[TransferContext], settings: Settings) -> TransferContext:
    return QuickRetryContext(settings=settings, store=CredentialStore(settings), mappings=MappingSource(settings))


@contextmanager
def quick_retries() -> Iterator[None]:
    """Handlers (and the replay function) built inside the block get clients that retry without waiting."""
    with mock.patch.object(TransferContext, "from_settings", classmethod(_quick)):
        yield
