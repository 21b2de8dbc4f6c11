"""``severa-netvisor sandbox``: the sandbox in the foreground, published for other terminals."""

from __future__ import annotations

import shutil
import signal
import threading
from pathlib import Path
from types import FrameType

from severa_netvisor.cli import render
from severa_netvisor.cli.targets import _sandbox_module


def serve(env_file: Path | None = None, *, stop: threading.Event | None = None) -> None:
    environment = _sandbox_module("environment")
    kept = _sandbox_module("kept")
    docker_relay = _sandbox_module("docker_relay")
    stop = stop or threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Ctrl-C and a plain kill both stop it cleanly (a background job ignores SIGINT unless told).
    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
    with environment.Sandbox() as sandbox:
        link = kept.link_of(sandbox)
        # Lambda containers (sam local invoke) reach the sandbox through relays on Docker's bridge.
        exposed = docker_relay.expose(link)
        relays, sam_overrides = exposed if exposed is not None else ([], None)
        sam_env = kept.publish(link, sam_overrides)
        if env_file is not None:
            shutil.copyfile(sam_env, env_file)
        _announce(link, env_file or sam_env, docker=exposed is not None)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            kept.withdraw(link.pid)
            for relay in relays:
                relay.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    render.say("The sandbox has stopped.")


def _announce(link: object, env_file: Path, *, docker: bool) -> None:
    say = render.say
    say("The sandbox is running (seeded with a small Finnish company's data):")
    say(f"  local AWS (moto):    {getattr(link, 'endpoint_url', '')}")
    say(f"  Severa simulator:    {getattr(link, 'severa_url', '')}")
    say(f"  Netvisor simulator:  {getattr(link, 'netvisor_url', '')}")
    if docker:
        say(f"  env-vars file for sam local invoke: {env_file} (with --add-host host.docker.internal:host-gateway)")
    else:
        say(f"  env-vars file: {env_file} (Docker's bridge was not found, so sam local invoke cannot reach it)")
    say("From another terminal:")
    say("  make invoke FUNCTION=customers")
    say("  severa-netvisor --sandbox run invoices --dry-run")
    say("Ctrl-C stops it.")
    render.out.file.flush()
