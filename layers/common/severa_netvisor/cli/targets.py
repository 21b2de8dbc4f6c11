"""Where the commands act: a deployed stack (found through its CloudFormation outputs) or the
sandbox running in another terminal. Both invoke a function by its folder name (customers,
check_connections), store the mapping parameter, and give the state table (for status and the
register of open failures) and the depths of the queues; a stack also has alarms.
"""

from __future__ import annotations

import difflib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from severa_netvisor.cli.errors import CliError
from severa_netvisor.cli.health import ALARM_TYPES, QUEUES, AlarmState, QueueDepth, alarm_states, queue_depths

if TYPE_CHECKING:
    from severa_netvisor.state import StateStore

#: Called with each line the function logs while it runs (only where the lines can be seen).
LineSink = Callable[[str], None] | None

#: The longest a Lambda function runs, plus time to answer.
_INVOKE_READ_TIMEOUT = 960


@dataclass(frozen=True)
class Outcome:
    result: Any
    error: dict[str, Any] | None
    seconds: float
    #: Lines of what waits for a person, named as people know the records (sandbox only).
    waiting: list[str] = field(default_factory=list)


class Target(Protocol):
    label: str

    def functions(self) -> list[str]: ...
    def invoke(self, function: str, payload: dict[str, Any], on_line: LineSink = None) -> Outcome: ...
    def put_mapping(self, text: str) -> str: ...
    def command(self) -> str: ...
    def look_further(self) -> str: ...
    def state_store(self) -> StateStore: ...
    def queue_depths(self) -> list[QueueDepth]: ...
    def alarms(self) -> list[AlarmState] | None: ...


def output_key(function: str) -> str:
    """check_connections -> CheckConnectionsFunctionName (the stack output naming the function)."""
    return "".join(part.capitalize() for part in function.split("_")) + "FunctionName"


def function_of_output(key: str) -> str:
    stem = key.removesuffix("FunctionName")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in stem).lstrip("_")


def unknown_function(name: str, known: list[str]) -> CliError:
    guess = difflib.get_close_matches(name, known, n=1)
    hint = f"Did you mean '{guess[0]}'? " if guess else ""
    return CliError(f"There is no function '{name}'", f"{hint}Choose one of: {', '.join(sorted(known))}.", code=2)


