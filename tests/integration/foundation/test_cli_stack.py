"""`severa-netvisor` on a deployed stack: every resource found through the stack's outputs (moto).

The commands run through the console script's entry point (``cli()``) in this process; their boto3
reaches the tests' moto server through AWS_ENDPOINT_URL (moto's in-process mock would reset the
server's state that other tests share). Lambda invokes are answered by a stand-in that records
what was asked (moto cannot run the functions without Docker images).
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from severa_netvisor.cli.app import cli
from severa_netvisor.cli.targets import DeployedStack

from sandbox.aws import LocalAws
from sandbox.template import REPO_ROOT

REGION = "eu-north-1"
STACK = "severa-netvisor-cli"  # not the README's severa-netvisor-acme: test_readme deploys that one
OUTPUTS = {
    "CheckConnectionsFunctionName": "acme-CheckConnections-1",
    "InvoicesFunctionName": "acme-Invoices-1",
    "CustomersFunctionName": "acme-Customers-1",
    "MappingParameterName": "/severa-netvisor/acme/mapping",
}
SUMMARY = {"transfer": "invoices", "run_id": "r-1", "dry_run": False, "fetched": 14, "skipped": 1, "created": 12,
           "failed": 1, "failures_by_reason": {"InvoiceValidationError": 1}, "duration_seconds": 3.2}


class FakeLambda:
    def __init__(self, answers: dict[str, tuple[Any, bool]]):
        self.answers = answers
        self.calls: list[tuple[str, Any]] = []

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803 - boto3's names
        self.calls.append((FunctionName, json.loads(Payload)))
        body, failed = self.answers[FunctionName]
        reply: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(body).encode())}
        if failed:
            reply["FunctionError"] = "Unhandled"
        return reply


@pytest.fixture(scope="module")
def deployed(local_aws: LocalAws) -> None:
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "acme-cli-failed"}}},
        "Outputs": {key: {"Value": value} for key, value in OUTPUTS.items()},
    }
    local_aws.client("cloudformation").create_stack(StackName=STACK, TemplateBody=json.dumps(template))


@pytest.fixture
def stack(deployed: None, local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_PROFILE", "SEVERA_NETVISOR_STACK"):
        monkeypatch.delenv(key, raising=False)
    assert os.environ["AWS_ENDPOINT_URL"] == local_aws.endpoint_url


def _lambda(monkeypatch: pytest.MonkeyPatch, answers: dict[str, tuple[Any, bool]]) -> FakeLambda:
    fake = FakeLambda(answers)
    monkeypatch.setattr(DeployedStack, "_lambda", lambda self: fake)
    return fake


def _run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["severa-netvisor", *args])
    with pytest.raises(SystemExit) as stopped:
        cli()
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return int(stopped.value.code or 0), captured.out, captured.err


def test_run_invokes_the_function_the_stack_names_and_reports_in_words(stack, monkeypatch, capsys) -> None:
    fake = _lambda(monkeypatch, {OUTPUTS["InvoicesFunctionName"]: (SUMMARY, False)})
    code, out, _ = _run(capsys, monkeypatch, "--stack", STACK, "--region", REGION, "run", "invoices",
                        "--since", "2026-01-31")
    assert code == 0
    assert fake.calls == [(OUTPUTS["InvoicesFunctionName"], {"dry_run": False, "since": "2026-01-31"})]
    assert "new in Netvisor" in out
    assert "could not be transferred" in out
    assert "InvoiceValidationError" not in out
    assert f"severa-netvisor --stack {STACK} --region {REGION} failures list" in out


def test_run_json_is_the_functions_own_result(stack, monkeypatch, capsys) -> None:
    fake = _lambda(monkeypatch, {OUTPUTS["InvoicesFunctionName"]: (SUMMARY, False)})
    code, out, _ = _run(capsys, monkeypatch, "--stack", STACK, "--region", REGION, "run", "invoices",
                        "--dry-run", "--full-resync", "--json")
    assert code == 0
    assert json.loads(out) == SUMMARY
    assert fake.calls[0][1] == {"dry_run": True, "full_resync": True}


def test_check_shows_each_failure_with_its_fix(stack, monkeypatch, capsys) -> None:
    error = {"errorType": "ConnectionCheckFailed", "errorMessage": "Connection check failed. severa: The API key "
             "was refused -> Create a new API key for the integration user and store it in the secret."}
    _lambda(monkeypatch, {OUTPUTS["CheckConnectionsFunctionName"]: (error, True)})
    code, out, _ = _run(capsys, monkeypatch, "--stack", STACK, "--region", REGION, "check")
    assert code == 1
    assert "Severa: The API key was refused Fix: Create a new API key" in out
    assert "ConnectionCheckFailed" not in out


def test_mapping_push_stores_the_parameter_the_stack_names(stack, monkeypatch, capsys) -> None:
    example = REPO_ROOT / "config" / "mapping.example.yaml"
    code, out, _ = _run(capsys, monkeypatch, "--stack", STACK, "--region", REGION, "mapping", "push", str(example))
    assert code == 0
    assert OUTPUTS["MappingParameterName"] in out
    # The functions read it again when their copy is 5 minutes old; a mapping they refuse keeps the last good one.
    assert "The functions take it up within 5 minutes." in out
    assert "they go on with the last good mapping, and on a deployed stack the MappingRejected alarm goes off" in out
    stored = boto3.client("ssm", region_name=REGION).get_parameter(Name=OUTPUTS["MappingParameterName"])
    assert stored["Parameter"]["Value"] == example.read_text("utf-8")


def _stored_mapping(local_aws: LocalAws) -> str | None:
    ssm = local_aws.client("ssm")
    try:
        return str(ssm.get_parameter(Name=OUTPUTS["MappingParameterName"])["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


def test_an_invalid_mapping_is_not_pushed(stack, local_aws, monkeypatch, capsys, tmp_path: Path) -> None:
    before = _stored_mapping(local_aws)
    bad = tmp_path / "mapping.yaml"
    bad.write_text("vat_codes: 12\n", encoding="utf-8")
    code, _, err = _run(capsys, monkeypatch, "--stack", STACK, "--region", REGION, "mapping", "push", str(bad))
    assert code == 1
    assert "Nothing was pushed." in err
    assert len(err.strip().splitlines()) == 1
    assert _stored_mapping(local_aws) == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--stack", "nope", "--region", REGION, "check"], "Stack 'nope' was not found in eu-north-1. Deploy it"),
        (["--stack", STACK, "--region", REGION, "run", "invoice"], "Did you mean 'invoices'?"),
        (["--stack", STACK, "--region", REGION, "run", "payments"], "There is no function 'payments'"),
        (["--stack", STACK, "--region", REGION, "run", "invoices", "--since", "31.1.2026"], "is not a date"),
        (["--stack", STACK, "--region", "eu-west-1", "check"], "was not found in eu-west-1"),
    ],
)
def test_mistakes_are_one_line_with_the_fix(stack, monkeypatch, capsys, args: list[str], expected: str) -> None:
    _lambda(monkeypatch, {})
    code, out, err = _run(capsys, monkeypatch, *args)
    assert code in (1, 2)
    assert expected in err
    assert len(err.strip().splitlines()) == 1, err
    assert out == ""


def test_an_older_stack_without_the_outputs_says_to_deploy(local_aws, monkeypatch, capsys) -> None:
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "old-cli"}}},
                "Outputs": {"CheckConnectionsFunctionName": {"Value": "old-check"}}}
    local_aws.client("cloudformation").create_stack(StackName="old-cli", TemplateBody=json.dumps(template))
    code, _, err = _run(capsys, monkeypatch, "--stack", "old-cli", "--region", REGION, "mapping", "push",
                        str(REPO_ROOT / "config" / "mapping.example.yaml"))
    assert code == 1
    assert "has no output MappingParameterName" in err
    assert "make deploy" in err


def test_missing_credentials_are_one_line(monkeypatch, capsys, tmp_path: Path) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, _, err = _run(capsys, monkeypatch, "--region", REGION, "check")
    assert code == 1
    assert "No AWS credentials were found. Run `aws configure`" in err
    code, _, err = _run(capsys, monkeypatch, "--profile", "nobody", "check")
    assert code == 2
    assert "AWS profile 'nobody' was not found" in err
