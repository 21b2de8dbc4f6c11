"""The failure lifecycle end to end: a failure is recorded once, announced once, replayed (automatically
when it may pass by itself, by hand otherwise) and closed when the record goes through.

In process against both simulators and moto (``tests.integration.rig``); the replay function's
handler is fed the real messages of the failed-records queue, as Lambda's SQS trigger would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from severa_netvisor.engine import EngineOptions
from severa_netvisor.errors import IntegrationError
from severa_netvisor.replay import REPLAY_DELAYS, Replayer, ReplayRequest
from severa_netvisor.transfers.invoices import invoice_ref

from sandbox.aws import LocalAws
from sandbox.netvisor import Fault
from sandbox.severa import build_state
from sandbox.severa.seed import SENT_STATUS
from sandbox.template import REPO_ROOT
from tests.integration.engine.doubles import FakeContext
from tests.integration.rig import World, world
from tests.integration.transfers.invoices import checks


@pytest.fixture
def w(local_aws: LocalAws) -> Iterator[World]:
    state = build_state(61, accounts=3, invoices=12, hour_entries=0)
    with world(local_aws, severa_state=state) as running:
        checks.seed_netvisor(state, running.netvisor.state)
        yield running


def _replayer(w: World) -> Replayer:
    options = EngineOptions(shared_lease=w.options.shared_lease)
    return Replayer(w.settings(), build=lambda name: w.engine(name, options=options))


def _queue_event(w: World, *, receive_count: int | None = None) -> dict[str, Any]:
    """The failed-records queue's waiting messages, as the SQS trigger hands them to the function."""
    sqs = w.aws.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=w.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
    ).get("Messages", [])
    records = []
    for message in messages:
        attributes = dict(message["Attributes"])
        if receive_count is not None:
            attributes["ApproximateReceiveCount"] = str(receive_count)
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-north-1:123456789012:failed",
                "awsRegion": "eu-north-1",
            }
        )
    return {"Records": records}


def test_a_retryable_failure_waits_then_is_replayed_automatically_and_closed(w: World) -> None:
    ready = checks.ready_invoices(w.severa.state)
    # Netvisor answers one invoice's create with a server error (the write did not happen).
    w.netvisor.faults.add(Fault(kind="http_5xx", resource="salesinvoice.nv", nth=2, status=500))
    first = w.run_engine("invoices")
    assert (first.created, first.failed) == (len(ready) - 1, 1)
    [failure] = w.open_failures("invoices")
    assert failure.retryable
    replayer = _replayer(w)

    # First delivery: not replayed at once, but handed back after the first delay.
    event = _queue_event(w)
    assert len(event["Records"]) == 1
    with pytest.raises(Exception, match="replayed again in 300 s"):
        replayer.from_queue(_sqs_record(event), FakeContext())
    assert w.open_failures("invoices")[0].attempts == 1
    assert _queue_event(w)["Records"] == [], "it is invisible for the delay"
    # ... the delay passes:
    w.aws.client("sqs").change_message_visibility(
        QueueUrl=w.queue_url, ReceiptHandle=event["Records"][0]["receiptHandle"], VisibilityTimeout=0
    )

    # Its next delivery replays it through the engine: in Netvisor once, the failure closed.
    event = _queue_event(w, receive_count=2)
    replayer.from_queue(_sqs_record(event), FakeContext())
    assert w.open_failures("invoices") == []
    assert max(checks.numbers_in_netvisor(w.netvisor.state).values()) == 1
    assert len(w.netvisor.state.invoices) == len(ready)
    assert w.severa.state.invoices[failure.ref.id]["InvoiceStatus"] == SENT_STATUS


def test_a_failure_a_person_must_fix_is_left_in_the_register_and_its_message_is_done(w: World) -> None:
    ready = checks.ready_invoices(w.severa.state)
    broken = ready[0]
    reference = broken["ReferenceNumber"]
    broken["ReferenceNumber"] = reference[:-1] + str((int(reference[-1]) + 1) % 10)
    w.run_engine("invoices")
    [failure] = w.open_failures("invoices")
    assert not failure.retryable
    posts = w.netvisor_posts()
    _replayer(w).from_queue(_sqs_record(_queue_event(w, receive_count=2)), FakeContext())
    assert w.netvisor_posts() == posts, "not replayed: nothing changed that could make it pass"
    [still] = w.open_failures("invoices")
    assert still.attempts == failure.attempts


