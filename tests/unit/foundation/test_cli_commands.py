"""Every command of the console script that reports something has --json; the two that only act
(store the mapping, start the sandbox) are named here, so a new command cannot miss it unnoticed."""

from __future__ import annotations

from typing import Any

import typer
from severa_netvisor.cli.app import app

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
