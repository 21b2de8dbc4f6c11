"""The ledger as a transfer run sees it (``RunLedger``): the engine's one ``StateStore``.

Reads go to DynamoDB; a transfer's side entries are written there too, except in a dry run, where
they become plan entries and nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from severa_netvisor.dryrun import PlannedRequest, WritePlanner
from severa_netvisor.state import LedgerEntry, SourceRef, StateStore


class EngineLedger:
    def __init__(self, state: StateStore, *, run_id: str, planner: WritePlanner | None):
        self._state = state
        self._run_id = run_id
        self._planner = planner

    def get(self, refs: Iterable[SourceRef]) -> Mapping[SourceRef, LedgerEntry]:
        return self._state.get_ledger(refs)

    def targets_of(self, system: str, record_type: str) -> Mapping[str, str]:
        return self._state.targets_of(system, record_type)

    def entries_of(self, system: str, record_type: str, *, from_id: str = "") -> Sequence[LedgerEntry]:
        return self._state.entries_of(system, record_type, from_id=from_id)

    def note(self, ref: SourceRef, *, target_key: str, summary: Mapping[str, str], open_: bool) -> None:
        if self._planner is not None:
            what = "waiting" if open_ else "done"
            details = ", ".join(f"{k}: {v}" for k, v in sorted(summary.items()))
            self._planner.record(PlannedRequest("integration", f"note {ref.type} as {what}", details))
            return
        self._state.put_side(ref, target_key=target_key, summary=summary, open_=open_, run_id=self._run_id)
