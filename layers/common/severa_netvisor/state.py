"""DynamoDB state shared by every transfer: run leases, cursors and the ledger.

One table (``Settings.state_table_name``, keys ``pk``/``sk``, TTL attribute ``expires_at``) holds:

- ``lease#<transfer>`` / ``lease``: who runs the transfer now, until when. Taken with a conditional
  write, so two overlapping runs never both work; a crashed run's lease simply expires.
- ``cursor#<transfer>`` / ``cursor``: the changed-since watermark (time plus tie-breaker id) with a
  version number; every write is an optimistic-lock conditional write.
- ``ledger#<system>#<type>`` / ``<source id>``: the permanent map from a source record to its target
  key, the hash of what was sent and the status. ``pending`` is written *before* a create, so a run
  that lost the create's response knows to look the record up instead of creating it again.

Every ledger write is conditional on the version read, so a stale run cannot overwrite a newer one.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from severa_netvisor.errors import IntegrationError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import PutItemInputTypeDef, UpdateItemInputTypeDef

#: BatchGetItem takes at most 100 keys per call.
BATCH_GET_LIMIT = 100
_UNPROCESSED_RETRIES = 8


class StateError(IntegrationError):
    """The state table could not be read or written."""

    system = "dynamodb"
    retryable = True


class StateConflict(StateError):
    """A conditional write lost: someone else changed the item since it was read."""


@dataclass(frozen=True, order=True)
class Cursor:
    """A position in a source's change order: changed-at time, then the record id as tie-breaker."""

    changed_at: datetime
    record_id: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"changed_at": self.changed_at.isoformat(), "record_id": self.record_id}


@dataclass(frozen=True)
class CursorState:
    cursor: Cursor | None
    #: 0 when the transfer has never checkpointed.
    version: int


@dataclass(frozen=True)
class SourceRef:
    """A record in a source system: (system, type, id), e.g. ("severa", "invoice", <GUID>)."""

    system: str
    type: str
    id: str

    def __str__(self) -> str:
        return f"{self.system}/{self.type}/{self.id}"


class LedgerStatus(StrEnum):
    #: A create was (or is about to be) sent and its outcome is not known: look up before creating.
    PENDING = "pending"
    #: The target holds the record under ``target_key`` with the content ``content_hash``.
    DONE = "done"
    #: Every attempt so far failed before anything was sent to the target.
    FAILED = "failed"


@dataclass(frozen=True)
class LedgerEntry:
    ref: SourceRef
    status: LedgerStatus
    version: int
    target_key: str | None = None
    content_hash: str | None = None
    #: A few fields of what was sent, so a drift report can say what changed.
    summary: Mapping[str, str] = field(default_factory=dict)
    #: The write-back to the source is still owed (the target write succeeded).
    writeback_pending: bool = False
    #: Failed attempts so far.
    attempts: int = 0
    last_error: str | None = None
    #: Whether retrying the last failure could help (False: the record itself must be fixed).
    last_error_retryable: bool = True


@dataclass(frozen=True)
class Lease:
    transfer: str
    owner: str
    expires_at: int


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _s(value: str) -> dict[str, Any]:
    return {"S": value}


def _n(value: int) -> dict[str, Any]:
    return {"N": str(value)}


