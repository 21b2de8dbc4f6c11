"""`make demo` keeps working, and speaks plainly: every step runs through the local invoke runner."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from sandbox.aws import LocalAws
from sandbox.template import REPO_ROOT
from tests.integration.foundation.stack_stand_in import deploy, failure, plant, run_cli


@pytest.fixture(scope="module")
def demo_output() -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "sandbox.demo"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def test_the_demo_runs_every_transfer_and_shows_the_outcome(demo_output: str) -> None:
    output = demo_output
    for function in ("check_connections", "customers", "products", "dimensions", "invoices", "payments", "hours"):
        assert f"== {function}:" in output
    assert "[FAILED" not in output
    # The mistyped reference the demo plants is refused with its reason, in the queue and in Severa's log.
    assert "has a wrong check digit" in output
    assert "Severa's log of invoice 6 (what its author sees)" in output
    # Payments arrived in Severa, and the second payments run changed nothing.
    assert "status 'Maksettu', paid on 20" in output
    assert "Partial payment" in output
    # The month-end reconciliation lists the seeded problems as differences.
    flowing = " ".join(output.split())  # the summary is wrapped for the screen
    assert "== reconcile: the month-end proof" in output
    assert "because of its reference number" in flowing
    assert "waits for invoice" in flowing
    assert "recorded only in Netvisor" in flowing
    assert "all with the same number, customer, date, total, reference and VAT" in flowing  # the transferred agree
    # The closing section lists what waits, and the last line does not hide it.
    closing = output.split("\nWhat needs you:\n")[-1]
    assert "invoice 6" in closing
    assert "failures list" in closing
    # Invoice 6; invoice 90100 of the second business unit (the first one's 90100 is in Netvisor); the
    # payment whose reference matches no invoice; two days of hours of a user the mapping gives no
    # employee number.
    assert "Demo finished: every run worked; 5 record(s) wait for you (above)." in output
    assert "Netvisor already holds invoice number 90100, but not as this invoice" in closing
    assert "not targeted to any invoice in Netvisor" in closing
    # The seeded credit note credits an invoice that never went to Netvisor: it waits, and says so.
    second_invoices = output.split("== invoices: Second run")[1].split("\n== ", maxsplit=1)[0]
    assert "waiting for something to happen first" in second_invoices


def test_the_demo_shows_the_real_world_cases(demo_output: str) -> None:
    output = demo_output
    # A domestic reverse-charge invoice and an EU service invoice, with their VAT codes and notes.
    assert "invoice 90001 to Kivirakenne Oy carries VAT code RAMY" in output
    assert "arvonlisäveron maksaa ostaja (AVL 8 c §)" in output
    assert "invoice 90002 to Nordic Analytics AB carries VAT code EUPM312" in output
    assert "Buyer's VAT number: SE556677889901" in output
    # Credit notes are matched on the run after the accountant sent the invoices, not before.
    first = output.split("== invoices: Severa invoices")[1].split("\n== ", maxsplit=1)[0]
    second = output.split("== invoices: Second run")[1].split("\n== ", maxsplit=1)[0]
    assert "credit notes matched" not in first
    assert re.search(r"\b[1-9]\d*  credit notes matched", second), second
    # An hour entry moved to another day: its new day is added and its old day replaced in payroll.
    assert "h entry of" in output
    moved = output.split("== hours: Second run")[1].split("\n== ", maxsplit=1)[0].split("\nNetvisor now holds")[0]
    assert "1  new in Netvisor" in moved
    assert "1  updated in Netvisor" in moved


def test_the_demo_speaks_plainly(demo_output: str) -> None:
    # No internal states, class names or date-times where a person reads.
    for word in ("skipped", "adopted", "written_back", "fetched", "InvoiceValidationError", " x ",
                 "00:00:00", "+00:00", "Traceback", "succeeded"):
        assert word not in demo_output, word
    assert re.findall(r"\b[A-Z][a-z]+[A-Z]\w*(?:Error|Exception)\b", demo_output) == []  # class names
    assert re.findall(r"\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d", demo_output) == []  # date-times as code writes them
    # Only real records are counted: the second invoices run sends nothing again; it matches the
    # credit note and says the refused invoice still waits for its fix.
    second = demo_output.split("== invoices: Second run")[1].split("==", maxsplit=1)[0]
    assert "new in Netvisor" not in second
    assert "still waiting for a fix" in second
    assert "new in Netvisor" in demo_output


def test_the_demos_pointer_to_the_failures_works_as_printed(demo_output: str, local_aws: LocalAws,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    [pointer] = re.findall(r"`(severa-netvisor [^`]*failures list)`", demo_output)
    stand_in = deploy(local_aws, "severa-netvisor-demo")  # a deployed stack, in the tests' moto server
    planted = plant(stand_in, failure("invoices", 6))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    code, out, err = run_cli(capsys, monkeypatch, *shlex.split(pointer.replace("<stack>", stand_in.stack))[1:])
    assert code == 0, err
    assert f"{planted.id}  invoice 6 to Länsirannikon Konsultointi Oy" in out
