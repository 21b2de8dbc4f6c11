"""The register of open failures: one item per record that could not be moved, until it moves.

It lives in the state table (``pk`` = ``failure#<transfer>``, ``sk`` = ``<system>#<type>#<id>``) and is
what an operator reads (``severa-netvisor failures list``) and what the engine consults:

- a record that fails again for the same reason updates its item (last seen, attempts); it does not
  add another, and nobody is notified twice;
- a new failure, or a new reason, marks the item un-notified: the engine then sends one message to
  the failed-records queue (notifications, automatic replay) and marks it notified;
- when the record later succeeds (a change in the source, a replay, a full resync), its item is
  closed, and closed items expire from the table after ``CLOSED_RETENTION_DAYS``.

A record whose failure is in the register is settled for the cursor: "nothing lost" means the record
is in the target or here.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from severa_netvisor.state import BATCH_GET_LIMIT, SourceRef, StateConflict, StateError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

OPEN = "open"
CLOSED = "closed"
CLOSED_RETENTION_DAYS = 90
#: The record as read is kept (for a person to see, and to replay records a source cannot read one
#: at a time) up to this size; bulky fields are dropped first (see ``failures.fit_record``).
RECORD_LIMIT_BYTES = 64 * 1024


def failure_id(transfer: str, ref: SourceRef) -> str:
    """A short, stable id a person can type: the same record always has the same id."""
    return hashlib.sha256(f"{transfer}|{ref}".encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Failure:
    """One record's open (or closed) failure, as a person reads it."""

    transfer: str
    ref: SourceRef
    #: What the record is to a person: "invoice 10062".
    label: str
    #: Where it failed: prepare (mapping, validation), lookup, write, write-back, drift, dependency.
    step: str
    #: The reason, verbatim where it came from Netvisor or Severa.
    reason: str
    #: What to do about it.
    action: str
    retryable: bool
    #: The record's author can fix it in the source (told in Severa's invoice log).
    for_author: bool
    #: The record as read when it failed; unchanged means the failure stands without retrying.
    fingerprint: str
    remote_text: str | None = None
    error_class: str = ""
    #: A record this one waits for (an invoice's customer), as ``transfer/system/type/id``.
    blocked_by: str | None = None
    #: The record as read (JSON text), for a person and for replays.
    record: str = ""
    status: str = OPEN
    first_seen: str = ""
    last_seen: str = ""
    attempts: int = 1
    notified: bool = False
    #: Automatic replays so far (the replay function stops after its configured number).
    auto_replays: int = 0
    run_id: str = ""
    closed_at: str | None = None
    closed_reason: str | None = None
    version: int = 0

    @property
    def id(self) -> str:
        return failure_id(self.transfer, self.ref)

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def same_reason(self, other: Failure) -> bool:
        return (self.step, self.reason, self.blocked_by) == (other.step, other.reason, other.blocked_by)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "transfer": self.transfer,
            "source": {"system": self.ref.system, "type": self.ref.type, "id": self.ref.id},
            "label": self.label,
            "step": self.step,
            "reason": self.reason,
            "remote_text": self.remote_text,
            "action": self.action,
            "retryable": self.retryable,
            "for_author": self.for_author,
            "blocked_by": self.blocked_by,
            "status": self.status,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "attempts": self.attempts,
            "auto_replays": self.auto_replays,
            "notified": self.notified,
            "closed_at": self.closed_at,
            "closed_reason": self.closed_reason,
        }


@dataclass(frozen=True)
class Recorded:
    failure: Failure
    #: New, reopened, or a new reason: a person must be told (queue message, Severa log).
    news: bool


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _s(value: str) -> dict[str, Any]:
    return {"S": value}


def _n(value: int) -> dict[str, Any]:
    return {"N": str(value)}


def _b(value: bool) -> dict[str, Any]:
    return {"BOOL": value}


def _sk(ref: SourceRef) -> str:
    return f"{ref.system}#{ref.type}#{ref.id}"


def _ref_of(sk: str) -> SourceRef:
    system, record_type, record_id = sk.split("#", 2)
    return SourceRef(system, record_type, record_id)


def _describe(error: ClientError | BotoCoreError) -> str:
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{info.get('Code', 'Unknown')}: {info.get('Message', '')}"
    return str(error)


