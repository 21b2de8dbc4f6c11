"""`make demo`: the main job on the built-in sandbox, end to end, with no AWS account and no Docker.

Starts local AWS (moto) with the template's resources and the simulators, puts the sandbox
secrets in place, then runs each function the way its schedule would (through the local invoke
runner) and prints what happened.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sandbox.environment import Sandbox
from sandbox.invoke import function_spec
from sandbox.template import REPO_ROOT

#: The functions the demo runs, in the order a real deployment's schedules would bring them.
DEMO_FUNCTIONS = ["check_connections"]


def _event(name: str) -> dict[str, Any]:
    path = Path(REPO_ROOT / "events" / f"{name}.json")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def main() -> int:
    failures = 0
    with Sandbox() as sandbox:
        print(f"Local AWS at {sandbox.aws.endpoint_url}; state table {sandbox.aws.table_name()}")
        for name in DEMO_FUNCTIONS:
            spec = function_spec(name, sandbox.resolver)
            outcome = sandbox.invoke(spec, _event(name))
            print(f"\n== {name} ({outcome.seconds:.1f} s): {'ok' if outcome.ok else 'FAILED'}")
            print(json.dumps(outcome.result if outcome.ok else outcome.error, indent=2, ensure_ascii=False))
            failures += 0 if outcome.ok else 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
