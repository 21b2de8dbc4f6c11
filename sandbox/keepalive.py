"""An HTTP/1.1 server with persistent connections, for both simulators.

Severa (IIS) and Netvisor both keep connections alive, and so do the clients: a simulator that
closed every connection (HTTP/1.0) made each request pay a new TCP connection, which benchmarks
then counted against the product. Stopping the server also closes the connections still open, so
a stopped simulator is really gone (a client's pooled connection cannot keep talking to it).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import ThreadingHTTPServer
from typing import Any

#: An idle connection is closed after this long, as a real server would (its thread then ends).
IDLE_SECONDS = 30.0


class KeepAliveServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, *args: Any, **kwargs: Any):
        self._open: set[socket.socket] = set()
        self._open_guard = threading.Lock()
        #: Connections accepted so far (tests of connection reuse read it).
        self.connections_accepted = 0
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Headers and body leave in two writes: without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK hold the body back ~40 ms on every reused connection.
        with contextlib.suppress(OSError):
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._open_guard:
            self._open.add(request)
            self.connections_accepted += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_guard:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_guard:
            still_open, self._open = list(self._open), set()
        for connection in still_open:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
