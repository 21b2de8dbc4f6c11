"""Print the --parameter-overrides for `make deploy`: samconfig.toml's, with Architecture set to ARCH.

`sam deploy --parameter-overrides X` replaces samconfig's parameter_overrides instead of merging
(aws/aws-sam-cli#2380), so the Makefile passes samconfig's own overrides plus the architecture it
built for. Runs on the Python that runs make (3.11: tomllib).

    python scripts/deploy_overrides.py samconfig.toml default Architecture=x86_64
"""

from __future__ import annotations

import shlex
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def overrides(config: Mapping[str, Any], env: str) -> dict[str, str]:
    """samconfig's parameter_overrides of ``env`` (deploy section, else global), as a dict."""
    section: str | list[str] = []
    for command in ("deploy", "global"):
        parameters = config.get(env, {}).get(command, {}).get("parameters", {})
        if "parameter_overrides" in parameters:
            section = parameters["parameter_overrides"]
            break
    # samconfig allows one string ("A=1 B='x y'") or a list of "A=1" strings.
    items = shlex.split(section) if isinstance(section, str) else [str(item) for item in section]
    found: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"samconfig.toml [{env}]: parameter override {item!r} is not Key=Value")
        found[key] = value
    return found


def render(values: dict[str, str]) -> str:
    """One shell word holding SAM's `Key=Value Key="value with spaces"` form."""
    return shlex.quote(
        " ".join(f'{key}="{value}"' if " " in value else f"{key}={value}" for key, value in values.items())
    )


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, env, *extra = argv
    with Path(path).open("rb") as handle:
        config = tomllib.load(handle)
    if env not in config:
        known = ", ".join(name for name in config if isinstance(config[name], dict))
        raise SystemExit(f"samconfig.toml has no environment {env!r} (it has: {known}); pass SAM_ENV=<one of them>")
    values = overrides(config, env)
    for item in extra:
        key, _, value = item.partition("=")
        values[key] = value
    print(render(values))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
