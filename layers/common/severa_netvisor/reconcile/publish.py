"""Where a report goes: the encrypted report bucket (summary, JSON, a CSV per table) and the summary to
the alarm topic. The bucket's default encryption (KMS) and retention (a lifecycle rule) are set by the
template; nothing here can weaken them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from severa_netvisor.errors import IntegrationError
from severa_netvisor.reconcile.render import render_csv, render_json, render_summary
from severa_netvisor.reconcile.report import Report

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient

PREFIX = "reconciliations"
#: SNS subjects are ASCII, at most 100 characters.
_SUBJECT_LIMIT = 100


class PublishError(IntegrationError):
    system = "aws"
    retryable = True


def report_prefix(report: Report) -> str:
    return f"{PREFIX}/{report.period.key}/{report.generated_at:%Y%m%dT%H%M%SZ}/"


class ReportStore:
    def __init__(self, bucket: str, *, client: S3Client | None = None):
        self.bucket = bucket
        self._client: S3Client = client or boto3.client("s3")

    def save(self, report: Report) -> str:
        """Store the summary, the JSON and one CSV per table; returns where (``s3://bucket/prefix/``)."""
        prefix = report_prefix(report)
        report.location = f"s3://{self.bucket}/{prefix}"
        files: list[tuple[str, bytes, str]] = [
            ("summary.txt", render_summary(report).encode("utf-8"), "text/plain; charset=utf-8"),
            ("report.json", render_json(report).encode("utf-8"), "application/json"),
        ]
        files += [(f"{t.key}.csv", render_csv(t), "text/csv; charset=utf-8") for t in [report.totals, *report.sections]]
        try:
            for name, body, content_type in files:
                self._client.put_object(Bucket=self.bucket, Key=prefix + name, Body=body, ContentType=content_type)
        except (ClientError, BotoCoreError) as error:
            raise PublishError(
                f"The reconciliation report could not be stored in the bucket '{self.bucket}': {error}. "
                "Check the bucket exists and that the function's role may write to it."
            ) from None
        return report.location


def subject(report: Report) -> str:
    count = len(report.findings)
    words = "Severa and Netvisor agree" if report.agree else f"{count} difference{'' if count == 1 else 's'}"
    text = f"Reconciliation {report.period.label}: {words}"
    return text.encode("ascii", "replace").decode("ascii")[:_SUBJECT_LIMIT]


class Notifier:
    def __init__(self, topic_arn: str, *, client: SNSClient | None = None):
        self.topic_arn = topic_arn
        self._client: SNSClient = client or boto3.client("sns")

    def send(self, report: Report) -> str:
        """Publish the summary; returns the message id."""
        try:
            response: dict[str, Any] = dict(
                self._client.publish(TopicArn=self.topic_arn, Subject=subject(report), Message=render_summary(report))
            )
        except (ClientError, BotoCoreError) as error:
            raise PublishError(
                f"The reconciliation summary could not be sent to the topic {self.topic_arn}: {error}."
            ) from None
        return str(response.get("MessageId", ""))
