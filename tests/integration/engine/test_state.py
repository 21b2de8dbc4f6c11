"""The state table through moto: leases, cursors and ledger writes with DynamoDB's own conditions."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from severa_netvisor.state import Cursor, LedgerStatus, SourceRef, StateConflict, StateStore

from sandbox.aws import LocalAws


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(local_aws: LocalAws, clock: Clock) -> StateStore:
    return StateStore(local_aws.table_name(), clock=clock)


def _name() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


def test_only_one_of_many_concurrent_runs_gets_the_lease(store: StateStore) -> None:
    transfer = _name()
    winners: list[str] = []
    start = threading.Barrier(6)

    def contend(owner: str) -> None:
        start.wait()
        if store.acquire_lease(transfer, owner, 300) is not None:
            winners.append(owner)

    threads = [threading.Thread(target=contend, args=(f"run-{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    holder = store.lease_holder(transfer)
    assert holder is not None
    assert holder.owner == winners[0]


def test_a_crashed_runs_lease_expires_and_the_next_run_takes_it(store: StateStore, clock: Clock) -> None:
    transfer = _name()
    crashed = store.acquire_lease(transfer, "crashed-run", 120)
    assert crashed is not None
    clock.now += 119
    assert store.acquire_lease(transfer, "next-run", 120) is None
    clock.now += 2
    taken = store.acquire_lease(transfer, "next-run", 120)
    assert taken is not None
    assert taken.owner == "next-run"
    # The crashed run, should it wake up, cannot release what is no longer its lease.
    assert store.release_lease(crashed) is False
    assert store.release_lease(taken) is True
    assert store.lease_holder(transfer) is None


def test_a_released_lease_is_free_at_once(store: StateStore) -> None:
    transfer = _name()
    lease = store.acquire_lease(transfer, "a", 600)
    assert lease is not None
    assert store.release_lease(lease)
    assert store.acquire_lease(transfer, "b", 600) is not None


def test_cursor_write_with_a_stale_version_is_refused(store: StateStore) -> None:
    transfer = _name()
    assert store.read_cursor(transfer).version == 0
    first = Cursor(datetime(2026, 1, 1, tzinfo=UTC), "a")
    version = store.write_cursor(transfer, first, expected_version=0, run_id="r1")
    assert version == 1
    # A second writer that also read version 0 loses.
    with pytest.raises(StateConflict):
        store.write_cursor(transfer, Cursor(first.changed_at, "b"), expected_version=0, run_id="r2")
    second = Cursor(first.changed_at + timedelta(hours=1), "c")
    assert store.write_cursor(transfer, second, expected_version=1, run_id="r1") == 2
    with pytest.raises(StateConflict):
        store.write_cursor(transfer, first, expected_version=1, run_id="r2")
    state = store.read_cursor(transfer)
    assert state.cursor == second
    assert state.version == 2


def test_ledger_pending_then_done_with_version_checks(store: StateStore) -> None:
    ref = SourceRef("severa", _name(), "guid-1")
    pending = store.mark_pending(ref, content_hash="h1", summary={"number": "1"}, expected_version=0, run_id="r")
    assert pending.status is LedgerStatus.PENDING
    assert pending.version == 1
    with pytest.raises(StateConflict):  # a second "first" create marker is refused
        store.mark_pending(ref, content_hash="h1", summary={}, expected_version=0, run_id="other")
    done = store.mark_done(
        ref,
        target_key="K1",
        content_hash="h1",
        summary={"number": "1"},
        writeback_pending=True,
        expected_version=1,
        run_id="r",
    )
    assert (done.status, done.target_key, done.writeback_pending, done.version) == (LedgerStatus.DONE, "K1", True, 2)
    with pytest.raises(StateConflict):
        store.mark_written_back(ref, expected_version=1, run_id="stale")
    written = store.mark_written_back(ref, expected_version=2, run_id="r")
    assert written.writeback_pending is False
    assert written.target_key == "K1"
    assert store.get_ledger([ref])[ref] == written


def test_a_failure_counts_attempts_and_keeps_a_pending_create_pending(store: StateStore) -> None:
    kind = _name()
    fresh, pending = SourceRef("severa", kind, "a"), SourceRef("severa", kind, "b")
    assert store.record_failure(fresh, error_text="prepare: bad", run_id="r").attempts == 1
    again = store.record_failure(fresh, error_text="prepare: still bad", run_id="r")
    assert (again.status, again.attempts, again.last_error) == (LedgerStatus.FAILED, 2, "prepare: still bad")
    store.mark_pending(pending, content_hash="h", summary={}, expected_version=0, run_id="r")
    after = store.record_failure(pending, error_text="write: timeout", run_id="r")
    assert after.status is LedgerStatus.PENDING
    assert after.content_hash == "h"
    assert after.attempts == 1


def test_batch_read_of_more_than_a_hundred_entries(store: StateStore) -> None:
    kind = _name()
    refs = [SourceRef("severa", kind, f"id-{i:03d}") for i in range(230)]
    for ref in refs[::7]:
        store.mark_pending(ref, content_hash=ref.id, summary={}, expected_version=0, run_id="r")
    found = store.get_ledger([*refs, refs[0]])
    assert set(found) == set(refs[::7])
    assert all(entry.content_hash == ref.id for ref, entry in found.items())
