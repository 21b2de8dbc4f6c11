"""`make demo` keeps working: every step runs through the local invoke runner and succeeds."""

from __future__ import annotations

import subprocess
import sys

from sandbox.template import REPO_ROOT


def test_the_demo_runs_every_transfer_and_shows_the_outcome() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "sandbox.demo"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    output = completed.stdout
    assert completed.returncode == 0, output + completed.stderr
    for function in ("check_connections", "customers", "products", "dimensions", "invoices", "payments", "hours"):
        assert f"== {function}:" in output
    assert "[FAILED" not in output
    # The mistyped reference the demo plants is refused with its reason, in the queue and in Severa's log.
    assert "has a wrong check digit" in output
    assert "Severa invoice log (what the invoice's author sees)" in output
    # Payments arrived in Severa, and the second payments run changed nothing.
    assert "status 'Maksettu'" in output
    assert "Partial payment" in output
    assert "Demo finished: every run succeeded." in output
