"""Run one scenario under a memory and CPU cap and print its outcome as one JSON line.

    python -m tests.reliability.hostile.child SCENARIO '{"kwarg": ...}' MEMORY_MB CPU_SECONDS

The caps are set before anything is imported, so the whole process lives within them: running out
of memory is a MemoryError (reported), running out of CPU kills the process (SIGXCPU).
"""

from __future__ import annotations

import json
import resource
import sys
from typing import Any


def _cap(memory_mb: int, cpu_seconds: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))


def _outcome(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    outcome = _run(name, kwargs)
    outcome["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    outcome["cpu_seconds"] = round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 3)
    return outcome


def _run(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    from severa_netvisor.errors import IntegrationError

    from tests.reliability.hostile import scenarios

    try:
        returned = getattr(scenarios, name)(**kwargs)
    except IntegrationError as error:
        return {
            "outcome": "error",
            "error_class": error.error_class,
            "message": error.message,
            "remote_text": error.remote_text,
            "retryable": error.retryable,
        }
    except MemoryError:
        return {"outcome": "out of memory"}
    except RecursionError:
        return {"outcome": "recursion error"}
    except Exception as error:  # anything else is a crash the product should not have
        return {"outcome": "crash", "error_class": type(error).__name__, "message": str(error)[:2000]}
    return {"outcome": "returned", **returned}


def main(argv: list[str]) -> None:
    name, arguments, memory_mb, cpu_seconds = argv
    _cap(int(memory_mb), int(cpu_seconds))
    outcome = _outcome(name, json.loads(arguments))
    print(json.dumps(outcome, default=str), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
