"""A report as people and programs read it: the one-screen summary, tables, CSV files and JSON.

``display_rows`` gives any table as formatted text cells, for a command line to print with its own
table widget (the plain-text ``render_tables`` is the fallback).
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from decimal import Decimal
from typing import Any

from severa_netvisor.reconcile.formats import amount, machine, show
from severa_netvisor.reconcile.report import SCHEMA, Report, Table

#: How many differences the summary spells out (the rest are in the tables).
SUMMARY_FINDINGS = 6
WIDTH = 100


def _wrap(text: str, indent: str) -> list[str]:
    lines = textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=" " * len(indent), break_on_hyphens=False,
        break_long_words=False,
    )  # fmt: skip
    return lines or [indent]


def _headline(report: Report) -> str:
    period = report.period
    span = f"{show(period.start)}-{show(period.end)}"
    title = f"Reconciliation {period.label}" + (f" ({span})" if period.is_month else "")
    if report.agree:
        return f"{title}: Severa and Netvisor AGREE."
    count = len(report.findings)
    return f"{title}: Severa and Netvisor DIFFER ({count} difference{'' if count == 1 else 's'})."


def _totals_lines(report: Report) -> list[str]:
    lines = [f"{'':14}{'Severa':>22}{'Netvisor':>22}{'Difference':>22}"]
    for line in report.overview:
        sides = (
            (line.severa_count, line.severa_gross),
            (line.netvisor_count, line.netvisor_gross),
            (line.severa_count - line.netvisor_count, line.severa_gross - line.netvisor_gross),
        )
        cells = "".join(f"{count:>6} {amount(gross):>15}" for count, gross in sides)
        lines.append(f"{line.document[:1].upper() + line.document[1:]:14}{cells}")
    lines.append("(count, and total with VAT, of the documents dated in the period)")
    return lines


def _alike_line(report: Report) -> str:
    """How many documents the two systems agree on, before the differences."""
    both = f"{report.in_both} document{'' if report.in_both == 1 else 's'}"
    agreeing = "all" if report.in_both and report.alike == report.in_both else f"{report.alike} of them"
    return f"In both systems: {both}, {agreeing} with the same number, customer, date, total, reference and VAT."


def render_summary(report: Report) -> str:
    """One screen: agree or differ, the totals, the top differences in words with what to do."""
    lines = [*_wrap(_headline(report), ""), "", *_totals_lines(report), ""]
    if report.findings:
        lines += [*_wrap(_alike_line(report), ""), ""]
        per_section = {t.key: sum(1 for f in report.findings if f.section == t.key) for t in report.sections}
        counts = [f"{t.title[:1].lower()}{t.title[1:]}: {per_section[t.key]}" for t in report.sections
                  if per_section[t.key]]  # fmt: skip
        lines += _wrap("Differences per kind: " + "; ".join(counts) + ".", "")
        lines.append("")
        top = report.top_findings(SUMMARY_FINDINGS)
        for index, finding in enumerate(top, start=1):
            lines += _wrap(finding.text, f"{index}. ")
            lines += _wrap("What to do: " + finding.action, " " * len(f"{index}. "))
        if len(report.findings) > len(top):
            lines.append(f"... and {len(report.findings) - len(top)} more in the report's tables.")
        lines.append("")
    else:
        lines += [
            "Every invoice and credit note of the period is in both systems with the same number, customer,",
            "date, total, reference and VAT; payments and customers agree; nothing is waiting or failed.",
            "",
        ]
    usage = report.usage
    quota = ""
    if usage.severa_quota is not None and usage.severa_quota_used is not None:
        quota = f" (quota: {usage.severa_quota_used:,} of {usage.severa_quota:,} used today)".replace(",", " ")
    lines += _wrap(
        f"Read {usage.severa_invoices} Severa and {usage.netvisor_invoices} Netvisor documents with "
        f"{usage.severa_calls} Severa calls{quota} and {usage.netvisor_requests} Netvisor requests.",
        "",
    )
    for note in report.notes:
        lines += _wrap(note, "")
    if report.location:
        lines += _wrap(f"Full report (tables as CSV, and JSON): {report.location}", "")
    return "\n".join(lines) + "\n"


def display_rows(table: Table) -> tuple[list[str], list[list[str]]]:
    """Headings and rows as text, formatted for people (1 234,56; 5.11.2026)."""
    return [c.heading for c in table.columns], [[show(cell) for cell in row] for row in table.rows]


#: The totals on a screen: net and VAT per side and their difference (gross and counts are in the CSV).
SCREEN_TOTALS = ("month", "document", "vat_code", "vat_rate", "severa_count", "severa_net", "severa_vat",
                 "netvisor_count", "netvisor_net", "netvisor_vat", "difference_net", "difference_vat")  # fmt: skip


def _narrowed(table: Table, keys: tuple[str, ...]) -> Table:
    picked = [i for i, column in enumerate(table.columns) if column.key in keys]
    narrow = Table(table.key, table.title, tuple(table.columns[i] for i in picked), explanation=table.explanation)
    narrow.rows = [tuple(row[i] for i in picked) for row in table.rows]
    return narrow


def display_tables(report: Report, *, limit: int = 100) -> list[dict[str, Any]]:
    """The totals and every table with rows, formatted for people, at most ``limit`` rows each (the stored
    CSV files have them all): what the function returns for a command line to print as tables."""
    shown = []
    for table in [_narrowed(report.totals, SCREEN_TOTALS), *report.sections]:
        if not table.rows:
            continue
        headings, rows = display_rows(table)
        numeric = [all(isinstance(row[i], int | Decimal) for row in table.rows) for i in range(len(headings))]
        shown.append({"key": table.key, "title": table.title, "columns": headings, "numeric": numeric,
                      "rows": rows[:limit], "more": max(0, len(rows) - limit)})  # fmt: skip
    return shown


def _aligned(table: Table) -> list[str]:
    headings, rows = display_rows(table)
    numeric = [all(isinstance(row[i], int | Decimal) for row in table.rows) for i in range(len(headings))]
    widths = [min(40, max([len(h)] + [len(r[i]) for r in rows])) for i, h in enumerate(headings)]

    def line(cells: list[str]) -> str:
        parts = []
        for i, cell in enumerate(cells):
            text = cell if len(cell) <= widths[i] else cell[: widths[i] - 1] + "…"
            parts.append(text.rjust(widths[i]) if numeric[i] else text.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    return [line(headings), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def render_tables(report: Report, *, include_empty: bool = False) -> str:
    """Every table as aligned plain text (long cells are cut; the CSV files have them whole)."""
    out: list[str] = []
    for table in [report.totals, *report.sections]:
        if not table.rows and not include_empty:
            continue
        out += [f"== {table.title} ({len(table.rows)})", *_aligned(table), ""]
    return "\n".join(out)


def render_csv(table: Table) -> bytes:
    """One table for a spreadsheet: semicolons, decimal commas, d.m.yyyy, UTF-8 with a byte-order mark
    (so a spreadsheet opens ä and ö right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.heading for c in table.columns])
    for row in table.rows:
        writer.writerow([show(cell, spreadsheet=True) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_dict(report: Report) -> dict[str, Any]:
    tables = {}
    for table in [report.totals, *report.sections]:
        keys = [c.key for c in table.columns]
        tables[table.key] = {
            "title": table.title,
            "explanation": table.explanation,
            "columns": [{"key": c.key, "heading": c.heading} for c in table.columns],
            "rows": [dict(zip(keys, (machine(cell) for cell in row), strict=True)) for row in table.rows],
        }
    usage = report.usage
    return {
        "schema": SCHEMA,
        "period": {"from": report.period.start.isoformat(), "to": report.period.end.isoformat(),
                   "label": report.period.label},
        "generated_at": report.generated_at.isoformat(),
        "verdict": report.verdict,
        "differences": len(report.findings),
        "differences_by_section": report.counts(),
        "documents_in_both": report.in_both,
        "documents_alike": report.alike,
        "findings": [
            {"section": f.section, "subject": f.subject, "text": f.text, "action": f.action,
             "amount": machine(f.weight)}
            for f in report.findings
        ],
        "usage": {"severa_calls": usage.severa_calls, "severa_quota": usage.severa_quota,
                  "severa_quota_used": usage.severa_quota_used, "netvisor_requests": usage.netvisor_requests,
                  "severa_documents": usage.severa_invoices, "netvisor_documents": usage.netvisor_invoices,
                  "seconds": round(usage.seconds, 2)},
        "tables": tables,
        "notes": report.notes,
        "location": report.location,
    }  # fmt: skip


def render_json(report: Report) -> str:
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2)
