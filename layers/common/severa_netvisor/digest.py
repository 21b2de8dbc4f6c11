"""One e-mail a run: the failures the run found that need someone, in words a person acts on.

The alarm topic gets one message per run that has new failures (or new reasons), never one per
record. Each failure is named as people know the record ("invoice 10062 to Länsirannikon
Konsultointi Oy"), with the reason verbatim and what to fix where, and its id for
``severa-netvisor failures replay``. The message is cut to a screenful of failures; the rest are a
command away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from severa_netvisor.errors import IntegrationError
from severa_netvisor.register import Failure
from severa_netvisor.scrub import scrub
from severa_netvisor.timezone import finnish_time

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

    from severa_netvisor.engine.summary import RunSummary

#: SNS: a subject is ASCII, one line, under 100 characters.
SUBJECT_LIMIT = 99
#: SNS takes 256 KiB a message; a digest stays far below (an e-mail is read, not searched).
MESSAGE_LIMIT = 60_000
#: Failures listed one by one; the rest are counted.
LISTED = 25


class DigestNotSent(IntegrationError):
    system = "sns"
    retryable = True


@dataclass(frozen=True)
class Digest:
    subject: str
    message: str


def ascii_subject(text: str) -> str:
    """SNS refuses non-ASCII or multi-line subjects: "Lansirannikon" for "Länsirannikon"."""
    folded = text.translate(str.maketrans("äöåÄÖÅé", "aoaAOAe")).replace("\n", " ")
    return folded.encode("ascii", "replace").decode("ascii")[:SUBJECT_LIMIT]


def compose(
    summary: RunSummary, failures: Sequence[Failure], *, stack: str | None = None, listed: int = LISTED
) -> Digest | None:
    """The digest of one run, or None when the run found nothing new that needs someone."""
    if summary.dry_run or not failures:
        return None
    transfer = summary.transfer
    count = len(failures)
    noun = "failure" if count == 1 else "failures"
    where = f" ({stack})" if stack else ""
    subject = ascii_subject(f"severa-netvisor{where}: {transfer}, {count} new {noun} need you")
    when = finnish_time(summary.started_at)
    lines = [f"The {transfer} run of {when} (Finnish time) found {count} new {noun}.", ""]
    for number, failure in enumerate(failures[:listed], start=1):
        lines.extend(_failure_lines(number, failure))
    if count > listed:
        lines.append(f"... and {count - listed} more.")
        lines.append("")
    lines.extend(_closing(summary, stack))
    message = scrub("\n".join(lines))
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT] + "\n[cut: the rest is in `severa-netvisor failures list`]"
    return Digest(subject, message)


def _failure_lines(number: int, failure: Failure) -> list[str]:
    lines = [f"{number}. {failure.label}", f"   What went wrong: {failure.reason}"]
    if failure.remote_text and failure.remote_text not in failure.reason:
        lines.append(f'   {_system_of(failure)} answered: "{failure.remote_text}"')
    if failure.action:
        lines.append(f"   What to do: {failure.action}")
    if failure.blocked_by:
        lines.append("   It waits for another record; fixing that one lets it through.")
    lines.append(f"   Failure id: {failure.id}")
    lines.append("")
    return lines


def _system_of(failure: Failure) -> str:
    kind = failure.error_class.lower()
    return "Netvisor" if "netvisor" in kind else "Severa" if "severa" in kind else "The other system"


def _closing(summary: RunSummary, stack: str | None) -> list[str]:
    command = "severa-netvisor" + (f" --stack {stack}" if stack else "")
    lines: list[str] = []
    if summary.stopped_by_error and summary.stopped_early:
        lines.append(f"The run also stopped early: {summary.stopped_early}")
        if summary.stop_action:
            lines.append(f"What to do: {summary.stop_action}")
        lines.append("")
    if summary.open_failures:
        lines.append(f"Open failures of {summary.transfer} in all: {summary.open_failures}.")
    lines.extend(
        [
            "Records the author can fix in Severa go through on the next run after the fix, by themselves.",
            f"See every open failure:   {command} failures list",
            f"Send one again after a fix: {command} failures replay <failure id>",
        ]
    )
    return lines


class DigestTopic:
    """Publishes run digests to the stack's alarm topic."""

    def __init__(self, topic_arn: str, *, stack: str | None = None, client: SNSClient | None = None):
        self.topic_arn = topic_arn
        self.stack = stack
        self._client: SNSClient = client or boto3.client("sns")

    def __call__(self, summary: RunSummary, new_failures: Sequence[Failure]) -> bool:
        """Send the run's digest; False when there was nothing to send."""
        digest = compose(summary, new_failures, stack=self.stack)
        if digest is None:
            return False
        try:
            reply: dict[str, Any] = dict(
                self._client.publish(TopicArn=self.topic_arn, Subject=digest.subject, Message=digest.message)
            )
        except (ClientError, BotoCoreError) as error:
            raise DigestNotSent(
                "The e-mail digest of the run's new failures could not be sent; they are in the register",
                remote_text=str(error),
            ) from None
        return bool(reply.get("MessageId"))
