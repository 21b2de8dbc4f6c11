"""Which records of a run are settled, and how far the cursor may therefore move.

A record is settled when it succeeded, was skipped, or its failure was accepted by the failed-records
queue. Records settle out of order (the writer and the bookkeeping threads finish at different times),
but the cursor may only pass a contiguous prefix of settled records in source order: otherwise a
crash could leave a record behind the cursor that nobody has handled.
"""

from __future__ import annotations

import threading

from severa_netvisor.state import Cursor


class SettlementTracker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0
        self._prefix = -1  # every record with a sequence number <= this is settled
        self._positions: dict[int, Cursor] = {}
        self._settled: set[int] = set()
        self._frontier: Cursor | None = None

    def register(self, position: Cursor) -> int:
        """Number the next record taken from the source (in source order)."""
        with self._lock:
            seq = self._next
            self._next += 1
            self._positions[seq] = position
            return seq

    def settle(self, seq: int) -> None:
        with self._lock:
            if seq <= self._prefix or seq not in self._positions:
                return
            self._settled.add(seq)
            while self._prefix + 1 in self._settled:
                self._prefix += 1
                self._settled.discard(self._prefix)
                position = self._positions.pop(self._prefix)
                # Sources may repeat a time; never move the frontier backwards.
                if self._frontier is None or position > self._frontier:
                    self._frontier = position

    def frontier(self) -> Cursor | None:
        """The position of the last record of the settled prefix (None when nothing has settled)."""
        with self._lock:
            return self._frontier

    @property
    def unsettled(self) -> int:
        """Records taken but not settled (done records past a gap are settled, not counted)."""
        with self._lock:
            return len(self._positions) - len(self._settled)
