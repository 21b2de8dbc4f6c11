"""Local invoke without Docker: run functions/<name>/app.py as Lambda would, against the sandbox.

`make invoke FUNCTION=... EVENT=...` runs one function against the sandbox kept by `make sandbox`
in another terminal (so transfers can be chained), or against a fresh one, and shows what it did
in plain words (RAW=1: the function's JSON result).

The function gets the environment the template gives it (Globals merged with its own, intrinsics
resolved against the sandbox's resources), the event, and a Lambda context whose remaining time
counts down from the template's timeout. It runs in a child process so every invoke is a cold
start with exactly that environment, and it is killed if it outlives its timeout.

    python -m sandbox.invoke check_connections events/check_connections.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
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
    on_line: Callable[[str], None] | None = None,
) -> InvokeResult:
    """Invoke once in a child process. ``bare`` runs ``python -S``: no site-packages at all, only the
    function and layer folders on the path (how the artifact smoke test proves the build is complete).
    ``on_line`` sees each line the function logs as it is written (progress displays).
    """
    code_dir = code_dir or REPO_ROOT / "functions" / spec.name
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONUNBUFFERED": "1",  # log lines as they happen, not at exit
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
        returncode, output = _run_streaming(command, env, scratch, spec.timeout + KILL_GRACE_SECONDS, on_line)
        seconds = time.monotonic() - started
        if returncode is None:
            return InvokeResult(None, {"errorType": "Timeout", "errorMessage": f"Task timed out after "
                                       f"{spec.timeout:.0f} seconds"}, output, seconds)
        if not result_file.exists():
            return InvokeResult(None, {"errorType": "Runtime.ExitError",
                                       "errorMessage": f"exit code {returncode}"}, output, seconds)
        outcome = json.loads(result_file.read_text(encoding="utf-8"))
    return InvokeResult(outcome.get("result"), outcome.get("error"), output, seconds)


def _run_streaming(
    command: list[str], env: dict[str, str], cwd: str, timeout: float, on_line: Callable[[str], None] | None
) -> tuple[int | None, str]:
    """Run ``command``, handing each output line to ``on_line``; None as the code when it was killed."""
    lines: list[str] = []
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
    )

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if on_line is not None:
                on_line(line.rstrip("\n"))

    reader = threading.Thread(target=pump, name="invoke-output", daemon=True)
    reader.start()
    try:
        returncode: int | None = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        returncode = None
    reader.join(timeout=5)
    return returncode, "".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`make invoke`: one function against the kept sandbox (or a fresh one), in plain words."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("function", help="folder name under functions/, e.g. check_connections")
    parser.add_argument("event", type=Path, help="event JSON file, e.g. events/check_connections.json")
    parser.add_argument("--raw", action="store_true", help="print the function's JSON result as it is")
    args = parser.parse_args(argv)
    from severa_netvisor.cli.errors import CliError  # noqa: PLC0415 - product code, only for the output

    try:
        return _invoke(args.function, args.event, raw=args.raw)
    except CliError as error:
        print(f"Error: {error.line()}", file=sys.stderr)
        return error.code


def _invoke(function: str, event_file: Path, *, raw: bool) -> int:
    from severa_netvisor.cli import render  # noqa: PLC0415
    from severa_netvisor.cli.present import function_report  # noqa: PLC0415
    from severa_netvisor.cli.targets import SandboxTarget  # noqa: PLC0415

    from sandbox import kept  # noqa: PLC0415
    from sandbox.environment import Sandbox  # noqa: PLC0415 - environment imports this module

    known = sorted(path.parent.name for path in (REPO_ROOT / "functions").glob("*/app.py"))
    if function not in known:
        from severa_netvisor.cli.targets import unknown_function  # noqa: PLC0415

        raise unknown_function(function, known)
    event = _read_event(event_file)
    with contextlib.ExitStack() as stack:
        link = kept.find()
        if link is None:
            print("No sandbox is running, so this invoke starts a fresh one (and it ends with the invoke). "
                  "To chain invokes, keep one running with `make sandbox` in another terminal.", file=sys.stderr)
            link = kept.link_of(stack.enter_context(Sandbox()))
        target = SandboxTarget(link)
        with render.run_progress(function, enabled=not raw) as on_line:
            outcome = target.invoke(function, event, on_line=on_line)
    if raw:
        print(json.dumps(outcome.result if outcome.error is None else {"error": outcome.error},
                         indent=2, ensure_ascii=False))
        return 0 if outcome.error is None else 1
    report = function_report(function, outcome.result, outcome.error, seconds=outcome.seconds,
                             waiting=outcome.waiting, look_further=target.look_further())
    render.show(report)
    return 0 if report.ok else 1


def _read_event(path: Path) -> Any:
    from severa_netvisor.cli.errors import CliError  # noqa: PLC0415

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        known = ", ".join(sorted(p.name for p in (REPO_ROOT / "events").glob("*.json")))
        raise CliError(f"The event file {path} could not be read ({error.strerror})",
                       f"Pass EVENT=events/<name>.json; there are: {known}.", code=2) from None
    except ValueError as error:
        raise CliError(f"The event file {path} is not valid JSON ({error})",
                       "Fix it; events/*.json are examples.", code=2) from None


if __name__ == "__main__":
    sys.exit(main())
