"""Cold WSDL load time of the Severa client (what a Lambda cold start pays), plus a call round trip.

    .venv/bin/python tests/bench/bench_severa_wsdl_load.py

Each measurement runs in a fresh interpreter so nothing is cached: importing zeep and the client,
parsing the shipped WSDL, and building a client and making its first call against the simulator.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNS = 5

_PROBE = """
import json, time
t0 = time.perf_counter()
from severa_netvisor.severa.client import SeveraClient, load_wsdl_document
t1 = time.perf_counter()
load_wsdl_document()
t2 = time.perf_counter()
from severa_netvisor.credentials import SeveraCredentials
from sandbox.severa import SeveraSimulator, build_state, sandbox_credentials
with SeveraSimulator(state=build_state(1, accounts=1, invoices=1, hour_entries=1)) as sim:
    t3 = time.perf_counter()
    client = SeveraClient(SeveraCredentials(**sandbox_credentials(sim)))
    client.get_version()
    t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "wsdl_parse": t2 - t1, "client_and_first_call": t4 - t3}))
"""


def _measure() -> dict[str, float]:
    env_path = f"{REPO_ROOT}:{REPO_ROOT / 'layers' / 'common'}"
    output = subprocess.run(
        [sys.executable, "-c", _PROBE],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={"PYTHONPATH": env_path, "POWERTOOLS_TRACE_DISABLED": "1", "PATH": "/usr/bin:/bin"},
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    runs = [_measure() for _ in range(RUNS)]
    print(f"Severa WSDL cold load over {RUNS} fresh interpreters (median / max, seconds):")
    for key in ("import", "wsdl_parse", "client_and_first_call"):
        values = [run[key] for run in runs]
        print(f"  {key:<24} {statistics.median(values):.3f} / {max(values):.3f}")
    total = [run["import"] + run["wsdl_parse"] for run in runs]
    print(f"  {'import + parse':<24} {statistics.median(total):.3f} / {max(total):.3f}")


if __name__ == "__main__":
    main()
