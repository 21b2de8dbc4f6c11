"""What a run did, in the words of the people who run it: one place for the wording.

``make demo``, ``make invoke`` and ``severa-netvisor run`` all show a run through :func:`run_report`
(a connection check through :func:`check_report`, a replay by hand through :func:`replay_report`).
It reads the run summary the functions return (``RunSummary.as_dict()``) key by key with defaults,
so a summary that gains or loses a count still reads well. Rules: count only records a person
would recognise (no end-of-read markers, no bookkeeping counters), no class names or internal
states, dates as dates, and a closing "what needs you" with the command that shows more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

#: Where each transfer writes (all but payments write to Netvisor).
_TARGET = {"payments": "Severa"}

#: Summary counts shown to a person, in this order, with their words ({target}: Netvisor or Severa).
#: Not shown: "fetched" and "skipped" (they count what the engine read, end-of-read markers
#: included) and the bookkeeping counters (unsettled, failures_not_queued, ...), which become notes.
_COUNTS: tuple[tuple[str, str], ...] = (
    ("created", "new in {target}"),
    ("updated", "updated in {target}"),
    ("adopted", "already in {target}, now linked to Severa"),
    ("dependencies", "brought over first because other records needed them"),
    ("written_back", "marked as transferred in Severa"),
    ("unchanged", "unchanged, nothing to send"),
    ("waiting", "waiting for something to happen first (a credit note: both invoices sent in Netvisor)"),
    ("failed", "could not be transferred"),
    ("still_failing", "still waiting for a fix"),
    ("failures_closed", "earlier failures now resolved"),
)

_DRY_ACTIONS = {
    "create": "would be created",
    "update": "would be updated",
    "adopt": "is already there; would be linked",
    "write_back": "would be marked as transferred in Severa",
    "skip": "nothing to do",
    "fail": "would fail",
}

#: "InvoiceValidationError: ..." or "SeveraAuthError" (a class name at the start of a reason).
_CLASS_PREFIX = re.compile(r"^\s*[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+(?:Error|Failed|Exception|Detected)?\s*:\s*")
_CLASS_NAME = re.compile(r"^[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+$")
_PLAN_LIMIT = 20
_NEEDS_LIMIT = 10


@dataclass(frozen=True)
class Count:
    words: str
    count: int


@dataclass(frozen=True)
class Report:
    """A run or a check, ready to print (plain text here, a Rich table in the CLI)."""

    title: str
    ok: bool
    counts: list[Count] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    needs_you: list[str] = field(default_factory=list)
    look_further: str = ""

    def text(self) -> str:
        lines = [self.title]
        lines += [f"  {c.count:>6}  {c.words}" for c in self.counts]
        lines += [f"  {note}" for note in self.notes]
        if self.plan:
            lines.append("  What a real run would do:")
            lines += [f"    {item}" for item in self.plan]
        if self.needs_you:
            lines.append("What needs you:")
            lines += [f"  - {item}" for item in self.needs_you]
            if self.look_further:
                lines.append(f"  More: {self.look_further}")
        return "\n".join(lines)


def plain(reason: str | None) -> str:
    """A reason without a class name in front ("InvoiceValidationError: x" -> "x")."""
    text = (reason or "").strip()
    return _CLASS_PREFIX.sub("", text, count=1) if _CLASS_PREFIX.match(text) else text


def as_date(value: Any) -> str:
    """A date or date-time as a date (2026-11-29), whatever form it came in."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value or "").strip()
    match = re.match(r"^(\d{4}-\d{2}-\d{2})", text)
    return match.group(1) if match else text


def run_report(
    transfer: str,
    result: Mapping[str, Any] | None,
    error: Mapping[str, Any] | None = None,
    *,
    seconds: float | None = None,
    waiting: Sequence[str] = (),
    look_further: str = "",
) -> Report:
    """What one run of ``transfer`` did. ``waiting``: what waits for a person, each named as people
    know it (from the failed-records queue or the register); ``look_further``: the command to see more.
    """
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    if error is not None or not isinstance(result, Mapping):
        reason = error_line(error or {"errorMessage": "the function returned no run summary"})
        return Report(f"{transfer}: the run failed{took}", False, notes=[reason],
                      needs_you=list(waiting) or [reason], look_further=look_further)
    dry = bool(result.get("dry_run"))
    counts = _counts(transfer, result)
    notes = _notes(result)
    plan = _plan(result) if dry else []
    needs = _limited(list(waiting) or _unnamed_failures(result))
    ok = not result.get("stopped_by_error")
    headline = "dry run, nothing was written" if dry else ("finished" if ok else "stopped")
    if not counts and not notes and not plan:
        notes = ["Nothing to do: everything is up to date."]
    return Report(f"{transfer}: {headline}{took}", ok, counts, notes, plan, needs, look_further if needs else "")


