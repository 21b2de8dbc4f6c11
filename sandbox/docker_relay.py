"""Lets Lambda containers (`sam local invoke`) reach the sandbox, which listens on 127.0.0.1 only.

A relay per sandbox port listens on Docker's bridge address, which containers reach as
``host.docker.internal`` (``sam local invoke --add-host host.docker.internal:host-gateway``) and
nothing outside this machine does, and passes the bytes unchanged to 127.0.0.1: the Host header a
client signed stays the one the Netvisor simulator checks the MAC against. The containers get
their own copies of the two secrets (``<name>-docker``) whose URLs point through the relays.
"""

from __future__ import annotations

import json
import re
import socket
import socketserver
import subprocess
import threading
from typing import Any
from urllib.parse import urlsplit

DOCKER_HOST = "host.docker.internal"


def bridge_address() -> str | None:
    """The IPv4 address of Docker's default bridge (docker0), or None without Docker."""
    try:
        shown = subprocess.run(["ip", "-4", "-o", "addr", "show", "docker0"],  # noqa: S607 - iproute2
                               capture_output=True, text=True, timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", shown)
    return match.group(1) if match else None


class _Pipe(socketserver.BaseRequestHandler):
    target_port = 0

    def handle(self) -> None:
        with socket.create_connection(("127.0.0.1", self.target_port), timeout=600) as upstream:
            back = threading.Thread(target=_copy, args=(upstream, self.request), daemon=True)
            back.start()
            _copy(self.request, upstream)
            back.join(timeout=600)


def _copy(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Relay:
    def __init__(self, listen_host: str, target_port: int):
        handler = type("Pipe", (_Pipe,), {"target_port": target_port})
        self._server = socketserver.ThreadingTCPServer((listen_host, 0), handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, name=f"relay-{target_port}", daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def expose(link: Any) -> tuple[list[Relay], dict[str, str]] | None:
    """Relays for the sandbox's local AWS and simulators, the containers' copies of the secrets, and
    the environment a container needs; None when Docker's bridge is not there."""
    bridge = bridge_address()
    if bridge is None:
        return None
    ports = {urlsplit(url).port for url in (link.endpoint_url, link.severa_url, link.netvisor_url)}
    relays = {port: Relay(bridge, port) for port in ports if port}

    def through(text: str) -> str:
        for port, relay in relays.items():
            text = text.replace(f"127.0.0.1:{port}", f"{DOCKER_HOST}:{relay.port}")
        return text

    secrets = link.client("secretsmanager")
    env: dict[str, str] = {}
    for parameter, variable in (("SeveraSecretName", "SEVERA_SECRET_NAME"),
                                ("NetvisorSecretName", "NETVISOR_SECRET_NAME")):
        name = str(link.parameters[parameter])
        body = json.loads(secrets.get_secret_value(SecretId=name)["SecretString"])
        copy = {key: through(value) if isinstance(value, str) else value for key, value in body.items()}
        try:
            secrets.create_secret(Name=f"{name}-docker", SecretString=json.dumps(copy))
        except secrets.exceptions.ResourceExistsException:
            secrets.put_secret_value(SecretId=f"{name}-docker", SecretString=json.dumps(copy))
        env[variable] = f"{name}-docker"
    env["AWS_ENDPOINT_URL"] = through(link.endpoint_url)
    env["FAILED_RECORDS_QUEUE_URL"] = through(str(link.physical["FailedRecordsQueue"]["Ref"]))
    return list(relays.values()), env
