"""The handler factory: ``functions/<transfer>/app.py`` is three lines.

    from severa_netvisor.handler import make_handler
    from severa_netvisor.transfers.customers import build_transfer
    lambda_handler = make_handler(build_transfer)

The transfer, its engine and the clients are built once per container; everything a run caches lives
on the transfer's per-run object (``Transfer.start``), so a warm container carries nothing over.

The event is what the EventBridge Scheduler sends: the schedule's ``Input`` JSON, which may carry the
scheduler's context attributes (``<aws.scheduler.scheduled-time>``, ``<aws.scheduler.execution-id>``)
and the run options ``dry_run``, ``since`` and ``full_resync``. A bad event fails the invocation with
a message naming the bad field.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from severa_netvisor.digest import DigestTopic
from severa_netvisor.engine import Engine, EngineOptions, RunObserver, RunRequest, RunSummary, Transfer
from severa_netvisor.errors import ConfigurationError, IntegrationError
from severa_netvisor.failures import FailureQueue
from severa_netvisor.observability import logger, metrics
from severa_netvisor.runs import RunLog
from severa_netvisor.settings import Settings, get_settings
from severa_netvisor.state import StateStore
from severa_netvisor.timezone import OFFICE_ZONE
from severa_netvisor.transfers.context import TransferContext
from severa_netvisor.transfers.registry import build_named


class RunStoppedByError(IntegrationError):
    """A run checkpointed and stopped because of an error someone must see (credentials, quota,
    configuration, a system down). Raised after the summary is logged, so the invocation fails and
    the function's Errors alarm fires."""

    system = "engine"


class InvalidEventError(IntegrationError):
    """The scheduler event (or a manual invocation's payload) is not a valid run request."""

    system = "event"


EventModel = TypeVar("EventModel", bound=BaseModel)


