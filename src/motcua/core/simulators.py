"""What every simulator of an outside system shares (the carrier, the national portal, the population database):
an HTTP/1.1 request handler that answers JSON or a page, quietly (the simulators print no access log)."""

from __future__ import annotations

import json
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class SimulatorHandler(BaseHTTPRequestHandler):
    """Kept-alive connections (HTTP/1.1, every answer with its length), no log line per request, and answers sent
    at once (``TCP_NODELAY``: no Nagle wait on the headers of a kept-alive connection)."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode())


def serve_forever(host: str, port: int, handler: type[BaseHTTPRequestHandler]) -> None:
    """Serve ``handler`` on ``host:port``, a thread per connection, until the process is stopped."""
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
