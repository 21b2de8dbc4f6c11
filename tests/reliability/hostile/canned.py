"""A server that answers every request with one canned body: a stand-in for a hostile remote.

    with CannedServer(body) as server:          # bytes, or a callable returning chunks
        client = ...(endpoint=server.url)

The body is written as given and the connection closed after it (no Content-Length), so a body of
any size can be streamed from a generator without being held in memory.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Body = bytes | Callable[[], Iterable[bytes]]


class CannedServer:
    def __init__(self, body: Body, *, status: int = 200, content_type: str = "text/xml; charset=utf-8"):
        self.body = body
        self.status = status
        self.content_type = content_type
        self.requests = 0
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/webservice/S3/API.svc"

    @property
    def host(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> CannedServer:
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer()

            def _answer(self) -> None:
                canned.requests += 1
                chunks = [canned.body] if isinstance(canned.body, bytes) else canned.body()
                # The client may stop reading (a size limit): that ends the answer, nothing more.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(canned.status)
                    self.send_header("Content-Type", canned.content_type)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for chunk in chunks:
                        self.wfile.write(chunk)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
