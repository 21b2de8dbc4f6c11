"""Fault injection rules: what the simulator does instead of (or before) answering a call."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

Kind = Literal["latency", "http500", "drop", "drop_after", "malformed", "fault"]

#: Short names accepted for ``fault_type`` (the ``…Exception`` suffix is optional).
FAULT_TYPES = (
    "AuthenticationFailureException",
    "NoPermissionException",
    "NotFoundException",
    "ValidationException",
    "GeneralFailureException",
    "QuotaLimitExceededException",
    "TosNotApprovedException",
)

DEFAULT_TEXTS = {
    "AuthenticationFailureException": "Access denied",
    "NoPermissionException": "User does not have permission to perform the action",
    "NotFoundException": "Not found",
    "ValidationException": "Validation failed",
    "GeneralFailureException": "General failure",
    "QuotaLimitExceededException": "Quota limit",
    "TosNotApprovedException": "Terms of service not approved",
}


def fault_type_name(name: str) -> str:
    full = name if name.endswith("Exception") else name + "Exception"
    if full not in FAULT_TYPES:
        raise ValueError(f"unknown Severa fault type {name!r}; one of {', '.join(FAULT_TYPES)}")
    return full


@dataclass
class Injection:
    kind: Kind
    operation: str | None = None
    #: Fire from the Nth matching call on (1-based); None = from the next one.
    nth_call: int | None = None
    #: How many times it fires; None = every time.
    times: int | None = 1
    seconds: float = 0.0
    fault_type: str = ""
    text: str = ""
    seen: int = 0
    fired: int = 0

    def matches(self, operation: str) -> bool:
        """Count this call and say whether the rule fires on it."""
        if self.operation is not None and self.operation != operation:
            return False
        self.seen += 1
        if self.nth_call is not None and self.seen < self.nth_call:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        self.fired += 1
        return True


class Injections:
    """The active rules, thread-safe (the server answers on several threads)."""

    def __init__(self) -> None:
        self._rules: list[Injection] = []
        self._lock = threading.Lock()

    def add(self, rule: Injection) -> Injection:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def firing(self, operation: str) -> list[Injection]:
        with self._lock:
            return [rule for rule in self._rules if rule.matches(operation)]