class DeployedStack:
    """A stack deployed from template.yaml, in the account and region of the given profile."""

    def __init__(self, stack: str, *, profile: str | None = None, region: str | None = None):
        import boto3  # noqa: PLC0415 - only when a deployed stack is used
        from botocore.exceptions import ProfileNotFound  # noqa: PLC0415

        self.stack = stack
        self.profile = profile
        try:
            self.session = boto3.Session(profile_name=profile, region_name=region)
        except ProfileNotFound:
            raise CliError(f"AWS profile '{profile}' was not found",
                           "Check the name in ~/.aws/config, or leave --profile out.", code=2) from None
        if not self.session.region_name:
            raise CliError("No AWS region is set", "Pass --region (e.g. eu-north-1) or set one in your AWS profile.",
                           code=2)
        self.region = self.session.region_name
        self.label = f"stack {stack} ({self.region})"
        self._outputs: dict[str, str] | None = None

    def outputs(self) -> dict[str, str]:
        if self._outputs is None:
            reply = _aws_call(self, lambda: self.session.client("cloudformation").describe_stacks(StackName=self.stack))
            stack = reply["Stacks"][0]
            self._outputs = {item["OutputKey"]: item["OutputValue"] for item in stack.get("Outputs", [])}
        return self._outputs

    def output(self, key: str) -> str:
        outputs = self.outputs()
        if key not in outputs:
            raise CliError(f"The {self.label} has no output {key}",
                           "It was deployed from an older template: deploy this version with `make deploy`.")
        return outputs[key]

    def functions(self) -> list[str]:
        return sorted(function_of_output(key) for key in self.outputs() if key.endswith("FunctionName"))

    def invoke(self, function: str, payload: dict[str, Any], on_line: LineSink = None) -> Outcome:
        if output_key(function) not in self.outputs():
            raise unknown_function(function, self.functions())
        name = self.output(output_key(function))
        client = self._lambda()
        started = time.monotonic()
        reply = _aws_call(self, lambda: client.invoke(FunctionName=name, Payload=json.dumps(payload).encode()))
        seconds = time.monotonic() - started
        body = json.loads(reply["Payload"].read() or b"null")
        if reply.get("FunctionError"):
            return Outcome(None, body if isinstance(body, dict) else {"errorMessage": str(body)}, seconds)
        return Outcome(body, None, seconds)

    def _lambda(self) -> Any:
        from botocore.config import Config  # noqa: PLC0415

        # A run takes up to 15 minutes; a retried invoke would start a second run.
        config = Config(read_timeout=_INVOKE_READ_TIMEOUT, retries={"max_attempts": 0})
        return self.session.client("lambda", config=config)

    def put_mapping(self, text: str) -> str:
        name = self.output("MappingParameterName")
        ssm = self.session.client("ssm")
        _aws_call(self, lambda: ssm.put_parameter(Name=name, Value=text, Type="String", Overwrite=True,
                                                  Tier="Intelligent-Tiering"))
        return name

    def command(self) -> str:
        """The command line that acts on this stack again (what to type next)."""
        profile = f" --profile {self.profile}" if self.profile else ""
        return f"severa-netvisor --stack {self.stack} --region {self.region}{profile}"

    def look_further(self) -> str:
        return f"{self.command()} failures list"

    def state_store(self) -> StateStore:
        from severa_netvisor.state import StateStore  # noqa: PLC0415

        return StateStore(self.output("StateTableName"), client=self.session.client("dynamodb"))

    def queue_depths(self) -> list[QueueDepth]:
        urls = {key: self.output(output) for key, _, output, _ in QUEUES}
        return queue_depths(self.session.client("sqs"), urls, lambda call: _aws_call(self, call))

    def alarms(self) -> list[AlarmState]:
        """Every alarm the stack created, found through its resources (conditional ones it skipped are not)."""
        logical_ids = self.resources(ALARM_TYPES)
        return alarm_states(self.session.client("cloudwatch"), logical_ids, lambda call: _aws_call(self, call))

    def resources(self, types: tuple[str, ...]) -> dict[str, str]:
        """The stack's resources of these types: physical id -> logical id."""
        cloudformation = self.session.client("cloudformation")

        def listed() -> dict[str, str]:
            found: dict[str, str] = {}
            for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=self.stack):
                for resource in page.get("StackResourceSummaries", []):
                    if resource.get("ResourceType") in types and resource.get("PhysicalResourceId"):
                        found[resource["PhysicalResourceId"]] = resource["LogicalResourceId"]
            return found

        result: dict[str, str] = _aws_call(self, listed)
        return result


def _aws_call(stack: DeployedStack, call: Callable[[], Any]) -> Any:
    """One AWS call with its usual failures turned into one line and the fix."""
    from botocore.exceptions import (  # noqa: PLC0415
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        TokenRetrievalError,
    )

    try:
        return call()
    except NoCredentialsError:
        raise CliError("No AWS credentials were found",
                       "Run `aws configure` or `aws sso login`, or pass --profile.") from None
    except TokenRetrievalError:
        raise CliError("The AWS sign-in has expired", "Run `aws sso login` and try again.") from None
    except EndpointConnectionError as error:
        raise CliError(f"AWS could not be reached ({error.kwargs.get('endpoint_url', 'endpoint')})",
                       "Check the network and the --region.") from None
    except ClientError as error:
        raise _client_error(stack, error) from None


def _client_error(stack: DeployedStack, error: Any) -> CliError:
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    if code == "ValidationError" and "does not exist" in message:
        return CliError(f"Stack '{stack.stack}' was not found in {stack.region}",
                        "Deploy it with `make deploy`, or pass the right --stack and --region.")
    if code in ("AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "ExpiredToken",
                "ExpiredTokenException", "InvalidClientTokenId"):
        return CliError(f"AWS refused the request ({message or code})",
                        "Use a profile whose role may read the stack and invoke its functions (--profile).")
    if code == "ResourceNotFoundException":
        return CliError(f"AWS does not know a resource the stack names ({message})",
                        "The stack may be half-deployed: run `make deploy` again.")
    return CliError(f"AWS answered {code}: {message}", "Check the stack in the CloudFormation console.")


