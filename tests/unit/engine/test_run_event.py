"""Parsing what the EventBridge Scheduler (or an operator) sends to a transfer function."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from severa_netvisor.handler import InvalidEventError, RunEvent, parse_event, run_request

HELSINKI = ZoneInfo("Europe/Helsinki")


def test_an_empty_event_is_a_normal_run() -> None:
    events: list[object] = [None, {}, "", "{}"]
    for event in events:
        assert parse_event(event) == RunEvent()


def test_the_schedulers_context_fields_and_options() -> None:
    event = parse_event(
        {
            "scheduled_time": "2026-03-01T06:00:00Z",
            "execution_id": "a1b2-c3",
            "attempt_number": "1",
            "dry_run": True,
            "since": "2026-02-01T08:30:00+02:00",
        }
    )
    assert event.scheduled_time == datetime(2026, 3, 1, 6, tzinfo=UTC)
    assert (event.execution_id, event.attempt_number, event.dry_run) == ("a1b2-c3", 1, True)
    assert event.since == datetime(2026, 2, 1, 6, 30, tzinfo=UTC)


def test_a_date_alone_means_midnight_in_finland() -> None:
    event = parse_event({"since": "2026-01-01"})
    assert event.since == datetime(2026, 1, 1, tzinfo=HELSINKI)
    naive = parse_event({"since": "2026-06-01T12:00:00"})
    assert naive.since is not None
    assert naive.since.utcoffset() is not None


def test_camel_case_names_and_a_wrapped_input_are_accepted() -> None:
    event = parse_event({"Input": '{"dryRun": true, "fullResync": true, "ExecutionId": "x"}'})
    assert (event.dry_run, event.full_resync, event.execution_id) == (True, True, "x")


def test_unfilled_scheduler_placeholders_are_ignored() -> None:
    event = parse_event(
        {"scheduled_time": "<aws.scheduler.scheduled-time>", "execution_id": "<aws.scheduler.execution-id>"}
    )
    assert event.scheduled_time is None
    assert event.execution_id is None


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"dryrun": True}, "'dryrun' is not a known option"),
        ({"since": "last tuesday"}, "'since'"),
        ({"dry_run": "perhaps"}, "'dry_run' input should be a valid boolean"),
        ({"execution_id": "x" * 201}, "'execution_id' string should have at most 200 characters"),
        ({"since": "2026-01-01", "full_resync": True}, "either 'since' or 'full_resync'"),
        ("{not json", "the event is not JSON"),
        ([1, 2], "must be a JSON object"),
    ],
)
def test_bad_events_fail_with_a_message_naming_the_field(event: object, expected: str) -> None:
    with pytest.raises(InvalidEventError) as raised:
        parse_event(event)
    assert expected in raised.value.message
    assert "value error" not in raised.value.message.lower()


def test_the_run_id_is_the_invocations_request_id() -> None:
    class Context:
        aws_request_id = "req-123"

    request = run_request(parse_event({"dry_run": True}), Context())  # type: ignore[arg-type]
    assert (request.run_id, request.dry_run) == ("req-123", True)
    assert run_request(RunEvent(), None).run_id  # a generated id without a context
