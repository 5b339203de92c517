"""An HTTP proxy in front of a real server that breaks chosen requests on purpose.

Faults are queued per path fragment (``proxy.fail("/batches", "reset_mid_body")``) and
each applies to the next matching request:

- ``reset_before``: the connection is reset before the server sees the request;
- ``reset_mid_body``: the server handles the request (and commits), then the answer is
  cut off half way through its body with a TCP reset;
- ``500``: the proxy answers 500 itself;
- ``timeout``: the server handles the request, the answer comes only after the client
  has given up;
- ``503``: the proxy answers ``503`` with ``Retry-After: 1`` itself, as a server shedding
  load does (the server never sees the request).
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

FAULTS = ("reset_before", "reset_mid_body", "500", "timeout", "503")


class FaultProxy:
    def __init__(self, upstream: str, *, stall_s: float = 4.0) -> None:
        u = urlsplit(upstream)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.stall_s = stall_s
        self.faults: deque[tuple[str, str]] = deque()
        self.log: list[tuple[str, str, str]] = []  # (method, path, what happened)
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def _any(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def fail(self, fragment: str, *faults: str) -> None:
        for f in faults:
            assert f in FAULTS, f
            self.faults.append((fragment, f))

    def _take(self, path: str) -> str | None:
        with self.lock:
            for i, (frag, fault) in enumerate(self.faults):
                if frag in path:
                    del self.faults[i]
                    return fault
        return None

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else None
        fault = self._take(h.path)
        self.log.append((h.command, h.path, fault or "ok"))
        if fault == "reset_before":
            _reset(h.connection)
            h.close_connection = True
            return
        if fault in ("500", "503"):
            data = b'{"type":"about:blank","title":"injected","status":%s,"code":"internal","detail":"injected"}' % (
                fault.encode())
            h.send_response(int(fault))
            if fault == "503":
                h.send_header("Retry-After", "1")
            h.send_header("Content-Type", "application/problem+json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
            return
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(h.command, h.path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        if fault == "timeout":
            time.sleep(self.stall_s)
        h.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if fault == "reset_mid_body":
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            _reset(h.connection)
            h.close_connection = True
            return
        h.wfile.write(data)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN, as a dropped link or a crashed middlebox does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
