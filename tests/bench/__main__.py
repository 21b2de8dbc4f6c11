"""`make bench`: run every tests/bench/bench_*.py module's main() and print its figures.

Benchmarks measure; they never pass or fail on a number (timing assertions do not belong in the
test suite). Run one with `python -m tests.bench NAME` (e.g. `severa_wsdl_load`).
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    names = argv or sorted(path.stem.removeprefix("bench_") for path in here.glob("bench_*.py"))
    if not names:
        print("no benchmarks found")
        return 1
    for name in names:
        module = importlib.import_module(f"tests.bench.bench_{name}")
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        module.main()
        print(f"-- {name} took {time.perf_counter() - started:.1f} s in all\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
