"""The ``severa-netvisor`` commands. Errors are one line with the fix (exit 1, or 2 for a usage
mistake), never a traceback; ``--debug`` shows the traceback of an unexpected error.
"""

from __future__ import annotations

import sys
import traceback
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from severa_netvisor.cli import render
from severa_netvisor.cli.errors import CliError
from severa_netvisor.cli.failures_cmd import failures_app
from severa_netvisor.cli.options import DEFAULT_STACK, JsonOption, Options, options
from severa_netvisor.cli.present import check_report, error_line, run_report
from severa_netvisor.cli.status_cmd import status
from severa_netvisor.errors import IntegrationError

app = typer.Typer(
    name="severa-netvisor",
    help="Operate severa-netvisor: check the connections, see where each transfer stands, run a transfer now, "
    "look at and replay the records that failed, reconcile a month, check and push the mapping, or start the "
    "sandbox. Works on a deployed stack (--stack) or on the sandbox (--sandbox).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
mapping_app = typer.Typer(help="Check the mapping file offline, or store it for the functions.", no_args_is_help=True)
app.add_typer(mapping_app, name="mapping")
app.add_typer(failures_app, name="failures")
app.command()(status)


@app.callback()
def main(
    ctx: typer.Context,
    *,
    stack: Annotated[str, typer.Option(envvar="SEVERA_NETVISOR_STACK", help="CloudFormation stack.")] = DEFAULT_STACK,
    profile: Annotated[str | None, typer.Option(envvar="AWS_PROFILE", help="AWS profile to use.")] = None,
    region: Annotated[str | None, typer.Option(help="AWS region of the stack (default: the profile's).")] = None,
    sandbox: Annotated[bool, typer.Option("--sandbox", help="Act on the running sandbox, not a stack.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an unexpected error.")] = False,
) -> None:
    ctx.obj = Options(stack, profile, region, sandbox, debug)


@app.command()
def check(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Can the integration reach Severa and Netvisor with its credentials? Each failure with its fix."""
    target = options(ctx).target()
    with render.working(f"Checking the connections of {target.label}", enabled=not as_json):
        outcome = target.invoke("check_connections", {})
    report = check_report(outcome.result, outcome.error)
    if as_json:
        render.print_json(outcome.result if outcome.error is None else {"ok": False, "error": outcome.error})
    else:
        render.show(report)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def run(
    ctx: typer.Context,
    *,
    transfer: Annotated[str, typer.Argument(help="customers, products, dimensions, invoices, payments or hours.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would happen; write nothing.")] = False,
    since: Annotated[str | None, typer.Option(help="Read changes since this date (2026-01-31) or date-time.")] = None,
    full_resync: Annotated[bool, typer.Option("--full-resync", help="Read everything again.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Run a transfer now and show what it did (a summary, and what needs you)."""
    payload: dict[str, Any] = {"dry_run": dry_run}
    if since is not None:
        payload["since"] = _since(since)
    if full_resync:
        if since is not None:
            raise CliError("Give either --since or --full-resync, not both", code=2)
        payload["full_resync"] = True
    target = options(ctx).target()
    with render.run_progress(f"{transfer} on {target.label}", enabled=not as_json) as on_line:
        outcome = target.invoke(transfer, payload, on_line=on_line)
    report = run_report(transfer, outcome.result, outcome.error, seconds=outcome.seconds,
                        waiting=outcome.waiting, look_further=target.look_further())
    if as_json:
        render.print_json(outcome.result if outcome.error is None else {"error": outcome.error})
    else:
        render.show(report)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def reconcile(
    ctx: typer.Context,
    *,
    month: Annotated[str | None, typer.Option(help="The month, e.g. 2026-10 (default: last month).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day of a date range, e.g. 2026-10-01.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day of a date range, e.g. 2026-10-15.")] = None,
    store: Annotated[bool, typer.Option(help="Keep the report (CSV and JSON) in the stack's report bucket.")] = True,
    notify: Annotated[bool, typer.Option(help="Also send the summary to the alarm topic.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Reconcile Severa and Netvisor for a month (or --from/--to): the differences, each with what to do."""
    payload: dict[str, Any] = {"store": store, "notify": notify}
    if month is not None and (start is not None or end is not None):
        raise CliError("Give either --month or --from and --to, not both", code=2)
    if month is not None:
        payload["month"] = month
    elif start is not None or end is not None:
        if start is None or end is None:
            raise CliError("Give both --from and --to", "Write them as 2026-10-01 and 2026-10-15.", code=2)
        payload.update({"from": _day(start, "--from"), "to": _day(end, "--to")})
    target = options(ctx).target()
    with render.working(f"Reconciling on {target.label}", enabled=not as_json):
        outcome = target.invoke("reconcile", payload)
    if outcome.error is not None:
        raise CliError(f"The reconciliation could not run: {error_line(outcome.error)}")
    if as_json:
        render.print_json(outcome.result)
    else:
        render.show_reconciliation(outcome.result)
    raise typer.Exit(0 if outcome.result.get("verdict") == "agree" else 1)


def _day(text: str, option: str) -> str:
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise CliError(f"{option} '{text}' is not a date", "Write it as 2026-10-01.", code=2) from None


def _since(text: str) -> str:
    value = text.strip()
    try:
        (date.fromisoformat if len(value) == 10 else datetime.fromisoformat)(value)
    except ValueError:
        raise CliError(f"--since '{text}' is not a date", "Write it as 2026-01-31 or 2026-01-31T08:00.",
                       code=2) from None
    return value


@mapping_app.command("validate")
def mapping_validate(
    file: Annotated[Path, typer.Argument(help="The mapping file (YAML or JSON).")],
    as_json: JsonOption = False,
) -> None:
    """Check a mapping file offline, with the same validation the functions run."""
    from severa_netvisor.errors import ConfigurationError  # noqa: PLC0415

    try:
        _read_mapping(file)
    except ConfigurationError as error:
        if as_json:
            render.print_json({"ok": False, "file": str(file), "problem": error.message})
            raise typer.Exit(1) from None
        raise CliError(error.message.rstrip(".")) from None
    if as_json:
        render.print_json({"ok": True, "file": str(file)})
    else:
        render.say(f"The mapping in {file} is valid.")


@mapping_app.command("push")
def mapping_push(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="The mapping file.")]) -> None:
    """Validate a mapping file, then store it as the stack's mapping parameter (in use within 5 minutes)."""
    from severa_netvisor.errors import ConfigurationError  # noqa: PLC0415

    try:
        text = _read_mapping(file)
    except ConfigurationError as error:
        raise CliError(error.message.rstrip("."), "Nothing was pushed.") from None
    target = options(ctx).target()
    name = target.put_mapping(text)
    render.say(f"The mapping in {file} is stored as {name} for {target.label}. {_reload_words()}")


def _reload_words() -> str:
    from severa_netvisor.cli.words import span  # noqa: PLC0415
    from severa_netvisor.settings import Settings  # noqa: PLC0415

    within = span(float(Settings.model_fields["mapping_max_age_seconds"].default))
    return (f"The functions take it up within {within}. Should they refuse it, they go on with the last good "
            "mapping, and on a deployed stack the MappingRejected alarm goes off.")


def _read_mapping(file: Path) -> str:
    from severa_netvisor.mapping.loader import parse_mapping  # noqa: PLC0415

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"{file} could not be read: {error.strerror}", "Check the path.", code=2) from None
    except UnicodeDecodeError:
        raise CliError(f"{file} is not UTF-8 text", "Save it as UTF-8.", code=2) from None
    parse_mapping(text, source=f"mapping file '{file}'", json_format=file.suffix.lower() == ".json")
    return text


@app.command()
def sandbox(
    env_file: Annotated[Path | None, typer.Option(help="Also write the sam local invoke env-vars here.")] = None,
) -> None:
    """Start the sandbox in the foreground (local AWS, Severa and Netvisor simulators), seeded. Ctrl-C stops it."""
    from severa_netvisor.cli.sandbox_cmd import serve  # noqa: PLC0415

    serve(env_file)


def integration_line(error: IntegrationError) -> str:
    remote = error.remote_text or ""
    said = f" ({remote})" if remote and remote not in error.message else ""
    return (f"{error.message.rstrip('.')}{said}. Check that AWS can be reached and that your profile may read "
            "the stack's state table (for the sandbox: that it still runs).")


def usage_line(error: typer.exceptions.TyperException) -> str:
    """A usage mistake (click's: an unknown command or option, a missing argument) in one line, with
    where the usage is shown ("" when there is nothing to say)."""
    format_message = getattr(error, "format_message", None)
    message = " ".join(str(format_message() if callable(format_message) else error).split())
    if not message:
        return ""
    context = getattr(error, "ctx", None)
    path = getattr(context, "command_path", "") or "severa-netvisor"
    end = "" if message.endswith((".", "?", "!")) else "."
    return f"{escape(message)}{end} The usage: {path} --help"


def cli() -> None:
    """The console script's entry point."""
    debug = "--debug" in sys.argv
    console = Console(stderr=True, soft_wrap=True, highlight=False)
    try:
        code = app(standalone_mode=False)
    except CliError as error:
        console.print(f"[bold red]Error:[/] {error.line()}", highlight=False, soft_wrap=True)
        sys.exit(error.code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        console.print("Stopped.")
        sys.exit(130)
    except KeyboardInterrupt:
        console.print("Stopped.")
        sys.exit(130)
    except IntegrationError as error:  # AWS or the state table refused a read: one line, the fix
        console.print(f"[bold red]Error:[/] {integration_line(error)}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except Exception as error:  # the last line of defence: one line, the traceback only on request
        if isinstance(error, typer.exceptions.TyperException) and hasattr(error, "format_message"):
            line = usage_line(error)
            if line:  # none when the command was given bare: its help is shown already
                console.print(f"[bold red]Error:[/] {line}", highlight=False, soft_wrap=True)
            sys.exit(int(getattr(error, "exit_code", 2)))
        if debug:
            traceback.print_exc()
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        console.print(f"[bold red]Error:[/] something unexpected went wrong: {message}. "
                      "Run again with --debug for details, and report it if it repeats.", highlight=False)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    cli()
