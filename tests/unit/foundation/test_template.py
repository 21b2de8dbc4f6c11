"""Invariants of template.yaml that sam validate and cfn-lint do not check."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from severa_netvisor.engine.metrics import run_metrics
from severa_netvisor.engine.summary import RunSummary

from sandbox.template import TEMPLATE_PATH, load_template, resources_of_type

TEMPLATE = load_template(TEMPLATE_PATH)
FUNCTIONS = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
GLOBALS = TEMPLATE["Globals"]["Function"]


def _timeout(spec: dict[str, Any]) -> int:
    return int(spec["Properties"].get("Timeout", GLOBALS["Timeout"]))


def _managed_policy(policy: Any) -> dict[str, Any]:
    """The template's own AWS::IAM::ManagedPolicy that a function's policy entry refers to."""
    assert isinstance(policy, dict), f"{policy!r}: name a policy of this template, not an AWS managed one"
    assert set(policy) == {"Ref"}, policy
    resource = TEMPLATE["Resources"][policy["Ref"]]
    assert resource["Type"] == "AWS::IAM::ManagedPolicy", policy
    document: dict[str, Any] = resource["Properties"]["PolicyDocument"]
    return document


def _statements(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in spec["Properties"].get("Policies", []):
        # Inline statements, or a reference to a managed policy declared in this template.
        document = policy if isinstance(policy, dict) and "Statement" in policy else _managed_policy(policy)
        found.extend(document["Statement"])
    return found


def _lease_only(spec: dict[str, Any]) -> bool:
    """Every state-table grant of the function is limited to the shared Netvisor lease's partition."""
    for statement in _statements(spec):
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        if any(action.startswith("dynamodb:") for action in actions):
            keys = statement.get("Condition", {}).get("ForAllValues:StringEquals", {}).get("dynamodb:LeadingKeys")
            if keys != ["lease#netvisor-company"]:
                return False
    return True


def test_there_are_functions() -> None:
    assert FUNCTIONS, "template.yaml declares no functions"


def test_failed_records_visibility_is_at_least_six_function_timeouts() -> None:
    queue = TEMPLATE["Resources"]["FailedRecordsQueue"]["Properties"]
    longest = max(_timeout(spec) for spec in FUNCTIONS.values())
    assert queue["VisibilityTimeout"] >= 6 * longest


def test_queues_are_encrypted_and_redrive_to_the_dead_letter_queue() -> None:
    for logical, spec in resources_of_type(TEMPLATE, "AWS::SQS::Queue").items():
        assert spec["Properties"].get("KmsMasterKeyId") or spec["Properties"].get("SqsManagedSseEnabled"), logical
    redrive = TEMPLATE["Resources"]["FailedRecordsQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["FailedRecordsDeadLetterQueue", "Arn"]}


def test_state_table_keeps_the_ledger_safe() -> None:
    table = TEMPLATE["Resources"]["StateTable"]
    assert table["DeletionPolicy"] == "Retain"
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_async_invocations_are_not_retried() -> None:
    assert GLOBALS["EventInvokeConfig"]["MaximumRetryAttempts"] == 0
    assert GLOBALS["EventInvokeConfig"]["MaximumEventAgeInSeconds"] <= 900


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_function_has_its_own_log_group_with_retention(logical: str) -> None:
    group = FUNCTIONS[logical]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    props = TEMPLATE["Resources"][group]["Properties"]
    assert props["RetentionInDays"] == {"Ref": "LogRetentionDays"}


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_function_iam_is_least_privilege(logical: str) -> None:
    for statement in _statements(FUNCTIONS[logical]):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert all("*" not in action for action in actions), statement
        assert all(resource != "*" for resource in resources), statement
        assert statement["Effect"] == "Allow", statement


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_function_can_read_exactly_what_it_needs(logical: str) -> None:
    granted = {
        action
        for statement in _statements(FUNCTIONS[logical])
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    # Every function reads both secrets; only the transfers touch the mapping, the state and the queue.
    assert "secretsmanager:GetSecretValue" in granted
    transfer_actions = {"ssm:GetParameter", "dynamodb:PutItem", "sqs:SendMessage", "sns:Publish"}
    if logical == "CheckConnectionsFunction":
        # It waits for the shared Netvisor lease (Netvisor takes one request at a time) and touches
        # nothing else of the state table.
        assert not granted & {"ssm:GetParameter", "sqs:SendMessage", "dynamodb:UpdateItem"}, granted
        assert _lease_only(FUNCTIONS[logical])
    elif logical == "ReconcileFunction":  # read-only; its own grants: tests/unit/reconcile/test_template_resources.py
        assert not granted & {"sqs:SendMessage", "dynamodb:UpdateItem"}, granted
    else:
        assert transfer_actions <= granted, granted


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_function_schedules_are_parameters(logical: str) -> None:
    for event in FUNCTIONS[logical]["Properties"].get("Events", {}).values():
        if logical == "ReplayFunction":  # runs from the failed-records queue, not on a schedule
            assert event["Type"] == "SQS"
            assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            continue
        assert event["Type"] == "ScheduleV2"
        props = event["Properties"]
        for key in ("ScheduleExpression", "ScheduleExpressionTimezone", "State"):
            assert set(props[key]) == {"Ref"}, f"{logical}: {key} must be a template parameter"
            assert props[key]["Ref"] in TEMPLATE["Parameters"]


def test_schedules_default_to_helsinki_time() -> None:
    assert TEMPLATE["Parameters"]["ScheduleTimezone"]["Default"] == "Europe/Helsinki"


@pytest.mark.parametrize("logical", sorted(FUNCTIONS))
def test_function_errors_raise_an_alarm(logical: str) -> None:
    alarms = resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm").values()
    watching = [
        alarm
        for alarm in alarms
        if alarm["Properties"].get("MetricName") == "Errors"
        and {"Name": "FunctionName", "Value": {"Ref": logical}} in alarm["Properties"]["Dimensions"]
    ]
    assert watching, f"no Errors alarm for {logical}"
    assert all(alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}] for alarm in watching)


