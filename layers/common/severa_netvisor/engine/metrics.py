"""The metrics a run emits (namespace ``SeveraNetvisor``, dimensions ``service`` and ``transfer``): what the
dashboard draws and the alarms watch."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from severa_netvisor.engine.summary import RunSummary


def run_metrics(summary: RunSummary, *, lag: float | None) -> dict[str, tuple[MetricUnit, float]]:
    """Metric name -> (unit, value) for one run."""
    count = MetricUnit.Count
    found: dict[str, tuple[MetricUnit, float]] = {
        "RecordsFetched": (count, summary.fetched),
        "RecordsCreated": (count, summary.created),
        "RecordsUpdated": (count, summary.updated),
        "RecordsAdopted": (count, summary.adopted),
        "RecordsSkipped": (count, summary.skipped + summary.unchanged),
        "RecordsFailed": (count, summary.failed),
        "RecordsWaiting": (count, summary.waiting),
        "RecordsDrifted": (count, summary.failures_by_reason.get("DriftDetected", 0)),
        "RecordsUnsettled": (count, summary.unsettled),
        "FailuresNew": (count, summary.failures_new),
        "FailuresClosed": (count, summary.failures_closed),
        "FailuresNotRecorded": (count, summary.failures_not_recorded),
        "FailuresNotQueued": (count, summary.failures_not_queued),
        "RunsLeaseBusy": (count, int(summary.lease_busy)),
        "RunsStoppedEarly": (count, int(summary.stopped_early is not None and not summary.lease_busy)),
        "RunsStoppedByError": (count, int(summary.stopped_by_error is not None)),
        # The heartbeat: a run that did its work (or found nothing to do), not stopped by an error.
        "RunsSucceeded": (count, int(summary.stopped_by_error is None and not summary.lease_busy)),
        "RunDuration": (MetricUnit.Seconds, summary.duration_seconds),
    }
    if summary.open_failures is not None:
        found["OpenFailures"] = (count, summary.open_failures)
    if summary.oldest_open_failure_days is not None:
        found["OldestOpenFailureDays"] = (count, summary.oldest_open_failure_days)
    if lag is not None:
        found["LagBehindSource"] = (MetricUnit.Seconds, lag)
    return found
