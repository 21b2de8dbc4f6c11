"""``severa-netvisor status``: where each transfer stands, the queues and the alarms."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from severa_netvisor.cli import render
from severa_netvisor.cli.credit_waiting import credit_notes_waiting
from severa_netvisor.cli.options import JsonOption, options
from severa_netvisor.cli.status_view import NO_ALARMS_ON_SANDBOX, status_view
from severa_netvisor.transfers.registry import TRANSFERS


def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Where each transfer stands (last run, lag, open failures, what waits), the queues and the alarms."""
    from severa_netvisor.status import read_status  # noqa: PLC0415 - brings boto3

    target = options(ctx).target()
    now = datetime.now(UTC)
    with render.working(f"Reading the status of {target.label}", enabled=not as_json):
        store = target.state_store()
        statuses = read_status(store, list(TRANSFERS), now=now)
        credit_notes = credit_notes_waiting(store)
        queues = target.queue_depths()
        alarms = target.alarms()
    if as_json:
        render.print_json({
            "target": target.label,
            "at": now.isoformat(),
            "transfers": [status.as_dict() for status in statuses],
            "credit_notes_waiting": [waiting.as_dict() for waiting in credit_notes],
            "queues": [queue.as_dict() for queue in queues],
            "alarms": None if alarms is None else [alarm.as_dict() for alarm in alarms],
            "alarms_note": NO_ALARMS_ON_SANDBOX if alarms is None else None,
        })  # fmt: skip
        return
    view = status_view(target.label, statuses, queues, alarms, command=target.command(), now=now,
                       deployed=alarms is not None, credit_notes=credit_notes)  # fmt: skip
    render.show_status(view)
