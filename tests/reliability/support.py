"""What the reliability campaigns share on top of the one rig (``tests.integration.rig``).

- ``Warm``: a transfer's real Lambda handler (``make_handler``), built once and invoked again and
  again in this process, as a warm container does.
- ``refusals``: the requests Netvisor refused because another one to the company was in flight.
- ``wait_for``: poll a condition (another thread's progress) without sleeping blindly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from severa_netvisor.engine import EngineOptions
from severa_netvisor.handler import Handler, make_handler
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
