"""Run a hostile scenario in a fresh, capped child process and read back its outcome."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
#: Address space for the child: the interpreter, lxml, zeep, pydantic and one capped answer fit
#: with room; a 300 MB answer read whole (or a billion laughs expanded) does not.
MEMORY_MB = 900
#: Far above what any scenario needs when the code is linear (well under a second of CPU each);
#: far below what the quadratic or unbounded versions need (minutes to hours).
CPU_SECONDS = 60
#: A child stuck without using CPU (waiting on a network fetch, say) is stopped after this long.
WALL_SECONDS = 300


def run_bounded(
    scenario: str, *, memory_mb: int = MEMORY_MB, cpu_seconds: int = CPU_SECONDS, **kwargs: Any
) -> dict[str, Any]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{REPO_ROOT}:{REPO_ROOT / 'layers' / 'common'}",
        # glibc reserves address space per thread arena; two arenas keep the cap about real memory.
        "MALLOC_ARENA_MAX": "2",
        "POWERTOOLS_SERVICE_NAME": "hostile",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "AWS_DEFAULT_REGION": "eu-north-1",
    }
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.reliability.hostile.child",
            scenario,
            json.dumps(kwargs),
            str(memory_mb),
            str(cpu_seconds),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=max(WALL_SECONDS, cpu_seconds * 5),
        check=False,
    )
    lines = completed.stdout.strip().splitlines()
    if completed.returncode != 0 or not lines:
        return {
            "outcome": f"child died (exit {completed.returncode})",
            "stderr": completed.stderr[-3000:],
        }
    outcome: dict[str, Any] = json.loads(lines[-1])
    outcome["output"] = completed.stdout + completed.stderr
    return outcome