class RunEvent(BaseModel):
    """The run request in the scheduler's ``Input``; unknown keys are refused (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    dry_run: bool = Field(default=False, validation_alias=AliasChoices("dry_run", "dryRun", "DryRun"))
    since: datetime | None = Field(default=None, validation_alias=AliasChoices("since", "Since"))
    full_resync: bool = Field(default=False, validation_alias=AliasChoices("full_resync", "fullResync", "FullResync"))
    scheduled_time: datetime | None = Field(
        default=None, validation_alias=AliasChoices("scheduled_time", "scheduledTime", "ScheduledTime")
    )
    execution_id: str | None = Field(
        default=None, max_length=200, validation_alias=AliasChoices("execution_id", "executionId", "ExecutionId")
    )
    attempt_number: int | None = Field(
        default=None, ge=1, validation_alias=AliasChoices("attempt_number", "attemptNumber", "AttemptNumber")
    )

    @field_validator("since", "scheduled_time", mode="before")
    @classmethod
    def _time(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("<aws."):  # a placeholder the scheduler did not fill (local invoke)
                return None
            if len(text) == 10:  # a date alone means its start, in office time
                return datetime.combine(date.fromisoformat(text), time(0), tzinfo=OFFICE_ZONE)
            return text
        return value

    @field_validator("since", "scheduled_time")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=OFFICE_ZONE)
        return value

    @field_validator("execution_id", "attempt_number", mode="before")
    @classmethod
    def _placeholder(cls, value: Any) -> Any:
        return None if isinstance(value, str) and value.startswith("<aws.") else value

    @model_validator(mode="after")
    def _consistent(self) -> RunEvent:
        if self.full_resync and self.since is not None:
            raise ValueError("give either 'since' or 'full_resync', not both")
        return self


#: The options a run event may carry (named in the message about a bad one).
RUN_EVENT_OPTIONS = "dry_run, since (ISO date or date-time), full_resync, scheduled_time, execution_id"


def parse_event(event: Any) -> RunEvent:
    """The run request in ``event``; raises InvalidEventError naming the bad field."""
    return validated_event(RunEvent, event, name="run event", allowed=RUN_EVENT_OPTIONS)


def validated_event(model: type[EventModel], event: Any, *, name: str, allowed: str) -> EventModel:
    """``event`` (a mapping, JSON text, nothing, or either wrapped in ``Input``) as ``model``; raises
    InvalidEventError naming each bad field and the options ``allowed``. Shared by every function."""
    if event is None or event == "":
        return model()
    if isinstance(event, str | bytes):
        event = _json(event, "the event")
    if isinstance(event, Mapping) and set(event) == {"Input"}:
        # Some callers wrap the schedule's Input; unwrap it.
        inner = event["Input"]
        event = _json(inner, "'Input'") if isinstance(inner, str | bytes) else inner
    if not isinstance(event, Mapping):
        raise InvalidEventError(f"The event must be a JSON object, not {type(event).__name__}.")
    try:
        return model.model_validate(dict(event))
    except ValidationError as error:
        problems = []
        for item in error.errors(include_url=False, include_input=False):
            where = ".".join(str(part) for part in item["loc"]) or "(event)"
            reason = "is not a known option" if item["type"] == "extra_forbidden" else _lower_first(item["msg"])
            problems.append(f"'{where}' {reason}")
        raise InvalidEventError(f"Invalid {name}: {'; '.join(problems)}. Allowed: {allowed}.") from None


def _lower_first(message: str) -> str:
    """"Input should be 'FI'" -> "input should be 'FI'": the values quoted keep their case."""
    message = message.removeprefix("Value error, ")  # pydantic's wording around our own validators
    return message[:1].lower() + message[1:]


def _json(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text or "{}")
    except json.JSONDecodeError as error:
        raise InvalidEventError(f"{what} is not JSON: {error.msg} at position {error.pos}.") from None


def run_request(event: RunEvent, context: LambdaContext | None) -> RunRequest:
    request_id = getattr(context, "aws_request_id", None)
    return RunRequest(
        run_id=str(request_id or uuid.uuid4()),
        dry_run=event.dry_run,
        since=event.since,
        full_resync=event.full_resync,
        execution_id=event.execution_id,
        scheduled_time=event.scheduled_time,
    )


TransferFactory = Callable[[TransferContext], Transfer]
Handler = Callable[[Any, LambdaContext], dict[str, Any]]


def build_engine(
    build_transfer: TransferFactory,
    settings: Settings,
    *,
    context: TransferContext | None = None,
    options: EngineOptions | None = None,
) -> Engine:
    """The engine of one transfer, with the transfers it depends on (an invoice's customer)."""
    if not settings.failed_records_queue_url:
        raise ConfigurationError("FAILED_RECORDS_QUEUE_URL is not set: the function needs the failed-records queue.")
    context = context or TransferContext.from_settings(settings)
    transfer = build_transfer(context)
    needs: tuple[str, ...] = getattr(transfer, "needs", ())
    state = StateStore(settings.state_table_name)
    observers: list[RunObserver] = [RunLog(settings.state_table_name, state.client)]
    if settings.alarm_topic_arn:
        observers.append(DigestTopic(settings.alarm_topic_arn, stack=settings.stack_name or None))
    return Engine(
        transfer,
        state=state,
        failure_queue=FailureQueue(settings.failed_records_queue_url),
        margin_seconds=settings.time_budget_margin_seconds,
        options=options,
        dependencies={name: build_named(name, context) for name in needs},
        observers=observers,
    )


def make_handler(
    build_transfer: TransferFactory,
    *,
    settings: Settings | None = None,
    options: EngineOptions | None = None,
) -> Handler:
    """A Lambda handler that runs ``build_transfer(context)`` through the engine.

    The engine (and the transfer's long-lived definition) is built on the first invocation and kept
    for warm ones; each run starts the transfer afresh.
    """
    built: dict[str, Engine] = {}

    def engine() -> Engine:
        if "engine" not in built:
            built["engine"] = build_engine(build_transfer, settings or get_settings(), options=options)
        return built["engine"]

    @logger.inject_lambda_context(clear_state=True)
    def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
        run_event = parse_event(event)
        request = run_request(run_event, context)
        logger.info(
            "run requested",
            extra={
                "dry_run": request.dry_run,
                "since": request.since.isoformat() if request.since else None,
                "full_resync": request.full_resync,
                "execution_id": request.execution_id,
                "scheduled_time": request.scheduled_time.isoformat() if request.scheduled_time else None,
            },
        )
        running = engine()
        try:
            summary = running.run(request, context)
        finally:
            flush_metrics(running.transfer.name)
        return result_of(summary, request)

    return lambda_handler


def flush_metrics(transfer: str | None = None) -> None:
    """Send the run's metrics, always under its transfer: a count made before the run records its
    figures (a rejected mapping) must reach the alarm that watches that transfer, even when the run
    then fails."""
    # A dry run (or a failed start) has no metrics; flushing nothing only warns.
    if not metrics.metric_set:
        metrics.clear_metrics()
        return
    if transfer and metrics.dimension_set.get("transfer") != transfer:
        metrics.add_dimension(name="transfer", value=transfer)
    metrics.flush_metrics()


def result_of(summary: RunSummary, request: RunRequest) -> dict[str, Any]:
    """The invocation's result; a run an error stopped fails the invocation (the Errors alarm fires)."""
    result = summary.as_dict()
    result["execution_id"] = request.execution_id
    if summary.stopped_by_error and not summary.dry_run:
        logger.error("run stopped by an error; progress is checkpointed", extra={"summary": result})
        action = f" What to do: {summary.stop_action}" if summary.stop_action else ""
        raise RunStoppedByError(
            f"The {summary.transfer} run stopped: {summary.stopped_early}.{action} Work done before it is "
            "saved and the next run continues from there once the cause is fixed."
        )
    return result