class SandboxTarget:
    """The sandbox kept running by `severa-netvisor sandbox` (`make sandbox`) in another terminal."""

    label = "the sandbox"

    def __init__(self, link: Any = None) -> None:
        kept = _sandbox_module("kept")
        link = link or kept.find()
        if link is None:
            raise CliError("No sandbox is running",
                           "Start one in another terminal with `severa-netvisor sandbox` (or `make sandbox`).")
        self.link = link

    def functions(self) -> list[str]:
        from sandbox.template import REPO_ROOT  # noqa: PLC0415

        return sorted(path.parent.name for path in (REPO_ROOT / "functions").glob("*/app.py"))

    def invoke(self, function: str, payload: dict[str, Any], on_line: LineSink = None) -> Outcome:
        if function not in self.functions():
            raise unknown_function(function, self.functions())
        invoke = _sandbox_module("invoke")
        spec = invoke.function_spec(function, self.link.resolver())
        outcome = invoke.run_function(spec, payload, aws_env=self.link.aws_env(), on_line=on_line)
        run_id = outcome.result.get("run_id") if isinstance(outcome.result, dict) else None
        waiting = _failed_in_run(self.link, run_id) if run_id else []
        return Outcome(outcome.result, outcome.error, outcome.seconds, waiting)

    def put_mapping(self, text: str) -> str:
        name = str(self.link.parameters["MappingParameterName"])
        self.link.client("ssm").put_parameter(Name=name, Value=text, Type="String", Overwrite=True)
        return name

    def command(self) -> str:
        return "severa-netvisor --sandbox"

    def look_further(self) -> str:
        return f"{self.command()} failures list"

    def state_store(self) -> StateStore:
        from severa_netvisor.state import StateStore  # noqa: PLC0415

        return StateStore(self.link.physical["StateTable"]["Ref"], client=self.link.client("dynamodb"))

    def queue_depths(self) -> list[QueueDepth]:
        urls = {key: self.link.physical[logical]["Ref"] for key, logical, _, _ in QUEUES}
        return queue_depths(self.link.client("sqs"), urls, lambda call: call())

    def alarms(self) -> None:
        """Alarms exist only in a deployed stack (CloudWatch alarms on its metrics)."""
        return None


def _failed_in_run(link: Any, run_id: str) -> list[str]:
    """The failed-records queue messages one run sent, each as one line. They are only peeked at:
    hidden for a second while read, then visible again for whoever handles them."""
    from severa_netvisor.cli.present import failed_record_line  # noqa: PLC0415

    sqs = link.client("sqs")
    url = link.physical["FailedRecordsQueue"]["Ref"]
    seen: set[str] = set()
    lines: list[str] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1).get("Messages", [])
        fresh = [message for message in batch if message["MessageId"] not in seen]
        if not fresh:
            return lines
        for message in fresh:
            seen.add(message["MessageId"])
            body = json.loads(message["Body"])
            if body.get("run_id") == run_id:
                lines.append(failed_record_line(body))


def _sandbox_module(name: str) -> Any:
    """sandbox.<name> from the repository checkout this package runs from (the sandbox is not installed)."""
    root = Path(__file__).resolve().parents[4]
    if not (root / "sandbox" / "__init__.py").exists():
        raise CliError("The sandbox is only available in a checkout of the repository",
                       "Run the command from the project folder after `make venv`.", code=2)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        import importlib  # noqa: PLC0415

        return importlib.import_module(f"sandbox.{name}")
    except ModuleNotFoundError as error:
        raise CliError(f"The sandbox needs {error.name}, which is not installed",
                       "Install the development extras: `make venv` (or pip install -e '.[dev]').", code=2) from None

