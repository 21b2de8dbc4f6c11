"""Where each transfer stands, read from the state table: what ``severa-netvisor status`` shows.

Per transfer: its last run and how it ended, whether a run holds the lease now, the cursor, how far
it may be behind Severa, its open failures and the oldest one, and what waits for something outside
the integration (credit notes whose invoices are not yet sent in Netvisor). The queues and the
alarms are read by the command line itself (they are AWS resources of the stack, not state).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from severa_netvisor.register import FailureRegister
from severa_netvisor.runs import LastRun, RunLog
from severa_netvisor.state import Cursor, Lease, StateStore


@dataclass(frozen=True)
class TransferStatus:
    transfer: str
    last_run: LastRun | None
    #: The run holding the transfer's lease now (None: no run is going).
    running: Lease | None
    cursor: Cursor | None
    #: Seconds since the last run that caught up with Severa began (None: none has yet).
    lag_seconds: float | None
    open_failures: int
    oldest_open_failure: datetime | None
    #: Records the last run left waiting for something outside the integration.
    waiting: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "transfer": self.transfer,
            "last_run": self.last_run.as_dict() if self.last_run else None,
            "running": {"run_id": self.running.owner, "lease_expires_at": self.running.expires_at}
            if self.running
            else None,
            "cursor": self.cursor.as_dict() if self.cursor else None,
            "lag_seconds": self.lag_seconds,
            "open_failures": self.open_failures,
            "oldest_open_failure": self.oldest_open_failure.isoformat() if self.oldest_open_failure else None,
            "waiting": self.waiting,
        }


def read_status(
    state: StateStore, transfers: Sequence[str], *, now: datetime | None = None
) -> list[TransferStatus]:
    """The status of each transfer named, in that order."""
    moment = now or datetime.now(UTC)
    runs = RunLog(state.table_name, state.client)
    register = FailureRegister(state.table_name, client=state.client)
    return [_status_of(name, state, runs, register, moment) for name in transfers]


def _status_of(
    transfer: str, state: StateStore, runs: RunLog, register: FailureRegister, now: datetime
) -> TransferStatus:
    last = runs.last(transfer)
    holder = state.lease_holder(transfer)
    running = holder if holder is not None and holder.expires_at > now.timestamp() else None
    failures = register.failures(transfer)
    seen = [datetime.fromisoformat(f.first_seen) for f in failures if f.first_seen]
    caught_up = last.caught_up_at if last else None
    return TransferStatus(
        transfer=transfer,
        last_run=last,
        running=running,
        cursor=state.read_cursor(transfer).cursor,
        lag_seconds=max(0.0, (now - caught_up).total_seconds()) if caught_up else None,
        open_failures=len(failures),
        oldest_open_failure=min(seen) if seen else None,
        waiting=last.counts.get("waiting", 0) if last else 0,
    )