def _str(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    return None if value is None else str(value["S"])


def _int(item: Mapping[str, Any], name: str, default: int = 0) -> int:
    value = item.get(name)
    return default if value is None else int(value["N"])


def _code(error: ClientError | BotoCoreError) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return type(error).__name__


def _describe(error: ClientError | BotoCoreError) -> str:
    if not isinstance(error, ClientError):
        return f"{type(error).__name__}: {error}"
    info = error.response.get("Error", {})
    return f"{info.get('Code', 'Unknown')}: {info.get('Message', '')}"


class StateStore:
    """Leases, cursors and the ledger of every transfer in one DynamoDB table."""

    def __init__(
        self,
        table_name: str,
        *,
        client: DynamoDBClient | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.table_name = table_name
        self._client: DynamoDBClient = client or boto3.client(
            "dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 5})
        )
        self._clock = clock

    @property
    def client(self) -> DynamoDBClient:
        """The DynamoDB client (the register of open failures shares it)."""
        return self._client

    # -- lease ------------------------------------------------------------------------------------
    def acquire_lease(self, transfer: str, owner: str, duration_seconds: float) -> Lease | None:
        """Take the transfer's lease, or return None when another run holds an unexpired one."""
        now = int(self._clock())
        expires_at = now + max(1, int(duration_seconds + 0.999))
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": _s(f"lease#{transfer}"),
                    "sk": _s("lease"),
                    "owner": _s(owner),
                    "expires_at": _n(expires_at),
                    "acquired_at": _s(_now_iso()),
                },
                # DynamoDB deletes expired items late (TTL is lazy), so expiry is checked here too.
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now OR #owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":now": _n(now), ":owner": _s(owner)},
            )
        except (ClientError, BotoCoreError) as error:
            if _code(error) == "ConditionalCheckFailedException":
                return None
            raise StateError(f"Could not take the lease of '{transfer}'", remote_text=_describe(error)) from error
        return Lease(transfer, owner, expires_at)

    def lease_holder(self, transfer: str) -> Lease | None:
        item = self._get(f"lease#{transfer}", "lease")
        if item is None:
            return None
        return Lease(transfer, _str(item, "owner") or "", _int(item, "expires_at"))

    def release_lease(self, lease: Lease) -> bool:
        """Give the lease back; False when it had already expired and been taken by another run."""
        try:
            self._client.delete_item(
                TableName=self.table_name,
                Key={"pk": _s(f"lease#{lease.transfer}"), "sk": _s("lease")},
                ConditionExpression="#owner = :owner",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":owner": _s(lease.owner)},
            )
        except (ClientError, BotoCoreError) as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise StateError(
                f"Could not release the lease of '{lease.transfer}'", remote_text=_describe(error)
            ) from error
        return True

    # -- cursor -----------------------------------------------------------------------------------
    def read_cursor(self, transfer: str) -> CursorState:
        item = self._get(f"cursor#{transfer}", "cursor")
        if item is None:
            return CursorState(None, 0)
        changed_at = _str(item, "changed_at")
        cursor = None
        if changed_at:
            cursor = Cursor(datetime.fromisoformat(changed_at), _str(item, "record_id") or "")
        return CursorState(cursor, _int(item, "version"))

    def write_cursor(self, transfer: str, cursor: Cursor, *, expected_version: int, run_id: str) -> int:
        """Move the cursor; raises StateConflict if anyone wrote it since ``expected_version``."""
        new_version = expected_version + 1
        condition, values = self._version_condition(expected_version)
        request: PutItemInputTypeDef = {
            "TableName": self.table_name,
            "Item": {
                "pk": _s(f"cursor#{transfer}"),
                "sk": _s("cursor"),
                "changed_at": _s(cursor.changed_at.isoformat()),
                "record_id": _s(cursor.record_id),
                "version": _n(new_version),
                "run_id": _s(run_id),
                "updated_at": _s(_now_iso()),
            },
            "ConditionExpression": condition,
        }
        if values:
            request["ExpressionAttributeValues"] = values
        try:
            self._client.put_item(**request)
        except (ClientError, BotoCoreError) as error:
            if _code(error) == "ConditionalCheckFailedException":
                raise StateConflict(
                    f"The cursor of '{transfer}' was moved by another run (expected version {expected_version})"
                ) from error
            raise StateError(f"Could not write the cursor of '{transfer}'", remote_text=_describe(error)) from error
        return new_version

    # -- ledger -----------------------------------------------------------------------------------
    def get_ledger(self, refs: Iterable[SourceRef]) -> dict[SourceRef, LedgerEntry]:
        """The ledger entries of ``refs`` (missing ones absent), 100 keys per BatchGetItem."""
        unique = list(dict.fromkeys(refs))
        found: dict[SourceRef, LedgerEntry] = {}
        by_key = {(self._ledger_pk(ref), ref.id): ref for ref in unique}
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            keys: list[dict[str, Any]] = [
                {"pk": _s(self._ledger_pk(ref)), "sk": _s(ref.id)} for ref in unique[start : start + BATCH_GET_LIMIT]
            ]
            for item in self._batch_get(keys):
                pk, sk = _str(item, "pk") or "", _str(item, "sk") or ""
                ref = by_key[(pk, sk)]
                found[ref] = self._entry(ref, item)
        return found

    def targets_of(self, system: str, record_type: str) -> dict[str, str]:
        """Target key -> source id of every record of one type that is done: the ledger read backwards
        (e.g. the payments transfer finds the Severa invoice of a Netvisor invoice key). One paged
        Query of the type's partition."""
        found: dict[str, str] = {}
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": _s(self._ledger_pk(SourceRef(system, record_type, "")))},
            "ProjectionExpression": "sk, target_key, #status",
            "ExpressionAttributeNames": {"#status": "status"},
        }
        try:
            while True:
                response = self._client.query(**request)
                for item in response.get("Items", []):
                    key = _str(item, "target_key")
                    if key and _str(item, "status") == LedgerStatus.DONE.value:
                        found[key] = _str(item, "sk") or ""
                last = response.get("LastEvaluatedKey")
                if not last:
                    return found
                request["ExclusiveStartKey"] = last
        except (ClientError, BotoCoreError) as error:
            raise StateError(
                f"Could not read the ledger of {system}/{record_type}", remote_text=_describe(error)
            ) from error

    def entries_of(self, system: str, record_type: str, *, from_id: str = "") -> list[LedgerEntry]:
        """The ledger entries of one type whose id sorts at or after ``from_id`` (one paged Query): small
        side partitions (credit notes waiting for their invoices), or a recent range of ids that start
        with a date (the payroll days of the open period), never a transfer's whole ledger."""
        found: list[LedgerEntry] = []
        values: dict[str, Any] = {":pk": _s(self._ledger_pk(SourceRef(system, record_type, "")))}
        condition = "pk = :pk"
        if from_id:
            condition += " AND sk >= :from"
            values[":from"] = _s(from_id)
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        try:
            while True:
                response = self._client.query(**request)
                for item in response.get("Items", []):
                    found.append(self._entry(SourceRef(system, record_type, _str(item, "sk") or ""), item))
                last = response.get("LastEvaluatedKey")
                if not last:
                    return found
                request["ExclusiveStartKey"] = last
        except (ClientError, BotoCoreError) as error:
            raise StateError(
                f"Could not read the ledger of {system}/{record_type}", remote_text=_describe(error)
            ) from error

    def put_side(
        self, ref: SourceRef, *, target_key: str, summary: Mapping[str, str], open_: bool, run_id: str
    ) -> None:
        """A side entry a transfer keeps beside its ledger (e.g. a credit note waiting for its invoice):
        ``open_`` entries are still to be acted on (status pending), closed ones are done."""
        try:
            self._client.put_item(
                TableName=self.table_name,
                Item={
                    "pk": _s(self._ledger_pk(ref)),
                    "sk": _s(ref.id),
                    "status": _s(LedgerStatus.PENDING if open_ else LedgerStatus.DONE),
                    "target_key": _s(target_key),
                    "summary": _s(json.dumps(dict(summary), sort_keys=True)),
                    "run_id": _s(run_id),
                    "updated_at": _s(_now_iso()),
                    "version": _n(1),
                },
            )
        except (ClientError, BotoCoreError) as error:
            raise StateError(f"Could not write the ledger entry of {ref}", remote_text=_describe(error)) from error

    def mark_pending(
        self,
        ref: SourceRef,
        *,
        content_hash: str,
        summary: Mapping[str, str],
        expected_version: int,
        run_id: str,
    ) -> LedgerEntry:
        """Record that a create is about to be sent; its outcome stays unknown until ``mark_done``."""
        return self._update(
            ref,
            expected_version,
            "SET #status = :status, content_hash = :hash, summary = :summary, run_id = :run, "
            "updated_at = :now, version = :version",
            {
                ":status": _s(LedgerStatus.PENDING),
                ":hash": _s(content_hash),
                ":summary": _s(json.dumps(dict(summary), sort_keys=True)),
                ":run": _s(run_id),
            },
        )

    def mark_done(
        self,
        ref: SourceRef,
        *,
        target_key: str,
        content_hash: str,
        summary: Mapping[str, str],
        writeback_pending: bool,
        expected_version: int,
        run_id: str,
    ) -> LedgerEntry:
        """Record that the target holds the record under ``target_key`` with this content."""
        return self._update(
            ref,
            expected_version,
            "SET #status = :status, target_key = :key, content_hash = :hash, summary = :summary, "
            "writeback_pending = :writeback, run_id = :run, updated_at = :now, version = :version "
            "REMOVE last_error",
            {
                ":status": _s(LedgerStatus.DONE),
                ":key": _s(target_key),
                ":hash": _s(content_hash),
                ":summary": _s(json.dumps(dict(summary), sort_keys=True)),
                ":writeback": {"BOOL": writeback_pending},
                ":run": _s(run_id),
            },
        )

    def mark_written_back(self, ref: SourceRef, *, expected_version: int, run_id: str) -> LedgerEntry:
        return self._update(
            ref,
            expected_version,
            "SET writeback_pending = :false, run_id = :run, updated_at = :now, version = :version",
            {":false": {"BOOL": False}, ":run": _s(run_id)},
        )

    def record_failure(self, ref: SourceRef, *, error_text: str, run_id: str, retryable: bool = True) -> LedgerEntry:
        """Count a failed attempt. Keeps the status (a pending create stays pending: its outcome is unknown)."""
        try:
            response = self._client.update_item(
                TableName=self.table_name,
                Key={"pk": _s(self._ledger_pk(ref)), "sk": _s(ref.id)},
                UpdateExpression="SET #status = if_not_exists(#status, :failed), last_error = :error, "
                "last_error_retryable = :retryable, run_id = :run, updated_at = :now ADD attempts :one, version :one",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":failed": _s(LedgerStatus.FAILED),
                    ":error": _s(error_text[:2000] or "(no message)"),
                    ":retryable": {"BOOL": retryable},
                    ":run": _s(run_id),
                    ":now": _s(_now_iso()),
                    ":one": _n(1),
                },
                ReturnValues="ALL_NEW",
            )
        except (ClientError, BotoCoreError) as error:
            raise StateError(f"Could not record the failure of {ref}", remote_text=_describe(error)) from error
        return self._entry(ref, response.get("Attributes", {}))

    # -- internals --------------------------------------------------------------------------------
    @staticmethod
    def _ledger_pk(ref: SourceRef) -> str:
        return f"ledger#{ref.system}#{ref.type}"

    @staticmethod
    def _version_condition(expected_version: int) -> tuple[str, dict[str, Any]]:
        if expected_version == 0:
            return "attribute_not_exists(pk)", {}
        return "version = :expected", {":expected": _n(expected_version)}

    def _update(self, ref: SourceRef, expected_version: int, expression: str, values: dict[str, Any]) -> LedgerEntry:
        condition, condition_values = self._version_condition(expected_version)
        request: UpdateItemInputTypeDef = {
            "TableName": self.table_name,
            "Key": {"pk": _s(self._ledger_pk(ref)), "sk": _s(ref.id)},
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": {
                **values,
                **condition_values,
                ":now": _s(_now_iso()),
                ":version": _n(expected_version + 1),
            },
            "ReturnValues": "ALL_NEW",
        }
        if "#status" in expression:
            request["ExpressionAttributeNames"] = {"#status": "status"}
        try:
            response = self._client.update_item(**request)
        except (ClientError, BotoCoreError) as error:
            if _code(error) == "ConditionalCheckFailedException":
                raise StateConflict(
                    f"The ledger entry of {ref} was changed by another run (expected version {expected_version})"
                ) from error
            raise StateError(f"Could not write the ledger entry of {ref}", remote_text=_describe(error)) from error
        return self._entry(ref, response.get("Attributes", {}))

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        try:
            response = self._client.get_item(
                TableName=self.table_name, Key={"pk": _s(pk), "sk": _s(sk)}, ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as error:
            raise StateError(f"Could not read '{pk}' from the state table", remote_text=_describe(error)) from error
        item = response.get("Item")
        return dict(item) if item else None

    def _batch_get(self, keys: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        request: dict[str, Any] = {self.table_name: {"Keys": list(keys), "ConsistentRead": True}}
        for attempt in range(_UNPROCESSED_RETRIES + 1):
            try:
                response = self._client.batch_get_item(RequestItems=request)
            except (ClientError, BotoCoreError) as error:
                raise StateError("Could not read the ledger", remote_text=_describe(error)) from error
            items.extend(dict(item) for item in response.get("Responses", {}).get(self.table_name, []))
            unprocessed: dict[str, Any] = dict(response.get("UnprocessedKeys") or {})
            if not unprocessed.get(self.table_name, {}).get("Keys"):
                return items
            request = unprocessed
            # Unprocessed keys mean throttling: back off (full jitter) before asking again.
            time.sleep(random.uniform(0, min(2.0, 0.05 * 2**attempt)))  # noqa: S311 - jitter, not crypto
        raise StateError("The ledger read was throttled: DynamoDB kept returning unprocessed keys")

    @staticmethod
    def _entry(ref: SourceRef, item: Mapping[str, Any]) -> LedgerEntry:
        summary_text = _str(item, "summary")
        writeback = item.get("writeback_pending")
        return LedgerEntry(
            ref=ref,
            status=LedgerStatus(_str(item, "status") or LedgerStatus.FAILED),
            version=_int(item, "version"),
            target_key=_str(item, "target_key"),
            content_hash=_str(item, "content_hash"),
            summary=json.loads(summary_text) if summary_text else {},
            writeback_pending=bool(writeback and writeback.get("BOOL")),
            attempts=_int(item, "attempts"),
            last_error=_str(item, "last_error"),
            last_error_retryable=bool(item.get("last_error_retryable", {"BOOL": True}).get("BOOL", True)),
        )

    # -- read-only queries (reconciliation) -------------------------------------------------------
    def iter_ledger(
        self, system: str, record_type: str, *, status: LedgerStatus | None = None
    ) -> Iterator[LedgerEntry]:
        """Every ledger entry of one record type (optionally only those with ``status``), a page of the
        type's partition at a time. Read-only; for reports such as the month-end reconciliation."""
        pk = self._ledger_pk(SourceRef(system, record_type, ""))
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": _s(pk)},
        }
        if status is not None:
            request["FilterExpression"] = "#status = :status"
            request["ExpressionAttributeNames"] = {"#status": "status"}
            request["ExpressionAttributeValues"][":status"] = _s(status.value)
        while True:
            try:
                response = self._client.query(**request)
            except ClientError as error:
                raise StateError(
                    f"Could not read the ledger of {system}/{record_type}", remote_text=_describe(error)
                ) from error
            for item in response.get("Items", []):
                yield self._entry(SourceRef(system, record_type, _str(item, "sk") or ""), item)
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            request["ExclusiveStartKey"] = last
