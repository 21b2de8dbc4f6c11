"""`make deploy` deploys what `make build` built, with the project's samconfig.toml and ARCH.

Checked on the command make would run (`make -n`): SAM reads samconfig.toml beside the template it
is given unless --config-file names it (aws/aws-sam-cli#3629), and a command-line
--parameter-overrides replaces samconfig's instead of merging (aws/aws-sam-cli#2380).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sandbox.template import REPO_ROOT
from scripts.deploy_overrides import overrides

MAKE = shutil.which("make") or "make"


def _make_n(*args: str) -> list[list[str]]:
    completed = subprocess.run(
        [MAKE, "-n", "--no-print-directory", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return [shlex.split(line) for line in completed.stdout.splitlines() if " sam " in f" {line} " or "/sam " in line]


def _option(command: list[str], name: str) -> str:
    assert name in command, f"{name} missing from {shlex.join(command)}"
    return command[command.index(name) + 1]


def _sam(commands: list[list[str]], verb: str) -> list[str]:
    found = [command for command in commands if command[0].endswith("/sam") and command[1] == verb]
    assert len(found) == 1, commands
    return found[0]


@pytest.mark.parametrize("arch", ["arm64", "x86_64"])
def test_deploy_deploys_the_build_of_arch_with_the_projects_samconfig(arch: str) -> None:
    commands = _make_n("deploy", f"ARCH={arch}")
    build, deploy = _sam(commands, "build"), _sam(commands, "deploy")
    assert _option(build, "--build-dir") == f".aws-sam/build-{arch}"
    assert _option(build, "--parameter-overrides") == f"Architecture={arch}"
    assert _option(deploy, "--template-file") == f".aws-sam/build-{arch}/template.yaml"
    config_file = Path(_option(deploy, "--config-file"))
    assert config_file.is_absolute(), "a relative --config-file is read beside the built template"
    assert config_file == REPO_ROOT / "samconfig.toml"
    assert _option(deploy, "--config-env") == "default"
    assert "--guided" not in deploy


def test_deploy_passes_samconfigs_parameters_with_the_built_architecture() -> None:
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text("utf-8"))
    from_samconfig = overrides(config, "default")
    assert from_samconfig, "samconfig.toml [default] has parameter overrides"
    deploy = _sam(_make_n("deploy", "ARCH=x86_64"), "deploy")
    passed = dict(item.split("=", 1) for item in shlex.split(_option(deploy, "--parameter-overrides")))
    assert passed == {**from_samconfig, "Architecture": "x86_64"}


def test_guided_deploy_still_reads_the_projects_samconfig() -> None:
    deploy = _sam(_make_n("deploy", "GUIDED=1"), "deploy")
    assert "--guided" in deploy
    assert _option(deploy, "--config-file") == str(REPO_ROOT / "samconfig.toml")


def test_an_unknown_samconfig_environment_stops_before_anything_runs() -> None:
    completed = subprocess.run(
        [MAKE, "-n", "deploy", "SAM_ENV=no-such-company"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode != 0
    assert "has no environment 'no-such-company'" in completed.stderr
    assert "sam deploy" not in completed.stdout


def test_overrides_keep_values_with_spaces_in_one_piece() -> None:
    config: dict[str, Any] = {
        "acme": {
            "deploy": {
                "parameters": {"parameter_overrides": ["StackTag=acme", "InvoicesSchedule=cron(25 6-21 ? * * *)"]}
            }
        }
    }
    assert overrides(config, "acme") == {"StackTag": "acme", "InvoicesSchedule": "cron(25 6-21 ? * * *)"}
    config = {"acme": {"deploy": {"parameters": {"parameter_overrides": 'A=1 B="x y"'}}}}
    assert overrides(config, "acme") == {"A": "1", "B": "x y"}
