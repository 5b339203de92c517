"""Request bodies: read with a byte limit, then parsed with depth bounded before parsing.

Ballots, batches and statements are validated by the shared parsers over the exact JSON
that arrived, never by a model that could re-serialise it differently.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from shared.encoding import parse_json
from shared.errors import FormatError
from shared.text import bad_char, find_unstorable, storable

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
    """Refuse a body not declared as JSON, or declared as nothing (415)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not ctype:
        raise Problem(415, "unsupported_media_type", f"send {what} with Content-Type: application/json")
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise Problem(415, "unsupported_media_type", f"send {what} as application/json, not {ctype}")


#: Where a kiosk batch or bundle carries signed ballots: rule 1 judges a NUL in those per
#: record (the record is logged as ``malformed`` and the chain goes on; a whole-batch
#: refusal would leave the kiosk stuck at that record for ever). A lone surrogate has no
#: UTF-8 form, so no record holding one can be hashed: that refuses the batch.
SIGNED_BALLOTS = frozenset({"$.records[*].signed_ballot"})


def parse_body(raw: bytes, limit: int, what: str, *, judged_later: frozenset[str] = frozenset()) -> Any:
    """Parse strictly (:func:`shared.encoding.parse_json`: size, then depth, then JSON with
    no duplicate keys or NaN) and refuse any key or string no store can keep (a NUL, a
    lone surrogate: :mod:`shared.text`; a NUL is left to the caller under the paths
    ``judged_later``); ``400 malformed`` otherwise."""
    try:
        value = parse_json(raw, max_bytes=limit, what=what)
    except FormatError as exc:
        raise Problem(400, "malformed", str(exc)) from exc
    bad = find_unstorable(value, nul_ok_under=judged_later)
    if bad is not None:
        raise Problem(400, "malformed", f"the {what} holds {bad}")
    return value


async def read_form(request: Request, what: str = "form", **limits: Any) -> Any:
    """A form body, every field name and value held to the same rule as JSON: no NUL, no
    lone surrogate (``400 malformed``)."""
    form = await request.form(**limits)
    for name, value in form.multi_items():
        bad = bad_char(name) or (bad_char(value) if isinstance(value, str) else None)
        if bad is not None:
            raise Problem(400, "malformed", f"the {what} field {storable(name)!r} holds {bad}")
    return form


async def read_json(
    request: Request, limit: int, *, what: str = "request body", judged_later: frozenset[str] = frozenset()
) -> Any:
    """The JSON body, read with a byte limit and parsed strictly (:func:`parse_body`)."""
    check_json_type(request, what)
    return parse_body(await read_limited(request, limit), limit, what, judged_later=judged_later)


def json_body_doc(description: str, example: Any = None) -> dict[str, Any]:
    """``openapi_extra`` documenting a raw JSON request body."""
    content: dict[str, Any] = {"schema": {"type": "object"}}
    if example is not None:
        content["example"] = example
    return {"requestBody": {"required": True, "description": description, "content": {"application/json": content}}}
