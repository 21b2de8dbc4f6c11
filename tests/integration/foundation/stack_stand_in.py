"""A deployed stack as the command line sees it, in the tests' moto server.

moto cannot deploy template.yaml (SAM's transform, Lambda images), so a stand-in stack is created
from a small CloudFormation template with what ``severa-netvisor --stack`` reads: the outputs
naming the functions, the state table, the three queues and the mapping parameter, and a real
table and real queues behind them. What moto cannot do is stood in for where it is used: Lambda
invokes (:class:`AnsweringLambda`) and the alarms among the stack's resources (moto's CloudFormation
does not create CloudWatch alarms; :func:`with_alarms`).
"""

from __future__ import annotations

import io
import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from severa_netvisor.cli.targets import DeployedStack
from severa_netvisor.register import Failure, FailureRegister
from severa_netvisor.state import SourceRef, StateStore

from sandbox.aws import LocalAws

FUNCTIONS = ("CheckConnections", "Customers", "Products", "Dimensions", "Invoices", "Payments", "Hours", "Replay",
             "Reconcile")  # fmt: skip
QUEUES = {
    "FailedRecordsQueue": "FailedRecordsQueueUrl",
    "FailedRecordsDeadLetterQueue": "FailedRecordsDeadLetterQueueUrl",
    "FailedInvocationsQueue": "FailedInvocationsQueueUrl",
}


@dataclass
class StandIn:
    stack: str
    outputs: dict[str, str]
    aws: LocalAws

    @property
    def table(self) -> str:
        return self.outputs["StateTableName"]

    def store(self) -> StateStore:
        return StateStore(self.table, client=self.aws.client("dynamodb"))

    def register(self) -> FailureRegister:
        return FailureRegister(self.table, client=self.aws.client("dynamodb"))

    def queue_url(self, logical: str) -> str:
        return self.outputs[QUEUES[logical]]


def deploy(aws: LocalAws, stack: str) -> StandIn:
    """The stand-in stack ``stack`` (created once per moto server; names of its own, so that the
    sandbox's resources in the same server are left alone)."""
    cloudformation = aws.client("cloudformation")
    try:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except cloudformation.exceptions.ClientError:
        cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps(_template(stack)))
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {item["OutputKey"]: item["OutputValue"] for item in described.get("Outputs", [])}
    return StandIn(stack, outputs, aws)


def _template(stack: str) -> dict[str, Any]:
    key = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    resources: dict[str, Any] = {
        "StateTable": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "TableName": f"{stack}-cli-state", "BillingMode": "PAY_PER_REQUEST", "KeySchema": key,
            "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk")]}},
    }  # fmt: skip
    for logical in QUEUES:
        resources[logical] = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"{stack}-cli-{logical}"}}
    outputs: dict[str, Any] = {f"{name}FunctionName": {"Value": function_name(stack, name)} for name in FUNCTIONS}
    outputs["StateTableName"] = {"Value": {"Ref": "StateTable"}}
    outputs["MappingParameterName"] = {"Value": f"/{stack}/mapping"}
    outputs.update({output: {"Value": {"Ref": logical}} for logical, output in QUEUES.items()})
    return {"Resources": resources, "Outputs": outputs}


def function_name(stack: str, logical: str) -> str:
    return f"{stack}-{logical}Function-1A2B3C"


def failure(transfer: str, number: int, **changes: Any) -> Failure:
    """A failure as the engine records it: an invoice Netvisor refused, unless told otherwise."""
    fields: dict[str, Any] = {
        "transfer": transfer,
        "ref": SourceRef("severa", "invoice", str(uuid.uuid4())),
        "label": f"invoice {number} to Länsirannikon Konsultointi Oy",
        "step": "write",
        "reason": f"Invoice {number}: Netvisor refused it: Viitenumero on virheellinen",
        "remote_text": "INVALID_DATA :: Viitenumero on virheellinen",
        "error_class": "NetvisorInvalidDataError",
        "action": "Correct the reference number of the invoice in Severa; the next run sends it again.",
        "retryable": False,
        "for_author": True,
        "fingerprint": f"fp-{number}",
        "record": json.dumps(
            {"number": number, "account_name": "Länsirannikon Konsultointi Oy", "reference_number": "100624"}
        ),
        "run_id": "run-1",
    }
    fields.update(changes)
    return Failure(**fields)


def plant(stand_in: StandIn, planted: Failure) -> Failure:
    """Record ``planted`` in the stand-in's register, as a run would."""
    register = stand_in.register()
    return register.record(planted, previous=register.get(planted.transfer, planted.ref)).failure


def with_alarms(monkeypatch: pytest.MonkeyPatch, names: dict[str, str]) -> None:
    """The stack's resources as CloudFormation lists them, plus these alarms (name -> logical id),
    which the test creates in moto's CloudWatch itself."""
    listed: Callable[[DeployedStack, tuple[str, ...]], dict[str, str]] = DeployedStack.resources

    def resources(self: DeployedStack, types: tuple[str, ...]) -> dict[str, str]:
        found = listed(self, types)
        if "AWS::CloudWatch::Alarm" in types:
            found.update(names)
        return found

    monkeypatch.setattr(DeployedStack, "resources", resources)


SUMMARY = {"transfer": "invoices", "run_id": "r", "dry_run": True, "created": 3, "duration_seconds": 1.0}
CHECK = {"ok": True, "checks": [{"system": "severa", "ok": True}, {"system": "netvisor", "ok": True}]}


@dataclass
class AnsweringLambda:
    """Answers as the deployed functions would when all goes well, and records what it was asked:
    the check, a run (its summary), a replay (every failure named went through)."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803 - boto3's names
        request = json.loads(Payload)
        self.calls.append((FunctionName, request))
        if "ReplayFunction" in FunctionName:
            body: Any = self.replayed(request)
        elif "dry_run" in request:
            body = {**SUMMARY, "dry_run": request["dry_run"]}
        else:
            body = CHECK
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(body).encode())}

    @staticmethod
    def replayed(request: dict[str, Any]) -> dict[str, Any]:
        ids = list(request.get("ids") or ["0000000000"])
        summary = {"transfer": request["transfer"], "run_id": "replay-1", "dry_run": request.get("dry_run", False),
                   "replay": True, "started_at": datetime.now(UTC).isoformat(), "created": len(ids),
                   "failures_closed": 0 if request.get("dry_run") else len(ids)}  # fmt: skip
        replayed = [{"id": one, "label": f"failure {one}", "closed": not request.get("dry_run"), "reason": None,
                     "attempts": 2} for one in ids]  # fmt: skip
        return {"transfer": request["transfer"], "replayed": replayed, "summary": summary}


def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    """``severa-netvisor ARGS`` through the console script's entry point: (exit code, stdout, stderr)."""
    from severa_netvisor.cli.app import cli

    monkeypatch.setattr(sys, "argv", ["severa-netvisor", *args])
    with pytest.raises(SystemExit) as stopped:
        cli()
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return int(stopped.value.code or 0), captured.out, captured.err


def wide_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as a wide terminal shows them (a test's stdout is 80 columns otherwise)."""
    from rich.console import Console
    from severa_netvisor.cli import render

    monkeypatch.setattr(render, "out", Console(width=220, highlight=False, soft_wrap=True))
