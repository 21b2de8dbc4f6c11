"""The reconcile function's resources in template.yaml: read-only grants, an encrypted private bucket
with a retention policy, and a monthly schedule that is off until enabled."""

from __future__ import annotations

from typing import Any

from severa_netvisor.reconcile.publish import PREFIX
from severa_netvisor.reconcile.runner import SHARED_LEASE

from sandbox.template import TEMPLATE_PATH, load_template

TEMPLATE = load_template(TEMPLATE_PATH)
RESOURCES = TEMPLATE["Resources"]
FUNCTION = RESOURCES["ReconcileFunction"]["Properties"]


def statements() -> dict[str, dict[str, Any]]:
    document = RESOURCES["ReconcilePolicy"]["Properties"]["PolicyDocument"]
    return {statement["Sid"]: statement for statement in document["Statement"]}


def test_it_may_only_read_the_table_except_the_shared_netvisor_lease() -> None:
    grants = statements()
    writes = {"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"}
    for sid, statement in grants.items():
        actions = set(statement["Action"]) if isinstance(statement["Action"], list) else {statement["Action"]}
        if actions & writes:
            assert sid == "TakeTheNetvisorLease"
            assert actions == {"dynamodb:PutItem", "dynamodb:DeleteItem"}
            leading = statement["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"]
            assert leading == [f"lease#{SHARED_LEASE}"], "only the lease the engine's runs share"
    assert set(grants["ReadStateTable"]["Action"]) == {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
    assert grants["StoreReports"]["Action"] == "s3:PutObject"
    assert grants["StoreReports"]["Resource"] == {"Fn::Sub": f"${{ReportBucket.Arn}}/{PREFIX}/*"}
    assert grants["SendSummary"]["Resource"] == {"Ref": "AlarmTopic"}
    assert FUNCTION["Policies"] == [{"Ref": "ReadSecretsPolicy"}, {"Ref": "ReconcilePolicy"}]


def test_the_report_bucket_is_encrypted_private_kept_and_expires() -> None:
    bucket = RESOURCES["ReportBucket"]
    assert bucket["DeletionPolicy"] == "Retain"
    props = bucket["Properties"]
    rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert all(props["PublicAccessBlockConfiguration"].values())
    lifecycle = props["LifecycleConfiguration"]["Rules"][0]
    assert lifecycle["ExpirationInDays"] == {"Ref": "ReconcileReportRetentionDays"}
    assert TEMPLATE["Parameters"]["ReconcileReportRetentionDays"]["Default"] >= 6 * 365
    policy = RESOURCES["ReportBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert policy["Effect"] == "Deny"
    assert policy["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_monthly_schedule_is_off_until_enabled_and_reconciles_the_month_before() -> None:
    event = FUNCTION["Events"]["Monthly"]["Properties"]
    assert event["State"] == {"Ref": "ReconcileScheduleState"}
    assert TEMPLATE["Parameters"]["ReconcileScheduleState"]["Default"] == "DISABLED"
    assert event["ScheduleExpression"] == {"Ref": "ReconcileSchedule"}
    assert "month" not in event["Input"], "a scheduled run takes the month before its scheduled time"
    assert FUNCTION["Environment"]["Variables"] == {
        "REPORT_BUCKET_NAME": {"Ref": "ReportBucket"},
        "ALARM_TOPIC_ARN": {"Ref": "AlarmTopic"},
    }
