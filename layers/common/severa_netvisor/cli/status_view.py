"""``severa-netvisor status`` in words: a row per transfer, then the queues, the alarms and what needs you.

It reads :class:`severa_netvisor.status.TransferStatus` (the last run, the run going now, the cursor,
the lag, the open failures) with the queue depths and alarm states the command line read, and
says what each means for the person who runs the integration.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from severa_netvisor.cli.credit_waiting import CreditNoteWaiting
from severa_netvisor.cli.health import STATE_WORDS, AlarmState, QueueDepth
from severa_netvisor.cli.present import plain
from severa_netvisor.cli.words import age, count_of, span
from severa_netvisor.timezone import finnish_time

if TYPE_CHECKING:  # the state modules bring boto3: imported only where a command reads the state
    from severa_netvisor.runs import LastRun
    from severa_netvisor.status import TransferStatus

COLUMNS = ("transfer", "last run", "how it went", "read up to", "behind the source", "open failures")

#: What each transfer reads (the lag is behind it) and writes.
SOURCE = {"payments": "Netvisor"}

OUTCOME_WORDS = {
    "ok": "finished",
    "partial": "partly done, the next run goes on",
    "error": "stopped by an error",
}

#: The counts of a last run a person cares about, in few words.
_COUNT_WORDS = (
    ("created", "new"),
    ("updated", "updated"),
    ("adopted", "linked"),
    ("dependencies", "brought over first"),
    ("failed", "failed"),
    ("still_failing", "still failing"),
    ("waiting", "waiting"),
    ("failures_closed", "resolved"),
)

NO_ALARMS_ON_SANDBOX = "Alarms exist only in a deployed stack (CloudWatch alarms on its metrics); the sandbox has none."
#: How many waiting credit notes status names one by one.
NAMED_CREDIT_NOTES = 5
#: On the sandbox no replay function reads the failed-records queue: every announcement stays there.
SANDBOX_QUEUE = ("(On the sandbox nothing reads the failed-records queue, so every failure announced stays in it; "
                 "the open failures above are what still needs a fix.)")


@dataclass(frozen=True)
class StatusView:
    title: str
    rows: list[tuple[str, ...]]
    #: (heading, lines) after the table.
    sections: list[tuple[str, list[str]]] = field(default_factory=list)

    def text(self) -> str:
        widths = [max(len(row[i]) for row in [COLUMNS, *self.rows]) for i in range(len(COLUMNS))]
        lines = [self.title, ""]
        lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                  for row in [COLUMNS, *self.rows]]  # fmt: skip
        for heading, items in self.sections:
            lines += ["", heading, *(f"  {item}" for item in items)]
        return "\n".join(lines)


def status_view(
    label: str,
    statuses: Sequence[TransferStatus],
    queues: Sequence[QueueDepth],
    alarms: Sequence[AlarmState] | None,
    *,
    command: str,
    now: datetime,
    deployed: bool = True,
    credit_notes: Sequence[CreditNoteWaiting] = (),
) -> StatusView:
    """The whole status of one stack (or the sandbox) at ``now``; ``command`` acts on it again."""
    rows = [_row(status, now) for status in statuses]
    details = [line for status in statuses for line in _details(status, now)]
    if credit_notes:
        details.append(_credit_notes_line(credit_notes))
    sections: list[tuple[str, list[str]]] = []
    if details:
        sections.append(("Details:", details))
    queue_lines = [_queue_line(queue) for queue in queues] or ["(none found)"]
    sections.append(("Queues:", queue_lines if deployed else [*queue_lines, SANDBOX_QUEUE]))
    sections.append(("Alarms:", _alarm_lines(alarms)))
    sections.append(("What needs you:", _needs(statuses, queues, alarms, command, credit_notes)))
    return StatusView(f"Status of {label} at {finnish_time(now)} (Finnish time)", rows, sections)


def _row(status: TransferStatus, now: datetime) -> tuple[str, ...]:
    last = status.last_run
    if last is None:
        ran, went = "never", "-"
    else:
        took = span(last.duration_seconds) if last.duration_seconds >= 60 else f"{last.duration_seconds:.0f} s"
        ran = f"{finnish_time(last.started_at)} ({took})"
        went = _went(last)
    if status.running is not None:
        went = f"running now; before: {went}" if last else "running now"
    cursor = finnish_time(status.cursor.changed_at) if status.cursor else "-"
    return (status.transfer, ran, went, cursor, _lag(status), _open(status, now))


def _went(last: LastRun) -> str:
    words = OUTCOME_WORDS.get(last.outcome, last.outcome)
    counts = [f"{last.counts[key]} {word}" for key, word in _COUNT_WORDS if last.counts.get(key)]
    counts += [f"{count} {what}" for what, count in last.also.items() if count]
    return f"{words}: {', '.join(counts)}" if counts else f"{words}, nothing new"


def _lag(status: TransferStatus) -> str:
    if status.lag_seconds is not None:
        return span(status.lag_seconds) if status.lag_seconds < 60 else f"at most {span(status.lag_seconds)}"
    return "never run" if status.last_run is None else "not caught up yet"


def _open(status: TransferStatus, now: datetime) -> str:
    if not status.open_failures:
        return "none"
    oldest = f" (oldest: {age(status.oldest_open_failure, now)})" if status.oldest_open_failure else ""
    return f"{status.open_failures}{oldest}"


def _details(status: TransferStatus, now: datetime) -> list[str]:
    name, last, lines = status.transfer, status.last_run, []
    if status.running is not None:
        ends = datetime.fromtimestamp(status.running.expires_at, tz=now.tzinfo)
        lines.append(f"{name}: a run is going now (it holds the transfer until {finnish_time(ends)} at the latest).")
    if last is not None and last.stopped_early:
        action = plain(last.stop_action or "")
        lines.append(f"{name}: the last run stopped early: {plain(last.stopped_early)}"
                     + (f" What to do: {action}" if action else ""))  # fmt: skip
    if status.waiting:
        lines.append(f"{name}: the last run left {count_of(status.waiting, 'record')} waiting for something outside "
                     "the integration (a credit note waits until both invoices are sent in Netvisor).")
    if status.lag_seconds is not None and last is not None and last.outcome != "ok":
        lines.append(f"{name}: the last run that read everything from {SOURCE.get(name, 'Severa')} began "
                     f"{span(status.lag_seconds)} ago.")
    return lines


def _credit_notes_line(credit_notes: Sequence[CreditNoteWaiting]) -> str:
    named = ", ".join(waiting.label for waiting in credit_notes[:NAMED_CREDIT_NOTES])
    more = len(credit_notes) - NAMED_CREDIT_NOTES
    return (f"invoices: {count_of(len(credit_notes), 'credit note')} to match to the invoices they credit, once "
            f"both are sent in Netvisor: {named}" + (f" and {more} more" if more > 0 else "") + ".")


def _queue_line(queue: QueueDepth) -> str:
    if queue.key == "failed_records" and queue.in_flight:
        return (f"{queue.words}: {queue.visible} waiting to be handled, {queue.in_flight} set aside until "
                "their next automatic replay")
    return f"{queue.words}: {queue.visible + queue.in_flight}"


def _alarm_lines(alarms: Sequence[AlarmState] | None) -> list[str]:
    if alarms is None:
        return [NO_ALARMS_ON_SANDBOX]
    if not alarms:
        return ["No alarms were found in the stack."]
    lines = []
    for alarm in alarms:
        if alarm.state == "ALARM":
            since = f" since {finnish_time(alarm.since)}" if alarm.since else ""
            lines.append(f"IN ALARM{since}: {alarm.words}. {alarm.description}")
    tally = Counter(alarm.state for alarm in alarms if alarm.state != "ALARM")
    if tally:
        order = [*STATE_WORDS, *sorted(set(tally) - set(STATE_WORDS))]
        rest = ", ".join(f"{tally[state]} {STATE_WORDS.get(state, state)}" for state in order if state in tally)
        lines.append(f"{'The other' if lines else 'All'} {count_of(sum(tally.values()), 'alarm')}: {rest}"
                     + (" (normal until the metrics have data)" if "INSUFFICIENT_DATA" in tally else "") + ".")
    return lines


def _needs(
    statuses: Sequence[TransferStatus],
    queues: Sequence[QueueDepth],
    alarms: Sequence[AlarmState] | None,
    command: str,
    credit_notes: Sequence[CreditNoteWaiting],
) -> list[str]:
    needs = [f"{status.transfer}: the last run stopped by an error (see Details)" for status in statuses
             if status.last_run is not None and status.last_run.outcome == "error"]  # fmt: skip
    failing = [status for status in statuses if status.open_failures]
    if failing:
        total = sum(status.open_failures for status in failing)
        where = ", ".join(f"{status.transfer} {status.open_failures}" for status in failing)
        needs.append(f"{count_of(total, 'open failure')} ({where}): {command} failures list")
    for queue in queues:
        if queue.key != "failed_records" and queue.visible + queue.in_flight:
            needs.append(f"{queue.words}: {queue.visible + queue.in_flight} (README, Operating it)")
    if credit_notes:
        needs.append(f"{count_of(len(credit_notes), 'credit note')} and the invoices they credit, to be sent in "
                     "Netvisor (see Details); the next invoices run then matches them")
    needs += [f"the {alarm.words} alarm" for alarm in alarms or [] if alarm.state == "ALARM"]
    return needs or ["Nothing."]
