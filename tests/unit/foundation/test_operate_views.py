"""The wording of status, of the failures and of a replay: times in Finnish, amounts of time in words,
records as people know them, no class names or internal states."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from severa_netvisor.cli.credit_waiting import CreditNoteWaiting
from severa_netvisor.cli.failure_view import list_text, replays, show_text, step_words
from severa_netvisor.cli.health import AlarmState, QueueDepth
from severa_netvisor.cli.present import replay_report
from severa_netvisor.cli.status_view import NO_ALARMS_ON_SANDBOX, SANDBOX_QUEUE, status_view
from severa_netvisor.cli.words import span
from severa_netvisor.register import Failure
from severa_netvisor.runs import LastRun
from severa_netvisor.state import Cursor, Lease, SourceRef
from severa_netvisor.status import TransferStatus
from severa_netvisor.timezone import finnish_time

NOW = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)
INTERNAL = re.compile(r"[A-Z][a-z]+[A-Z]\w*Error|adopted|written_back|still_failing|failures_closed")
DELAYS = (300, 900, 3600, 3 * 3600, 9 * 3600)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(5, "under a minute"), (60, "1 minute"), (3900, "1 hour 5 minutes"), (86400 + 7200 + 300, "1 day 2 hours"),
     (2 * 86400 + 59, "2 days"), (3600, "1 hour")],
)  # fmt: skip
def test_amounts_of_time_in_words(seconds: float, words: str) -> None:
    assert span(seconds) == words


def test_times_are_finnish_office_time() -> None:
    assert finnish_time(datetime(2026, 7, 1, 21, 30, tzinfo=UTC)) == "2.7.2026 00:30"  # summer: UTC+3
    assert finnish_time(datetime(2026, 1, 1, 21, 30, tzinfo=UTC)) == "1.1.2026 23:30"  # winter: UTC+2


def _status(transfer: str, **changes: object) -> TransferStatus:
    fields: dict[str, object] = {"transfer": transfer, "last_run": None, "running": None, "cursor": None,
                                 "lag_seconds": None, "open_failures": 0, "oldest_open_failure": None, "waiting": 0}
    fields.update(changes)
    return TransferStatus(**fields)  # type: ignore[arg-type]


def _last(transfer: str, outcome: str = "ok", **changes: object) -> LastRun:
    fields: dict[str, object] = {"transfer": transfer, "run_id": "r", "started_at": NOW - timedelta(hours=2),
                                 "duration_seconds": 75.0, "outcome": outcome}  # fmt: skip
    fields.update(changes)
    return LastRun(**fields)  # type: ignore[arg-type]


def test_status_of_a_partial_run_and_of_a_sandbox() -> None:
    partial = _last("invoices", "partial", counts={"created": 40, "unsettled": 3},
                    stopped_early="The run's time ran out.")  # fmt: skip
    statuses = [
        _status("invoices", last_run=partial, lag_seconds=7200 + 3 * 86400, cursor=Cursor(NOW, "x")),
        _status("payments", last_run=_last("payments", counts={}), lag_seconds=30.0, running=Lease("payments", "r2",
                int((NOW + timedelta(minutes=5)).timestamp()))),
    ]  # fmt: skip
    queues = [QueueDepth("failed_records", "failed records", 2, 3)]
    view = status_view("the sandbox", statuses, queues, None, command="severa-netvisor --sandbox", now=NOW,
                       deployed=False)  # fmt: skip
    text = view.text()
    assert view.rows[0] == ("invoices", "12.3.2026 12:00 (1 minute)", "partly done, the next run goes on: 40 new",
                            "12.3.2026 14:00", "at most 3 days 2 hours", "none")  # fmt: skip
    assert view.rows[1][2] == "running now; before: finished, nothing new"
    assert view.rows[1][4] == "under a minute"
    assert "invoices: the last run stopped early: The run's time ran out." in text
    assert "invoices: the last run that read everything from Severa began 3 days 2 hours ago." in text
    assert "payments: a run is going now (it holds the transfer until 12.3.2026 14:05 at the latest)." in text
    assert "failed records: 2 waiting to be handled, 3 set aside until their next automatic replay" in text
    assert SANDBOX_QUEUE in text
    assert NO_ALARMS_ON_SANDBOX in text
    assert text.endswith("What needs you:\n  Nothing.")
    assert not INTERNAL.search(text)


def test_status_alarms_in_words() -> None:
    alarms = [
        AlarmState("s-OpenFailureAgeAlarm-1", "OpenFailureAgeAlarm", "ALARM", "x", "A record has waited too long.",
                   NOW),
        AlarmState("s-HoursHeartbeatAlarm-1", "HoursHeartbeatAlarm", "INSUFFICIENT_DATA", "", "", None),
        AlarmState("s-ThrottlesAlarm-1", "ThrottlesAlarm", "OK", "", "", None),
    ]  # fmt: skip
    view = status_view("stack s (eu-north-1)", [], [], alarms, command="severa-netvisor --stack s", now=NOW)
    text = view.text()
    assert "IN ALARM since 12.3.2026 14:00: open failure age. A record has waited too long." in text
    assert "The other 2 alarms: 1 OK, 1 no data yet (normal until the metrics have data)." in text
    assert "the open failure age alarm" in text.split("What needs you:")[1]
    assert SANDBOX_QUEUE not in text


def test_status_names_the_credit_notes_waiting_to_be_matched() -> None:
    against = ["the invoice it credits", *["invoice 90005"] * 6]
    waiting = [CreditNoteWaiting(str(90100 + n), "90005" if n else None, f"credit note {90100 + n} against {what}")
               for n, what in enumerate(against)]  # fmt: skip
    view = status_view("the sandbox", [], [], None, command="severa-netvisor --sandbox", now=NOW, deployed=False,
                       credit_notes=waiting)  # fmt: skip
    text = view.text()
    assert ("invoices: 7 credit notes to match to the invoices they credit, once both are sent in Netvisor: credit "
            "note 90100 against the invoice it credits, credit note 90101 against invoice 90005, ") in text
    assert "credit note 90104 against invoice 90005 and 2 more." in text
    assert "90105" not in text
    needs = text.split("What needs you:")[1]
    assert "7 credit notes and the invoices they credit, to be sent in Netvisor (see Details)" in needs
    assert "Nothing." not in needs
    assert not INTERNAL.search(text)


def _failure(**changes: object) -> Failure:
    fields: dict[str, object] = {
        "transfer": "invoices", "ref": SourceRef("severa", "invoice", "g-1"),
        "label": "invoice 10062 to Länsirannikon Konsultointi Oy", "step": "write",
        "reason": "InvoiceValidationError: reference number: '100624' has a wrong check digit",
        "action": "Correct the reference number in Severa.", "retryable": False, "for_author": True,
        "fingerprint": "f", "first_seen": (NOW - timedelta(days=3)).isoformat(), "last_seen": NOW.isoformat(),
        "attempts": 3, "record": json.dumps({"number": 10062}),
    }  # fmt: skip
    fields.update(changes)
    return Failure(**fields)  # type: ignore[arg-type]


def test_the_step_in_words_names_the_system_of_each_transfer() -> None:
    assert step_words(_failure()) == "when sending it to Netvisor"
    assert step_words(_failure(transfer="payments", step="write")) == "when sending it to Severa"
    assert step_words(_failure(step="drift")) == "because it changed in Severa after it was transferred"
    assert step_words(_failure(step="write-back")) == "when marking it as transferred in Severa"


def test_replays_in_words() -> None:
    assert replays(_failure(retryable=True, auto_replays=5), DELAYS).startswith("all 5 done (after 5 min, 15 min")
    assert replays(_failure(retryable=True, auto_replays=0), DELAYS).startswith("0 of 5 done")
    assert replays(_failure(), DELAYS).startswith("none: it needs a fix first.")


def test_the_list_and_one_failure_speak_plainly() -> None:
    listed = list_text([_failure()], where="on the sandbox", command="severa-netvisor --sandbox", now=NOW)
    assert listed.startswith("1 open failure on the sandbox (invoices 1):")
    assert "open for 3 days, 3 attempts; needs a fix" in listed
    assert "    reference number: '100624' has a wrong check digit" in listed
    shown = show_text(_failure(remote_text="has a wrong check digit"), waits_for=None,
                      command="severa-netvisor --sandbox", now=NOW, delays=DELAYS)  # fmt: skip
    assert shown.startswith("invoice 10062 to Länsirannikon Konsultointi Oy: open since 9.3.2026 14:00 (for 3 days)")
    assert "The answer:" not in shown  # the reason already quotes it
    assert shown.endswith('{\n  "number": 10062\n}')
    for text in (listed, shown):
        assert not INTERNAL.search(text), text


def test_a_long_reason_is_cut_in_the_list_only() -> None:
    long = _failure(reason="x" * 1000)
    assert "[...]" in list_text([long], where="", command="c", now=NOW)
    assert "x" * 1000 in show_text(long, waits_for=None, command="c", now=NOW, delays=DELAYS)


def test_a_replay_report_names_each_failure_and_what_became_of_it() -> None:
    result = {
        "transfer": "invoices",
        "summary": {"transfer": "invoices", "dry_run": False, "created": 1, "failed": 1, "failures_closed": 1,
                    "failures_by_reason": {"NetvisorInvalidDataError": 1}},
        "replayed": [{"id": "a", "label": "invoice 1 to A Oy", "closed": True},
                     {"id": "b", "label": "invoice 2 to B Oy", "closed": False,
                      "reason": "NetvisorInvalidDataError: Viitenumero on virheellinen"}],
    }  # fmt: skip
    report = replay_report("invoices", result, seconds=2.0, look_further="severa-netvisor failures list")
    assert report.title == "invoices: replayed 2 failures in 2.0 s"
    assert not report.ok
    assert "invoice 1 to A Oy: went through; its failure is closed" in report.notes
    assert report.needs_you == ["invoice 2 to B Oy: still fails: Viitenumero on virheellinen"]
    assert {count.words for count in report.counts} >= {"new in Netvisor", "earlier failures now resolved"}
    assert not INTERNAL.search(report.text())


def test_a_replay_that_found_a_run_going_and_one_that_failed() -> None:
    busy = replay_report("invoices", {"summary": {"dry_run": False, "lease_busy": True}, "replayed": []})
    assert not busy.ok
    assert busy.needs_you == ["Another invoices run was going, so nothing was replayed: replay again when it has "
                              "finished."]  # fmt: skip
    failed = replay_report("invoices", None, {"errorType": "Timeout", "errorMessage": "Task timed out after 900 s"},
                           seconds=900.0)  # fmt: skip
    assert failed.title == "invoices: the replay failed in 900.0 s"
    assert failed.notes == ["Task timed out after 900 s. The next run continues from the last checkpoint."]
