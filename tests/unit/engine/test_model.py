"""The transfer-facing types: content hashes, source positions, drift messages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from severa_netvisor.engine import DriftDetected, PlannedWrite, SourceRecord, StopRun, drift_error, stops_run
from severa_netvisor.errors import IntegrationError
from severa_netvisor.state import Cursor, LedgerEntry, LedgerStatus, SourceRef

REF = SourceRef("severa", "invoice", "guid-7")


def _record() -> SourceRecord:
    return SourceRecord(REF, datetime(2026, 3, 1, 12, tzinfo=UTC), {"number": "7"})


def test_the_content_hash_follows_the_request_body() -> None:
    first = PlannedWrite(_record(), payload=None, preview="<invoice>1</invoice>")
    same = PlannedWrite(_record(), payload=object(), preview="<invoice>1</invoice>")
    other = PlannedWrite(_record(), payload=None, preview="<invoice>2</invoice>")
    given = PlannedWrite(_record(), payload=None, preview="<invoice>2</invoice>", content_hash="mine")
    assert first.content_hash == same.content_hash != other.content_hash
    assert len(first.content_hash) == 64
    assert given.content_hash == "mine"


def test_a_record_needs_an_aware_change_time_and_orders_by_it_then_id() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SourceRecord(REF, datetime(2026, 3, 1, 12), {})
    assert _record().position == Cursor(datetime(2026, 3, 1, 12, tzinfo=UTC), "guid-7")
    assert Cursor(datetime(2026, 3, 1, tzinfo=UTC), "b") > Cursor(datetime(2026, 3, 1, tzinfo=UTC), "a")


def test_drift_names_what_changed() -> None:
    entry = LedgerEntry(REF, LedgerStatus.DONE, 3, "NV-12", "h1", {"total": "100.00", "due": "2026-03-31"})
    planned = PlannedWrite(_record(), None, "<x/>", summary={"total": "120.00", "due": "2026-03-31", "ref": "1232"})
    error = drift_error(entry, planned)
    assert isinstance(error, DriftDetected)
    assert not error.retryable
    assert "NV-12" in error.message
    assert "severa/invoice/guid-7" in error.message
    assert "total: 100.00 -> 120.00" in error.message
    assert "ref: (none) -> 1232" in error.message
    assert "due" not in error.message.split("Changed:")[1]


def test_errors_that_stop_the_run() -> None:
    class QuotaExceeded(IntegrationError):
        stops_run = True

    assert stops_run(StopRun("quota"))
    assert stops_run(QuotaExceeded("quota"))
    assert not stops_run(IntegrationError("bad record"))
    assert not stops_run(ValueError("x"))
