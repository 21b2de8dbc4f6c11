"""``severa-netvisor --sandbox reconcile``: the operator's command line against a running sandbox, as
separate processes the way a person uses them from two terminals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.foundation.test_cli_sandbox import CLI, Running, _cli, _start, _stop


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    assert CLI.exists(), f"{CLI} is missing: `make venv` installs the console script"
    running = _start([str(CLI), "sandbox"], tmp_path_factory.mktemp("reconcile-sandbox"))
    yield running
    if running.process.poll() is None:
        _stop(running)


def test_a_month_on_the_sandbox_prints_the_summary_and_the_tables(sandbox: Running) -> None:
    # The seeded world has invoices marked sent in Severa that never went to Netvisor, and invoices ready.
    completed = _cli(sandbox, "reconcile", "--month", "2026-06", "--no-store")
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert completed.stdout.startswith("Reconciliation 6/2026 (1.6.2026-30.6.2026): Severa and Netvisor DIFFER")
    assert "Sales invoices and credit notes per month and VAT code" in completed.stdout
    assert "Sent in Severa, not in Netvisor" in completed.stdout
    assert "Ready in Severa, not yet transferred" in completed.stdout
    assert "What to do:" in completed.stdout


def test_a_range_as_json_says_where_the_report_is(sandbox: Running) -> None:
    completed = _cli(sandbox, "reconcile", "--from", "2026-06-01", "--to", "2026-06-15", "--json")
    result = json.loads(completed.stdout)
    assert result["period"] == {"from": "2026-06-01", "to": "2026-06-15", "label": "1.6.2026-15.6.2026"}
    assert result["report"].startswith("s3://")
    assert result["severa_calls"] > 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--month", "2026-13"], "YYYY-MM"),
        (["--from", "2026-06-01"], "Give both --from and --to"),
        (["--month", "2026-06", "--to", "2026-06-30"], "either --month or --from and --to"),
        (["--from", "1.6.2026", "--to", "2026-06-30"], "--from '1.6.2026' is not a date"),
    ],
)
def test_mistakes_are_one_line_with_the_fix(sandbox: Running, args: list[str], words: str, tmp_path: Path) -> None:
    completed = _cli(sandbox, "reconcile", *args)
    assert completed.returncode in (1, 2)
    assert words in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
