"""Every command the README shows is run here (or, for the few that need Docker or a whole CI run,
checked as far as this machine allows and named below).

Commands are the lines of ```sh blocks and the inline `code` that starts with a program name.
``make`` targets run (the sandbox and invokes for real, the rest as ``make -n``); ``severa-netvisor``
runs through its console script against the sandbox or a stack in the tests' moto server; ``aws``
commands are replayed through boto3 (the same service model the AWS CLI uses) against moto.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from severa_netvisor.credentials import NetvisorCredentials, SeveraCredentials
from severa_netvisor.digest import Digest, compose
from severa_netvisor.engine.summary import RunSummary
from severa_netvisor.finnish import FinnishValidationError, validate_finnish_reference
from severa_netvisor.register import Failure
from severa_netvisor.state import SourceRef

from sandbox.aws import LocalAws
from sandbox.template import REPO_ROOT, load_template
from tests.integration.foundation import stack_stand_in

README = (REPO_ROOT / "README.md").read_text("utf-8")
MAKE = shutil.which("make") or "make"
CLI = Path(sys.executable).parent / "severa-netvisor"
PROGRAMS = ("make ", "severa-netvisor ", "aws ", "sam ", "sudo ")

#: Commands that need Docker (the brief: checked by hand once, not in `make test`); they are
#: checked here as far as possible: every option SAM must know, every file and function they name.
DOCKER_ONLY = ("sam local invoke", "sudo docker/build-lambda-python311.sh")
#: What `make test` and `make demo` run is covered by CI itself and by test_demo.py.
COVERED_ELSEWHERE = {"make test": "CI runs it", "make demo": "tests/integration/foundation/test_demo.py"}


def _commands() -> list[str]:
    found: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        for raw in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", raw.strip())
            if line and not line.startswith("#"):
                found.append(line)
    for span in re.findall(r"`([^`\n]+)`", README):
        # A mention that only names a command shown in full elsewhere ("`make invoke`") is not another.
        if span.startswith(PROGRAMS) and not any(command.startswith(span) for command in found):
            found.append(span)
    return found


COMMANDS = _commands()


def _of(program: str) -> list[str]:
    return [command for command in COMMANDS if command.startswith(program)]


def test_the_readme_shows_the_commands_people_need() -> None:
    for expected in ("make demo", "make test", "make deploy GUIDED=1", "severa-netvisor check", "make sandbox",
                     "aws secretsmanager create-secret --name severa-netvisor/severa --secret-string "
                     "file://severa-secret.json"):
        assert expected in COMMANDS, expected
    handled = set(_of("make ")) | set(_of("severa-netvisor ")) | set(_of("aws ")) | set(_of("sam ")) | set(_of("sudo "))
    assert set(COMMANDS) == handled


# -- make ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [c for c in _of("make ") if c not in COVERED_ELSEWHERE])
def test_make_commands_exist_with_their_arguments(command: str, tmp_path: Path) -> None:
    args = [arg.replace("<transfer>", "invoices") for arg in shlex.split(command)[1:]]
    if "SAM_ENV=acme" in args:  # "Give each a samconfig.toml environment": the README's own block
        samconfig = tmp_path / "samconfig.toml"
        block = re.search(r"```toml\n(.*?)```", README, flags=re.S)
        assert block is not None
        samconfig.write_text((REPO_ROOT / "samconfig.toml").read_text("utf-8") + "\n" + block.group(1), "utf-8")
        args.append(f"SAMCONFIG={samconfig}")
    completed = subprocess.run([MAKE, "-n", "--no-print-directory", *args], cwd=REPO_ROOT, capture_output=True,
                               text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    if "SAM_ENV=acme" in args:
        assert "SeveraSecretName=severa-netvisor-acme/severa" in completed.stdout


def test_make_demo_and_make_test_run_what_their_tests_cover() -> None:
    demo = subprocess.run([MAKE, "-n", "demo"], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert "-m sandbox.demo" in demo.stdout  # what test_demo.py runs
    test = subprocess.run([MAKE, "-n", "test"], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    for step in ("ruff check", "mypy", "pytest", "sam validate"):
        assert step in test.stdout


# -- the sandbox, make invoke and severa-netvisor --sandbox: for real ----------------------------------


@pytest.fixture(scope="module")
def make_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    assert "make sandbox" in COMMANDS
    env = {**os.environ, "SEVERA_NETVISOR_SANDBOX_DIR": str(tmp_path_factory.mktemp("readme-sandbox"))}
    process = subprocess.Popen([MAKE, "--no-print-directory", "sandbox"], cwd=REPO_ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    ready = threading.Event()
    lines: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C stops it." in line:
                ready.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        assert ready.wait(120), "".join(lines)
        yield env
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: make and the sandbox both get it
        process.wait(timeout=60)
        reader.join(timeout=10)
        assert "The sandbox has stopped." in "".join(lines)


@pytest.mark.parametrize("command", [c for c in COMMANDS
                                     if c.startswith("make invoke") or c.startswith("severa-netvisor --sandbox")])
def test_sandbox_commands_run(command: str, make_sandbox: dict[str, str]) -> None:
    args = shlex.split(command)
    program = [MAKE, "--no-print-directory"] if args[0] == "make" else [str(CLI)]
    completed = subprocess.run([*program, *args[1:]], cwd=REPO_ROOT, env=make_sandbox, capture_output=True, text=True,
                               timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
    assert "starts a fresh one" not in completed.stderr  # it used the kept sandbox


# -- severa-netvisor on a deployed stack (moto) -------------------------------------------------------

@pytest.mark.parametrize("command", [c for c in _of("severa-netvisor ") if "--sandbox" not in c])
def test_stack_commands_run(command: str, local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from severa_netvisor.cli.targets import DeployedStack

    words = shlex.split(command)[1:]
    stack = words[words.index("--stack") + 1] if "--stack" in words else "severa-netvisor"
    stand_in = stack_stand_in.deploy(local_aws, stack)
    # A failure a run left, for the commands that name one (`failures show <id>`).
    planted = stand_in.register().failures("invoices") or [stack_stand_in.plant(stand_in, stack_stand_in.failure(
        "invoices", 10062))]  # fmt: skip
    args = [arg.replace("<transfer>", "invoices").replace("<id>", planted[0].id) for arg in words]
    monkeypatch.setattr(DeployedStack, "_lambda", lambda self: stack_stand_in.AnsweringLambda())
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.chdir(tmp_path)  # "Copy config/mapping.example.yaml to mapping.yaml"
    shutil.copyfile(REPO_ROOT / "config" / "mapping.example.yaml", tmp_path / "mapping.yaml")
    code, out, err = stack_stand_in.run_cli(capsys, monkeypatch, *args)
    assert code == 0, out + err


# -- aws: replayed through boto3 against moto ---------------------------------------------------------


def _secret_files(folder: Path) -> None:
    blocks = re.findall(r"`(\w+-secret\.json)`:\s*```json\n(.*?)```", README, flags=re.S)
    assert {name for name, _ in blocks} == {"severa-secret.json", "netvisor-secret.json"}
    for name, body in blocks:
        (folder / name).write_text(re.sub(r"\n\s*", " ", body), encoding="utf-8")


def test_the_secrets_json_has_exactly_the_fields_the_functions_read(tmp_path: Path) -> None:
    _secret_files(tmp_path)
    severa = json.loads((tmp_path / "severa-secret.json").read_text("utf-8"))
    netvisor = json.loads((tmp_path / "netvisor-secret.json").read_text("utf-8"))
    assert set(severa) == set(SeveraCredentials.model_fields)
    assert set(netvisor) == set(NetvisorCredentials.model_fields)


def _aws(command: str, local_aws: LocalAws, folder: Path) -> Any:
    words = shlex.split(command)
    service, operation, options = words[1], words[2], words[3:]
    parameters: dict[str, Any] = {}
    for index in range(0, len(options), 2):
        name = "".join(part.capitalize() for part in options[index].removeprefix("--").split("-"))
        name = {"SecretId": "SecretId", "StackName": "StackName"}.get(name, name)
        value = options[index + 1]
        if value.startswith("file://"):
            value = (folder / value.removeprefix("file://")).read_text("utf-8")
        parameters[name] = value
    client = local_aws.client(service)
    return getattr(client, operation.replace("-", "_"))(**parameters)


def test_aws_commands_do_what_the_readme_says(local_aws: LocalAws, tmp_path: Path) -> None:
    _secret_files(tmp_path)
    commands = _of("aws ")
    assert commands
    stack_stand_in.deploy(local_aws, "severa-netvisor")
    secrets = local_aws.client("secretsmanager")
    for name in ("severa-netvisor/severa", "severa-netvisor/netvisor"):  # the sandbox's own copies
        secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    try:
        for command in commands:
            reply = _aws(command, local_aws, tmp_path)
            assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200, command
        for name, file in (("severa-netvisor/severa", "severa-secret.json"),
                           ("severa-netvisor/netvisor", "netvisor-secret.json")):
            stored = secrets.get_secret_value(SecretId=name)["SecretString"]
            assert json.loads(stored) == json.loads((tmp_path / file).read_text("utf-8"))
    finally:
        from sandbox.environment import SANDBOX_NETVISOR_SECRET, SANDBOX_SEVERA_SECRET

        local_aws.put_secret("severa-netvisor/severa", SANDBOX_SEVERA_SECRET)
        local_aws.put_secret("severa-netvisor/netvisor", SANDBOX_NETVISOR_SECRET)


@pytest.mark.parametrize("command", [c for c in _of("sam ") if not c.startswith(DOCKER_ONLY)])
def test_sam_commands_the_readme_names_are_what_make_runs(command: str) -> None:
    dry_runs = "".join(
        subprocess.run([MAKE, "-n", "--no-print-directory", target], cwd=REPO_ROOT, capture_output=True, text=True,
                       timeout=60, check=False).stdout
        for target in ("build", "validate", "deploy")
    )
    assert f"/sam {command.removeprefix('sam ')}" in dry_runs


# -- Docker only: checked as far as this machine allows -----------------------------------------------


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.startswith(DOCKER_ONLY)])
def test_docker_commands_name_real_files_options_and_functions(command: str) -> None:
    words = shlex.split(command)
    if words[0] == "sudo":
        assert (REPO_ROOT / words[1]).is_file()
        assert os.access(REPO_ROOT / words[1], os.X_OK)
        return
    help_text = subprocess.run([str(REPO_ROOT / ".venv-tools" / "bin" / "sam"), "local", "invoke", "--help"],
                               capture_output=True, text=True, timeout=120, check=False).stdout
    for option in (word for word in words if word.startswith("--")):
        assert option in help_text, f"sam local invoke has no {option}"
    assert words[words.index("-e") + 1].startswith("events/")
    assert (REPO_ROOT / words[words.index("-e") + 1]).is_file()
    assert words[words.index("-t") + 1] == ".aws-sam/build-x86_64/template.yaml"  # what `make build ARCH=x86_64` makes
    assert words[words.index("--env-vars") + 1] == ".sandbox/sam-env.json"  # what `make sandbox` writes
    assert words[-1] in load_template()["Resources"]


# -- the example digest: composed by the functions' own code, so the README cannot drift -----------------


def example_digest() -> Digest:
    """The e-mail a run of invoices with three new failures sends (the README shows it verbatim)."""
    with pytest.raises(FinnishValidationError) as refused:  # the product's own words for a mistyped reference
        validate_finnish_reference("100624")
    refused_reference = f"Invoice 10062: {refused.value.message}"
    base: dict[str, Any] = {"transfer": "invoices", "retryable": False, "fingerprint": "-", "run_id": "run-1"}
    failures = [
        Failure(ref=SourceRef("severa", "invoice", "0d5f2c1e-6a0b-4c8e-9f5e-1b2a3c4d5e01"), step="prepare",
                label="invoice 10062 to Länsirannikon Konsultointi Oy", reason=refused_reference, for_author=True,
                action="Correct the reference number of invoice 10062 in Severa; the next run sends it.", **base),
        Failure(ref=SourceRef("severa", "invoice", "0d5f2c1e-6a0b-4c8e-9f5e-1b2a3c4d5e02"), step="write",
                label="invoice 10063 to Mäkelän Sähkö Tmi", for_author=True,
                reason="Netvisor salesinvoice.nv failed: INVALID_DATA :: Data form incorrect:. Product not found "
                       "with identifier (customer): MATKA-01",
                remote_text="INVALID_DATA :: Data form incorrect:. Product not found with identifier (customer): "
                            "MATKA-01", error_class="NetvisorInvalidDataError",
                action="Correct the record named in Netvisor's message (or the mapping that produced it), then "
                       "replay it.", **base),
        Failure(ref=SourceRef("severa", "invoice", "0d5f2c1e-6a0b-4c8e-9f5e-1b2a3c4d5e03"), step="dependency",
                label="invoice 10064 to Pohjolan Putkityö Ab", for_author=False,
                reason="Invoice 10064 needs customer Pohjolan Putkityö Ab first, which could not be transferred: "
                       "business ID: '1234567-8' has a wrong check digit",
                blocked_by="customers/severa/account/5e6279db-e09e-4d5a-a531-9f4782fe3a4a",
                action="Fix the customer in Severa; the invoice follows on the next run.", **base),
    ]  # fmt: skip
    summary = RunSummary(transfer="invoices", run_id="run-1", dry_run=False, open_failures=3,
                         started_at=datetime(2026, 3, 12, 7, 25, tzinfo=UTC))  # fmt: skip
    digest = compose(summary, failures, stack="severa-netvisor")
    assert digest is not None
    return digest


def test_the_readme_shows_the_digest_the_functions_send() -> None:
    digest = example_digest()
    shown = [block for block in re.findall(r"```text\n(.*?)```", README, flags=re.S) if block.startswith("Subject:")]
    assert shown == [f"Subject: {digest.subject}\n\n{digest.message}\n"], (
        "The README's example digest differs from what digest.compose writes; paste this in its place:\n"
        f"Subject: {digest.subject}\n\n{digest.message}")


# -- the alarms table and the links ---------------------------------------------------------------------


def _alarm_rows() -> list[str]:
    """The alarm names of the README's alarms table, as shown (`...<Transfer>HeartbeatAlarm`)."""
    table = README.split("### Alarms", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `\.\.\.([^`]+)` \|", table, flags=re.M)


def test_the_alarms_table_explains_every_alarm_of_the_template() -> None:
    alarms = [logical for logical, spec in load_template(REPO_ROOT / "template.yaml")["Resources"].items()
              if spec["Type"] in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")]  # fmt: skip
    rows = _alarm_rows()
    assert rows, "the README has an alarms table"
    # `<Transfer>` and `<Function>` stand for a name of the template's own ("Invoices", "CheckConnections").
    patterns = {row: re.compile(re.sub(r"<[A-Za-z]+>", "[A-Z][A-Za-z]+", row) + "$") for row in rows}
    unexplained = [alarm for alarm in alarms if not any(p.match(alarm) for p in patterns.values())]
    assert unexplained == [], "add a row to the README's alarms table for each of these"
    stale = [row for row, pattern in patterns.items() if not any(pattern.match(alarm) for alarm in alarms)]
    assert stale == [], "the README explains alarms the template does not have"


def test_the_alarms_table_names_real_parameters_and_the_real_receive_count() -> None:
    template = load_template(REPO_ROOT / "template.yaml")
    table = README.split("### Alarms", 1)[1].split("\n#", 1)[0]
    named = set(re.findall(r"`([A-Z][a-z]+(?:[A-Z][a-z]*)+)`", table))
    assert named, "the table names the parameters that tune the alarms"
    assert sorted(named - set(template["Parameters"])) == []
    receives = template["Resources"]["FailedRecordsQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    words = {12: "twelve"}.get(int(receives), str(receives))
    assert f"could not be handled {words} times" in table


def test_every_file_the_readme_links_to_is_there() -> None:
    links = [target.split("#", 1)[0] for target in re.findall(r"\]\(([^)\s]+)\)", README)
             if not re.match(r"[a-z]+:", target)]  # fmt: skip
    assert "docs/architecture.md" in links
    assert [link for link in links if link and not (REPO_ROOT / link).exists()] == []