def replay_report(
    transfer: str,
    result: Mapping[str, Any] | None,
    error: Mapping[str, Any] | None = None,
    *,
    seconds: float | None = None,
    look_further: str = "",
) -> Report:
    """What a replay by hand did (the replay function's answer): each failure closed or still failing,
    then the run's counts (or, in a dry run, what a real replay would do)."""
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    summary = result.get("summary") if isinstance(result, Mapping) else None
    if error is not None or not isinstance(summary, Mapping):
        reason = error_line(error or {"errorMessage": "the replay function returned no summary"})
        return Report(f"{transfer}: the replay failed{took}", False, notes=[reason], needs_you=[reason])
    base = run_report(transfer, summary, seconds=seconds)
    replayed = [item for item in (result or {}).get("replayed") or [] if isinstance(item, Mapping)]
    noun = "failure" if len(replayed) == 1 else "failures"
    if summary.get("dry_run"):
        return Report(f"{transfer}: dry run of a replay of {len(replayed)} {noun}, nothing was written{took}",
                      base.ok, base.counts, base.notes, base.plan)  # fmt: skip
    if summary.get("lease_busy"):
        busy = f"Another {transfer} run was going, so nothing was replayed: replay again when it has finished."
        return Report(f"{transfer}: nothing replayed{took}", False, needs_you=[busy])
    closed = [f"{_named(item)}: went through; its failure is closed" for item in replayed if item.get("closed")]
    still = [f"{_named(item)}: still fails: {plain(str(item.get('reason') or 'the same reason as before'))}"
             for item in replayed if not item.get("closed")]  # fmt: skip
    return Report(f"{transfer}: replayed {len(replayed)} {noun}{took}", base.ok and not still, base.counts,
                  [*closed, *base.notes], needs_you=still, look_further=look_further if still else "")  # fmt: skip


def _named(item: Mapping[str, Any]) -> str:
    return str(item.get("label") or f"failure {item.get('id', '?')}")


def _limited(items: list[str]) -> list[str]:
    if len(items) <= _NEEDS_LIMIT:
        return items
    return [*items[:_NEEDS_LIMIT], f"... and {len(items) - _NEEDS_LIMIT} more"]


def _counts(transfer: str, result: Mapping[str, Any]) -> list[Count]:
    target = _TARGET.get(transfer, "Netvisor")
    counts = [Count(words.format(target=target), int(result.get(key) or 0)) for key, words in _COUNTS]
    also = result.get("also") or {}
    counts += [Count(str(what), int(n)) for what, n in also.items() if isinstance(what, str)]
    return [count for count in counts if count.count]


def _notes(result: Mapping[str, Any]) -> list[str]:
    notes = []
    if result.get("lease_busy"):
        notes.append("Another run was already working, so this one did nothing; the next run continues.")
    elif result.get("stopped_early"):
        stop = plain(str(result["stopped_early"]))
        action = plain(str(result.get("stop_action") or ""))
        notes.append(f"The run stopped early: {stop}" + (f" What to do: {action}" if action else ""))
    left = int(result.get("unsettled") or 0)
    if left:
        notes.append(f"{left} record(s) were left for the next run, which takes them again.")
    open_failures = result.get("open_failures")
    if isinstance(open_failures, int) and open_failures:
        notes.append(f"{open_failures} record(s) of this transfer wait for a fix in all.")
    return notes


def _plan(result: Mapping[str, Any]) -> list[str]:
    items = [item for item in result.get("plan") or [] if isinstance(item, Mapping)]
    lines = []
    for item in items[:_PLAN_LIMIT]:
        name = str(item.get("label") or item.get("source_id") or "a record")
        action = _DRY_ACTIONS.get(str(item.get("action")), str(item.get("action")))
        reason = plain(item.get("reason"))
        needed_by = item.get("needed_by")
        lines.append(f"{name}: {action}" + (f" ({reason})" if reason else "")
                     + (f", needed by {needed_by}" if needed_by else ""))
    hidden = len(items) - len(lines) + int(result.get("plan_truncated") or 0)
    if hidden > 0:
        lines.append(f"... and {hidden} more")
    return lines


