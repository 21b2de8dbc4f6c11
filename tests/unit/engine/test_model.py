"""The transfer-facing types: content hashes, source positions, drift messages, the error taxonomy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from severa_netvisor.engine import DriftDetected, PlannedWrite, SourceRecord, content_hash, drift_error, stops_run
from severa_netvisor.errors import ConfigurationError, IntegrationError
from severa_netvisor.netvisor.errors import (
    NetvisorAuthenticationError,
    NetvisorConnectionError,
    NetvisorInvalidDataError,
    NetvisorMaintenanceError,
    NetvisorServerError,
    NetvisorServiceAccessError,
    NetvisorTimeoutError,
)
from severa_netvisor.severa.errors import SeveraAuthenticationError, SeveraGeneralFailureError, SeveraQuotaExceededError
from severa_netvisor.state import Cursor, LedgerEntry, LedgerStatus, SourceRef

REF = SourceRef("severa", "invoice", "guid-7")


def _record() -> SourceRecord:
    return SourceRecord(REF, datetime(2026, 3, 1, 12, tzinfo=UTC), {"number": "7"}, label="invoice 7")


def test_the_content_hash_follows_the_body_unless_the_transfer_gives_one() -> None:
    first = PlannedWrite(_record(), payload=None, body=b"<invoice>1</invoice>")
    same = PlannedWrite(_record(), payload=object(), body=b"<invoice>1</invoice>")
    other = PlannedWrite(_record(), payload=None, body=b"<invoice>2</invoice>")
    given = PlannedWrite(_record(), payload=None, content_hash="mine")
    assert first.content_hash == same.content_hash != other.content_hash
    assert len(first.content_hash) == 64
    assert given.content_hash == "mine"
    assert content_hash("a", "b") != content_hash("ab")  # parts are kept apart
    with pytest.raises(ValueError, match="content hash or a body"):
        PlannedWrite(_record(), payload=None)


def test_a_record_needs_an_aware_change_time_and_orders_by_it_then_id() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        SourceRecord(REF, datetime(2026, 3, 1, 12), {})
    assert _record().position == Cursor(datetime(2026, 3, 1, 12, tzinfo=UTC), "guid-7")
    assert Cursor(datetime(2026, 3, 1, tzinfo=UTC), "b") > Cursor(datetime(2026, 3, 1, tzinfo=UTC), "a")


def test_a_record_is_named_as_people_know_it_and_fingerprinted_by_its_data() -> None:
    assert _record().name == "invoice 7"
    assert SourceRecord(REF, datetime(2026, 3, 1, tzinfo=UTC), {}).name == "invoice guid-7"
    changed = SourceRecord(REF, datetime(2026, 3, 1, 12, tzinfo=UTC), {"number": "8"})
    assert _record().fingerprint == _record().fingerprint != changed.fingerprint


def test_drift_names_what_changed() -> None:
    entry = LedgerEntry(REF, LedgerStatus.DONE, 3, "NV-12", "h1", {"total": "100.00", "due": "2026-03-31"})
    planned = PlannedWrite(_record(), None, {"total": "120.00", "due": "2026-03-31", "ref": "1232"}, "h2")
    error = drift_error(entry, planned)
    assert isinstance(error, DriftDetected)
    assert not error.retryable
    assert error.for_author
    assert "NV-12" in error.message
    assert "invoice 7" in error.message
    assert "total: 100.00 -> 120.00" in error.message
    assert "ref: (none) -> 1232" in error.message
    assert "due" not in error.message.split("Changed:")[1]


@pytest.mark.parametrize(
    ("error", "stops", "transient", "unknown", "for_author"),
    [
        (NetvisorAuthenticationError("refused"), True, False, False, False),
        (NetvisorServiceAccessError("not enabled"), True, False, False, False),
        (NetvisorMaintenanceError("maintenance"), True, False, False, False),
        (NetvisorConnectionError("DNS", may_have_arrived=False, write=True), True, False, False, False),
        (NetvisorConnectionError("cut", may_have_arrived=True, write=True), False, True, True, False),
        (NetvisorConnectionError("cut", may_have_arrived=True, write=False), False, True, False, False),
        (NetvisorTimeoutError("slow", may_have_arrived=True, write=True), False, True, True, False),
        (NetvisorServerError("502"), False, True, False, False),
        (NetvisorInvalidDataError("bad field"), False, False, False, True),
        (SeveraAuthenticationError("key"), True, False, False, False),
        (SeveraQuotaExceededError("quota", quota=100, used_quota=100), True, False, False, False),
        (SeveraGeneralFailureError("blip"), False, True, False, False),
        (ConfigurationError("mapping"), True, False, False, False),
        (IntegrationError("a record"), False, False, False, False),
    ],
)
def test_every_error_declares_what_the_engine_does_with_it(
    error: IntegrationError, stops: bool, transient: bool, unknown: bool, for_author: bool
) -> None:
    assert (error.stops_run, error.transient, error.outcome_unknown, error.for_author) == (
        stops,
        transient,
        unknown,
        for_author,
    )
    assert stops_run(error) is stops
    assert error.action  # every error says what a person should do
    assert not stops_run(ValueError("x"))
