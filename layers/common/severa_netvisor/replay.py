"""The replay function: failed records tried again, automatically from the failed-records queue and by
hand, through the same exactly-once path as a scheduled run (the engine's leases, ledger and register).

- **From the queue** (an SQS event; Powertools batch processing with partial batch responses): each
  message is one failure that was new when it was sent. A failure a person must fix (not retryable)
  is left in the register of open failures, which is the list of what is broken, and its message is
  done. A retryable one is tried again after a growing delay (the message is made invisible for
  ``REPLAY_DELAYS[n]`` and reported as not done, so SQS hands it back then); after
  ``auto_replay_limit`` attempts it stays open in the register, for the open-failure alarm and a
  person. A failure closed meanwhile (the record went through) is done.
- **By hand** (``{"transfer": "invoices", "ids": ["3f2a91c0de"]}`` or ``{"transfer": "invoices",
  "all": true}``): the named open failures, or all of one transfer's, are read again from the source
  and taken now, whatever their state; the answer says, per failure, whether it is closed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from severa_netvisor.engine import Engine, RunRequest, RunSummary
from severa_netvisor.errors import IntegrationError
from severa_netvisor.handler import InvalidEventError, build_engine, flush_metrics
from severa_netvisor.observability import logger
from severa_netvisor.register import Failure, FailureRegister
from severa_netvisor.settings import Settings, get_settings
from severa_netvisor.state import SourceRef
from severa_netvisor.transfers.registry import TRANSFERS, build_named

#: How long a retryable failure waits before each automatic replay (seconds; SQS allows up to 12 h).
REPLAY_DELAYS = (300, 900, 3600, 3 * 3600, 9 * 3600)
#: A replay that found the transfer's lease taken tries again this soon.
BUSY_DELAY = 120


class RetryLater(Exception):
    """The message is not done: SQS hands it back when its visibility timeout ends."""


class ReplayRequest(BaseModel):
    """A replay by hand: some open failures of one transfer (by id), or all of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transfer: str
    ids: list[str] = Field(default_factory=list)
    all: bool = False
    dry_run: bool = False

    @model_validator(mode="after")
    def _what(self) -> ReplayRequest:
        if self.transfer not in TRANSFERS:
            raise ValueError(f"'{self.transfer}' is not a transfer; the transfers are {', '.join(sorted(TRANSFERS))}")
        if not self.ids and not self.all:
            raise ValueError("name the failures to replay ('ids'), or replay them all ('all': true)")
        return self