def _unnamed_failures(result: Mapping[str, Any]) -> list[str]:
    """Failures known only by reason (no list of records at hand): the reasons, never class names."""
    lines = []
    for reason, count in (result.get("failures_by_reason") or {}).items():
        words = plain(str(reason))
        if not words or _CLASS_NAME.match(words):
            words = "see the list of failed records for the reason"
        lines.append(f"{count} record(s): {words}")
    return lines


def error_line(error: Mapping[str, Any]) -> str:
    """A function error as one line a person can act on (no class names, no stack)."""
    message = plain(str(error.get("errorMessage") or "")).strip()
    kind = str(error.get("errorType") or "")
    if kind == "Timeout" or message.startswith("Task timed out"):
        return f"{message or 'The run timed out'}. The next run continues from the last checkpoint."
    return message or "The function failed without a message; see its log."


def failed_record_line(message: Mapping[str, Any]) -> str:
    """One failed-records queue message (schema severa-netvisor/failed-record/v1) as one line that
    starts with the record as people know it (invoice 10062 to Länsirannikon Konsultointi Oy)."""
    text = plain(str(message.get("message") or "")).strip() or "no reason was recorded"
    label = str(message.get("label") or "") or record_label(message.get("source") or {}, message.get("record") or {})
    number = str((message.get("record") or {}).get("number") or "")
    if number and re.search(rf"\b{re.escape(number)}\b", text):
        return text  # the message already names the record
    subject, colon, reason = text.partition(": ")
    if colon and subject in label:
        text = reason  # "Severa user U006: ..." under the label that already names user U006
    return f"{label}: {text}"


def record_label(source: Mapping[str, Any], record: Mapping[str, Any]) -> str:
    """A source record as a person knows it, from what the failed-records message carries."""
    kind = str(source.get("type") or "record")
    if kind == "invoice":
        kind = "credit note" if record.get("is_credit_note") else "invoice"
        number = record.get("number")
        customer = record.get("account_name")
        if number:
            return f"{kind} {number}" + (f" to {customer}" if customer else "")
    name = record.get("name") or record.get("number")
    return f"{kind} {name}" if name else f"{kind} {source.get('id', '?')}"


def function_report(
    function: str,
    result: Mapping[str, Any] | None,
    error: Mapping[str, Any] | None = None,
    **details: Any,
) -> Report:
    """The report for any function: the connection check's or a transfer run's."""
    if function == "check_connections":
        return check_report(result, error)
    return run_report(function, result, error, **details)


def check_report(result: Mapping[str, Any] | None, error: Mapping[str, Any] | None = None) -> Report:
    """The connection check: each system reachable with its credentials, or why not and the fix."""
    checks = list((result or {}).get("checks") or [])
    if error is not None and not checks:
        checks = _checks_from_error(str(error.get("errorMessage") or ""))
        if not checks:
            line = error_line(error)
            return Report("Connection check: failed", False, notes=[line], needs_you=[line])
    notes, needs = [], []
    for check in checks:
        system = _SYSTEM_NAMES.get(str(check.get("system")), str(check.get("system")).capitalize())
        if check.get("ok"):
            version = (check.get("details") or {}).get("version")
            suffix = f" (API version {version})" if version else ""
            notes.append(f"{system}: reachable, the credentials work{suffix}")
        else:
            fix = str(check.get("action") or "").strip()
            line = f"{system}: {plain(str(check.get('message')))}" + (f" Fix: {fix}" if fix else "")
            notes.append(line)
            needs.append(line)
    ok = bool(checks) and all(check.get("ok") for check in checks)
    return Report(f"Connection check: {'all good' if ok else 'failed'}", ok, notes=notes, needs_you=needs)


_SYSTEM_NAMES = {"severa": "Severa", "netvisor": "Netvisor"}


def _checks_from_error(message: str) -> list[dict[str, Any]]:
    """The failed check's message: "Connection check failed. severa: reason -> fix | netvisor: ..."."""
    body = message.split("Connection check failed.", 1)[-1] if "Connection check failed." in message else ""
    checks = []
    for part in (piece.strip() for piece in body.split(" | ") if piece.strip()):
        system, _, rest = part.partition(": ")
        reason, _, action = rest.partition(" -> ")
        checks.append({"system": system, "ok": False, "message": reason, "action": action})
    return checks


def join_names(names: Iterable[str]) -> str:
    items = list(names)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
