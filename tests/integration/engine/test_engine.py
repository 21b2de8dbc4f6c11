"""The engine end to end: in-memory doubles of Severa and Netvisor, real DynamoDB and SQS (moto)."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from severa_netvisor.failures import FailureQueue
from severa_netvisor.observability import metrics
from severa_netvisor.register import FailureRegister
from severa_netvisor.state import LedgerStatus, StateError

from sandbox.aws import LocalAws
from tests.integration.engine.doubles import T0, FakeContext, MemoryTarget, Rig, make_rig, seed
from tests.integration.rig import table_items


@pytest.fixture
def rig(local_aws: LocalAws) -> Rig:
    return make_rig(local_aws, writes_back=True)


def test_first_run_transfers_everything_and_a_second_run_writes_nothing(rig: Rig) -> None:
    ids = seed(rig.source, 8)
    first = rig.run()
    assert (first.fetched, first.created, first.failed, first.stopped_early) == (8, 8, 0, None)
    assert all(rig.target.creates[f"N-{i}"] == 1 for i in ids)
    assert all(rig.source.writebacks[i] == 1 for i in ids)
    assert first.cursor_after is not None
    assert first.cursor_after.record_id == ids[-1]
    entries = rig.ledger(*ids)
    assert {e.status for e in entries.values()} == {LedgerStatus.DONE}
    assert not any(e.writeback_pending for e in entries.values())

    second = rig.run()
    assert second.created == second.updated == second.written_back == 0
    assert second.unchanged == second.fetched  # only the overlap window is re-read
    assert sum(rig.target.creates.values()) == 8
    assert not rig.target.updates
    assert rig.messages() == []


def test_a_bad_record_lands_in_the_queue_while_the_rest_go_through(rig: Rig) -> None:
    ids = seed(rig.source, 6)
    rig.source.change("r002", at=rig.source.records["r002"]["changed_at"], amount="12,50", api_key="s3cr3t")
    rig.target.reject["N-r004"] = "<Status>FAILED</Status><Error>Customer 'X' not found</Error>"
    summary = rig.run()
    assert (summary.created, summary.failed) == (4, 2)
    assert summary.failures_by_reason == {"ValidationFailed": 1, "TargetRejected": 1}
    assert summary.cursor_after is not None
    assert summary.cursor_after.record_id == ids[-1]
    messages = {m["source"]["id"]: m for m in rig.messages()}
    assert set(messages) == {"r002", "r004"}
    bad = messages["r002"]
    assert bad["step"] == "prepare"
    assert bad["error_class"] == "ValidationFailed"
    assert "field 'amount'" in bad["message"]
    assert "r002" in bad["message"]
    assert bad["record"]["amount"] == "12,50"
    assert bad["record"]["api_key"] == "[redacted]"
    assert "s3cr3t" not in json.dumps(bad)
    assert (bad["retryable"], bad["attempt"], bad["transfer"], bad["run_id"]) == (
        False,
        1,
        rig.transfer.name,
        summary.run_id,
    )
    rejected = messages["r004"]
    assert rejected["step"] == "write"
    assert rejected["remote_text"] == "<Status>FAILED</Status><Error>Customer 'X' not found</Error>"
    assert [note[0] for note in sorted(rig.source.failure_notes)] == ["r002", "r004"]


def test_a_changed_record_is_updated_when_updates_are_allowed(local_aws: LocalAws) -> None:
    rig = make_rig(local_aws, allows_update=True)
    seed(rig.source, 4)
    rig.run()
    rig.source.change("r001", at=T0 + timedelta(hours=1), amount=555)
    summary = rig.run()
    assert (summary.created, summary.updated) == (0, 1)
    assert rig.target.creates["N-r001"] == 1
    assert rig.target.updates["N-r001"] == 1
    key = rig.ledger("r001")["r001"].target_key
    assert key is not None
    assert rig.target.records[key]["amount"] == 555


def test_a_changed_record_is_never_created_twice_nor_overwritten_without_updates(rig: Rig) -> None:
    seed(rig.source, 4)
    rig.run()
    rig.source.change("r001", at=T0 + timedelta(hours=1), amount=999)
    summary = rig.run()
    assert (summary.created, summary.updated, summary.failed) == (0, 0, 1)
    assert rig.target.creates["N-r001"] == 1
    assert not rig.target.updates
    [drift] = rig.messages()
    assert drift["step"] == "drift"
    assert drift["error_class"] == "DriftDetected"
    assert "amount: 101 -> 999" in drift["message"]
    assert drift["target_key"]


def test_a_lost_create_response_is_looked_up_and_adopted_not_created_again(rig: Rig) -> None:
    seed(rig.source, 4)
    rig.target.lose_response.add("N-r002")
    first = rig.run()
    assert first.failures_by_reason == {"ResponseLost": 1}
    [lost] = rig.messages()
    assert (lost["step"], lost["retryable"]) == ("write", True)
    assert rig.ledger("r002")["r002"].status is LedgerStatus.PENDING
    # The failed-records replay (or any re-read) takes the record again.
    second = rig.run(full_resync=True)
    assert (second.created, second.adopted) == (0, 1)
    assert rig.target.creates["N-r002"] == 1
    assert rig.target.lookups == 1
    entry = rig.ledger("r002")["r002"]
    assert entry.status is LedgerStatus.DONE
    assert entry.target_key in rig.target.records
    assert rig.source.writebacks["r002"] == 1


def test_a_lost_create_then_a_source_change_is_adopted_and_reported_as_drift(rig: Rig) -> None:
    seed(rig.source, 3)
    rig.target.lose_response.add("N-r001")
    rig.run()
    rig.messages()
    rig.source.change("r001", at=T0 + timedelta(hours=1), amount=4242)
    summary = rig.run()
    assert summary.adopted == 1
    assert summary.created == 0
    assert rig.target.creates["N-r001"] == 1
    assert not rig.target.updates
    [drift] = rig.messages()
    assert drift["error_class"] == "DriftDetected"
    assert "amount: 101 -> 4242" in drift["message"]
    entry = rig.ledger("r001")["r001"]
    # The ledger holds what the target really has: the content of the lost create.
    assert entry.status is LedgerStatus.DONE
    assert entry.summary["amount"] == "101"


def test_records_matched_by_natural_key_are_adopted(local_aws: LocalAws) -> None:
    rig = make_rig(local_aws, matches_existing=True)
    seed(rig.source, 3)
    rig.target.records["77"] = {"number": "N-r001", "amount": 101, "name": ""}
    summary = rig.run()
    assert (summary.created, summary.adopted) == (2, 1)
    assert rig.target.creates["N-r001"] == 0
    assert rig.ledger("r001")["r001"].target_key == "77"


def test_a_queue_outage_loses_nothing_the_register_holds_the_failure_and_the_next_run_announces_it(
    rig: Rig,
) -> None:
    ids = seed(rig.source, 6)
    rig.source.change("r003", at=rig.source.records["r003"]["changed_at"], amount=None)
    broken = FailureQueue(rig.queue_url + "-does-not-exist")
    summary = rig.run(engine=rig.engine(failure_queue=broken))
    assert summary.created == 5
    assert summary.failures_not_queued == 1
    # The failure is in the register: the record is settled and the cursor passes it.
    assert summary.unsettled == 0
    assert rig.cursor_id() == ids[-1]
    [open_failure] = rig.open_failures()
    assert (open_failure.ref.id, open_failure.notified) == ("r003", False)
    assert rig.messages() == []
    # With the queue back, the next run announces it once; nothing is created twice.
    again = rig.run()
    assert again.created == 0
    assert [m["source"]["id"] for m in rig.messages()] == ["r003"]
    assert rig.open_failures()[0].notified
    third = rig.run()
    assert third.failures_not_queued == 0
    assert rig.messages() == []
    assert all(count == 1 for count in rig.target.creates.values())


class _RegisterDown(FailureRegister):
    """The register (DynamoDB) refuses to record one record's failure."""

    def __init__(self, real: FailureRegister, refuse_record: str):
        super().__init__(real.table_name, client=real._client)
        self.refuse_record = refuse_record

    def record(self, failure: Any, *, previous: Any) -> Any:
        if failure.ref.id == self.refuse_record:
            raise StateError("Could not record the failure", remote_text="ProvisionedThroughputExceededException")
        return super().record(failure, previous=previous)