class Replayer:
    """Replays through one engine per transfer (built on first use, kept for a warm container)."""

    def __init__(self, settings: Settings, *, build: Callable[[str], Engine] | None = None):
        self.settings = settings
        self._build = build or (lambda name: build_engine(lambda context: build_named(name, context), settings))
        self._engines: dict[str, Engine] = {}
        self._sqs: Any = None

    def engine(self, transfer: str) -> Engine:
        if transfer not in self._engines:
            self._engines[transfer] = self._build(transfer)
        return self._engines[transfer]

    @property
    def register(self) -> FailureRegister:
        engine = next(iter(self._engines.values()), None)
        if engine is not None:
            return engine.register
        return FailureRegister(self.settings.state_table_name)

    def replay(self, transfer: str, refs: Sequence[SourceRef], context: Any, *, dry_run: bool = False) -> RunSummary:
        request = RunRequest(run_id=_run_id(context), dry_run=dry_run)
        try:
            return self.engine(transfer).replay(request, refs, context)
        finally:
            flush_metrics()

    # -- by hand ----------------------------------------------------------------------------------
    def by_hand(self, request: ReplayRequest, context: Any) -> dict[str, Any]:
        engine = self.engine(request.transfer)
        register = engine.register
        failures = _chosen(register, request)
        summary = self.replay(request.transfer, [f.ref for f in failures], context, dry_run=request.dry_run)
        after = register.get_many(request.transfer, [f.ref for f in failures])
        outcomes = []
        for failure in failures:
            now = after.get(failure.ref)
            outcomes.append(
                {
                    "id": failure.id,
                    "label": failure.label,
                    "closed": now is not None and not now.is_open,
                    "reason": now.reason if now is not None and now.is_open else None,
                    "attempts": now.attempts if now is not None else failure.attempts,
                }
            )
        return {"transfer": request.transfer, "replayed": outcomes, "summary": summary.as_dict()}

    # -- from the queue ---------------------------------------------------------------------------
    def from_queue(self, record: SQSRecord, context: Any) -> None:
        """One failed-record message. Raises RetryLater when it must come back later."""
        body = record.json_body
        transfer = str(body.get("transfer", ""))
        source = body.get("source") or {}
        if transfer not in TRANSFERS or not source:
            logger.warning("not a failed-record message; dropped", extra={"message_id": record.message_id})
            return
        ref = SourceRef(str(source["system"]), str(source["type"]), str(source["id"]))
        failure = self.engine(transfer).register.get(transfer, ref)
        if failure is None or not failure.is_open or not failure.retryable:
            return  # gone through since, or waits for a person: the register holds it
        receive_count = int(record.attributes.approximate_receive_count or "1")
        if receive_count <= 1:
            self._come_back(record, REPLAY_DELAYS[0])  # the first attempt after the first delay
        if failure.auto_replays >= len(REPLAY_DELAYS):
            logger.warning("automatic replays used up; the failure stays open", extra={"failure_id": failure.id})
            return
        summary = self.replay(transfer, [ref], context)
        if summary.lease_busy:
            self._come_back(record, BUSY_DELAY)
        self._count_attempt(transfer, failure)
        now = self.engine(transfer).register.get(transfer, ref)
        if now is None or not now.is_open or not now.retryable:
            return
        self._come_back(record, REPLAY_DELAYS[min(failure.auto_replays + 1, len(REPLAY_DELAYS) - 1)])

    def _count_attempt(self, transfer: str, failure: Failure) -> None:
        try:
            self.engine(transfer).register.count_auto_replay(failure)
        except IntegrationError as error:
            logger.warning("could not count the replay", extra={"error": error.message})

    def _come_back(self, record: SQSRecord, seconds: int) -> None:
        if self._sqs is None:
            self._sqs = boto3.client("sqs")
        queue_url = self.settings.failed_records_queue_url or record.queue_url
        self._sqs.change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=seconds
        )
        raise RetryLater(f"replayed again in {seconds} s")


def _run_id(context: Any) -> str:
    return str(getattr(context, "aws_request_id", None) or uuid.uuid4())


def _chosen(register: FailureRegister, request: ReplayRequest) -> list[Failure]:
    open_now = register.failures(request.transfer)
    if request.all:
        return open_now
    chosen = []
    for wanted in request.ids:
        matches = [f for f in open_now if f.id.startswith(wanted.strip().lower())]
        if len(matches) != 1:
            found = "no open failure" if not matches else f"{len(matches)} open failures"
            raise InvalidEventError(
                f"{found} of the {request.transfer} transfer has an id starting '{wanted}'. "
                "List them with: severa-netvisor failures list"
            )
        chosen.append(matches[0])
    return chosen


def parse_replay(event: Any) -> ReplayRequest:
    try:
        return ReplayRequest.model_validate(event)
    except ValidationError as error:
        problems = "; ".join(
            (f"'{'.'.join(str(p) for p in item['loc'])}': " if item["loc"] else "")
            + str(item["msg"]).removeprefix("Value error, ")
            for item in error.errors(include_url=False, include_input=False)
        )
        raise InvalidEventError(
            f'Invalid replay event: {problems}. Example: {{"transfer": "invoices", "ids": ["3f2a91c0de"]}}'
        ) from None


def make_replay_handler(settings: Settings | None = None) -> Callable[[Any, LambdaContext], dict[str, Any]]:
    replayer: dict[str, Replayer] = {}

    def get() -> Replayer:
        if "r" not in replayer:
            replayer["r"] = Replayer(settings or get_settings())
        return replayer["r"]

    @logger.inject_lambda_context(clear_state=True)
    def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
        if isinstance(event, dict) and "Records" in event:
            processor = BatchProcessor(event_type=EventType.SQS)
            return process_partial_response(  # type: ignore[return-value]
                event=event,
                record_handler=lambda record: get().from_queue(record, context),
                processor=processor,
                context=context,
            )
        return get().by_hand(parse_replay(event), context)

    return lambda_handler
