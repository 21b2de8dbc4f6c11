"""The options every command shares (where it acts) and the ``--json`` flag of the read commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

from severa_netvisor.cli.targets import DeployedStack, SandboxTarget, Target

DEFAULT_STACK = "severa-netvisor"

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of a table.")]


@dataclass
class Options:
    stack: str
    profile: str | None
    region: str | None
    sandbox: bool
    debug: bool

    def target(self) -> Target:
        if self.sandbox:
            return SandboxTarget()
        return DeployedStack(self.stack, profile=self.profile, region=self.region)


def options(ctx: typer.Context) -> Options:
    """The options of the top-level command (kept on the context's root object)."""
    found = ctx.find_object(Options)
    assert found is not None, "the main callback sets the options"
    return found
