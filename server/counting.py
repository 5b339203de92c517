"""Cheap checks made before a body is parsed: how many JSON objects and arrays it would
build (counted at C speed on the raw bytes), and who the client is.

The parser builds a Python object per ``{`` and ``[``; 4 MiB of ``{},{},…`` is 1.4 million
dicts and seconds of CPU. The honest bodies are small in that count — a signed ballot is
three objects and at most one array, a batch record four of them — so a body with more
containers than the largest honest one is refused before any is built.
"""

from __future__ import annotations

import re

from fastapi import Request

from shared.chain import MAX_BATCH_RECORDS

from .problems import Problem

#: A signed ballot: the envelope, the ballot, its scores (or choices). Generous margin.
MAX_BALLOT_CONTAINERS = 16
#: A batch: itself, its records array and head, and per record at most the record, the
#: signed ballot, the ballot and its scores or choices (4); with a margin of 2x.
MAX_BATCH_CONTAINERS = 16 + 8 * MAX_BATCH_RECORDS

_NOT_STRUCTURAL = bytes(c for c in range(256) if c not in b'"[]{}')
_QUOTED = re.compile(rb'"[^"]*"')


def containers(data: bytes) -> int:
    """How many objects and arrays ``data`` holds outside its strings. For invalid JSON,
    at least what a parser builds before it fails (everything after an unterminated
    string is that string to a parser, and is not counted)."""
    if data.count(b"{") + data.count(b"[") == 0:
        return 0
    skeleton = _QUOTED.sub(b"", data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURAL))
    cut = skeleton.find(b'"')  # an unterminated string (a prefix cut inside one): not counted
    if cut >= 0:
        skeleton = skeleton[:cut]
    return skeleton.count(b"{") + skeleton.count(b"[")


def check_containers(data: bytes, limit: int, what: str) -> None:
    """``400 malformed`` for a body that would build more than ``limit`` objects and arrays.
    Growing prefixes are counted first (a prefix never holds more than the whole), so a
    body stuffed with ``{}`` is refused after its first 64 KiB."""
    if data.count(b"{") + data.count(b"[") <= limit:
        return
    size = 64 * 1024
    while True:
        n = containers(data[:size])
        if n > limit:
            more = "at least " if size < len(data) else ""
            raise Problem(400, "malformed", f"the {what} holds {more}{n} JSON objects and arrays; at most {limit} are accepted")
        if size >= len(data):
            return
        size *= 4


def client_address(request: Request) -> str:
    """The client's address: the peer, or what a trusted proxy says (server.guards.TrustedProxies)."""
    return request.client.host if request.client else ""
