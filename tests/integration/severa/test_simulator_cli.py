"""``python -m sandbox.severa`` starts a seeded simulator that a client can use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from severa_netvisor.credentials import SeveraCredentials
from severa_netvisor.severa.client import SeveraClient

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_module_runs_a_seeded_simulator_until_stopped() -> None:
    env = {**os.environ, "PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{REPO_ROOT / 'layers' / 'common'}"}
    process = subprocess.Popen(  # our own interpreter and module
        [sys.executable, "-m", "sandbox.severa", "--invoices", "7", "--api-key", "cli-key"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        secret_line = process.stdout.readline()
        assert "'invoices': 7" in banner
        secret = json.loads(secret_line.split(":", 1)[1])
        assert secret["api_key"] == "cli-key"
        with SeveraClient(SeveraCredentials.model_validate(secret)) as client:
            assert "simulator" in client.get_version()
            invoices = client.invoices_by_date(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC))
            assert len(invoices) == 7
    finally:
        process.terminate()
        process.wait(timeout=10)
