"""The witness's HTTP side and its key file.

``POST /add-checkpoint`` and ``GET /<sha256(origin) hex>/checkpoint`` (the submission and
monitoring prefixes are both the root). Stdlib ``ThreadingHTTPServer`` with keep-alive;
the decisions are :class:`witness.core.Witness`'s.

The key file is one line ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 ‖ 32-byte seed)>``
(the shape of Go's note private keys, with the cosignature type), written with mode 0600.
"""

from __future__ import annotations

import os
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from shared.errors import FormatError
from shared.keys import SigningKey
from shared.note import SIG_COSIGNATURE, Verifier, b64, b64_decode, check_key_name, key_id

from .core import MAX_BODY, Answer, Witness

_MONITOR = re.compile(r"\A/([0-9a-f]{64})/checkpoint\Z")


def key_text(name: str, key: SigningKey) -> str:
    kid = key_id(name, SIG_COSIGNATURE, key.public).hex()
    return f"PRIVATE+KEY+{name}+{kid}+{b64(bytes([SIG_COSIGNATURE]) + key.seed)}\n"


def read_key(path: Path) -> tuple[str, SigningKey]:
    """The witness name and key from a key file (a clear error naming what is wrong)."""
    try:
        text = path.read_text("utf-8").strip()
    except OSError as exc:
        raise FormatError(f"cannot read witness key {path}: {exc}") from exc
    parts = text.split("+", 4)  # base64 may hold '+'; name and ID never do
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise FormatError(f"{path} is not a witness key (PRIVATE+KEY+name+id+key); make one with `simsa witness keygen`")
    name = check_key_name(parts[2])
    raw = b64_decode(parts[4], what=f"{path} key")
    if len(raw) != 33 or raw[0] != SIG_COSIGNATURE:
        raise FormatError(f"{path}: the key is not a 32-byte Ed25519 cosignature (0x04) key")
    key = SigningKey(raw[1:])
    if key_id(name, SIG_COSIGNATURE, key.public).hex() != parts[3]:
        raise FormatError(f"{path}: the key ID does not match the key")
    return name, key


def write_key(path: Path, name: str, seed: bytes) -> Verifier:
    """Write a new key file (never over an existing one); return its verifier key."""
    key = SigningKey(seed)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key_text(name, key))
        f.flush()
        os.fsync(f.fileno())
    return Verifier(name, SIG_COSIGNATURE, key.public)


def make_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "simsa-witness"

        def _send(self, a: Answer) -> None:
            data = a.body.encode("utf-8")
            self.send_response(a.status)
            self.send_header("Content-Type", a.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if self.path.rstrip("/") != "/add-checkpoint":
                self._send(Answer(404, "POST /add-checkpoint\n"))
                return
            try:
                n = int(self.headers.get("Content-Length", "-1"))
            except ValueError:
                n = -1
            if not 0 <= n <= MAX_BODY:
                self.close_connection = True
                self._send(Answer(400 if n < 0 else 413, "a Content-Length up to 64 KiB is required\n"))
                return
            self._send(witness.add_checkpoint(self.rfile.read(n)))

        def do_GET(self) -> None:
            m = _MONITOR.match(self.path)
            self._send(witness.latest(m.group(1)) if m else Answer(404, "GET /<origin hash>/checkpoint\n"))

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet; the CLI prints one line per cosignature

    srv = ThreadingHTTPServer((host, port), Handler)
    srv.daemon_threads = True
    return srv
