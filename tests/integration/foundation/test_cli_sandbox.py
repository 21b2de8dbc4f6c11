"""`severa-netvisor sandbox` in one process, the other commands and `make invoke` from others.

Everything runs through the installed console script (and `python -m sandbox.invoke`, which
`make invoke` runs) as separate processes, the way a person uses them from two terminals.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest

from sandbox import docker_relay
from sandbox.template import REPO_ROOT

CLI = Path(sys.executable).parent / "severa-netvisor"
READY = "Ctrl-C stops it."


@dataclass
class Running:
    process: subprocess.Popen[str]
    lines: list[str]
    env: dict[str, str]
    state_dir: Path

    def link(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads((self.state_dir / "sandbox.json").read_text("utf-8"))
        return loaded


def _start(command: list[str], state_dir: Path) -> Running:
    env = {**os.environ, "SEVERA_NETVISOR_SANDBOX_DIR": str(state_dir), "COLUMNS": "200"}
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    lines: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if READY in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(120):
        process.kill()
        pytest.fail("the sandbox did not start: " + "".join(lines))
    return Running(process, lines, env, state_dir)


def _stop(running: Running) -> int:
    running.process.send_signal(signal.SIGINT)
    return running.process.wait(timeout=60)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    assert CLI.exists(), f"{CLI} is missing: `make venv` installs the console script"
    running = _start([str(CLI), "sandbox"], tmp_path_factory.mktemp("sandbox-state"))
    yield running
    if running.process.poll() is None:
        _stop(running)


def _cli(sandbox: Running, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run([str(CLI), "--sandbox", *args], cwd=REPO_ROOT, env=sandbox.env, capture_output=True,
                               text=True, timeout=timeout, check=False)
    assert "Traceback" not in completed.stderr + completed.stdout
    return completed


def test_the_sandbox_prints_its_addresses_and_the_env_vars_file(sandbox: Running) -> None:
    link = sandbox.link()
    text = "".join(sandbox.lines)
    for key in ("endpoint_url", "severa_url", "netvisor_url"):
        assert str(link[key]) in text
    env_vars = json.loads((sandbox.state_dir / "sam-env.json").read_text("utf-8"))["Parameters"]
    physical = link["physical"]
    assert isinstance(physical, dict)
    assert env_vars["STATE_TABLE_NAME"] == physical["StateTable"]["Ref"]
    endpoint = urlsplit(str(link["endpoint_url"]))
    if docker_relay.bridge_address() is None:  # no Docker here: the sandbox as it is
        assert env_vars["AWS_ENDPOINT_URL"] == link["endpoint_url"]
        return
    # With Docker: a container reaches the sandbox through a relay on Docker's bridge, and reads
    # its own copies of the secrets, whose URLs go through the relays too.
    relayed = urlsplit(env_vars["AWS_ENDPOINT_URL"])
    assert relayed.hostname == docker_relay.DOCKER_HOST
    assert urlsplit(env_vars["FAILED_RECORDS_QUEUE_URL"]).netloc == relayed.netloc
    bridge = docker_relay.bridge_address()
    with socket.create_connection((bridge, relayed.port), timeout=5) as relay:
        relay.sendall(f"GET /moto-api/ HTTP/1.0\r\nHost: {endpoint.netloc}\r\n\r\n".encode())
        assert relay.recv(64).startswith(b"HTTP/1.")
    secrets = boto3.client("secretsmanager", endpoint_url=str(link["endpoint_url"]), region_name=str(link["region"]),
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    for variable in ("SEVERA_SECRET_NAME", "NETVISOR_SECRET_NAME"):
        assert env_vars[variable].endswith("-docker")
        body = secrets.get_secret_value(SecretId=env_vars[variable])["SecretString"]
        assert f"{docker_relay.DOCKER_HOST}:" in body
        assert "127.0.0.1" not in body


def test_check_on_the_sandbox(sandbox: Running) -> None:
    completed = _cli(sandbox, "check")
    assert completed.returncode == 0, completed.stderr
    assert "Severa: reachable, the credentials work" in completed.stdout
    assert "Netvisor: reachable, the credentials work" in completed.stdout
    as_json = json.loads(_cli(sandbox, "check", "--json").stdout)
    assert as_json["ok"] is True


def test_runs_chain_on_the_kept_sandbox(sandbox: Running) -> None:
    first = _cli(sandbox, "run", "customers")
    assert first.returncode == 0, first.stderr
    assert "new in Netvisor" in first.stdout
    # make invoke runs against the same sandbox: the customers are already there.
    again = subprocess.run([sys.executable, "-m", "sandbox.invoke", "customers", "events/customers.json"],
                           cwd=REPO_ROOT, env=sandbox.env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert "Nothing to do: everything is up to date." in again.stdout
    assert "starts a fresh one" not in again.stderr


def test_a_run_that_leaves_records_waiting_names_them(sandbox: Running) -> None:
    # Invoices before the dimensions exist in Netvisor: each invoice waits, named by number and customer.
    dry = json.loads(_cli(sandbox, "run", "invoices", "--dry-run", "--json").stdout)
    assert dry["dry_run"] is True
    completed = _cli(sandbox, "run", "invoices")
    assert "What needs you:" in completed.stdout
    waiting = [line for line in completed.stdout.splitlines() if line.startswith("  - invoice ")]
    assert waiting, completed.stdout
    assert all(" to " in line for line in waiting[:3])
    assert "More: severa-netvisor --sandbox failures list" in completed.stdout
    assert "Error" not in completed.stdout


def _open_invoice_failures(sandbox: Running) -> list[dict[str, object]]:
    """The open failures of invoices: the invoices run before products and dimensions are in Netvisor
    (as test_a_run_that_leaves_records_waiting_names_them leaves them, or this one makes them)."""
    listed = _cli(sandbox, "failures", "list", "--transfer", "invoices", "--json")
    assert listed.returncode == 0, listed.stderr
    failures: list[dict[str, object]] = json.loads(listed.stdout)
    if not failures:
        assert "What needs you:" in _cli(sandbox, "run", "invoices").stdout
        failures = json.loads(_cli(sandbox, "failures", "list", "--transfer", "invoices", "--json").stdout)
    assert failures
    return failures


def test_status_and_the_failure_lifecycle_on_the_sandbox(sandbox: Running) -> None:
    failures = _open_invoice_failures(sandbox)
    first = failures[0]
    label, failure_id = str(first["label"]), str(first["id"])

    status = _cli(sandbox, "status")
    assert status.returncode == 0, status.stderr
    [invoices] = [line for line in status.stdout.splitlines() if line.startswith("invoices ")]
    assert f"{len(failures)} (oldest: " in invoices
    assert "failed" in invoices
    assert "Alarms exist only in a deployed stack" in status.stdout
    assert f"{len(failures)} open failure" in status.stdout.split("What needs you:")[1]
    as_json = json.loads(_cli(sandbox, "status", "--json").stdout)
    assert as_json["alarms"] is None
    [entry] = [t for t in as_json["transfers"] if t["transfer"] == "invoices"]
    assert entry["open_failures"] == len(failures)
    assert entry["last_run"]["counts"]["failed"] >= 1

    listed = _cli(sandbox, "failures", "list")
    assert f"{failure_id}  {label}" in listed.stdout
    assert "failed when sending it to Netvisor" in listed.stdout
    shown = _cli(sandbox, "failures", "show", failure_id)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"{label}: open since ")
    assert f"What went wrong:   {first['reason']}" in shown.stdout
    assert json.loads(shown.stdout.split("The record as read from Severa:\n", 1)[1])["number"]

    # Products are not in Netvisor yet: the replay fails again, and says why.
    again = _cli(sandbox, "failures", "replay", failure_id)
    assert again.returncode == 1, again.stdout + again.stderr
    assert f"{label}: still fails: " in again.stdout
    assert "More: severa-netvisor --sandbox failures list" in again.stdout

    # The fix: what the invoices need goes over; a dry run changes nothing, the replay closes them all.
    for transfer in ("products", "dimensions"):
        assert _cli(sandbox, "run", transfer).returncode == 0
    dry = _cli(sandbox, "failures", "replay", "--all", "invoices", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "dry run of a replay" in dry.stdout
    still_open = json.loads(_cli(sandbox, "failures", "list", "--transfer", "invoices", "--json").stdout)
    assert len(still_open) == len(failures)
    replayed = _cli(sandbox, "failures", "replay", "--all", "invoices")
    # All but one go through. The sandbox's same-number case (invoice 90100 of two business units) stays:
    # Netvisor holds one of them, and the other is refused, not adopted (issue 12, item 5). The replay
    # says so and ends with an error, as any replay that leaves a failure open does.
    left = json.loads(_cli(sandbox, "failures", "list", "--transfer", "invoices", "--json").stdout)
    assert [str(f["reason"]).split(",")[0] for f in left] == ["Netvisor already holds invoice number 90100"]
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    assert f"{left[0]['label']}: still fails: Netvisor already holds invoice number 90100" in replayed.stdout
    for failure in failures:
        if failure["id"] != left[0]["id"]:
            assert f"{failure['label']}: went through; its failure is closed" in replayed.stdout
    after = _cli(sandbox, "failures", "list").stdout
    assert "90100" in after
    assert len(after.strip().splitlines()) < len(failures)
    # The seeded credit notes went over with their invoices, unsent: their matches wait for an accountant.
    waiting = json.loads(_cli(sandbox, "status", "--json").stdout)["credit_notes_waiting"]
    assert waiting
    assert all(entry["label"].startswith(f"credit note {entry['credit_note']} against ") for entry in waiting)
    needs = _cli(sandbox, "status").stdout.split("What needs you:")[1]
    assert f"{len(waiting)} credit note" in needs
    assert "to be sent in Netvisor" in needs
    closed = _cli(sandbox, "failures", "show", failure_id)
    assert closed.stdout.splitlines()[0].endswith(", the record went through")
    done = _cli(sandbox, "failures", "replay", failure_id)
    assert done.returncode == 0
    assert "went through already" in done.stdout


def test_make_invoke_raw_prints_the_functions_json(sandbox: Running) -> None:
    completed = subprocess.run([sys.executable, "-m", "sandbox.invoke", "products", "events/products.json", "--raw"],
                               cwd=REPO_ROOT, env=sandbox.env, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["transfer"] == "products"


def test_mapping_push_reaches_the_sandbox(sandbox: Running, tmp_path: Path) -> None:
    mapping = REPO_ROOT / "sandbox" / "mapping.yaml"
    completed = _cli(sandbox, "mapping", "push", str(mapping))
    assert completed.returncode == 0, completed.stderr
    link = sandbox.link()
    ssm = boto3.client("ssm", endpoint_url=str(link["endpoint_url"]), region_name=str(link["region"]),
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    parameters = link["parameters"]
    assert isinstance(parameters, dict)
    stored = ssm.get_parameter(Name=parameters["MappingParameterName"])["Parameter"]["Value"]
    assert stored == mapping.read_text("utf-8")


def test_sandbox_commands_without_a_sandbox_say_how_to_start_one(tmp_path: Path) -> None:
    env = {**os.environ, "SEVERA_NETVISOR_SANDBOX_DIR": str(tmp_path)}
    completed = subprocess.run([str(CLI), "--sandbox", "run", "customers"], env=env, capture_output=True, text=True,
                               timeout=60, check=False)
    assert completed.returncode == 1
    assert completed.stderr.strip() == (
        "Error: No sandbox is running. Start one in another terminal with `severa-netvisor sandbox` "
        "(or `make sandbox`).")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["invoice", "events/invoices.json"], "There is no function 'invoice'. Did you mean 'invoices'?"),
        (["invoices", "events/nope.json"], "The event file events/nope.json could not be read"),
        (["invoices", "README.md"], "The event file README.md is not valid JSON"),
    ],
)
def test_make_invoke_mistakes_are_one_line(args: list[str], expected: str, tmp_path: Path) -> None:
    env = {**os.environ, "SEVERA_NETVISOR_SANDBOX_DIR": str(tmp_path)}
    completed = subprocess.run([sys.executable, "-m", "sandbox.invoke", *args], cwd=REPO_ROOT, env=env,
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 2
    assert expected in completed.stderr
    assert "Traceback" not in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1


def test_mapping_validate_is_offline_and_exact(tmp_path: Path) -> None:
    good = subprocess.run([str(CLI), "mapping", "validate", "config/mapping.example.yaml", "--json"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert good.returncode == 0
    assert json.loads(good.stdout) == {"ok": True, "file": "config/mapping.example.yaml"}
    bad = tmp_path / "mapping.yaml"
    bad.write_text("vat_codes:\n  '25.5': \nbogus_key: 1\n", encoding="utf-8")
    completed = subprocess.run([str(CLI), "mapping", "validate", str(bad)], capture_output=True, text=True,
                               timeout=60, check=False)
    assert completed.returncode == 1
    assert "bogus_key: is not a known setting" in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1


def test_python_m_sandbox_aws_puts_the_secrets_and_the_mapping_in_place(tmp_path: Path) -> None:
    running = _start([sys.executable, "-m", "sandbox.aws"], tmp_path)
    try:
        link = running.link()
        parameters = link["parameters"]
        assert isinstance(parameters, dict)
        session = boto3.Session(region_name=str(link["region"]), aws_access_key_id="testing",
                                aws_secret_access_key="testing")
        endpoint = str(link["endpoint_url"])
        secrets = session.client("secretsmanager", endpoint_url=endpoint)
        for name in ("SeveraSecretName", "NetvisorSecretName"):
            secret = json.loads(secrets.get_secret_value(SecretId=parameters[name])["SecretString"])
            assert secret, name
        mapping = session.client("ssm", endpoint_url=endpoint).get_parameter(Name=parameters["MappingParameterName"])
        assert "vat" in mapping["Parameter"]["Value"]
    finally:
        assert _stop(running) == 0
    assert "The sandbox has stopped." in "".join(running.lines)
    assert not (tmp_path / "sandbox.json").exists()
