"""Local invoke without Docker: run functions/<name>/app.py as Lambda would, against the sandbox.

The function gets the environment the template gives it (Globals merged with its own, intrinsics
resolved against the sandbox's resources), the event, and a Lambda context whose remaining time
counts down from the template's timeout. It runs in a child process so every invoke is a cold
start with exactly that environment, and it is killed if it outlives its timeout.

    python -m sandbox.invoke check_connections events/check_connections.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.template import REPO_ROOT, Resolver, function_for_code_dir

BOOTSTRAP = Path(__file__).resolve().parent / "lambda_bootstrap.py"
SOURCE_LAYER = REPO_ROOT / "layers" / "common"
# Seconds a child may run past its Lambda timeout before it is killed (start-up, flush).
KILL_GRACE_SECONDS = 15


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    logical_id: str
    handler: str
    timeout: float
    memory_mb: int
    environment: dict[str, str]


@dataclass(frozen=True)
class InvokeResult:
    result: Any
    error: dict[str, Any] | None
    output: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


def function_spec(name: str, resolver: Resolver) -> FunctionSpec:
    """What the template says about functions/<name>/, with Globals applied."""
    logical, spec = function_for_code_dir(resolver.template, name)
    defaults = resolver.template.get("Globals", {}).get("Function", {})
    props = {**defaults, **spec.get("Properties", {})}
    variables = {
        **defaults.get("Environment", {}).get("Variables", {}),
        **spec.get("Properties", {}).get("Environment", {}).get("Variables", {}),
    }
    return FunctionSpec(
        name=name,
        logical_id=logical,
        handler=str(props.get("Handler", "app.lambda_handler")),
        timeout=float(resolver.resolve(props.get("Timeout", 3))),
        memory_mb=int(resolver.resolve(props.get("MemorySize", 128))),
        environment={key: str(value) for key, value in resolver.resolve(variables).items()},
    )


def run_function(
    spec: FunctionSpec,
    event: Any,
    *,
    aws_env: dict[str, str],
    code_dir: Path | None = None,
    layer_dir: Path = SOURCE_LAYER,
    python: str = sys.executable,
    bare: bool = False,
    extra_env: dict[str, str] | None = None,
) -> InvokeResult:
    """Invoke once in a child process. ``bare`` runs ``python -S``: no site-packages at all, only the
    function and layer folders on the path (how the artifact smoke test proves the build is complete).
    """
    code_dir = code_dir or REPO_ROOT / "functions" / spec.name
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        **aws_env,
        **spec.environment,
        **(extra_env or {}),
        "PYTHONPATH": os.pathsep.join([str(code_dir), str(layer_dir)]),
        "LAMBDA_TIMEOUT_SECONDS": str(spec.timeout),
        "LAMBDA_MEMORY_MB": str(spec.memory_mb),
        "LAMBDA_FUNCTION_NAME": f"severa-netvisor-{spec.logical_id}",
        "AWS_LAMBDA_FUNCTION_NAME": f"severa-netvisor-{spec.logical_id}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
    }
    with tempfile.TemporaryDirectory(prefix="invoke-") as scratch:
        event_file = Path(scratch) / "event.json"
        result_file = Path(scratch) / "result.json"
        event_file.write_text(json.dumps(event), encoding="utf-8")
        command = [python, *(["-S"] if bare else []), str(BOOTSTRAP), str(code_dir), spec.handler,
                   str(event_file), str(result_file)]
        started = time.monotonic()
        try:
            completed = subprocess.run(  # noqa: S603 - our own interpreter and script
                command, env=env, capture_output=True, text=True, check=False,
                timeout=spec.timeout + KILL_GRACE_SECONDS, cwd=scratch,
            )
        except subprocess.TimeoutExpired as expired:
            output = (expired.stdout or "") + (expired.stderr or "")  # type: ignore[operator]
            return InvokeResult(None, {"errorType": "Timeout", "errorMessage": f"Task timed out after "
                                       f"{spec.timeout:.0f} seconds"}, str(output), time.monotonic() - started)
        seconds = time.monotonic() - started
        output = completed.stdout + completed.stderr
        if not result_file.exists():
            return InvokeResult(None, {"errorType": "Runtime.ExitError",
                                       "errorMessage": f"exit code {completed.returncode}"}, output, seconds)
        outcome = json.loads(result_file.read_text(encoding="utf-8"))
    return InvokeResult(outcome.get("result"), outcome.get("error"), output, seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("function", help="folder name under functions/, e.g. check_connections")
    parser.add_argument("event", type=Path, help="event JSON file, e.g. events/check_connections.json")
    args = parser.parse_args()
    from sandbox.environment import Sandbox  # noqa: PLC0415 - environment imports this module

    event = json.loads(args.event.read_text(encoding="utf-8"))
    with Sandbox() as sandbox:
        spec = function_spec(args.function, sandbox.resolver)
        outcome = sandbox.invoke(spec, event)
    sys.stderr.write(outcome.output)
    print(json.dumps(outcome.result if outcome.ok else {"error": outcome.error}, indent=2, ensure_ascii=False))
    print(f"-- {args.function}: {'ok' if outcome.ok else 'FAILED'} in {outcome.seconds:.2f} s", file=sys.stderr)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