def test_layer_builds_for_the_chosen_architecture() -> None:
    layer = TEMPLATE["Resources"]["CommonLayer"]
    assert layer["Metadata"] == {"BuildMethod": "python3.11", "BuildArchitecture": {"Ref": "Architecture"}}
    assert TEMPLATE["Parameters"]["Architecture"]["Default"] == "arm64"
    assert GLOBALS["Runtime"] == "python3.11"


def _dashboard_widgets() -> list[dict[str, Any]]:
    body = TEMPLATE["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    # ${...} are CloudFormation substitutions; any stand-in keeps the JSON valid.
    widgets: list[dict[str, Any]] = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    return widgets


def _engine_metric_names() -> set[str]:
    """The metric names a run emits (``engine.metrics.run_metrics``), with every optional one present."""
    summary = RunSummary("t", "r", False, datetime.now(UTC), open_failures=1, oldest_open_failure_days=1.0)
    return set(run_metrics(summary, lag=0.0))


def test_dashboard_has_a_row_per_transfer_with_the_engines_metrics() -> None:
    transfers = {
        str(spec["Properties"]["CodeUri"]).strip("/").removeprefix("functions/")
        for spec in FUNCTIONS.values()
        if spec["Properties"].get("Events", {}).get("Schedule")
    }
    emitted = _engine_metric_names()
    seen: dict[str, set[str]] = {}
    for widget in _dashboard_widgets():
        for metric in widget.get("properties", {}).get("metrics", []):
            if metric[0] != "SeveraNetvisor":
                continue
            dimensions = dict(zip(metric[2:-1:2], metric[3:-1:2], strict=True))
            assert dimensions["service"] == "severa-netvisor", metric
            assert metric[1] in emitted, f"the engine emits no metric {metric[1]}"
            seen.setdefault(dimensions["transfer"], set()).add(metric[1])
    assert set(seen) == transfers
    wanted = {
        "RecordsCreated",
        "RecordsUpdated",
        "RecordsSkipped",
        "RecordsFailed",
        "RunDuration",
        "LagBehindSource",
        "OpenFailures",
    }
    for transfer, names in seen.items():
        assert wanted <= names, f"{transfer}: {sorted(wanted - names)} missing"


def test_dashboard_shows_every_queue_and_every_alarm() -> None:
    body = TEMPLATE["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    for logical, alarm in resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm").items():
        if "Condition" in alarm:
            continue  # a heartbeat exists only while its schedule is on: the dashboard cannot name it
        assert f"${{{logical}.Arn}}" in body, f"{logical} is not on the dashboard"
    for logical in resources_of_type(TEMPLATE, "AWS::SQS::Queue"):
        assert f"${{{logical}.QueueName}}" in body, f"{logical} depth is not on the dashboard"


def test_outputs_name_every_function_queue_and_the_dashboard() -> None:
    outputs = TEMPLATE["Outputs"]
    for logical in FUNCTIONS:
        assert outputs[f"{logical}Name"]["Value"] == {"Ref": logical}
    for logical in resources_of_type(TEMPLATE, "AWS::SQS::Queue"):
        assert outputs[f"{logical}Url"]["Value"] == {"Ref": logical}
    assert "${Dashboard}" in outputs["DashboardUrl"]["Value"]["Fn::Sub"]
    for parameter in ("SeveraSecretName", "NetvisorSecretName", "MappingParameterName"):
        assert outputs[parameter]["Value"] == {"Ref": parameter}


def test_the_aws_endpoint_override_is_empty_unless_chosen() -> None:
    assert TEMPLATE["Parameters"]["AwsEndpointUrl"]["Default"] == ""
    assert GLOBALS["Environment"]["Variables"]["AWS_ENDPOINT_URL"] == {"Ref": "AwsEndpointUrl"}


@pytest.mark.parametrize("transfer", ["Customers", "Products", "Dimensions", "Invoices", "Payments", "Hours"])
def test_every_scheduled_transfer_has_a_heartbeat_while_its_schedule_is_on(transfer: str) -> None:
    alarm = TEMPLATE["Resources"][f"{transfer}HeartbeatAlarm"]
    assert TEMPLATE["Conditions"][alarm["Condition"]] == {
        "Fn::Equals": [{"Ref": f"{transfer}ScheduleState"}, "ENABLED"]
    }
    props = alarm["Properties"]
    assert (props["MetricName"], props["TreatMissingData"]) == ("RunsSucceeded", "breaching")
    # The hours transfer runs once a day (02:30): an hourly heartbeat would alarm every afternoon.
    window = "DailyHeartbeatHours" if transfer == "Hours" else "HeartbeatHours"
    assert props["EvaluationPeriods"] == props["DatapointsToAlarm"] == {"Ref": window}
    assert props["Period"] == 3600
    assert {"Name": "transfer", "Value": transfer.lower()} in props["Dimensions"]
    assert "RunsSucceeded" in _engine_metric_names()


def test_a_heartbeat_outlasts_the_longest_gap_its_default_schedule_leaves() -> None:
    parameters = TEMPLATE["Parameters"]
    # Every few hours 06-21 daily: the longest gap is the night (21:xx -> 06:xx, under 10 hours).
    assert parameters["HeartbeatHours"]["Default"] > 10
    assert parameters["HoursSchedule"]["Default"] == "cron(30 2 * * ? *)"  # once a day
    assert 24 < parameters["DailyHeartbeatHours"]["Default"] <= parameters["DailyHeartbeatHours"]["MaxValue"] <= 168


def test_every_alarm_says_what_to_do() -> None:
    for logical, alarm in resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm").items():
        description = str(alarm["Properties"]["AlarmDescription"])
        assert len(description) > 40, f"{logical}: say what it means and what to do"


def test_the_replay_function_reads_the_failed_records_queue_and_outlives_no_message() -> None:
    replay = FUNCTIONS["ReplayFunction"]
    [event] = replay["Properties"]["Events"].values()
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["FailedRecordsQueue", "Arn"]}
    queue = TEMPLATE["Resources"]["FailedRecordsQueue"]["Properties"]
    # More receives than the replay function's automatic attempts, so only what it cannot handle goes on.
    assert queue["RedrivePolicy"]["maxReceiveCount"] > 6


def test_every_run_can_send_its_digest_to_the_alarm_topic_of_its_own_stack() -> None:
    variables = GLOBALS["Environment"]["Variables"]
    assert variables["ALARM_TOPIC_ARN"] == {"Ref": "AlarmTopic"}
    assert variables["STACK_NAME"] == {"Ref": "AWS::StackName"}
    for logical in ("InvoicesFunction", "ReplayFunction"):
        digest = [s for s in _statements(FUNCTIONS[logical]) if s["Action"] == "sns:Publish"]
        assert [s["Resource"] for s in digest] == [{"Ref": "AlarmTopic"}]