def test_a_failure_the_register_cannot_record_stays_ahead_of_the_cursor_and_is_recorded_next_run(rig: Rig) -> None:
    ids = seed(rig.source, 6)
    rig.source.change("r003", at=rig.source.records["r003"]["changed_at"], amount=None)
    engine = rig.engine()
    engine.register = _RegisterDown(engine.register, "r003")
    summary = rig.run(engine=engine)
    assert summary.failures_not_recorded == 1
    assert summary.unsettled == 1
    assert rig.cursor_id() == "r002"
    assert rig.open_failures() == []
    again = rig.run()
    assert again.failures_new == 1
    assert [f.ref.id for f in rig.open_failures()] == ["r003"]
    assert [m["source"]["id"] for m in rig.messages()] == ["r003"]
    assert rig.cursor_id() == ids[-1]


class _PartlyFailingSqs:
    """Real SQS (moto) behind a wrapper that makes SQS refuse one entry of a batch, as SQS may."""

    def __init__(self, real: Any, refuse_record: str):
        self.real, self.refuse_record = real, refuse_record

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's names
        refused = [e for e in Entries if json.loads(e["MessageBody"])["source"]["id"] == self.refuse_record]
        kept = [e for e in Entries if e not in refused]
        response = self.real.send_message_batch(QueueUrl=QueueUrl, Entries=kept) if kept else {"Successful": []}
        failed = [
            {"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "try later"} for e in refused
        ]
        return {"Successful": response.get("Successful", []), "Failed": failed}


def test_a_partial_batch_failure_announces_the_refused_one_on_the_next_run(rig: Rig, local_aws: LocalAws) -> None:
    seed(rig.source, 6)
    for record_id in ("r001", "r004"):
        rig.source.change(record_id, at=rig.source.records[record_id]["changed_at"], amount="bad")
    queue = FailureQueue(rig.queue_url, client=_PartlyFailingSqs(local_aws.client("sqs"), "r004"))  # type: ignore[arg-type]
    summary = rig.run(engine=rig.engine(failure_queue=queue))
    assert summary.failures_not_queued == 1
    assert [m["source"]["id"] for m in rig.messages()] == ["r001"]
    assert {f.ref.id: f.notified for f in rig.open_failures()} == {"r001": True, "r004": False}
    rig.run()
    assert [m["source"]["id"] for m in rig.messages()] == ["r004"]


def test_out_of_time_the_run_checkpoints_and_the_next_run_finishes(rig: Rig) -> None:
    ids = seed(rig.source, 10)
    rig.source.page_size = 2
    writes = rig.target.creates
    # Plenty of time until four records are written, then less than the margin.
    context = FakeContext(remaining=lambda: 600.0 if sum(writes.values()) < 4 else rig.margin_seconds - 1)
    first = rig.run(context=context)
    assert first.stopped_early is not None
    assert first.stopped_early.startswith("time budget")
    assert 4 <= first.created < 10
    assert first.cursor_after is not None
    assert rig.cursor() == first.cursor_after
    assert first.cursor_after.record_id == ids[first.created - 1]  # the settled prefix, no further
    assert rig.state.lease_holder(rig.transfer.name) is None  # released for the next run
    second = rig.run(context=FakeContext())
    assert second.stopped_early is None
    assert all(rig.target.creates[f"N-{i}"] == 1 for i in ids)
    assert rig.cursor_id() == ids[-1]


def test_a_stop_the_run_error_checkpoints_before_the_record_and_reports_no_failure(rig: Rig) -> None:
    ids = seed(rig.source, 6)
    rig.source.change("r003", at=rig.source.records["r003"]["changed_at"], quota_exhausted=True)
    first = rig.run()
    assert first.stopped_early is not None
    assert "quota exhausted" in first.stopped_early
    assert first.failed == 0
    assert rig.messages() == []
    assert rig.cursor_id() == "r002"
    assert "r004" not in rig.transfer.prepared  # nothing taken after the stop
    rig.source.change("r003", at=rig.source.records["r003"]["changed_at"], quota_exhausted=False)
    second = rig.run()
    assert second.stopped_early is None
    assert all(rig.target.creates[f"N-{i}"] == 1 for i in ids)


def test_a_source_read_failure_ends_the_run_with_the_reason(rig: Rig) -> None:
    seed(rig.source, 9)
    from tests.integration.engine.doubles import QuotaExhausted

    rig.source.fail_after_pages = (2, QuotaExhausted("Severa quota exhausted", remote_text="429 Too Many Requests"))
    summary = rig.run()
    assert summary.stopped_early == "Severa quota exhausted"
    assert summary.stopped_by_error == "QuotaExhausted"
    assert summary.created == 6
    assert rig.cursor_id() == "r005"


def test_a_dry_run_reports_the_plan_and_writes_nothing_anywhere(rig: Rig, local_aws: LocalAws) -> None:
    seed(rig.source, 5)
    rig.source.records["r004"]["status"] = "draft"
    rig.run()  # a real run first, so the dry run has a ledger and a cursor to read
    rig.source.change("r001", at=T0 + timedelta(hours=2), amount=7)
    rig.source.change("r002", at=T0 + timedelta(hours=2), amount="seven")
    rig.source.add("r100", at=T0 + timedelta(hours=3), number="N-r100", amount=3, name="new")
    rig.source.records["r004"]["status"] = "ready"
    before_table = table_items(local_aws, local_aws.table_name())
    before_target = json.dumps(rig.target.records, sort_keys=True)
    before_writebacks = dict(rig.source.writebacks)

    summary = rig.run(dry_run=True, full_resync=True)

    assert table_items(local_aws, local_aws.table_name()) == before_table
    assert rig.messages() == []
    assert json.dumps(rig.target.records, sort_keys=True) == before_target
    assert dict(rig.source.writebacks) == before_writebacks
    assert not rig.source.failure_notes
    plan = {item.source_id: item for item in summary.plan}
    assert plan["r100"].action == "create"
    create, write_back = plan["r100"].requests
    assert (create.system, create.operation) == ("target", "create")
    assert json.loads(create.body)["number"] == "N-r100"
    assert (write_back.system, write_back.operation) == ("source", "write back")
    assert plan["r004"].action == "create"
    assert plan["r000"].action == "skip"
    assert plan["r003"].action == "skip"
    assert plan["r001"].action == "fail"
    assert "changed after it was transferred" in (plan["r001"].reason or "")
    assert plan["r002"].action == "fail"
    assert "field 'amount'" in (plan["r002"].reason or "")
    assert (summary.created, summary.failed, summary.dry_run) == (2, 2, True)


def test_a_dry_run_takes_no_lease_and_runs_while_a_real_run_holds_it(rig: Rig) -> None:
    seed(rig.source, 2)
    assert rig.state.acquire_lease(rig.transfer.name, "someone-else", 600) is not None
    dry = rig.run(dry_run=True)
    assert not dry.lease_busy
    assert [item.action for item in dry.plan] == ["create", "create"]
    real = rig.run()
    assert real.lease_busy
    assert real.stopped_early == "another run of this transfer is still going"
    assert real.fetched == 0
    assert rig.target.creates == {}


def test_a_run_of_another_transfer_holding_netvisor_keeps_this_one_out(rig: Rig) -> None:
    """Netvisor refuses overlapping requests to one company, so different transfers never overlap."""
    seed(rig.source, 2)
    shared = rig.options.shared_lease
    assert shared
    other = rig.state.acquire_lease(shared, "a-run-of-the-invoices-transfer", 600)
    assert other is not None
    busy = rig.run()
    assert busy.lease_busy
    assert busy.stopped_early == "another transfer is using Netvisor right now"
    assert rig.target.creates == {}
    # The transfer's own lease was given back, so it does not block its next run.
    assert rig.state.lease_holder(rig.transfer.name) is None
    assert rig.state.release_lease(other)
    done = rig.run()
    assert not done.lease_busy
    assert done.created == 2


def test_two_overlapping_runs_give_one_runs_work(rig: Rig) -> None:
    ids = seed(rig.source, 5)
    second_done = threading.Event()
    first_writing = threading.Event()

    def hold_first_write(number: str) -> None:
        first_writing.set()
        second_done.wait(timeout=10)

    rig.target.on_write = hold_first_write
    results: dict[str, Any] = {}
    first = threading.Thread(target=lambda: results.setdefault("first", rig.run()))
    first.start()
    assert first_writing.wait(timeout=10)
    results["second"] = rig.run()  # starts while the first is mid-write
    second_done.set()
    first.join(timeout=30)
    assert results["second"].lease_busy
    assert results["second"].created == 0
    assert results["first"].created == 5
    assert all(rig.target.creates[f"N-{i}"] == 1 for i in ids)


def test_one_writer_at_a_time_while_prepare_runs_ahead(local_aws: LocalAws) -> None:
    prepared_ahead = threading.Event()

    def note_prepare(record_id: str) -> None:
        if record_id == "r005":
            prepared_ahead.set()

    rig = make_rig(local_aws, writes_back=True, on_prepare=note_prepare)
    ids = seed(rig.source, 12)
    observed: list[bool] = []

    def first_write_waits_for_prepare(number: str) -> None:
        if number == "N-r000":
            # Only an engine that prepares while the target is busy gets past this: the writer
            # queue (4 items) holds r001..r004, so r005 is prepared while r000 is being written.
            observed.append(prepared_ahead.wait(timeout=10))

    rig.target.on_write = first_write_waits_for_prepare
    rig.target.latency = 0.002
    summary = rig.run()
    assert observed == [True]
    assert rig.target.overlaps == 0
    assert summary.created == 12
    assert all(rig.target.creates[f"N-{i}"] == 1 for i in ids)


def test_a_failed_write_back_is_reported_and_done_by_the_next_read(rig: Rig) -> None:
    from tests.integration.engine.doubles import ValidationFailed

    seed(rig.source, 3)
    rig.source.writeback_errors["r001"] = ValidationFailed("Severa refused the status", remote_text="Invalid status")
    first = rig.run()
    [message] = rig.messages()
    assert message["step"] == "write-back"
    assert message["target_key"]
    assert message["remote_text"] == "Invalid status"
    entry = rig.ledger("r001")["r001"]
    assert entry.status is LedgerStatus.DONE
    assert entry.writeback_pending
    assert first.created == 3
    del rig.source.writeback_errors["r001"]
    second = rig.run(full_resync=True)
    assert second.written_back == 1
    assert second.created == 0
    assert rig.source.writebacks["r001"] == 1
    assert not rig.ledger("r001")["r001"].writeback_pending


def test_a_failure_re_read_in_the_overlap_window_is_not_reported_again(rig: Rig) -> None:
    seed(rig.source, 3)
    rig.source.change("r002", at=rig.source.records["r002"]["changed_at"], amount="bad")
    rig.run()
    assert len(rig.messages()) == 1
    second = rig.run()  # the overlap window re-reads r002
    assert second.unchanged + second.still_failing == second.fetched
    assert rig.messages() == []
    third = rig.run(full_resync=True)  # an explicit resync retries it
    assert third.failed == 1
    # The same failure again: one open failure with two attempts, and no second message.
    assert rig.messages() == []
    [failure] = rig.open_failures()
    assert (failure.ref.id, failure.attempts) == ("r002", 2)


def test_metrics_per_transfer(rig: Rig) -> None:
    metrics.clear_metrics()
    seed(rig.source, 3)
    rig.source.change("r001", at=rig.source.records["r001"]["changed_at"], amount="bad")
    rig.run()
    emitted: dict[str, Any] = dict(metrics.serialize_metric_set())
    metrics.clear_metrics()
    [directive] = emitted["_aws"]["CloudWatchMetrics"]
    assert ["service", "transfer"] in directive["Dimensions"] or ["transfer", "service"] in directive["Dimensions"]
    assert emitted["transfer"] == rig.transfer.name
    assert (emitted["RecordsFetched"], emitted["RecordsCreated"], emitted["RecordsFailed"]) == ([3.0], [2.0], [1.0])
    assert emitted["LagBehindSource"] == [0.0]
    assert "RunDuration" in emitted


def test_a_cursor_moved_by_another_run_stops_this_one(rig: Rig) -> None:
    seed(rig.source, 6)
    rig.source.page_size = 2
    real_write_cursor = rig.state.write_cursor
    calls: list[int] = []

    def someone_else_moves_it_first(transfer: str, cursor: Any, *, expected_version: int, run_id: str) -> int:
        if not calls:
            real_write_cursor(transfer, cursor, expected_version=expected_version, run_id="intruder")
        calls.append(1)
        return real_write_cursor(transfer, cursor, expected_version=expected_version, run_id=run_id)

    rig.state.write_cursor = someone_else_moves_it_first  # type: ignore[method-assign]
    summary = rig.run()
    assert summary.stopped_early is not None
    assert "moved by another run" in summary.stopped_early
    assert summary.created < 6
    assert len(calls) == 1


def test_the_target_double_detects_overlapping_calls() -> None:
    """So that the zero overlaps asserted above mean something."""
    target = MemoryTarget()
    target._enter()
    caller = threading.Thread(target=target.find, args=("N-1",))
    caller.start()
    deadline = time.monotonic() + 10
    while target.overlaps == 0 and time.monotonic() < deadline:
        time.sleep(0.001)
    target._leave()
    caller.join()
    assert target.overlaps == 1
    assert target.lookups == 1
