"""The register of open failures in words: ``failures list`` and ``failures show ID``.

Each failure is named as people know the record (invoice 10062 to Länsirannikon Konsultointi Oy),
with the step in words, the reason verbatim, what the other system answered, what to do and who can
do it, and how the integration goes on with it by itself (automatic replays, the next run).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from severa_netvisor.cli.present import plain
from severa_netvisor.cli.words import age, count_of
from severa_netvisor.timezone import finnish_time

if TYPE_CHECKING:  # the register brings boto3: imported only where a command reads it
    from severa_netvisor.register import Failure

#: Where each transfer writes (payments write to Severa) and what it reads.
TARGET = {"payments": "Severa"}
SOURCE = {"payments": "Netvisor"}
#: A reason in the list is cut here; ``failures show`` gives all of it.
LIST_REASON_LIMIT = 300

#: Where a record failed, as it follows "failed ".
_STEPS = {
    "prepare": "before sending, when the record was read and checked against the mapping",
    "lookup": "when looking for it in {target}",
    "write": "when sending it to {target}",
    "write-back": "when marking it as transferred in {source}",
    "drift": "because it changed in {source} after it was transferred",
    "dependency": "because a record it needs could not be transferred first",
}
#: Why a failure closed, in words.
_CLOSED = {"transferred": "the record went through"}


def step_words(failure: Failure) -> str:
    words = _STEPS.get(failure.step, f"at the step '{failure.step}'")
    return words.format(target=TARGET.get(failure.transfer, "Netvisor"), source=SOURCE.get(failure.transfer, "Severa"))


def _since(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _when(value: str) -> str:
    moment = _since(value)
    return finnish_time(moment) if moment else "not recorded"


def answered(failure: Failure) -> str | None:
    """What the other system said, when the reason does not already quote it."""
    remote = (failure.remote_text or "").strip()
    if not remote or remote in failure.reason:
        return None
    return f'{_other_system(failure)} answered: "{remote}"'


def _other_system(failure: Failure) -> str:
    kind = failure.error_class.lower()
    if "netvisor" in kind:
        return "Netvisor"
    if "severa" in kind:
        return "Severa"
    return TARGET.get(failure.transfer, "Netvisor") if failure.step in ("lookup", "write") else "The other system"


def who_fixes(failure: Failure) -> str:
    source = SOURCE.get(failure.transfer, "Severa")
    if failure.for_author and failure.ref.type == "invoice":
        return f"the invoice's author, in {source} (the invoice's log in {source} tells them why)"
    if failure.for_author:
        return f"whoever keeps this record in {source}"
    return "the person who runs the integration (the mapping, the other system or its settings)"


def replays(failure: Failure, delays: Sequence[int]) -> str:
    """How the integration retries it by itself."""
    if not failure.retryable:
        return ("none: it needs a fix first. Fixed in Severa, it goes through on the next run; after a fix "
                "elsewhere (the mapping, Netvisor), replay it")
    steps = ", ".join(_short(seconds) for seconds in delays)
    done = min(failure.auto_replays, len(delays))
    if done >= len(delays):
        return f"all {len(delays)} done (after {steps}); it now waits for a person"
    return f"{done} of {len(delays)} done (they come after {steps})"


def _short(seconds: int) -> str:
    return f"{seconds // 3600} h" if seconds >= 3600 else f"{seconds // 60} min"


# -- failures list -----------------------------------------------------------------------------------


def list_text(failures: Sequence[Failure], *, where: str, command: str, now: datetime) -> str:
    """Every open failure, oldest first, a few lines each."""
    if not failures:
        return f"No open failures {where}: every record went through."
    split = ", ".join(f"{transfer} {count}" for transfer, count in counted(failures).items())
    lines = [f"{count_of(len(failures), 'open failure')} {where} ({split}):", ""]
    for failure in failures:
        lines += _list_entry(failure, now)
    lines += [
        f"Everything about one:  {command} failures show <id>",
        f"After a fix:           {command} failures replay <id>   (or --all <transfer>)",
    ]
    return "\n".join(lines)


def _list_entry(failure: Failure, now: datetime) -> list[str]:
    first = _since(failure.first_seen)
    since = f"for {age(first, now)}" if first else "since an unknown time"
    reason = plain(failure.reason)
    if len(reason) > LIST_REASON_LIMIT:
        reason = reason[:LIST_REASON_LIMIT].rstrip() + " [...]"
    who = "retried automatically" if failure.retryable else "needs a fix"
    lines = [
        f"{failure.id}  {failure.label}",
        f"    {failure.transfer}, failed {step_words(failure)}; open {since}, {count_of(failure.attempts, 'attempt')}; "
        f"{who}",
        f"    {reason}",
    ]
    if failure.action:
        lines.append(f"    What to do: {plain(failure.action)}")
    lines.append("")
    return lines


# -- failures show ---------------------------------------------------------------------------------


def show_text(
    failure: Failure,
    *,
    waits_for: Failure | None,
    command: str,
    now: datetime,
    delays: Sequence[int],
) -> str:
    """Everything a person needs about one failure, the record itself last."""
    lines = [_headline(failure, now), ""]
    rows: list[tuple[str, str]] = [
        ("Failure id", f"{failure.id} ({failure.transfer} transfer)"),
        ("It failed", step_words(failure)),
        ("What went wrong", plain(failure.reason)),
    ]
    if answered(failure):
        rows.append(("The answer", str(answered(failure))))
    rows += [
        ("What to do", plain(failure.action) or "See what went wrong; fix the cause, then replay it."),
        ("Who can fix it", who_fixes(failure)),
    ]
    if failure.blocked_by:
        rows.append(("It waits for", _waits_for(failure.blocked_by, waits_for)))
    rows += [
        ("Attempts", f"{failure.attempts}; first {_when(failure.first_seen)}, last {_when(failure.last_seen)}"),
        ("Automatic replays", replays(failure, delays)),
        ("The record", f"{failure.ref.type} {failure.ref.id} in {failure.ref.system.capitalize()}"),
    ]
    if failure.is_open:
        rows.append(("After a fix", f"{command} failures replay {failure.id}"))
    width = max(len(name) for name, _ in rows) + 2
    lines += [f"  {name + ':':<{width}}{value}" for name, value in rows]
    lines += ["", f"The record as read from {failure.ref.system.capitalize()}:", record_text(failure.record)]
    return "\n".join(lines)


def _headline(failure: Failure, now: datetime) -> str:
    if failure.is_open:
        first = _since(failure.first_seen)
        held = f" (for {age(first, now)})" if first else ""
        return f"{failure.label}: open since {_when(failure.first_seen)}{held}"
    reason = _CLOSED.get(failure.closed_reason or "", failure.closed_reason or "")
    return f"{failure.label}: closed {_when(failure.closed_at or '')}" + (f", {reason}" if reason else "")


def _waits_for(blocked_by: str, other: Failure | None) -> str:
    if other is None:
        return f"{blocked_by} (no open failure of its own now: replay this one)"
    state = "" if other.is_open else ", now closed: replay this one"
    return (f"{other.label} ({other.transfer} failure {other.id}{state}); fixing that one lets this one through")


def record_text(record: str) -> str:
    if not record:
        return "  (not kept)"
    try:
        return json.dumps(json.loads(record), indent=2, ensure_ascii=False, sort_keys=True)
    except ValueError:
        return record


def blocked_ref(blocked_by: str) -> tuple[str, str, str, str] | None:
    """``customers/severa/account/<guid>`` -> (transfer, system, type, id)."""
    parts = blocked_by.split("/", 3)
    return (parts[0], parts[1], parts[2], parts[3]) if len(parts) == 4 else None


def failure_json(failure: Failure, waits_for: Failure | None = None) -> dict[str, Any]:
    """A failure for ``--json``: the register's fields, the record parsed, what it waits for."""
    data = failure.as_dict()
    try:
        data["record"] = json.loads(failure.record) if failure.record else None
    except ValueError:
        data["record"] = failure.record
    if waits_for is not None:
        data["waits_for"] = {"id": waits_for.id, "transfer": waits_for.transfer, "label": waits_for.label,
                             "status": waits_for.status}  # fmt: skip
    return data


def counted(failures: Sequence[Failure]) -> Mapping[str, int]:
    found: dict[str, int] = {}
    for failure in failures:
        found[failure.transfer] = found.get(failure.transfer, 0) + 1
    return found
