"""The wording of a run: records as people know them, no class names or internal states."""

from __future__ import annotations

import json
import re

from severa_netvisor.cli.present import (
    as_date,
    check_report,
    error_line,
    failed_record_line,
    function_report,
    plain,
    run_report,
)
from severa_netvisor.cli.progress import RunProgress

INTERNAL = re.compile(r"adopted|written_back|skipped|fetched|unsettled|[A-Z][a-z]+[A-Z]\w*Error|\d x ")


def _summary(**counts: object) -> dict[str, object]:
    base: dict[str, object] = {
        "transfer": "invoices",
        "run_id": "r1",
        "dry_run": False,
        "fetched": 14,
        "skipped": 1,
        "duration_seconds": 1.0,
    }
    return {**base, **counts}


def test_counts_are_in_words_and_leave_out_what_the_engine_read() -> None:
    report = run_report(
        "invoices",
        _summary(created=12, adopted=1, written_back=12, failed=1, failures_by_reason={"InvoiceValidationError": 1}),
    )
    words = {count.words: count.count for count in report.counts}
    assert words == {
        "new in Netvisor": 12,
        "already in Netvisor, now linked to Severa": 1,
        "marked as transferred in Severa": 12,
        "could not be transferred": 1,
    }
    assert not INTERNAL.search(report.text()), report.text()


def test_payments_write_to_severa() -> None:
    report = run_report("payments", _summary(created=3))
    assert report.counts[0].words == "new in Severa"


def test_a_run_with_nothing_to_do_says_so() -> None:
    report = run_report("invoices", _summary())
    assert report.counts == []
    assert report.notes == ["Nothing to do: everything is up to date."]
    assert report.needs_you == []


def test_what_needs_you_names_records_and_ends_with_the_command() -> None:
    message = {
        "source": {"type": "invoice", "id": "6e88"},
        "message": "reference number: wrong check digit",
        "record": {"number": "10062", "account_name": "Länsirannikon Konsultointi Oy"},
    }
    line = failed_record_line(message)
    assert line == "invoice 10062 to Länsirannikon Konsultointi Oy: reference number: wrong check digit"
    report = run_report("invoices", _summary(failed=1), waiting=[line], look_further="severa-netvisor failures list")
    assert report.text().endswith("What needs you:\n  - " + line + "\n  More: severa-netvisor failures list")


def test_a_label_and_a_message_that_both_name_the_record_name_it_once() -> None:
    message = {"label": "hours of Severa user U006 / Väinö Hämäläinen on 2026-10-20",
               "message": "Severa user U006 / Väinö Hämäläinen: has no Netvisor employee number"}
    assert failed_record_line(message) == (
        "hours of Severa user U006 / Väinö Hämäläinen on 2026-10-20: has no Netvisor employee number")


def test_failures_known_only_by_class_name_never_show_it() -> None:
    report = run_report("invoices", _summary(failed=2, failures_by_reason={"NetvisorInvalidDataError": 2}))
    assert report.needs_you == ["2 record(s): see the list of failed records for the reason"]
    report = run_report("invoices", _summary(failed=1, failures_by_reason={"customer has no business ID": 1}))
    assert report.needs_you == ["1 record(s): customer has no business ID"]


def test_a_credit_note_and_a_customer_are_named_as_people_know_them() -> None:
    credit = {
        "source": {"type": "invoice", "id": "g"},
        "message": "x",
        "record": {"number": "7", "is_credit_note": True},
    }
    assert failed_record_line(credit) == "credit note 7: x"
    customer = {
        "source": {"type": "account", "id": "g"},
        "message": "no address",
        "record": {"name": "Länsirannikon Konsultointi Oy"},
    }
    assert failed_record_line(customer) == "account Länsirannikon Konsultointi Oy: no address"
    labelled = {"label": "customer Länsirannikon Konsultointi Oy", "message": "InvoiceValidationError: no address"}
    assert failed_record_line(labelled) == "customer Länsirannikon Konsultointi Oy: no address"


