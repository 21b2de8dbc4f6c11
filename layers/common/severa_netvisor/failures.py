"""Failed-record messages on the SQS queue (``Settings.failed_records_queue_url``).

The register of open failures (``register.py``) is the list of what is broken; the queue carries
*events*: one message when a record's failure is new or its reason changed, for notifications and
the replay function. A message says what failed and why in words an operator can act on, with the
remote system's text verbatim, whether a retry can help, what to do, and the source record needed to
replay it. It never holds a secret: keys that look like secrets are redacted, and a message stays
below SQS's 256 KiB limit by dropping the bulkiest fields (PDFs, attachments) with a note saying
what was dropped.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from severa_netvisor.observability import logger
from severa_netvisor.scrub import scrub
from severa_netvisor.state import SourceRef

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

SCHEMA = "severa-netvisor/failed-record/v2"
#: SQS takes 256 KiB per message and per batch; keep clear of it (attributes count too).
MAX_MESSAGE_BYTES = 240 * 1024
MAX_BATCH_BYTES = 250 * 1024
MAX_BATCH_ENTRIES = 10
#: Strings at least this long are candidates for dropping when a message is too big.
_BULKY_CHARS = 512
_REMOTE_TEXT_LIMIT = 64 * 1024
_REDACTED = "[redacted]"

# Normalised key names (lower case, no separators) that hold secrets.
_SECRET_KEY = re.compile(
    r"(secret|passw|apikey|accesskey|privatekey|customerkey|partnerkey|token|authoriz|credential|signature"
    r"|sessionkey|^mac$|^key$|^pin$|^auth$|^hmac)"
)


def is_secret_key(name: str) -> bool:
    return bool(_SECRET_KEY.search(re.sub(r"[^a-z0-9]", "", name.lower())))


def to_jsonable(value: Any) -> Any:  # noqa: PLR0911 - one return per kind of value
    """Plain JSON data from what a transfer holds: pydantic models, dataclasses, dates, decimals, bytes.

    Secret-looking keys are redacted on the way.
    """
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): (_REDACTED if is_secret_key(str(k)) else to_jsonable(v)) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, bytes | bytearray):
        # Binary content (a PDF) is marked so the size cap drops it first.
        return {"__binary_base64__": base64.b64encode(bytes(value)).decode("ascii")}
    if hasattr(value, "get_secret_value"):  # pydantic SecretStr / SecretBytes
        return _REDACTED
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="python"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(item) for item in value]
    return str(value)


@dataclass(frozen=True)
class FailedRecord:
    """One record that could not be moved, as the operator will read it."""

    transfer: str
    run_id: str
    source: SourceRef
    #: The step that failed: prepare, lookup, write, after_write, ledger, drift.
    step: str
    error_class: str
    message: str
    remote_text: str | None
    retryable: bool
    #: 1 for the first failed attempt at this record, then 2, 3, ...
    attempt: int
    #: The source record, enough to replay it.
    record: Any
    target_key: str | None = None
    failed_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: What the record is to a person ("invoice 10062").
    label: str = ""
    #: What to do about it.
    action: str = ""
    #: The record's author can fix it (it is told in the source, e.g. Severa's invoice log).
    for_author: bool = False
    #: The register item's id (``severa-netvisor failures show <id>``).
    failure_id: str = ""

    def body(self, max_bytes: int = MAX_MESSAGE_BYTES) -> str:
        """The message body: JSON, secrets redacted, under ``max_bytes`` (bulky fields dropped, noted)."""
        document: dict[str, Any] = {
            "schema": SCHEMA,
            "transfer": self.transfer,
            "run_id": self.run_id,
            "source": {"system": self.source.system, "type": self.source.type, "id": self.source.id},
            "failure_id": self.failure_id,
            "label": self.label,
            "step": self.step,
            "error_class": self.error_class,
            "message": self.message,
            "remote_text": self.remote_text,
            "retryable": self.retryable,
            "action": self.action,
            "for_author": self.for_author,
            "attempt": self.attempt,
            "target_key": self.target_key,
            "failed_at": self.failed_at.isoformat(),
            "record": to_jsonable(self.record),
            "dropped_fields": [],
        }
        # The last line of defence: a secret a remote echoed into any field never reaches the queue.
        return scrub(_fit(document, max_bytes))


def _size(document: Any) -> int:
    return len(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _bulky_paths(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[int, tuple[str | int, ...]]]:
    """(size, path) of every long string or binary blob in ``value``."""
    found: list[tuple[int, tuple[str | int, ...]]] = []
    if isinstance(value, dict):
        if set(value) == {"__binary_base64__"}:
            return [(len(value["__binary_base64__"]) + 10**9, path)]  # binaries go first
        for key, item in value.items():
            found.extend(_bulky_paths(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_bulky_paths(item, (*path, index)))
    elif isinstance(value, str) and len(value) >= _BULKY_CHARS:
        found.append((len(value), path))
    return found


def _replace(document: dict[str, Any], path: tuple[str | int, ...], note: str) -> None:
    target: Any = document["record"]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = note


def _fit(document: dict[str, Any], max_bytes: int) -> str:
    # Binaries are never worth their size in a failure message: the source can be asked again.
    for size, path in sorted(_bulky_paths(document["record"]), reverse=True):
        if size < 10**9 and _size(document) <= max_bytes:
            break
        dotted = ".".join(str(p) for p in path) or "(record)"
        kind = "binary" if size >= 10**9 else "text"
        length = size - 10**9 if size >= 10**9 else size
        note = f"[dropped: {kind} of {length} characters; read it from the source system to replay]"
        if not path:
            document["record"] = note
        else:
            _replace(document, path, note)
        document["dropped_fields"].append(dotted)
    remote = document["remote_text"]
    if _size(document) > max_bytes and isinstance(remote, str) and len(remote) > _REMOTE_TEXT_LIMIT:
        document["remote_text"] = remote[:_REMOTE_TEXT_LIMIT] + f" [truncated from {len(remote)} characters]"
    if _size(document) > max_bytes:
        document["record"] = "[dropped: the record is too large for a queue message; read it from the source]"
        document["dropped_fields"].append("(record)")
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode("utf-8")) > max_bytes:  # only a giant message text can get here
        document["message"] = document["message"][:4096] + " [truncated]"
        document["remote_text"] = (document["remote_text"] or "")[:4096] + " [truncated]"
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return text


def fit_record(data: Any, max_bytes: int) -> Any:
    """``data`` as plain JSON, secrets redacted, bulky fields dropped (noted) until it fits ``max_bytes``."""
    document: dict[str, Any] = {"record": to_jsonable(data), "dropped_fields": [], "message": "", "remote_text": None}
    return json.loads(_fit(document, max_bytes))["record"]


class FailureQueue:
    """Sends failed-record messages in batches; reports which ones SQS did not take."""

    def __init__(self, queue_url: str, *, client: SQSClient | None = None, resend_attempts: int = 2):
        self.queue_url = queue_url
        self._client: SQSClient = client or boto3.client(
            "sqs", config=Config(retries={"mode": "standard", "max_attempts": 5})
        )
        self._resend_attempts = resend_attempts

    def send(self, failures: Sequence[FailedRecord]) -> list[bool]:
        """Send every failure; element ``i`` of the result says whether SQS accepted ``failures[i]``."""
        bodies = [failure.body() for failure in failures]
        delivered = [False] * len(failures)
        for batch in self._batches(bodies):
            for index in self._send_batch(batch, bodies, failures):
                delivered[index] = True
        return delivered

    @staticmethod
    def _batches(bodies: Sequence[str]) -> list[list[int]]:
        batches: list[list[int]] = []
        current: list[int] = []
        current_bytes = 0
        for index, body in enumerate(bodies):
            size = len(body.encode("utf-8")) + 512  # attributes and entry overhead
            if current and (len(current) == MAX_BATCH_ENTRIES or current_bytes + size > MAX_BATCH_BYTES):
                batches.append(current)
                current, current_bytes = [], 0
            current.append(index)
            current_bytes += size
        if current:
            batches.append(current)
        return batches

    def _send_batch(self, indices: list[int], bodies: Sequence[str], failures: Sequence[FailedRecord]) -> set[int]:
        delivered: set[int] = set()
        remaining = list(indices)
        for _attempt in range(self._resend_attempts + 1):
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {
                    "Id": str(index),
                    "MessageBody": bodies[index],
                    "MessageAttributes": {
                        "transfer": {"DataType": "String", "StringValue": failures[index].transfer},
                        "step": {"DataType": "String", "StringValue": failures[index].step},
                        "error_class": {"DataType": "String", "StringValue": failures[index].error_class},
                    },
                }
                for index in remaining
            ]
            try:
                response = self._client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as error:
                logger.error("failed-records queue unavailable", extra={"error": str(error)})
                return delivered
            delivered.update(int(entry["Id"]) for entry in response.get("Successful", []))
            failed = response.get("Failed", [])
            if not failed:
                return delivered
            for entry in failed:
                logger.warning(
                    "failed-records queue refused a message",
                    extra={
                        "code": entry.get("Code"),
                        "reason": entry.get("Message"),
                        "sender_fault": entry.get("SenderFault"),
                    },
                )
            # A sender fault (bad message) will not go through on a resend; a service fault may.
            remaining = [int(entry["Id"]) for entry in failed if not entry.get("SenderFault")]
            if not remaining:
                return delivered
        return delivered
