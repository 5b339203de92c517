"""A real HTTP server on 127.0.0.1 that answers from a script: each request takes the next
canned answer (status, headers, body) and is recorded; an empty script answers 200 ``{}``."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


def busy(retry_after: str | None = "1", status: int = 503) -> Answer:
    """The server's back-pressure answer: a problem with ``Retry-After``."""
    headers = {"Content-Type": "application/problem+json"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    body = b'{"type":"about:blank","title":"busy","status":%d,"code":"server_busy","detail":"try again later"}' % status
    return Answer(status, body, headers)


class ScriptedServer:
    def __init__(self) -> None:
        self.script: deque[Answer] = deque()
        self.seen: list[tuple[str, str, bytes]] = []  # (method, path, body)
        self.headers: list[dict[str, str]] = []
        me = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:
                pass

            def _any(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                me.seen.append((self.command, self.path, self.rfile.read(n) if n else b""))
                me.headers.append(dict(self.headers.items()))
                a = me.script.popleft() if me.script else Answer()
                self.send_response(a.status)
                for k, v in a.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(a.body)))
                self.end_headers()
                self.wfile.write(a.body)

            do_GET = do_POST = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def scripted(*answers: Answer) -> Iterator[ScriptedServer]:
    s = ScriptedServer()
    s.script.extend(answers)
    try:
        yield s
    finally:
        s.close()
