"""The cursor may only pass a contiguous prefix of settled records, whatever order they settle in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from severa_netvisor.engine import SettlementTracker
from severa_netvisor.state import Cursor

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _positions(count: int) -> list[Cursor]:
    return [Cursor(T0 + timedelta(seconds=i // 2), f"id-{i:03d}") for i in range(count)]


def test_nothing_settled_means_no_frontier() -> None:
    tracker = SettlementTracker()
    tracker.register(_positions(1)[0])
    assert tracker.frontier() is None
    assert tracker.unsettled == 1


def test_a_gap_holds_the_frontier_until_it_is_filled() -> None:
    tracker = SettlementTracker()
    positions = _positions(4)
    seqs = [tracker.register(p) for p in positions]
    tracker.settle(seqs[0])
    tracker.settle(seqs[2])
    tracker.settle(seqs[3])
    assert tracker.frontier() == positions[0]
    assert tracker.unsettled == 1
    tracker.settle(seqs[1])
    assert tracker.frontier() == positions[3]
    assert tracker.unsettled == 0


def test_settling_twice_or_unknown_numbers_changes_nothing() -> None:
    tracker = SettlementTracker()
    first = tracker.register(_positions(1)[0])
    tracker.settle(first)
    tracker.settle(first)
    tracker.settle(99)
    assert tracker.frontier() == _positions(1)[0]
    assert tracker.unsettled == 0


@given(st.data(), st.integers(min_value=1, max_value=40))
def test_frontier_is_the_end_of_the_longest_settled_prefix(data: st.DataObject, count: int) -> None:
    tracker = SettlementTracker()
    positions = _positions(count)
    seqs = [tracker.register(p) for p in positions]
    settled = data.draw(st.lists(st.sampled_from(seqs), unique=True))
    for seq in settled:
        tracker.settle(seq)
    prefix = 0
    while prefix < count and seqs[prefix] in settled:
        prefix += 1
    assert tracker.frontier() == (positions[prefix - 1] if prefix else None)
    assert tracker.unsettled == count - len(settled)
