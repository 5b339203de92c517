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
    """How many objects and arrays ``data`` holds outside its strings (for valid JSON;
    for invalid JSON an upper bound of what a parser would build before failing)."""
    quick = data.count(b"{") + data.count(b"[")
    if quick == 0:
        return 0
    skeleton = _QUOTED.sub(b"", data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURAL))
    return skeleton.count(b"{") + skeleton.count(b"[")


def check_containers(data: bytes, limit: int, what: str) -> None:
    """``400 malformed`` for a body that would build more than ``limit`` objects and arrays."""
    if data.count(b"{") + data.count(b"[") <= limit:
        return
    n = containers(data)
    if n > limit:
        raise Problem(400, "malformed", f"the {what} holds {n} JSON objects and arrays; at most {limit} are accepted")


def client_address(request: Request) -> str:
    """The client's address: the peer, or what a trusted proxy says (server.guards.TrustedProxies)."""
    return request.client.host if request.client else ""
