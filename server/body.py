"""Request bodies: read with a byte limit, then parsed with depth bounded before parsing.

Ballots, batches and statements are validated by the shared parsers over the exact JSON
that arrived, never by a model that could re-serialise it differently.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from shared.encoding import parse_json
from shared.errors import FormatError

from .problems import Problem


async def read_limited(request: Request, limit: int) -> bytes:
    """The raw body, refusing with 413 ``too_large`` as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise Problem(413, "too_large", f"the body is {declared} bytes; at most {limit} are accepted here")
        except ValueError as exc:
            raise Problem(400, "bad_request", "Content-Length is not a number") from exc
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise Problem(413, "too_large", f"the body is more than {limit} bytes, the limit here")
        chunks.append(chunk)
    return b"".join(chunks)


def check_json_type(request: Request, what: str) -> None:
    """Refuse a body declared as anything but JSON (415)."""
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise Problem(415, "unsupported_media_type", f"send {what} as application/json, not {ctype}")


def parse_body(raw: bytes, limit: int, what: str) -> Any:
    """Parse strictly (:func:`shared.encoding.parse_json`: size, then depth, then JSON with
    no duplicate keys or NaN); ``400 malformed`` otherwise."""
    try:
        return parse_json(raw, max_bytes=limit, what=what)
    except FormatError as exc:
        raise Problem(400, "malformed", str(exc)) from exc


async def read_json(request: Request, limit: int, *, what: str = "request body") -> Any:
    """The JSON body, read with a byte limit and parsed strictly."""
    check_json_type(request, what)
    return parse_body(await read_limited(request, limit), limit, what)


def json_body_doc(description: str, example: Any = None) -> dict[str, Any]:
    """``openapi_extra`` documenting a raw JSON request body."""
    content: dict[str, Any] = {"schema": {"type": "object"}}
    if example is not None:
        content["example"] = example
    return {"requestBody": {"required": True, "description": description, "content": {"application/json": content}}}