def test_a_stopped_run_says_why_and_what_to_do_without_class_names() -> None:
    report = run_report(
        "invoices",
        _summary(
            stopped_early="SeveraAuthError: the API key was refused",
            stop_action="Rotate the key in the secret.",
            stopped_by_error="X",
            unsettled=4,
        ),
    )
    assert not report.ok
    assert report.title.startswith("invoices: stopped")
    assert "The run stopped early: the API key was refused What to do: Rotate the key in the secret." in report.notes
    assert "4 record(s) were left for the next run, which takes them again." in report.notes
    assert "SeveraAuthError" not in report.text()


def test_a_dry_run_lists_the_plan_by_label() -> None:
    plan = [
        {"action": "create", "source_id": "g1", "label": "invoice 10062"},
        {"action": "fail", "source_id": "g2", "label": "invoice 10063", "reason": "no VAT code for 25.5 %"},
        {
            "action": "create",
            "source_id": "c1",
            "label": "customer Länsirannikon Konsultointi Oy",
            "needed_by": "invoice 10062",
        },
    ]
    report = run_report("invoices", _summary(dry_run=True, created=2, failed=1, plan=plan))
    assert report.title.startswith("invoices: dry run, nothing was written")
    assert report.plan == [
        "invoice 10062: would be created",
        "invoice 10063: would fail (no VAT code for 25.5 %)",
        "customer Länsirannikon Konsultointi Oy: would be created, needed by invoice 10062",
    ]


def test_errors_are_one_line_without_the_class() -> None:
    stopped = {"errorType": "RunStoppedByError", "errorMessage": "RunStoppedByError: The invoices run stopped."}
    assert error_line(stopped) == "The invoices run stopped."
    timeout = {"errorType": "Timeout", "errorMessage": "Task timed out after 900 seconds"}
    assert "next run continues" in error_line(timeout)
    report = run_report("invoices", None, {"errorType": "InvalidEventError", "errorMessage": "Invalid run event: x."})
    assert not report.ok
    assert report.needs_you == ["Invalid run event: x."]


def test_dates_are_dates() -> None:
    assert as_date("2026-11-29 00:00:00+00:00") == "2026-11-29"
    assert as_date("2026-11-29T10:00:00") == "2026-11-29"
    assert plain("NetvisorInvalidDataError: Dimension item missing") == "Dimension item missing"
    assert plain("Severa invoice 6: bad") == "Severa invoice 6: bad"


def test_the_connection_check_names_each_failure_and_its_fix() -> None:
    error = {
        "errorType": "ConnectionCheckFailed",
        "errorMessage": "Connection check failed. severa: The API key "
        "was refused -> Create a new key | netvisor: organisation_id is missing -> Fix the secret",
    }
    report = check_report(None, error)
    assert not report.ok
    assert report.needs_you == [
        "Severa: The API key was refused Fix: Create a new key",
        "Netvisor: organisation_id is missing Fix: Fix the secret",
    ]
    ok = check_report({"ok": True, "checks": [{"system": "severa", "ok": True, "details": {"version": "3"}}]})
    assert ok.ok
    assert ok.notes == ["Severa: reachable, the credentials work (API version 3)"]
    assert function_report("check_connections", {"checks": []}).ok is False


def test_progress_counts_real_records_from_the_log() -> None:
    progress = RunProgress()
    lines = [
        json.dumps({"message": "record created"}),
        json.dumps({"message": "record failed"}),
        json.dumps({"message": "record skipped"}),
        "not json",
        json.dumps({"message": "dry run: would update"}),
    ]
    moved = [progress.feed(line) for line in lines]
    assert moved == [True, True, False, False, True]
    assert progress.total == 3
    assert progress.text() == "3 record(s) so far: 1 new, 1 failed, 1 updated"
