"""Every command of the console script that reports something has --json; the two that only act
(store the mapping, start the sandbox) are named here, so a new command cannot miss it unnoticed."""

from __future__ import annotations

import sys
from typing import Any

import pytest
import typer
from severa_netvisor.cli.app import app, cli

#: Commands that print no result a script would read: they store something or serve in the foreground.
ACTING_ONLY = {"mapping push", "sandbox"}


def _leaves(command: Any, path: str = "") -> dict[str, Any]:
    """Each command that runs (not a group), by its words: "failures list"."""
    if hasattr(command, "commands"):  # a group (Typer carries its own click)
        found: dict[str, Any] = {}
        for name, sub in command.commands.items():
            found |= _leaves(sub, f"{path} {name}".strip())
        return found
    return {path: command}


def test_every_reporting_command_has_json() -> None:
    commands = _leaves(typer.main.get_command(app))
    assert {"check", "run", "status", "reconcile", "failures list", "failures show", "failures replay",
            "mapping validate"} <= set(commands)  # fmt: skip
    assert set(commands) >= ACTING_ONLY
    without = sorted(name for name, command in commands.items()
                     if name not in ACTING_ONLY and not any("--json" in p.opts for p in command.params))  # fmt: skip
    assert without == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sttaus"], "Error: No such command 'sttaus'. Did you mean 'status'? The usage: severa-netvisor --help"),
        (["run"], "Error: Missing argument 'transfer'. The usage: severa-netvisor run --help"),
        (["status", "--jsn"], "Error: No such option: --jsn (Possible options: --json). The usage: "
                              "severa-netvisor status --help"),
        (["failures", "show"], "Error: Missing argument 'ID'. The usage: severa-netvisor failures show --help"),
        (["run", "invoices", "--since", "2026-01-31", "--full-resync"],
         "Error: Give either --since or --full-resync, not both."),
        (["reconcile", "--month", "2026-10", "--from", "2026-10-01"], "Error: Give either --month or --from and --to"),
    ],
)  # fmt: skip
def test_usage_mistakes_are_one_line_with_where_to_look(
    args: list[str], expected: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["severa-netvisor", *args])
    with pytest.raises(SystemExit) as stopped:
        cli()
    captured = capsys.readouterr()
    assert stopped.value.code == 2
    assert captured.out == ""
    assert captured.err.startswith(expected)
    assert len(captured.err.strip().splitlines()) == 1, captured.err


def test_the_bare_command_shows_its_help_and_no_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["severa-netvisor"])
    with pytest.raises(SystemExit):
        cli()
    captured = capsys.readouterr()
    assert "Usage: severa-netvisor" in captured.out + captured.err
    assert "Error" not in captured.out + captured.err
