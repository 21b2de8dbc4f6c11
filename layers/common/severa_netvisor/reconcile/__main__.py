"""``python -m severa_netvisor.reconcile --month 2026-10`` (or ``--from 2026-10-01 --to 2026-10-15``).

Runs a reconciliation with the deployment's settings from the environment (state table, secret and
mapping names, as the function has them) and prints the summary and the tables. It only reads, unless
``--store`` is given: then the report is stored and the summary sent, as the function does. Without a
period it reconciles the previous month. Exit status: 0 agree, 1 differ, 2 could not run.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from severa_netvisor.errors import IntegrationError
from severa_netvisor.reconcile.app import ReconcileApp
from severa_netvisor.reconcile.period import Period
from severa_netvisor.reconcile.render import render_csv, render_json, render_summary, render_tables
from severa_netvisor.reconcile.settings import ReconcileSettings


def _period(args: argparse.Namespace) -> Period:
    if args.month and (args.start or args.end):
        raise SystemExit("Give either --month or --from and --to, not both.")
    if args.month:
        return Period.parse_month(args.month)
    if args.start or args.end:
        if not (args.start and args.end):
            raise SystemExit("Give both --from and --to (YYYY-MM-DD).")
        return Period(date.fromisoformat(args.start), date.fromisoformat(args.end))
    return Period.previous_month(datetime.now(UTC))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m severa_netvisor.reconcile", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--month", help="the month to reconcile, YYYY-MM (default: the previous month)")
    parser.add_argument("--from", dest="start", help="first day of a date range, YYYY-MM-DD")
    parser.add_argument("--to", dest="end", help="last day of a date range, YYYY-MM-DD")
    parser.add_argument("--summary-only", action="store_true", help="print the summary without the tables")
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    parser.add_argument("--csv-dir", type=Path, help="also write one CSV file per table into this folder")
    parser.add_argument("--store", action="store_true", help="store the report and send the summary, as the function")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        period = _period(args)
        app = ReconcileApp.from_settings(ReconcileSettings())
        report = app.reconciliation().run(period, f"reconcile-cli-{uuid.uuid4()}")
        if args.store:
            store, notifier = app.report_store(), app.notifier()
            if store is not None:
                store.save(report)
            if notifier is not None:
                notifier.send(report)
    except (IntegrationError, ValueError) as error:
        print(f"The reconciliation could not run: {getattr(error, 'message', error)}", file=sys.stderr)
        return 2
    print(render_summary(report))
    if not args.summary_only:
        print(render_tables(report))
    if args.json:
        args.json.write_text(render_json(report), encoding="utf-8")
    if args.csv_dir:
        args.csv_dir.mkdir(parents=True, exist_ok=True)
        for table in [report.totals, *report.sections]:
            (args.csv_dir / f"{table.key}.csv").write_bytes(render_csv(table))
    return 0 if report.agree else 1


if __name__ == "__main__":
    sys.exit(main())
