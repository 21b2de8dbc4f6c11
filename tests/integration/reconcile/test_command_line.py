"""``python -m severa_netvisor.reconcile``: the command line a person runs, as a separate process with
the deployment's settings in its environment (here: moto and the two simulators)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from sandbox.aws import LocalAws
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.severa import sandbox_credentials as severa_secret
from sandbox.severa.seed import SENT_STATUS
from tests.integration.reconcile.world import ReconcileWorld, reconcile_world
from tests.integration.rig import mapping_text

REPO = Path(__file__).resolve().parents[3]


def run_command(world: ReconcileWorld, *args: str) -> subprocess.CompletedProcess[str]:
    suffix = uuid.uuid4().hex[:8]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO / "layers" / "common"),
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        **world.aws.env(),
        "STATE_TABLE_NAME": world.state.table_name,
        "SEVERA_SECRET_NAME": f"cli-{suffix}/severa",
        "NETVISOR_SECRET_NAME": f"cli-{suffix}/netvisor",
        "MAPPING_PARAMETER_NAME": f"/cli-{suffix}/mapping",
    }
    world.aws.put_secret(env["SEVERA_SECRET_NAME"], severa_secret(world.severa))
    world.aws.put_secret(env["NETVISOR_SECRET_NAME"], netvisor_secret(world.netvisor))
    world.aws.put_parameter(env["MAPPING_PARAMETER_NAME"], mapping_text())
    return subprocess.run(
        [sys.executable, "-m", "severa_netvisor.reconcile", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_a_month_that_agrees_prints_the_summary_and_exits_0(local_aws: LocalAws) -> None:
    with reconcile_world(local_aws) as world:
        world.invoices()
        month = world.severa_invoice(3)["Date"]
        done = run_command(world, "--month", f"{month.year}-{month.month:02d}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Reconciliation {month.month}/{month.year}" in done.stdout
    assert "AGREE" in done.stdout
    assert "== Sales invoices and credit notes per month and VAT code" in done.stdout


def test_a_range_that_differs_exits_1_and_writes_the_files(local_aws: LocalAws, tmp_path: Path) -> None:
    with reconcile_world(local_aws) as world:
        world.severa_invoice(world.numbers(IsCreditNote=False)[0])["InvoiceStatus"] = SENT_STATUS
        world.invoices()
        done = run_command(
            world, "--from", "2026-01-01", "--to", "2026-12-31", "--json", str(tmp_path / "r.json"),
            "--csv-dir", str(tmp_path / "csv"),
        )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "DIFFER (1 difference)" in done.stdout
    assert "== Sent in Severa, not in Netvisor (1)" in done.stdout
    assert (tmp_path / "r.json").read_text("utf-8").count('"verdict": "differ"') == 1
    assert (tmp_path / "csv" / "missing_in_netvisor.csv").read_bytes().decode("utf-8-sig").count("\r\n") == 2


def test_a_bad_period_is_refused_in_words(local_aws: LocalAws) -> None:
    with reconcile_world(local_aws) as world:
        done = run_command(world, "--month", "2026-13")
    assert done.returncode == 2
    assert "YYYY-MM" in done.stderr
    assert "Traceback" not in done.stderr
