"""Cold start as in Lambda: a fresh interpreter imports a function's handler module and parses the
Severa WSDL (what a function's init phase pays before its first invocation).

    .venv/bin/python -m tests.bench cold_start

Each function is measured in fresh interpreters (median of RUNS), with the layer and the function's
own folder on the path as Lambda lays them out. Wall time is what Lambda bills and waits for; CPU
time (user + system of the child) is printed beside it because it is what stays stable on a busy
machine. Goal (issue 16): at most 0.30 s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNS = int(os.environ.get("BENCH_COLD_RUNS", "7"))
GOAL_SECONDS = 0.30
FUNCTIONS = sorted(p.name for p in (REPO_ROOT / "functions").iterdir() if (p / "app.py").is_file())

_PROBE = """
import json, resource, sys, time
started = time.perf_counter()
import app
imported = time.perf_counter()
from severa_netvisor.severa.client import load_wsdl_document
load_wsdl_document()
parsed = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "import": imported - started,
    "wsdl": parsed - imported,
    "total": parsed - started,
    "cpu": usage.ru_utime + usage.ru_stime,
    "modules": len(sys.modules),
    "xray": "aws_xray_sdk" in sys.modules,
    "s3transfer": "s3transfer" in sys.modules,
    "pydantic_settings": "pydantic_settings" in sys.modules,
}))
"""

#: The floor under any function: the libraries the design card fixes (boto3, zeep, requests, lxml,
#: pydantic, Powertools' logger, metrics and parameters), imported and nothing of the product's, plus
#: the same WSDL parsed by zeep directly. What the product adds is the cold start minus this.
_FLOOR_PROBE = """
import json, resource, sys, time
started = time.perf_counter()
import boto3, lxml.etree, pydantic, requests, zeep
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities import parameters
imported = time.perf_counter()
from zeep.settings import Settings
from zeep.transports import Transport
from zeep.wsdl import Document
Document(sys.argv[1], Transport(cache=None), settings=Settings(strict=True, xml_huge_tree=True))
parsed = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"import": imported - started, "wsdl": parsed - imported, "total": parsed - started,
                  "cpu": usage.ru_utime + usage.ru_stime}))
"""
WSDL = REPO_ROOT / "layers" / "common" / "severa_netvisor" / "severa" / "wsdl" / "severa.wsdl"


def _env(pythonpath: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": pythonpath,
        "AWS_DEFAULT_REGION": "eu-north-1",
        "POWERTOOLS_SERVICE_NAME": "severa-netvisor",
        "POWERTOOLS_METRICS_NAMESPACE": "SeveraNetvisor",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def measure_floor() -> dict[str, float]:
    """One fresh interpreter importing only the fixed dependencies and parsing the WSDL with zeep."""
    output = subprocess.run(
        [sys.executable, "-c", _FLOOR_PROBE, str(WSDL)], check=True, capture_output=True, text=True, env=_env("")
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def measure(function: str) -> dict[str, float]:
    env = _env(f"{REPO_ROOT / 'functions' / function}:{REPO_ROOT / 'layers' / 'common'}")
    output = subprocess.run(
        [sys.executable, "-c", _PROBE], check=True, capture_output=True, text=True, cwd=REPO_ROOT, env=env
    ).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    print(f"Cold start (import the handler module + parse the Severa WSDL), median of {RUNS} fresh interpreters")
    print(f"  {'function':<18} {'import s':>9} {'WSDL s':>7} {'total s':>8} {'CPU s':>6}  goal <= {GOAL_SECONDS:.2f} s")
    for function in FUNCTIONS:
        runs = [measure(function) for _ in range(RUNS)]
        median = {key: statistics.median(run[key] for run in runs) for key in ("import", "wsdl", "total", "cpu")}
        verdict = "pass" if median["total"] <= GOAL_SECONDS else "FAIL"
        print(
            f"  {function:<18} {median['import']:9.3f} {median['wsdl']:7.3f} {median['total']:8.3f} "
            f"{median['cpu']:6.3f}  {verdict}"
        )
    floors = [measure_floor() for _ in range(RUNS)]
    floor = {key: statistics.median(run[key] for run in floors) for key in ("import", "wsdl", "total", "cpu")}
    print(
        f"  {'(floor)':<18} {floor['import']:9.3f} {floor['wsdl']:7.3f} {floor['total']:8.3f} {floor['cpu']:6.3f}"
        "  the fixed dependencies alone (boto3, zeep, requests, lxml, pydantic, Powertools) + zeep's WSDL parse"
    )
    last = runs[-1]
    loaded = ", ".join(name for name in ("xray", "s3transfer", "pydantic_settings") if last[name])
    print(f"  modules loaded by {FUNCTIONS[-1]}: {int(last['modules'])}; of the avoidable ones: {loaded or 'none'}")
    print(f"  (load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs: wall time rises with it)")


if __name__ == "__main__":
    main()
