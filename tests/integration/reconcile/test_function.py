"""The reconcile function: in process with a Lambda context, and through the local invoke runner as
Lambda would run it. The report lands in the template's bucket and the summary on the alarm topic."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from severa_netvisor.handler import InvalidEventError
from severa_netvisor.reconcile.handler import make_handler
from severa_netvisor.reconcile.settings import ReconcileSettings

from sandbox.aws import LocalAws
from sandbox.invoke import function_spec, run_function
from sandbox.netvisor import sandbox_credentials as netvisor_secret
from sandbox.severa import sandbox_credentials as severa_secret
from sandbox.severa.seed import SENT_STATUS
from sandbox.template import REPO_ROOT
from tests.integration.engine.doubles import FakeContext
from tests.integration.reconcile.world import ReconcileWorld, reconcile_world
from tests.integration.rig import mapping_text


@dataclass
class Deployed:
    world: ReconcileWorld
    env: dict[str, str]
    #: An SQS queue subscribed to the alarm topic: what an e-mail subscriber would get.
    inbox: str

    def handler(self) -> Any:
        """The function's handler with this deployment's settings (a Lambda context is duck-typed)."""
        return make_handler(self.settings())

    def settings(self) -> ReconcileSettings:
        return ReconcileSettings(
            state_table_name=self.env["STATE_TABLE_NAME"],
            severa_secret_name=self.env["SEVERA_SECRET_NAME"],
            netvisor_secret_name=self.env["NETVISOR_SECRET_NAME"],
            mapping_parameter_name=self.env["MAPPING_PARAMETER_NAME"],
            report_bucket_name=self.env["REPORT_BUCKET_NAME"],
            alarm_topic_arn=self.env["ALARM_TOPIC_ARN"],
        )

    def notifications(self) -> list[dict[str, Any]]:
        sqs = self.world.aws.client("sqs")
        found = []
        while batch := sqs.receive_message(QueueUrl=self.inbox, MaxNumberOfMessages=10).get("Messages", []):
            found += [json.loads(m["Body"]) for m in batch]
        return found

    def stored(self, prefix: str) -> dict[str, bytes]:
        s3 = self.world.aws.client("s3")
        bucket = self.env["REPORT_BUCKET_NAME"]
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
        return {key.removeprefix(prefix): s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


@pytest.fixture
def deployed(local_aws: LocalAws) -> Iterator[Deployed]:
    assert local_aws.resolver is not None
    with reconcile_world(local_aws) as world:
        world.severa_invoice(world.numbers(IsCreditNote=False)[-1])["InvoiceStatus"] = SENT_STATUS
        world.invoices()
        suffix = uuid.uuid4().hex[:8]
        env = {
            "STATE_TABLE_NAME": world.state.table_name,
            "SEVERA_SECRET_NAME": f"fn-{suffix}/severa",
            "NETVISOR_SECRET_NAME": f"fn-{suffix}/netvisor",
            "MAPPING_PARAMETER_NAME": f"/fn-{suffix}/mapping",
            "REPORT_BUCKET_NAME": local_aws.resolver.physical["ReportBucket"]["Ref"],
            "ALARM_TOPIC_ARN": local_aws.resolver.physical["AlarmTopic"]["Ref"],
        }
        local_aws.put_secret(env["SEVERA_SECRET_NAME"], severa_secret(world.severa))
        local_aws.put_secret(env["NETVISOR_SECRET_NAME"], netvisor_secret(world.netvisor))
        local_aws.put_parameter(env["MAPPING_PARAMETER_NAME"], mapping_text())
        sqs = local_aws.client("sqs")
        inbox = sqs.create_queue(QueueName=f"inbox-{suffix}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        subscription = local_aws.client("sns").subscribe(TopicArn=env["ALARM_TOPIC_ARN"], Protocol="sqs",
                                                         Endpoint=arn)["SubscriptionArn"]  # fmt: skip
        try:
            yield Deployed(world, env, inbox)
        finally:
            local_aws.client("sns").unsubscribe(SubscriptionArn=subscription)


def test_the_function_stores_the_report_and_sends_the_summary(deployed: Deployed) -> None:
    result = deployed.handler()({"from": "2026-01-01", "to": "2026-12-31"}, FakeContext(function_name="reconcile"))

    assert result["verdict"] == "differ"
    assert result["differences_by_section"]["missing_in_netvisor"] == 1
    assert result["severa_calls"] > 0
    assert result["report"].startswith(f"s3://{deployed.env['REPORT_BUCKET_NAME']}/reconciliations/2026-01-01_")
    prefix = result["report"].split("/", 3)[3]
    files = deployed.stored(prefix)
    assert {"summary.txt", "report.json", "totals.csv", "missing_in_netvisor.csv", "payments.csv"} <= set(files)
    assert json.loads(files["report.json"])["differences"] == 1
    assert files["summary.txt"].decode("utf-8") == result["summary"]
    notes = deployed.notifications()
    assert len(notes) == 1
    assert notes[0]["Subject"] == "Reconciliation 1.1.2026-31.12.2026: 1 difference"
    assert notes[0]["Message"] == result["summary"]
    assert "What to do:" in notes[0]["Message"]


def test_store_and_notify_can_be_turned_off_for_an_on_demand_look(deployed: Deployed) -> None:
    result = deployed.handler()(
        {"month": "2026-10", "store": False, "notify": False}, FakeContext(function_name="reconcile")
    )
    assert result["report"] is None
    assert result["period"] == {"from": "2026-10-01", "to": "2026-10-31", "label": "10/2026"}
    assert deployed.notifications() == []


def test_a_bad_event_fails_the_invocation_in_words(deployed: Deployed) -> None:
    with pytest.raises(InvalidEventError, match="'month' or 'from' and 'to'"):
        deployed.handler()({"month": "2026-10", "to": "2026-10-31"}, FakeContext())


def test_the_function_through_the_local_invoke_runner(deployed: Deployed) -> None:
    aws = deployed.world.aws
    assert aws.resolver is not None
    spec = function_spec("reconcile", aws.resolver)
    assert spec.environment["REPORT_BUCKET_NAME"] == deployed.env["REPORT_BUCKET_NAME"]
    event = json.loads((REPO_ROOT / "events" / "reconcile.json").read_text("utf-8"))

    outcome = run_function(spec, event, aws_env=aws.env(), extra_env=deployed.env)

    assert outcome.ok, f"{outcome.error}\n{outcome.output[-3000:]}"
    assert outcome.result["period"]["label"] == "10/2026"
    assert outcome.result["differences_by_section"]["missing_in_netvisor"] == 1  # the one marked sent by hand
    prefix = outcome.result["report"].split("/", 3)[3]
    assert "summary.txt" in deployed.stored(prefix)
    assert [n["Subject"] for n in deployed.notifications()] == ["Reconciliation 10/2026: 1 difference"]
    assert outcome.result["report"] in outcome.result["summary"], "the summary says where the full report is"