class FailureRegister:
    """Open failures of every transfer, in the state table."""

    def __init__(self, table_name: str, *, client: DynamoDBClient | None = None):
        self.table_name = table_name
        self._client: DynamoDBClient = client or boto3.client(
            "dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 5})
        )

    # -- reads --------------------------------------------------------------------------------------
    def get_many(self, transfer: str, refs: Iterable[SourceRef]) -> dict[SourceRef, Failure]:
        """The register items (open or closed) of ``refs``; missing ones absent."""
        unique = list(dict.fromkeys(refs))
        found: dict[SourceRef, Failure] = {}
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            keys = [
                {"pk": _s(f"failure#{transfer}"), "sk": _s(_sk(r))} for r in unique[start : start + BATCH_GET_LIMIT]
            ]
            for item in self._batch_get(keys):
                failure = self._failure(item)
                found[failure.ref] = failure
        return found

    def get(self, transfer: str, ref: SourceRef) -> Failure | None:
        return self.get_many(transfer, [ref]).get(ref)

    def failures(self, transfer: str, *, include_closed: bool = False) -> list[Failure]:
        """Every failure of one transfer (open ones unless asked), oldest first."""
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": _s(f"failure#{transfer}")},
            "ConsistentRead": True,
        }
        found: list[Failure] = []
        try:
            while True:
                response = self._client.query(**request)
                found.extend(self._failure(dict(item)) for item in response.get("Items", []))
                last = response.get("LastEvaluatedKey")
                if not last:
                    break
                request["ExclusiveStartKey"] = last
        except (ClientError, BotoCoreError) as error:
            raise StateError(f"Could not read the open failures of {transfer}", remote_text=_describe(error)) from error
        if not include_closed:
            found = [f for f in found if f.is_open]
        return sorted(found, key=lambda f: (f.first_seen, f.label))

    def find(self, transfers: Sequence[str], failure_id_: str) -> Failure | None:
        """The failure with this id (or a unique prefix of it) among the transfers' registers."""
        wanted = failure_id_.strip().lower()
        matches = [f for t in transfers for f in self.failures(t, include_closed=True) if f.id.startswith(wanted)]
        return matches[0] if len(matches) == 1 else None

    # -- writes -------------------------------------------------------------------------------------
    def record(self, failure: Failure, *, previous: Failure | None) -> Recorded:
        """Record a failure; ``previous`` is the item as read this run (None: none was there).

        The same open failure again updates last seen and attempts; anything else is news. Raises
        ``StateConflict`` when someone changed the item since it was read (the caller re-reads)."""
        now = _now()
        if previous is not None and previous.is_open and previous.same_reason(failure):
            kept = replace(
                previous,
                label=failure.label,
                fingerprint=failure.fingerprint,
                record=failure.record,
                last_seen=now,
                attempts=previous.attempts + 1,
                run_id=failure.run_id,
                remote_text=failure.remote_text,
                version=previous.version + 1,
            )
            return Recorded(self._put(kept, previous.version), news=not previous.notified)
        attempts = previous.attempts + 1 if previous is not None and previous.is_open else 1
        first_seen = previous.first_seen if previous is not None and previous.is_open else now
        fresh = replace(
            failure,
            status=OPEN,
            first_seen=first_seen,
            last_seen=now,
            attempts=attempts,
            notified=False,
            auto_replays=previous.auto_replays if previous is not None and previous.is_open else 0,
            closed_at=None,
            closed_reason=None,
            version=(previous.version if previous else 0) + 1,
        )
        return Recorded(self._put(fresh, previous.version if previous else 0), news=True)

    def mark_notified(self, failure: Failure) -> None:
        self._update(failure, "SET notified = :true", {":true": _b(True)})

    def count_auto_replay(self, failure: Failure) -> None:
        self._update(failure, "ADD auto_replays :one", {":one": _n(1)})

    def close(self, transfer: str, ref: SourceRef, *, reason: str, run_id: str) -> bool:
        """Close the record's open failure; False when there was none open."""
        expires = int(time.time()) + CLOSED_RETENTION_DAYS * 86400
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key={"pk": _s(f"failure#{transfer}"), "sk": _s(_sk(ref))},
                UpdateExpression="SET #status = :closed, closed_at = :now, closed_reason = :reason, run_id = :run, "
                "expires_at = :expires ADD version :one",
                ConditionExpression="#status = :open",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":closed": _s(CLOSED),
                    ":open": _s(OPEN),
                    ":now": _s(_now()),
                    ":reason": _s(reason),
                    ":run": _s(run_id),
                    ":expires": _n(expires),
                    ":one": _n(1),
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise StateError(f"Could not close the failure of {ref}", remote_text=_describe(error)) from error
        except BotoCoreError as error:
            raise StateError(f"Could not close the failure of {ref}", remote_text=_describe(error)) from error
        return True

    # -- internals ----------------------------------------------------------------------------------
    def _put(self, failure: Failure, expected_version: int) -> Failure:
        item: dict[str, Any] = {
            "pk": _s(f"failure#{failure.transfer}"),
            "sk": _s(_sk(failure.ref)),
            "failure_id": _s(failure.id),
            "status": _s(failure.status),
            "label": _s(failure.label or str(failure.ref)),
            "step": _s(failure.step),
            "reason": _s(failure.reason[:8000] or "(no message)"),
            "action": _s(failure.action or "-"),
            "retryable": _b(failure.retryable),
            "for_author": _b(failure.for_author),
            "fingerprint": _s(failure.fingerprint or "-"),
            "error_class": _s(failure.error_class or "-"),
            "first_seen": _s(failure.first_seen),
            "last_seen": _s(failure.last_seen),
            "attempts": _n(failure.attempts),
            "notified": _b(failure.notified),
            "auto_replays": _n(failure.auto_replays),
            "run_id": _s(failure.run_id or "-"),
            "version": _n(failure.version),
        }
        if failure.remote_text:
            item["remote_text"] = _s(failure.remote_text[:16000])
        if failure.blocked_by:
            item["blocked_by"] = _s(failure.blocked_by)
        if failure.record:
            item["record"] = _s(failure.record[:RECORD_LIMIT_BYTES])
        condition = "attribute_not_exists(pk)" if expected_version == 0 else "version = :expected"
        request: dict[str, Any] = {"TableName": self.table_name, "Item": item, "ConditionExpression": condition}
        if expected_version:
            request["ExpressionAttributeValues"] = {":expected": _n(expected_version)}
        try:
            self._client.put_item(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise StateConflict(f"The open failure of {failure.ref} was changed by another run") from error
            raise StateError(f"Could not record the failure of {failure.ref}", remote_text=_describe(error)) from error
        except BotoCoreError as error:
            raise StateError(f"Could not record the failure of {failure.ref}", remote_text=_describe(error)) from error
        return failure

    def _update(self, failure: Failure, expression: str, values: Mapping[str, Any]) -> None:
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key={"pk": _s(f"failure#{failure.transfer}"), "sk": _s(_sk(failure.ref))},
                UpdateExpression=expression,
                ExpressionAttributeValues=dict(values),
            )
        except (ClientError, BotoCoreError) as error:
            raise StateError(f"Could not update the failure of {failure.ref}", remote_text=_describe(error)) from error

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": True}}
        for attempt in range(9):
            try:
                response = self._client.batch_get_item(RequestItems=request)
            except (ClientError, BotoCoreError) as error:
                raise StateError("Could not read the open failures", remote_text=_describe(error)) from error
            items.extend(dict(item) for item in response.get("Responses", {}).get(self.table_name, []))
            unprocessed: dict[str, Any] = dict(response.get("UnprocessedKeys") or {})
            if not unprocessed.get(self.table_name, {}).get("Keys"):
                return items
            request = unprocessed
            time.sleep(min(2.0, 0.05 * 2**attempt))
        raise StateError("Reading the open failures was throttled: DynamoDB kept returning unprocessed keys")

    @staticmethod
    def _failure(item: Mapping[str, Any]) -> Failure:
        def text(name: str) -> str | None:
            value = item.get(name)
            return None if value is None else str(value["S"])

        def number(name: str) -> int:
            value = item.get(name)
            return 0 if value is None else int(value["N"])

        def flag(name: str) -> bool:
            value = item.get(name)
            return bool(value and value.get("BOOL"))

        transfer = (text("pk") or "failure#").split("#", 1)[1]
        return Failure(
            transfer=transfer,
            ref=_ref_of(text("sk") or "##"),
            label=text("label") or "",
            step=text("step") or "",
            reason=text("reason") or "",
            action=text("action") or "",
            retryable=flag("retryable"),
            for_author=flag("for_author"),
            fingerprint=text("fingerprint") or "",
            remote_text=text("remote_text"),
            error_class=text("error_class") or "",
            blocked_by=text("blocked_by"),
            record=text("record") or "",
            status=text("status") or OPEN,
            first_seen=text("first_seen") or "",
            last_seen=text("last_seen") or "",
            attempts=number("attempts"),
            notified=flag("notified"),
            auto_replays=number("auto_replays"),
            run_id=text("run_id") or "",
            closed_at=text("closed_at"),
            closed_reason=text("closed_reason"),
            version=number("version"),
        )


def record_json(data: Any) -> str:
    """The record as the register keeps it: JSON, bulky fields dropped to stay under the limit."""
    from severa_netvisor.failures import fit_record  # noqa: PLC0415 - failures imports this module's types

    return json.dumps(fit_record(data, RECORD_LIMIT_BYTES), ensure_ascii=False, sort_keys=True, default=str)
