"""A sandbox kept running in one terminal and found from others.

``severa-netvisor sandbox`` (``make sandbox``) starts the whole sandbox in the foreground and
publishes where it is in ``.sandbox/sandbox.json``; ``make invoke``, ``severa-netvisor --sandbox ...``
and the tests read that file to run functions against the same local AWS and simulators, so
transfers can be chained (customers, then invoices against the customers it created). It also
writes ``.sandbox/sam-env.json``, the ``--env-vars`` file for ``sam local invoke``.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3

from sandbox.aws import FAKE_CREDENTIALS
from sandbox.template import REPO_ROOT, Resolver, load_template

STATE_FILE = "sandbox.json"
SAM_ENV_FILE = "sam-env.json"


def state_dir() -> Path:
    """.sandbox/ in the checkout, or SEVERA_NETVISOR_SANDBOX_DIR (tests keep theirs apart)."""
    return Path(os.environ.get("SEVERA_NETVISOR_SANDBOX_DIR") or REPO_ROOT / ".sandbox")


@dataclass(frozen=True)
class SandboxLink:
    """Where a running sandbox is: enough to invoke functions against it from another process."""

    endpoint_url: str
    region: str
    severa_url: str
    netvisor_url: str
    parameters: dict[str, str]
    physical: dict[str, dict[str, str]]
    pid: int
    extra: dict[str, Any] = field(default_factory=dict)

    def resolver(self) -> Resolver:
        return Resolver(load_template(), parameters=dict(self.parameters),
                        physical={k: dict(v) for k, v in self.physical.items()}, region=self.region)

    def aws_env(self) -> dict[str, str]:
        return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint_url,
                "AWS_DEFAULT_REGION": self.region, "AWS_REGION": self.region}

    def client(self, service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url, region_name=self.region,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )

    def alive(self) -> bool:
        """The process that published it still runs and its local AWS answers."""
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        address = urlsplit(self.endpoint_url)
        try:
            with socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=2):
                return True
        except OSError:
            return False


def sam_env_vars(link: SandboxLink, overrides: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    """``sam local invoke --env-vars`` content: every function's template variables, for the sandbox
    (``overrides``: what a container needs instead, see :mod:`sandbox.docker_relay`)."""
    resolver = link.resolver()
    variables = resolver.template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    resolved = {key: str(value) for key, value in resolver.resolve(variables).items()}
    return {"Parameters": {**resolved, **(overrides or {})}}


def publish(link: SandboxLink, sam_overrides: dict[str, str] | None = None) -> Path:
    """Write the link and the sam env-vars file; returns the env-vars file."""
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STATE_FILE).write_text(json.dumps(asdict(link), indent=2), encoding="utf-8")
    env_file = folder / SAM_ENV_FILE
    env_file.write_text(json.dumps(sam_env_vars(link, sam_overrides), indent=2), encoding="utf-8")
    return env_file


def withdraw(pid: int) -> None:
    """Remove the published link if this process published it."""
    path = state_dir() / STATE_FILE
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == pid:
            path.unlink()
            (state_dir() / SAM_ENV_FILE).unlink(missing_ok=True)
    except (OSError, ValueError):
        pass


def find() -> SandboxLink | None:
    """The running sandbox, or None (no file, or its process is gone)."""
    try:
        data = json.loads((state_dir() / STATE_FILE).read_text(encoding="utf-8"))
        link = SandboxLink(**data)
    except (OSError, ValueError, TypeError):
        return None
    return link if link.alive() else None


def link_of(sandbox: Any, pid: int | None = None) -> SandboxLink:
    """The link of a started :class:`sandbox.environment.Sandbox`."""
    resolver = sandbox.resolver
    return SandboxLink(
        endpoint_url=sandbox.aws.endpoint_url,
        region=sandbox.aws.region,
        severa_url=sandbox.severa.url if sandbox.severa else "",
        netvisor_url=sandbox.netvisor.url if sandbox.netvisor else "",
        parameters=dict(resolver.parameters),
        physical={k: dict(v) for k, v in resolver.physical.items()},
        pid=os.getpid() if pid is None else pid,
    )
