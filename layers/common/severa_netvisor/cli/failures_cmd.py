"""``severa-netvisor failures``: the register of open failures, read with the user's own AWS access
(the stack's state table, or the sandbox's), and replays through the stack's replay function."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from severa_netvisor.cli import render
from severa_netvisor.cli.errors import CliError
from severa_netvisor.cli.failure_view import blocked_ref, failure_json, list_text, show_text
from severa_netvisor.cli.options import JsonOption, options
from severa_netvisor.cli.present import replay_report
from severa_netvisor.cli.words import count_of
from severa_netvisor.timezone import finnish_time
from severa_netvisor.transfers.registry import TRANSFERS

if TYPE_CHECKING:  # boto3 comes with these: every command pays for it only when it reads the register
    from severa_netvisor.cli.targets import Target
    from severa_netvisor.register import Failure, FailureRegister

failures_app = typer.Typer(
    help="The records that could not be transferred: list them, show one in full, replay them after a fix.",
    no_args_is_help=True,
)


def register_of(target: Target) -> FailureRegister:
    from severa_netvisor.register import FailureRegister  # noqa: PLC0415

    store = target.state_store()
    return FailureRegister(store.table_name, client=store.client)


def transfer_named(name: str) -> str:
    if name in TRANSFERS:
        return name
    guess = difflib.get_close_matches(name, list(TRANSFERS), n=1)
    hint = f"Did you mean '{guess[0]}'? " if guess else ""
    raise CliError(f"There is no transfer '{name}'", f"{hint}Choose one of: {', '.join(TRANSFERS)}.", code=2)


def find_failure(register: FailureRegister, wanted: str, command: str) -> Failure:
    """The failure whose id is (or starts with) ``wanted``, open or closed; else one line with the fix."""
    everything = [failure for transfer in TRANSFERS for failure in register.failures(transfer, include_closed=True)]
    key = wanted.strip().lower()
    matches = [failure for failure in everything if key and failure.id.startswith(key)]
    open_ones = [failure for failure in matches if failure.is_open]
    if len(matches) == 1 or len(open_ones) == 1:
        return matches[0] if len(matches) == 1 else open_ones[0]
    if matches:
        ids = ", ".join(failure.id for failure in matches[:5])
        raise CliError(f"'{wanted}' starts {len(matches)} failure ids ({ids})", "Give more of the id.", code=2)
    by_id = {failure.id: failure for failure in everything}
    guess = difflib.get_close_matches(key, list(by_id), n=1, cutoff=0.6)
    hint = f"Did you mean {guess[0]} ({by_id[guess[0]].label})? " if guess else ""
    raise CliError(f"There is no failure '{wanted}'", f"{hint}List the open ones with: {command} failures list")


@failures_app.command("list")
def list_failures(
    ctx: typer.Context,
    transfer: Annotated[str | None, typer.Option(help="Only this transfer's (invoices, customers, ...).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every open failure, oldest first: the record as people know it, where and why it failed, what to do."""
    transfers = [transfer_named(transfer)] if transfer else list(TRANSFERS)
    target = options(ctx).target()
    register = register_of(target)
    failures = [failure for name in transfers for failure in register.failures(name)]
    if as_json:
        render.print_json([failure_json(failure) for failure in failures])
        return
    where = f"of {transfer}" if transfer else f"on {target.label}"
    render.say(list_text(failures, where=where, command=target.command(), now=datetime.now(UTC)))


@failures_app.command("show")
def show_failure(
    ctx: typer.Context,
    failure_id: Annotated[str, typer.Argument(metavar="ID", help="The failure id (from failures list or the e-mail).")],
    as_json: JsonOption = False,
) -> None:
    """Everything about one failure: reason, answer, what to do, attempts, replays, the record itself."""
    from severa_netvisor.replay import REPLAY_DELAYS  # noqa: PLC0415 - the replay function's own schedule

    target = options(ctx).target()
    register = register_of(target)
    failure = find_failure(register, failure_id, target.command())
    waits_for = _waits_for(register, failure)
    if as_json:
        render.print_json(failure_json(failure, waits_for))
        return
    render.say(show_text(failure, waits_for=waits_for, command=target.command(), now=datetime.now(UTC),
                         delays=REPLAY_DELAYS))  # fmt: skip


def _waits_for(register: FailureRegister, failure: Failure) -> Failure | None:
    parts = blocked_ref(failure.blocked_by or "")
    if parts is None:
        return None
    from severa_netvisor.state import SourceRef  # noqa: PLC0415

    transfer, system, kind, record_id = parts
    return register.get(transfer, SourceRef(system, kind, record_id)) if transfer in TRANSFERS else None


@failures_app.command("replay")
def replay_failures(
    ctx: typer.Context,
    *,
    failure_id: Annotated[str | None, typer.Argument(metavar="ID", help="The failure to replay.")] = None,
    every: Annotated[str | None, typer.Option("--all", metavar="TRANSFER",
                                              help="Replay every open failure of this transfer.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what the replay would do; write nothing.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Try failed records again now, after a fix: one failure by its id, or --all of one transfer's."""
    if (failure_id is None) == (every is None):
        raise CliError("Name one failure id, or --all TRANSFER",
                       "For example: severa-netvisor failures replay 3f2a91c0de, or --all invoices.", code=2)
    transfer = transfer_named(every) if every is not None else None
    target = options(ctx).target()
    register = register_of(target)
    chosen = _replay_payload(register, target, failure_id, transfer, dry_run=dry_run)
    if isinstance(chosen, str):  # nothing to replay, and why
        if as_json:
            render.print_json({"replayed": [], "nothing_to_replay": chosen})
        else:
            render.say(chosen)
        raise typer.Exit(0)
    payload, what = chosen
    with render.run_progress(f"Replaying {what} on {target.label}", enabled=not as_json) as on_line:
        outcome = target.invoke("replay", payload, on_line=on_line)
    report = replay_report(str(payload["transfer"]), outcome.result, outcome.error, seconds=outcome.seconds,
                           look_further=target.look_further())  # fmt: skip
    if as_json:
        render.print_json(outcome.result if outcome.error is None else {"error": outcome.error})
    else:
        render.show(report)
    raise typer.Exit(0 if report.ok else 1)


def _replay_payload(
    register: FailureRegister, target: Target, failure_id: str | None, transfer: str | None, *, dry_run: bool
) -> tuple[dict[str, Any], str] | str:
    """The replay function's event and what it replays in words, or why there is nothing to replay."""
    if transfer is not None:
        open_now = register.failures(transfer)
        if not open_now:
            return f"No open failures of {transfer}: nothing to replay."
        what = f"{count_of(len(open_now), 'open failure')} of {transfer}"
        return {"transfer": transfer, "all": True, "dry_run": dry_run}, what
    failure = find_failure(register, failure_id or "", target.command())
    if not failure.is_open:
        when = finnish_time(datetime.fromisoformat(failure.closed_at)) if failure.closed_at else "earlier"
        return f"{failure.label} went through already: its failure {failure.id} was closed {when}. Nothing to replay."
    return {"transfer": failure.transfer, "ids": [failure.id], "dry_run": dry_run}, failure.label
