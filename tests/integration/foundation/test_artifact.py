"""Artifact smoke test: what `sam build` produces runs on a bare interpreter.

Source-tree tests cannot catch packaging mistakes (a module left out of the layer, a dependency
missing from layers/common/requirements.txt, a handler path typo). Here the built function and
layer are the only code on the path: `python -S` loads no site-packages at all.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.aws import LocalAws
from sandbox.invoke import function_spec, run_function
from sandbox.netvisor import NetvisorSimulator
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.severa import SeveraSimulator, build_state
from sandbox.severa import sandbox_credentials as severa_secret
from sandbox.template import REPO_ROOT, load_template, resources_of_type

SAM = REPO_ROOT / ".venv-tools" / "bin" / "sam"
ARCHITECTURE = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert SAM.exists(), "SAM CLI is missing: run the tests through `make test` (it installs .venv-tools)"
    out = tmp_path_factory.mktemp("sam-build")
    completed = subprocess.run(
        [
            str(SAM),
            "build",
            "--template",
            "template.yaml",
            "--build-dir",
            str(out),
            "--parameter-overrides",
            f"Architecture={ARCHITECTURE}",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "SAM_CLI_TELEMETRY": "0"},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return out


@pytest.mark.artifact
def test_every_function_and_the_layer_are_built(build_dir: Path) -> None:
    template = load_template()
    for logical in resources_of_type(template, "AWS::Serverless::Function"):
        assert (build_dir / logical / "app.py").exists(), logical
        # Shared code lives in the layer only; a copy in a function would shadow it.
        assert not (build_dir / logical / "severa_netvisor").exists(), logical
    layer = build_dir / "CommonLayer" / "python"
    for package in ("severa_netvisor", "zeep", "lxml", "requests", "pydantic", "aws_lambda_powertools", "boto3"):
        assert (layer / package).is_dir(), f"{package} missing from the built layer"


@pytest.mark.artifact
def test_built_check_connections_runs_on_a_bare_interpreter(build_dir: Path, local_aws: LocalAws) -> None:
    assert local_aws.resolver is not None
    severa_state = build_state(1, accounts=2, invoices=2, hour_entries=2)
    with SeveraSimulator(state=severa_state) as severa, NetvisorSimulator() as netvisor:
        local_aws.put_secret("severa-netvisor/severa", severa_secret(severa))
        local_aws.put_secret("severa-netvisor/netvisor", netvisor_secret(netvisor))
        spec = function_spec("check_connections", local_aws.resolver)
        outcome = run_function(
            spec,
            {},
            aws_env=local_aws.env(),
            bare=True,
            python=sys.executable,
            code_dir=build_dir / "CheckConnectionsFunction",
            layer_dir=build_dir / "CommonLayer" / "python",
        )
        assert outcome.ok, outcome.output + str(outcome.error)
        checks = {check["system"]: check for check in outcome.result["checks"]}
        # The built layer carries the WSDL: the Severa call went through zeep from the artifact.
        assert checks["severa"]["details"]["version"]
        assert severa.calls["GetVersion"] == 1
        assert checks["netvisor"]["ok"] is True
        assert sum(netvisor.request_log.counts().values()) >= 1
