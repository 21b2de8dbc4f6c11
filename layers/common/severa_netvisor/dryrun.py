"""Dry runs: every write a run would make, recorded instead of sent.

Both clients have one place every write goes through (``NetvisorClient._post``, the Severa client's
``_call(write=True)``). A client given a :class:`WritePlanner` records the write there and answers
as the system would (a new Netvisor record gets a placeholder key, a negative number) without
sending anything. The engine attributes each recorded write to the record it was working on, so a
dry run's plan lists, per record, exactly the requests a real run would send, bytes included.

This module knows nothing of the engine or of either system: both sides depend on it, not on each
other.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

#: The record a planned write belongs to (set by the engine around every call into a transfer).
_current_record: contextvars.ContextVar[str | None] = contextvars.ContextVar("planned_record", default=None)


@dataclass(frozen=True)
class PlannedRequest:
    """One write a real run would send."""

    #: "netvisor" or "severa"
    system: str
    #: What it does, in a person's words: "create sales invoice", "set invoice status".
    operation: str
    #: The request as sent: Netvisor's XML (attachments shown by name and size), Severa's parameters.
    body: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"system": self.system, "operation": self.operation, "body": self.body}


class WritePlanner:
    """Collects planned writes per record; thread-safe (the writer and bookkeeping threads record)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_record: dict[str, list[PlannedRequest]] = {}
        self._keys = itertools.count(1)

    @contextmanager
    def attributing(self, record_id: str) -> Iterator[None]:
        """Writes recorded inside this block belong to ``record_id``."""
        token = _current_record.set(record_id)
        try:
            yield
        finally:
            _current_record.reset(token)

    def record(self, request: PlannedRequest) -> None:
        owner = _current_record.get() or ""
        with self._lock:
            self._by_record.setdefault(owner, []).append(request)

    def placeholder_key(self) -> int:
        """The key a planned create answers with: negative, so it can never be mistaken for Netvisor's."""
        with self._lock:
            return -next(self._keys)

    def take(self, record_id: str) -> list[PlannedRequest]:
        """The writes planned for a record so far (and forget them)."""
        with self._lock:
            return self._by_record.pop(record_id, [])


def is_placeholder(key: str | int | None) -> bool:
    """Whether a target key is a dry run's stand-in for a record that would be created."""
    if key is None:
        return False
    text = str(key)
    return text.startswith("-") and text[1:].isdigit()
