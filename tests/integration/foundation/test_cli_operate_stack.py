"""`severa-netvisor status` and `failures` on a deployed stack: the state table, the queues and the
replay function found through the stack's outputs, the alarms through its resources (moto).

The commands run through the console script's entry point in this process; their boto3 reaches the
tests' moto server. What a run leaves in the state table is written by the engine's own writers
(RunLog, FailureRegister, StateStore), so the command reads exactly what a deployed run leaves.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from severa_netvisor.cli.targets import DeployedStack
from severa_netvisor.engine.summary import RunSummary
from severa_netvisor.register import Failure
from severa_netvisor.runs import RunLog
from severa_netvisor.state import Cursor, SourceRef
from severa_netvisor.transfers.credit_notes import match_ref

from sandbox.aws import LocalAws
from tests.integration.foundation.stack_stand_in import (
    AnsweringLambda,
    StandIn,
    deploy,
    failure,
    function_name,
    plant,
    run_cli,
    wide_output,
    with_alarms,
)

STACK = "severa-netvisor-ops"
REGION = "eu-north-1"
ON_STACK = ("--stack", STACK, "--region", REGION)
COMMAND = f"severa-netvisor --stack {STACK} --region {REGION}"


@pytest.fixture(scope="module")
def deployed(local_aws: LocalAws) -> StandIn:
    return deploy(local_aws, STACK)


@pytest.fixture
def stack(deployed: StandIn, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    for key in ("AWS_PROFILE", "SEVERA_NETVISOR_STACK"):
        monkeypatch.delenv(key, raising=False)
    wide_output(monkeypatch)
    yield deployed
    # Each test starts from an empty state table and empty queues.
    dynamodb = deployed.aws.client("dynamodb")
    for page in dynamodb.get_paginator("scan").paginate(TableName=deployed.table):
        for item in page["Items"]:
            dynamodb.delete_item(TableName=deployed.table, Key={"pk": item["pk"], "sk": item["sk"]})
    sqs = deployed.aws.client("sqs")
    for logical in ("FailedRecordsQueue", "FailedRecordsDeadLetterQueue", "FailedInvocationsQueue"):
        url = deployed.queue_url(logical)  # PurgeQueue allows one purge a minute: drain instead
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def lambdas(monkeypatch: pytest.MonkeyPatch) -> AnsweringLambda:
    fake = AnsweringLambda()
    monkeypatch.setattr(DeployedStack, "_lambda", lambda self: fake)
    return fake


def _cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, monkeypatch, *ON_STACK, *args)


def _last_run(stack: StandIn, transfer: str, started: datetime, **counts: Any) -> None:
    RunLog(stack.table, stack.aws.client("dynamodb")).record(
        RunSummary(transfer=transfer, run_id=f"run-{transfer}", dry_run=False, started_at=started, **counts))


def _alarm(stack: StandIn, logical: str, state: str, description: str) -> str:
    name = f"{STACK}-{logical}-7QX2"
    cloudwatch = stack.aws.client("cloudwatch")
    cloudwatch.put_metric_alarm(AlarmName=name, AlarmDescription=description, Namespace="AWS/Lambda",
                                MetricName="Errors", Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=0,
                                ComparisonOperator="GreaterThanThreshold")  # fmt: skip
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason="set by the test")
    return name


def _credit_note_waiting(stack: StandIn, credit_note: str, invoice: str, *, open_: bool) -> None:
    """A waiting match as the invoices transfer keeps it (transfers/credit_notes.py, note_waiting)."""
    summary = {"credit_note": credit_note, "credit_note_key": f"nv-{credit_note}", "original_guid": f"g-{invoice}",
               "original_number": invoice}  # fmt: skip
    stack.store().put_side(match_ref(f"g-{credit_note}"), target_key=f"nv-{credit_note}", summary=summary,
                           open_=open_, run_id="run-invoices")  # fmt: skip


# -- status -----------------------------------------------------------------------------------------


def test_status_shows_each_transfer_the_queues_and_the_alarms(stack: StandIn, monkeypatch, capsys) -> None:
    now = datetime.now(UTC)
    _last_run(stack, "invoices", now - timedelta(minutes=10), duration_seconds=42, created=12, failed=1,
              failures_new=1, waiting=1, also={"credit notes matched": 2})  # fmt: skip
    _last_run(stack, "hours", now - timedelta(hours=3), stopped_by_error="SeveraAuthError",
              stopped_early="Severa refused the API key.", stop_action="Create a new API key and store it.")
    store = stack.store()
    store.write_cursor("invoices", Cursor(datetime(2026, 11, 2, 10, 0, tzinfo=UTC), "x"), expected_version=0,
                       run_id="run-invoices")  # fmt: skip
    assert store.acquire_lease("customers", "run-now", 600) is not None
    _credit_note_waiting(stack, "10070", "10062", open_=True)
    _credit_note_waiting(stack, "10071", "10063", open_=False)  # matched already
    plant(stack, failure("invoices", 10062))
    stack.aws.client("sqs").send_message(QueueUrl=stack.queue_url("FailedInvocationsQueue"), MessageBody="{}")
    errors = _alarm(stack, "InvoicesErrorsAlarm", "ALARM", "A function failed as a whole: run the check.")
    throttles = _alarm(stack, "ThrottlesAlarm", "OK", "Throttled.")
    with_alarms(monkeypatch, {errors: "InvoicesErrorsAlarm", throttles: "ThrottlesAlarm"})

    code, out, err = _cli(capsys, monkeypatch, "status")

    assert code == 0, err
    assert f"Status of stack {STACK} ({REGION}) at " in out
    rows = {line.split()[0]: line for line in out.splitlines() if line.split() and line.split()[0] in
            ("customers", "products", "dimensions", "invoices", "payments", "hours")}  # fmt: skip
    assert "finished: 12 new, 1 failed, 1 waiting, 2 credit notes matched" in rows["invoices"]
    assert "(42 s)" in rows["invoices"]
    assert "2.11.2026 12:00" in rows["invoices"]  # the cursor, in Finnish time (UTC+2 in November)
    assert "at most 10 minutes" in rows["invoices"]
    assert "1 (oldest: under a minute)" in rows["invoices"]
    assert "running now" in rows["customers"]
    assert "stopped by an error" in rows["hours"]
    assert "not caught up yet" in rows["hours"]
    assert rows["payments"].split()[1:3] == ["never", "-"]
    assert "customers: a run is going now" in out
    assert "hours: the last run stopped early: Severa refused the API key. What to do: Create a new API key" in out
    assert "invoices: the last run left 1 record waiting for something outside the integration" in out
    assert "runs that crashed or timed out (failed invocations): 1" in out
    assert "IN ALARM since " in out
    assert "invoices errors. A function failed as a whole: run the check." in out
    assert "The other 1 alarm: 1 OK." in out
    needs = out.split("What needs you:")[1]
    assert "hours: the last run stopped by an error" in needs
    assert f"1 open failure (invoices 1): {COMMAND} failures list" in needs
    assert "the invoices errors alarm" in needs
    assert ("invoices: 1 credit note to match to the invoices they credit, once both are sent in Netvisor: credit "
            "note 10070 against invoice 10062.") in out
    assert "1 credit note and the invoices they credit, to be sent in Netvisor" in needs
    assert "10071" not in out
    assert "SeveraAuthError" not in out


def test_status_json(stack: StandIn, monkeypatch, capsys) -> None:
    _last_run(stack, "products", datetime.now(UTC) - timedelta(hours=1), created=3)
    plant(stack, failure("invoices", 10070))
    _credit_note_waiting(stack, "10072", "10064", open_=True)
    stack.aws.client("sqs").send_message(QueueUrl=stack.queue_url("FailedRecordsQueue"), MessageBody="{}")
    with_alarms(monkeypatch, {})

    code, out, _ = _cli(capsys, monkeypatch, "status", "--json")

    assert code == 0
    status = json.loads(out)
    by_name = {entry["transfer"]: entry for entry in status["transfers"]}
    assert list(by_name) == ["customers", "products", "dimensions", "invoices", "payments", "hours"]
    assert by_name["products"]["last_run"]["counts"]["created"] == 3
    assert 3500 < by_name["products"]["lag_seconds"] < 3700
    assert by_name["invoices"]["open_failures"] == 1
    assert {q["queue"]: q["visible"] for q in status["queues"]} == {
        "failed_records": 1, "failed_records_dead_letter": 0, "failed_invocations": 0}
    assert status["credit_notes_waiting"] == [
        {"credit_note": "10072", "invoice": "10064", "label": "credit note 10072 against invoice 10064"}]
    assert status["alarms"] == []
    assert status["alarms_note"] is None


def test_a_stack_without_the_state_table_output_says_to_deploy(local_aws: LocalAws, monkeypatch, capsys) -> None:
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "ops-old-cli"}}},
                "Outputs": {"CheckConnectionsFunctionName": {"Value": "old-check"}}}
    local_aws.client("cloudformation").create_stack(StackName="ops-old-cli", TemplateBody=json.dumps(template))
    code, _, err = run_cli(capsys, monkeypatch, "--stack", "ops-old-cli", "--region", REGION, "status")
    assert code == 1
    assert "has no output StateTableName" in err
    assert "make deploy" in err
    assert len(err.strip().splitlines()) == 1


def test_a_state_table_that_cannot_be_read_is_one_line(local_aws: LocalAws, monkeypatch, capsys) -> None:
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "ops-gone-cli"}}},
                "Outputs": {"StateTableName": {"Value": "ops-gone-cli-state"}}}
    local_aws.client("cloudformation").create_stack(StackName="ops-gone-cli", TemplateBody=json.dumps(template))
    code, _, err = run_cli(capsys, monkeypatch, "--stack", "ops-gone-cli", "--region", REGION, "failures", "list")
    assert code == 1
    assert err.startswith("Error: Could not read the open failures of customers (ResourceNotFoundException")
    assert "may read the stack's state table" in err
    assert len(err.strip().splitlines()) == 1


# -- failures list and show ---------------------------------------------------------------------------


def _customer_and_its_invoice(stack: StandIn) -> tuple[Failure, Failure]:
    customer_ref = SourceRef("severa", "account", "5e6279db-e09e-4d5a-a531-9f4782fe3a4a")
    customer = plant(stack, failure(
        "customers", 0, ref=customer_ref, label="customer Länsirannikon Konsultointi Oy", step="prepare",
        reason="Customer Länsirannikon Konsultointi Oy: business ID: '1234567-8' has a wrong check digit "
               "(8; these seven digits need 1). Correct the business ID in Severa.",
        remote_text=None, error_class="FinnishValidationError",
        action="Correct the business ID of the customer in Severa.",
        record=json.dumps({"name": "Länsirannikon Konsultointi Oy", "business_id": "1234567-8"})))  # fmt: skip
    invoice = plant(stack, failure(
        "invoices", 10062, step="dependency", blocked_by=f"customers/{customer_ref}",
        reason="Invoice 10062 waits for customer Länsirannikon Konsultointi Oy, which could not be transferred.",
        remote_text=None, action="Fix the customer (see its own failure); the invoice follows."))  # fmt: skip
    return customer, invoice


def test_failures_list_names_each_record_and_what_to_do(stack: StandIn, monkeypatch, capsys) -> None:
    customer, invoice = _customer_and_its_invoice(stack)
    retried = plant(stack, failure("invoices", 10080, retryable=True, for_author=False, step="lookup",
                                   reason="Netvisor did not answer in 120 s", remote_text=None))  # fmt: skip

    code, out, _ = _cli(capsys, monkeypatch, "failures", "list")

    assert code == 0
    assert out.startswith(f"3 open failures on stack {STACK} ({REGION}) (customers 1, invoices 2):")
    assert f"{customer.id}  customer Länsirannikon Konsultointi Oy" in out
    assert "customers, failed before sending, when the record was read and checked against the mapping" in out
    assert "'1234567-8' has a wrong check digit" in out
    assert f"{invoice.id}  invoice 10062 to Länsirannikon Konsultointi Oy" in out
    assert "because a record it needs could not be transferred first" in out
    assert f"{retried.id}  invoice 10080" in out
    assert "failed when looking for it in Netvisor" in out
    assert "retried automatically" in out
    assert "What to do: Correct the business ID of the customer in Severa." in out
    assert f"{COMMAND} failures show <id>" in out
    assert f"{COMMAND} failures replay <id>" in out
    assert "FinnishValidationError" not in out

    code, out, _ = _cli(capsys, monkeypatch, "failures", "list", "--transfer", "invoices", "--json")
    assert code == 0
    assert {entry["id"] for entry in json.loads(out)} == {invoice.id, retried.id}
    assert json.loads(out)[0]["record"]["number"] == 10062


def test_failures_list_when_all_went_through(stack: StandIn, monkeypatch, capsys) -> None:
    closed = plant(stack, failure("invoices", 10090))
    assert stack.register().close("invoices", closed.ref, reason="transferred", run_id="r")
    code, out, _ = _cli(capsys, monkeypatch, "failures", "list")
    assert code == 0
    assert out.strip() == f"No open failures on stack {STACK} ({REGION}): every record went through."


def test_failures_list_of_an_unknown_transfer(stack: StandIn, monkeypatch, capsys) -> None:
    code, out, err = _cli(capsys, monkeypatch, "failures", "list", "--transfer", "invoice")
    assert code == 2
    assert err.strip() == ("Error: There is no transfer 'invoice'. Did you mean 'invoices'? Choose one of: customers, "
                           "products, dimensions, invoices, payments, hours.")
    assert out == ""


def test_failures_show_gives_everything_a_person_needs(stack: StandIn, monkeypatch, capsys) -> None:
    customer, invoice = _customer_and_its_invoice(stack)
    refused = plant(stack, failure("invoices", 10063))

    code, out, _ = _cli(capsys, monkeypatch, "failures", "show", invoice.id[:6])

    assert code == 0
    assert out.startswith("invoice 10062 to Länsirannikon Konsultointi Oy: open since ")
    assert f"Failure id:        {invoice.id} (invoices transfer)" in out
    assert "It failed:         because a record it needs could not be transferred first" in out
    assert (f"It waits for:      customer Länsirannikon Konsultointi Oy (customers failure {customer.id}); fixing "
            "that one lets this one through") in out  # fmt: skip
    assert "Attempts:          1; first " in out
    assert "Automatic replays: none: it needs a fix first." in out
    assert f"After a fix:       {COMMAND} failures replay {invoice.id}" in out
    record = json.loads(out.split("The record as read from Severa:\n", 1)[1])
    assert record["reference_number"] == "100624"

    code, out, _ = _cli(capsys, monkeypatch, "failures", "show", refused.id)
    assert code == 0
    assert "What went wrong:   Invoice 10063: Netvisor refused it: Viitenumero on virheellinen" in out
    assert 'The answer:        Netvisor answered: "INVALID_DATA :: Viitenumero on virheellinen"' in out
    assert "What to do:        Correct the reference number of the invoice in Severa" in out
    assert "Who can fix it:    the invoice's author, in Severa (the invoice's log in Severa tells them why)" in out

    code, out, _ = _cli(capsys, monkeypatch, "failures", "show", invoice.id, "--json")
    shown = json.loads(out)
    assert shown["waits_for"] == {"id": customer.id, "transfer": "customers",
                                  "label": "customer Länsirannikon Konsultointi Oy", "status": "open"}  # fmt: skip
    assert shown["reason"] == invoice.reason
    assert shown["record"]["number"] == 10062


def test_failures_show_counts_the_automatic_replays_and_a_closed_one(stack: StandIn, monkeypatch, capsys) -> None:
    retried = plant(stack, failure("invoices", 10081, retryable=True, reason="Netvisor did not answer in 120 s",
                                   remote_text=None))  # fmt: skip
    for _ in range(2):
        stack.register().count_auto_replay(retried)
    code, out, _ = _cli(capsys, monkeypatch, "failures", "show", retried.id)
    assert "Automatic replays: 2 of 5 done (they come after 5 min, 15 min, 1 h, 3 h, 9 h)" in out

    assert stack.register().close("invoices", retried.ref, reason="transferred", run_id="r")
    code, out, _ = _cli(capsys, monkeypatch, "failures", "show", retried.id)
    assert code == 0
    assert out.splitlines()[0].endswith(", the record went through")
    assert "After a fix:" not in out


def test_an_unknown_failure_id_is_one_line_with_a_close_match(stack: StandIn, monkeypatch, capsys) -> None:
    planted = plant(stack, failure("invoices", 10064))
    typo = planted.id[:4] + ("0" if planted.id[4] != "0" else "1") + planted.id[5:]
    code, out, err = _cli(capsys, monkeypatch, "failures", "show", typo)
    assert code == 1
    assert err.strip() == (f"Error: There is no failure '{typo}'. Did you mean {planted.id} (invoice 10064 to "
                           f"Länsirannikon Konsultointi Oy)? List the open ones with: {COMMAND} failures list")
    assert out == ""
    code, _, err = _cli(capsys, monkeypatch, "failures", "replay", "zz99")
    assert code == 1
    assert err.strip() == f"Error: There is no failure 'zz99'. List the open ones with: {COMMAND} failures list"


def test_a_short_id_that_fits_several_failures_asks_for_more(stack: StandIn, monkeypatch, capsys) -> None:
    by_first: dict[str, list[Failure]] = {}
    for number in range(17):  # 17 ids in 16 hex digits: two share a first digit
        planted = plant(stack, failure("invoices", 20000 + number))
        by_first.setdefault(planted.id[0], []).append(planted)
    shared, alike = next((first, found) for first, found in by_first.items() if len(found) > 1)
    code, _, err = _cli(capsys, monkeypatch, "failures", "show", shared)
    assert code == 2
    assert f"Error: '{shared}' starts {len(alike)} failure ids (" in err
    assert err.strip().endswith("Give more of the id.")


# -- failures replay ------------------------------------------------------------------------------------


def test_replay_one_failure_through_the_replay_function(stack: StandIn, lambdas, monkeypatch, capsys) -> None:
    planted = plant(stack, failure("invoices", 10065))
    code, out, _ = _cli(capsys, monkeypatch, "failures", "replay", planted.id[:5])
    assert code == 0
    assert lambdas.calls == [(function_name(STACK, "Replay"),
                              {"transfer": "invoices", "ids": [planted.id], "dry_run": False})]  # fmt: skip
    assert f"failure {planted.id}: went through; its failure is closed" in out
    assert out.startswith("invoices: replayed 1 failure in ")


def test_replay_all_of_a_transfer_dry_run(stack: StandIn, lambdas, monkeypatch, capsys) -> None:
    plant(stack, failure("invoices", 10066))
    plant(stack, failure("invoices", 10067))
    code, out, _ = _cli(capsys, monkeypatch, "failures", "replay", "--all", "invoices", "--dry-run")
    assert code == 0
    assert lambdas.calls[-1][1] == {"transfer": "invoices", "all": True, "dry_run": True}
    assert out.startswith("invoices: dry run of a replay of ")
    assert "nothing was written" in out


def test_a_replay_that_still_fails_says_why(stack: StandIn, monkeypatch, capsys) -> None:
    planted = plant(stack, failure("invoices", 10068))
    answer = {"transfer": "invoices", "summary": {"transfer": "invoices", "dry_run": False, "failed": 1},
              "replayed": [{"id": planted.id, "label": planted.label, "closed": False, "attempts": 2,
                            "reason": "NetvisorInvalidDataError: Viitenumero on virheellinen"}]}  # fmt: skip
    fake = _answering(monkeypatch, answer)
    code, out, _ = _cli(capsys, monkeypatch, "failures", "replay", planted.id)
    assert code == 1
    assert fake.calls
    assert f"  - {planted.label}: still fails: Viitenumero on virheellinen" in out
    assert f"More: {COMMAND} failures list" in out
    assert "NetvisorInvalidDataError" not in out
    code, out, _ = _cli(capsys, monkeypatch, "failures", "replay", planted.id, "--json")
    assert code == 1
    assert json.loads(out)["replayed"] == answer["replayed"]


def test_a_replay_function_error_is_reported_in_words(stack: StandIn, monkeypatch, capsys) -> None:
    planted = plant(stack, failure("invoices", 10069))
    _answering(monkeypatch, {"errorType": "StateError", "errorMessage": "StateError: The state table is throttled"},
               failed=True)  # fmt: skip
    code, out, _ = _cli(capsys, monkeypatch, "failures", "replay", planted.id)
    assert code == 1
    assert out.startswith("invoices: the replay failed in ")
    assert "The state table is throttled" in out
    assert "StateError" not in out


def _answering(monkeypatch: pytest.MonkeyPatch, body: dict[str, Any], *, failed: bool = False) -> AnsweringLambda:
    class Answering(AnsweringLambda):
        def invoke(self, FunctionName: str, Payload: bytes) -> dict[str, Any]:  # noqa: N803 - boto3's names
            import io

            self.calls.append((FunctionName, json.loads(Payload)))
            reply: dict[str, Any] = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(body).encode())}
            if failed:
                reply["FunctionError"] = "Unhandled"
            return reply

    fake = Answering()
    monkeypatch.setattr(DeployedStack, "_lambda", lambda self: fake)
    return fake


def test_nothing_to_replay_invokes_nothing(stack: StandIn, lambdas, monkeypatch, capsys) -> None:
    closed = plant(stack, failure("invoices", 10071))
    assert stack.register().close("invoices", closed.ref, reason="transferred", run_id="r")
    code, out, _ = _cli(capsys, monkeypatch, "failures", "replay", closed.id)
    assert code == 0
    assert out.startswith(f"invoice 10071 to Länsirannikon Konsultointi Oy went through already: its failure "
                          f"{closed.id} was closed ")  # fmt: skip
    code, out, _ = _cli(capsys, monkeypatch, "failures", "replay", "--all", "customers")
    assert code == 0
    assert out.strip() == "No open failures of customers: nothing to replay."
    code, out, _ = _cli(capsys, monkeypatch, "failures", "replay", "--all", "customers", "--json")
    assert code == 0
    assert json.loads(out) == {"replayed": [], "nothing_to_replay": "No open failures of customers: nothing to replay."}
    assert lambdas.calls == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "Error: Name one failure id, or --all TRANSFER."),
        (["abc", "--all", "invoices"], "Error: Name one failure id, or --all TRANSFER."),
        (["--all", "invoice"], "Error: There is no transfer 'invoice'. Did you mean 'invoices'?"),
    ],
)
@pytest.mark.usefixtures("stack")
def test_replay_mistakes_are_one_line(lambdas, monkeypatch, capsys, args, expected) -> None:
    code, out, err = _cli(capsys, monkeypatch, "failures", "replay", *args)
    assert code == 2
    assert err.startswith(expected)
    assert len(err.strip().splitlines()) == 1
    assert out == ""
    assert lambdas.calls == []


# -- the pointers the run report prints work as printed -------------------------------------------------


def test_the_more_line_of_a_run_works_as_printed(stack: StandIn, monkeypatch, capsys) -> None:
    planted = plant(stack, failure("invoices", 10072))
    summary = {"transfer": "invoices", "run_id": "r-1", "dry_run": False, "created": 2, "failed": 1,
               "failures_by_reason": {"NetvisorInvalidDataError": 1}}  # fmt: skip
    _answering(monkeypatch, summary)
    code, out, _ = _cli(capsys, monkeypatch, "run", "invoices")
    [more] = [line.strip().removeprefix("More: ") for line in out.splitlines() if line.strip().startswith("More: ")]
    assert more == f"{COMMAND} failures list"

    code, out, err = run_cli(capsys, monkeypatch, *shlex.split(more)[1:])
    assert code == 0, err
    assert f"{planted.id}  invoice 10072 to Länsirannikon Konsultointi Oy" in out
