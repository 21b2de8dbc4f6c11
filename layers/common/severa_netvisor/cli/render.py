"""Rich output of the command line: a table per report, a spinner or live count while a function runs.

Progress goes to stderr (and only to a terminal), results to stdout, so ``--json`` output and
piped output stay clean.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table

from severa_netvisor.cli.present import Report
from severa_netvisor.cli.progress import RunProgress
from severa_netvisor.cli.status_view import COLUMNS, StatusView

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def say(text: str) -> None:
    out.print(text, markup=False)


def print_json(data: Any) -> None:
    out.print_json(json.dumps(data, ensure_ascii=False, default=str), ensure_ascii=False)


def show(report: Report) -> None:
    out.print(f"[bold]{report.title}[/]")
    if report.counts:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("records", justify="right")
        table.add_column("what happened")
        for count in report.counts:
            table.add_row(str(count.count), count.words)
        out.print(table)
    for note in report.notes:
        out.print(f"  {note}", markup=False)
    if report.plan:
        out.print("  What a real run would do:")
        for item in report.plan:
            out.print(f"    {item}", markup=False)
    if report.needs_you:
        out.print("[bold]What needs you:[/]")
        for item in report.needs_you:
            out.print(f"  - {item}", markup=False)
        if report.look_further:
            out.print(f"  More: {report.look_further}", markup=False)


def show_status(view: StatusView) -> None:
    """The status: a row per transfer, then the details, queues, alarms and what needs you."""
    out.print(f"[bold]{view.title}[/]")
    out.print()
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for row in view.rows:
        table.add_row(*row)
    out.print(table)
    for heading, lines in view.sections:
        out.print()
        out.print(f"[bold]{heading}[/]")
        for line in lines:
            out.print(f"  {line}", markup=False)


def show_reconciliation(result: dict[str, Any]) -> None:
    """The reconcile function's summary, then each of its tables (already in Finnish formats)."""
    out.print(str(result.get("summary", "")).rstrip(), markup=False)
    for shown in result.get("tables", []):
        table = Table(title=f"{shown['title']}", title_justify="left", header_style="bold", box=None,
                      pad_edge=False)  # fmt: skip
        for heading, numeric in zip(shown["columns"], shown["numeric"], strict=True):
            # Amounts and counts never wrap (a number split over two lines misreads); text folds.
            table.add_column(heading, justify="right" if numeric else "left", no_wrap=numeric, overflow="fold")
        for row in shown["rows"]:
            table.add_row(*row)
        out.print()
        out.print(table)
        if shown.get("more"):
            out.print(f"  ... and {shown['more']} more rows in the stored report.", markup=False)


@contextmanager
def working(what: str, *, enabled: bool = True) -> Iterator[None]:
    """A spinner with the time so far (a remote function cannot be watched more closely)."""
    with run_progress(what, enabled=enabled):
        yield


@contextmanager
def run_progress(what: str, *, enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """Hands out a line sink: the count of records done so far is shown while the run goes on."""
    progress = RunProgress()
    if not enabled or not err.is_terminal:
        yield lambda line: None
        return
    started = time.monotonic()
    done = threading.Event()
    with err.status(f"{what}: starting") as status:
        def show_now() -> None:
            status.update(f"{what}: {progress.text()} ({time.monotonic() - started:.0f} s)")

        def tick() -> None:  # the time goes on even when the function says nothing (a deployed one)
            while not done.wait(1):
                show_now()

        def feed(line: str) -> None:
            if progress.feed(line):
                show_now()

        ticker = threading.Thread(target=tick, name="progress", daemon=True)
        ticker.start()
        try:
            yield feed
        finally:
            done.set()
            ticker.join(timeout=2)
