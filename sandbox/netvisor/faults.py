"""Fault injection, set per test: latency, HTTP 5xx, dropped connections, malformed bodies, errors.

``Fault(kind=..., resource=..., nth=...)`` applies to requests for ``resource`` (any when None); with
``nth`` only to the nth matching request after it was added, otherwise to every one (``times`` caps
how many). Kinds:

- ``latency``: wait ``seconds`` before answering (the request stays in flight; a long one is a hang);
- ``http_5xx``: answer ``status`` (default 503) with a non-Netvisor HTML body, without applying;
- ``drop``: apply the request, then close the connection without answering (the timeout case);
- ``malformed``: answer a FAILED body that is not well-formed XML (raw ``&`` in the text);
- ``error``: answer the FAILED envelope with ``code`` and ``text``, without applying;
- ``maintenance``: the same with SYSTEM_MAINTENANCE (``code`` may pick the SYSTEM_MAINTANANCE spelling).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["latency", "http_5xx", "drop", "malformed", "error", "maintenance"]


@dataclass
class Fault:
    kind: FaultKind
    resource: str | None = None
    nth: int | None = None
    times: int | None = None
    seconds: float = 0.0
    status: int = 503
    code: str = ""
    text: str = ""
    seen: int = field(default=0, compare=False)
    fired: int = field(default=0, compare=False)

    def matches(self, resource: str) -> bool:
        """Count the request and say whether the fault fires for it."""
        if self.resource is not None and self.resource.lower() != resource:
            return False
        self.seen += 1
        if self.nth is not None and self.seen != self.nth:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        self.fired += 1
        return True


class FaultSet:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def firing(self, resource: str) -> list[Fault]:
        with self._lock:
            return [fault for fault in self._faults if fault.matches(resource)]

    def __len__(self) -> int:
        return len(self._faults)
