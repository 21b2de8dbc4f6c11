"""The ``reconcile`` function: on its monthly schedule it reconciles the month before; invoked with
``{"month": "2026-10"}`` or ``{"from": "2026-10-01", "to": "2026-10-15"}`` it reconciles that period.

The report is stored in the report bucket and the summary sent to the alarm topic; the invocation
returns the verdict, the counts and where the report is. Differences are the report's business, not
an error: the invocation fails only when the reconciliation could not run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from severa_netvisor.handler import InvalidEventError, validated_event
from severa_netvisor.observability import logger
from severa_netvisor.reconcile.app import ReconcileApp
from severa_netvisor.reconcile.period import Period
from severa_netvisor.reconcile.render import display_tables, render_summary
from severa_netvisor.reconcile.report import Report
from severa_netvisor.reconcile.settings import ReconcileSettings, get_reconcile_settings

ALLOWED = "month (YYYY-MM), or from and to (YYYY-MM-DD); store, notify (true/false); scheduled_time"


class ReconcileEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    month: str | None = None
    start: date | None = Field(default=None, validation_alias=AliasChoices("from", "start"))
    end: date | None = Field(default=None, validation_alias=AliasChoices("to", "end"))
    #: Store the report in the bucket and send the summary to the topic.
    store: bool = True
    notify: bool = True
    scheduled_time: datetime | None = Field(
        default=None, validation_alias=AliasChoices("scheduled_time", "scheduledTime", "ScheduledTime")
    )
    execution_id: str | None = Field(
        default=None, max_length=200, validation_alias=AliasChoices("execution_id", "executionId", "ExecutionId")
    )

    @field_validator("scheduled_time", "execution_id", mode="before")
    @classmethod
    def _placeholder(cls, value: Any) -> Any:
        # A local invoke sends the schedule's Input with the scheduler's placeholders unfilled.
        return None if isinstance(value, str) and value.startswith("<aws.") else value

    def period(self, now: datetime) -> Period:
        """The period asked for; without one, the month before the scheduled time (or now)."""
        if self.month is not None and (self.start or self.end):
            raise InvalidEventError(f"Give either 'month' or 'from' and 'to', not both. Allowed: {ALLOWED}.")
        if self.month is not None:
            return Period.parse_month(self.month)
        if self.start is not None or self.end is not None:
            if self.start is None or self.end is None:
                raise InvalidEventError(f"Give both 'from' and 'to' (YYYY-MM-DD). Allowed: {ALLOWED}.")
            return Period(self.start, self.end)
        return Period.previous_month(self.scheduled_time or now)


def parse_event(event: Any) -> ReconcileEvent:
    """The reconciliation asked for in ``event``; raises InvalidEventError naming the bad field."""
    return validated_event(ReconcileEvent, event, name="reconcile event", allowed=ALLOWED)


def result_of(report: Report) -> dict[str, Any]:
    usage = report.usage
    return {
        "period": {"from": report.period.start.isoformat(), "to": report.period.end.isoformat(),
                   "label": report.period.label},
        "verdict": report.verdict,
        "differences": len(report.findings),
        "differences_by_section": report.counts(),
        "severa_calls": usage.severa_calls,
        "severa_quota_used": usage.severa_quota_used,
        "severa_quota": usage.severa_quota,
        "netvisor_requests": usage.netvisor_requests,
        "severa_documents": usage.severa_invoices,
        "netvisor_documents": usage.netvisor_invoices,
        "report": report.location,
        "summary": render_summary(report),
        "tables": display_tables(report),
    }  # fmt: skip


Handler = Callable[[Any, LambdaContext], dict[str, Any]]


def make_handler(
    settings: ReconcileSettings | None = None,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Handler:
    built: dict[str, ReconcileApp] = {}

    def app() -> ReconcileApp:
        if "app" not in built:
            built["app"] = ReconcileApp.from_settings(settings or get_reconcile_settings())
        return built["app"]

    @logger.inject_lambda_context(clear_state=True)
    def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
        request = parse_event(event)
        period = request.period(clock())
        logger.info("reconciliation requested", extra={"period": period.key, "execution_id": request.execution_id})
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        seconds = (lambda: remaining() / 1000.0) if callable(remaining) else None
        run_id = str(getattr(context, "aws_request_id", None) or uuid.uuid4())
        current = app()
        report = current.reconciliation(seconds).run(period, f"reconcile-{run_id}")
        store = current.report_store() if request.store else None
        if store is not None:
            store.save(report)
        notifier = current.notifier() if request.notify else None
        if notifier is not None:
            notifier.send(report)
        return result_of(report)

    return lambda_handler
