"""The report as people read it (one screen, CSV for a spreadsheet) and as programs read it (JSON)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from severa_netvisor.reconcile.outcome import Outcome
from severa_netvisor.reconcile.period import Period
from severa_netvisor.reconcile.render import SUMMARY_FINDINGS, render_csv, render_json, render_summary
from severa_netvisor.reconcile.report import Overview, Report, Usage
from severa_netvisor.reconcile.sections import CUSTOMERS, MISSING, PAYMENTS, WAITING, totals_table


def report(outcome: Outcome) -> Report:
    return Report(
        Period.parse_month("2026-10"), datetime(2026, 11, 5, 7, tzinfo=UTC), totals_table(), outcome.sections(),
        list(outcome.findings), Usage(severa_calls=7, severa_quota=100_000, severa_quota_used=1234,
                                      netvisor_requests=5),
        overview=[Overview("invoices", 3, Decimal("1234.56"), 2, Decimal("1000")),
                  Overview("credit notes", 0, Decimal(0), 0, Decimal(0))],
    )  # fmt: skip


def busy() -> Outcome:
    outcome = Outcome()
    for number in range(1, 6):
        outcome.add(MISSING, (str(number), date(2026, 10, number), "10001", "Mäkelän Sähkö Tmi", Decimal(number),
                    "sent", "none"), subject=f"invoice {number}", text=f"Invoice {number} is missing.",
                    action="Send it.", weight=Decimal(number))  # fmt: skip
    outcome.add(PAYMENTS, ("9", 1, "k", Decimal(1), None, None, "s", "", ""), subject="invoice 9",
                text="Invoice 9 is paid in Netvisor only.", action="Mark it paid.")  # fmt: skip
    outcome.add(CUSTOMERS, ("10001", 5, "Mäkelän Sähkö Tmi", "name", "a", "b"), subject="customer 10001",
                text="Customer 10001 (Netvisor key 5): name differ.", action="Correct it.")  # fmt: skip
    return outcome


def test_an_agreeing_month_says_so_in_one_line() -> None:
    text = render_summary(report(Outcome()))
    first = text.splitlines()[0]
    assert first == "Reconciliation 10/2026 (1.10.2026-31.10.2026): Severa and Netvisor AGREE."
    flowing = " ".join(text.split())
    assert "7 Severa calls (quota: 1 234 of 100 000 used today) and 5 Netvisor requests" in flowing
    assert "1 234,56" in text


def test_a_differing_month_fits_one_screen_and_shows_every_kind_first() -> None:
    summary = render_summary(report(busy()))
    lines = summary.splitlines()
    assert lines[0].endswith("DIFFER (7 differences).")
    assert len(lines) <= 40
    assert all(len(line) <= 100 for line in lines)
    # Every kind of difference is shown before the fifth missing invoice (taken in turn per section).
    assert "Invoice 9 is paid" in summary
    assert "Customer 10001" in summary
    assert summary.count("What to do:") == SUMMARY_FINDINGS
    assert "... and 1 more" in summary
    assert "In both systems: 0 documents, 0 of them with the same number" in " ".join(summary.split())
    assert "Mäkelän" not in summary, "customers are named by number in the summary (it goes to the alarm topic)"


def test_a_differing_month_says_how_many_documents_agree() -> None:
    differing = report(busy())
    differing.in_both, differing.alike = 12, 11
    flowing = " ".join(render_summary(differing).split())
    assert "In both systems: 12 documents, 11 of them with the same number, customer, date, total" in flowing
    differing.alike = 12
    assert "12 documents, all with the same number" in " ".join(render_summary(differing).split())
    assert json.loads(render_json(differing))["documents_alike"] == 12


def test_csv_is_for_a_finnish_spreadsheet() -> None:
    table = report(busy()).section(MISSING)
    data = render_csv(table)
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.split(";")[0] == "Invoice"
    assert first == "1;1.10.2026;10001;Mäkelän Sähkö Tmi;1,00;sent;none"


def test_json_has_exact_values_and_every_table() -> None:
    data = json.loads(render_json(report(busy())))
    assert data["verdict"] == "differ"
    assert data["differences"] == 7
    assert data["differences_by_section"][WAITING] == 0
    assert data["tables"][MISSING]["rows"][0]["date"] == "2026-10-01"
    assert data["tables"][MISSING]["rows"][0]["gross"] == "1.00"
    assert data["usage"]["severa_calls"] == 7
