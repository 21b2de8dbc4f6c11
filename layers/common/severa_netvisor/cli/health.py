"""The stack's queues and alarms, as ``severa-netvisor status`` shows them.

The queues are read the same way on a stack and on the sandbox; alarms exist only in a deployed
stack, found through the stack's own resources (CloudFormation names them; a name prefix could
also catch another stack's, e.g. ``severa-netvisor-acme`` under ``severa-netvisor``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

#: The queues status shows: (key, logical id in template.yaml, the stack output naming its URL, words).
QUEUES = (
    ("failed_records", "FailedRecordsQueue", "FailedRecordsQueueUrl", "failed records"),
    ("failed_records_dead_letter", "FailedRecordsDeadLetterQueue", "FailedRecordsDeadLetterQueueUrl",
     "failed records that could not be handled (dead-letter queue)"),
    ("failed_invocations", "FailedInvocationsQueue", "FailedInvocationsQueueUrl",
     "runs that crashed or timed out (failed invocations)"),
)  # fmt: skip

ALARM_TYPES = ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")
#: DescribeAlarms takes up to 100 names a call.
_NAMES_PER_CALL = 100

#: CloudWatch's alarm states, in words.
STATE_WORDS = {"OK": "OK", "ALARM": "in alarm", "INSUFFICIENT_DATA": "no data yet"}


@dataclass(frozen=True)
class QueueDepth:
    key: str
    words: str
    #: Messages waiting to be received.
    visible: int
    #: Messages received and not yet deleted: on the failed-records queue, failures set aside until
    #: their next automatic replay.
    in_flight: int

    def as_dict(self) -> dict[str, Any]:
        return {"queue": self.key, "visible": self.visible, "in_flight": self.in_flight}


@dataclass(frozen=True)
class AlarmState:
    name: str
    #: The alarm's logical id in template.yaml ("InvoicesErrorsAlarm").
    logical_id: str
    state: str
    reason: str
    description: str
    since: datetime | None

    @property
    def words(self) -> str:
        """ "InvoicesErrorsAlarm" -> "invoices errors"."""
        stem = self.logical_id.removesuffix("Alarm") or self.name
        return " ".join(part.lower() for part in re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", stem))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "logical_id": self.logical_id,
            "state": self.state,
            "reason": self.reason,
            "description": self.description,
            "since": self.since.isoformat() if self.since else None,
        }


def queue_depths(sqs: Any, urls: Mapping[str, str], call: Callable[[Callable[[], Any]], Any]) -> list[QueueDepth]:
    """The depth of each queue in ``urls`` (key -> URL), in the order of :data:`QUEUES`.
    ``call`` makes one AWS call (turning its failures into one line for a person)."""
    depths = []
    for key, _, _, words in QUEUES:
        if key not in urls:
            continue
        attributes = call(partial(sqs.get_queue_attributes, QueueUrl=urls[key], AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]))  # fmt: skip
        values = attributes.get("Attributes", {})
        depths.append(QueueDepth(key, words, int(values.get("ApproximateNumberOfMessages", 0)),
                                 int(values.get("ApproximateNumberOfMessagesNotVisible", 0))))
    return depths


def alarm_states(
    cloudwatch: Any, logical_ids: Mapping[str, str], call: Callable[[Callable[[], Any]], Any]
) -> list[AlarmState]:
    """The state of each alarm named in ``logical_ids`` (alarm name -> logical id): in alarm first."""
    names = sorted(logical_ids)
    found: list[AlarmState] = []
    for start in range(0, len(names), _NAMES_PER_CALL):
        batch = names[start : start + _NAMES_PER_CALL]
        types = ["MetricAlarm", "CompositeAlarm"]
        reply = call(partial(cloudwatch.describe_alarms, AlarmNames=batch, AlarmTypes=types))
        for alarm in [*reply.get("MetricAlarms", []), *reply.get("CompositeAlarms", [])]:
            found.append(AlarmState(
                name=alarm["AlarmName"],
                logical_id=logical_ids.get(alarm["AlarmName"], ""),
                state=alarm.get("StateValue", "INSUFFICIENT_DATA"),
                reason=alarm.get("StateReason", ""),
                description=" ".join(str(alarm.get("AlarmDescription", "")).split()),
                since=alarm.get("StateUpdatedTimestamp"),
            ))  # fmt: skip
    order = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}
    return sorted(found, key=lambda alarm: (order.get(alarm.state, 1), alarm.words))
