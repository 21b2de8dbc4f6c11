"""Hostile answers and long invoice streams: CPU time and peak memory of each client's read.

    .venv/bin/python -m tests.bench hostile_answers

The same scenarios as tests/reliability/hostile (which assert outcomes only), each in a fresh child
process, here with the figures: CPU seconds of the whole child (interpreter start and imports
included, about 0.5 s) and its peak resident memory. Then the ready list read one invoice at a time
against the whole list at once, at growing backlogs: the stream's peak stays flat, the list's grows
with every waiting invoice (about 10 KB of SOAP each).
"""

from __future__ import annotations

import os
from typing import Any

from tests.reliability.hostile import bodies
from tests.reliability.hostile.bounded import run_bounded

CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("entity expansion (billion laughs)", "doctype", {"doctype": bodies.billion_laughs(), "name_xml": "&lol9;"}),
    ("nesting 1 500 deep", "nested", {"levels": 1500}),
    ("300 MB answer", "huge", {"megabytes": 300}),
]
BACKLOGS = [int(n) for n in os.environ.get("BENCH_BACKLOGS", "1000,10000,50000").split(",")]
#: The whole list at once is only read up to here: beyond, it needs more memory than a function has.
LIST_UP_TO = 10_000


def _row(label: str, outcome: dict[str, Any]) -> None:
    what = outcome.get("error_class") or outcome["outcome"]
    print(f"  {label:<52} {what:<28} {outcome.get('cpu_seconds', 0):6.2f} s {outcome.get('peak_mb', 0):6} MB")


def main() -> None:
    print(f"  {'case':<52} {'outcome':<28} {'CPU':>8} {'peak':>9}")
    for label, kind, kwargs in CASES:
        for client in ("list", "single", "stream"):
            _row(f"{label}, Severa {client}", run_bounded(f"severa_{kind}", call=client, memory_mb=4000, **kwargs))
        _row(f"{label}, Netvisor", run_bounded(f"netvisor_{kind}", memory_mb=4000, **kwargs))
    _row("1.8 MB of unclosed <status> tags, Netvisor", run_bounded("netvisor_unclosed_statuses", count=200_000))
    _row(
        "400 000 character references, Severa list",
        run_bounded("severa_character_references", call="list", count=200_000),
    )
    print("\n  The ready list (GetInvoicesByStatus) at growing backlogs:")
    for invoices in BACKLOGS:
        streamed = run_bounded(
            "severa_many_invoices", call="stream", invoices=invoices, memory_mb=4000, cpu_seconds=900
        )
        _row(f"{invoices:>6} invoices, one at a time (iter_invoices_by_status)", streamed)
        if invoices <= LIST_UP_TO:
            whole = run_bounded("severa_many_invoices", call="list", invoices=invoices, memory_mb=4000, cpu_seconds=900)
            _row(f"{invoices:>6} invoices, the whole list (invoices_by_status)", whole)


if __name__ == "__main__":
    main()