def test_three_runs_over_a_persistent_failure_leave_one_open_failure_and_one_message(w: World) -> None:
    broken = checks.ready_invoices(w.severa.state)[0]
    good = broken["ReferenceNumber"]
    broken["ReferenceNumber"] = "12345"  # wrong check digit
    for _ in range(3):
        w.run_engine("invoices")
    assert [m["source"]["id"] for m in w.messages()] == [broken["GUID"]]
    [failure] = w.open_failures("invoices")
    assert failure.ref == invoice_ref(broken["GUID"])
    assert "reference number" in failure.reason
    assert failure.action
    # Fixed in Severa: the next run sends it and closes the failure.
    broken["ReferenceNumber"] = good
    fixed = w.run_engine("invoices")
    assert (fixed.created, fixed.failures_closed) == (1, 1)
    assert w.open_failures("invoices") == []


def test_a_replay_by_hand_of_a_failure_still_broken_keeps_it_open_with_one_more_attempt(w: World) -> None:
    broken = checks.ready_invoices(w.severa.state)[0]
    good = broken["ReferenceNumber"]
    broken["ReferenceNumber"] = "12345"
    w.run_engine("invoices")
    [failure] = w.open_failures("invoices")
    answer = _replayer(w).by_hand(ReplayRequest(transfer="invoices", ids=[failure.id[:6]]), FakeContext())
    [outcome] = answer["replayed"]
    assert (outcome["id"], outcome["closed"], outcome["attempts"]) == (failure.id, False, failure.attempts + 1)
    assert "reference number" in outcome["reason"]
    assert w.messages()[1:] == [], "the same failure again is not announced again"

    broken["ReferenceNumber"] = good
    answer = _replayer(w).by_hand(ReplayRequest(transfer="invoices", all=True), FakeContext())
    assert [o["closed"] for o in answer["replayed"]] == [True]
    assert w.open_failures("invoices") == []


def test_a_replay_by_hand_names_unknown_ids_in_words(w: World) -> None:
    with pytest.raises(IntegrationError, match="no open failure of the invoices transfer has an id starting 'zz'"):
        _replayer(w).by_hand(ReplayRequest(transfer="invoices", ids=["zz"]), FakeContext())
    with pytest.raises(ValueError, match="is not a transfer"):
        ReplayRequest(transfer="invoice", all=True)


def _sqs_record(event: dict[str, Any]) -> Any:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    [record] = event["Records"]
    return SQSRecord(record)


def test_the_delays_between_automatic_replays_grow_within_what_sqs_allows() -> None:
    assert list(REPLAY_DELAYS) == sorted(set(REPLAY_DELAYS))
    assert REPLAY_DELAYS[-1] <= 12 * 3600  # SQS's longest visibility timeout


def test_the_replay_function_runs_as_lambda_does_from_the_queue_and_by_hand(w: World) -> None:
    """Through the local invoke runner (the real functions/replay/app.py in a child process, with the
    template's environment), with the sample events of events/."""
    sample = json.loads((REPO_ROOT / "events" / "replay_queue.json").read_text("utf-8"))
    from_queue = w.invoke("replay", sample)
    assert from_queue.ok, from_queue.output[-3000:]
    assert from_queue.result == {"batchItemFailures": []}, "a failure no longer open is simply done"

    broken = checks.ready_invoices(w.severa.state)[0]
    good = broken["ReferenceNumber"]
    broken["ReferenceNumber"] = "12345"
    w.run_engine("invoices")
    assert len(w.open_failures("invoices")) == 1
    broken["ReferenceNumber"] = good
    by_hand = w.invoke("replay", json.loads((REPO_ROOT / "events" / "replay.json").read_text("utf-8")))
    assert by_hand.ok, by_hand.output[-3000:]
    [outcome] = by_hand.result["replayed"]
    assert outcome["closed"] is True
    assert w.open_failures("invoices") == []
    assert w.netvisor.state.invoice_by_number(str(broken["Number"])) is not None

    bad = w.invoke("replay", {"transfer": "invoice", "all": True})
    assert bad.error is not None
    assert "'invoice' is not a transfer; the transfers are customers" in bad.error["errorMessage"]
    assert "Value error" not in bad.error["errorMessage"]
