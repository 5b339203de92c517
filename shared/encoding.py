"""Canonical bytes and binary text: RFC 8785 JSON, base64url without padding, SHA-256.

This is the one place where objects become the bytes that are hashed and signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from typing import Any

import orjson
import rfc8785

from .errors import FormatError

_B64U = re.compile(r"\A[A-Za-z0-9_-]*\Z")

#: Largest JSON nesting any simsa object needs; deeper input is refused before parsing.
MAX_DEPTH = 16


def jcs(obj: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON value."""
    fast = _plain_jcs(obj)
    if fast is not None:
        return fast
    try:
        return rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise FormatError(f"value cannot be canonicalised as JSON: {exc}") from exc


# For *plain* JSON — objects with str keys, arrays, str, int within ±(2**53 - 1), bool
# and null, no float — the C encoder of ``json`` writes exactly the RFC 8785 bytes: the
# same escapes (\b \t \n \f \r, \u00xx lower-case, nothing else), keys sorted by code
# point, which is UTF-16 order while no character lies outside the BMP. Everything else
# (floats, big integers, non-BMP characters, lone surrogates, other types, subclasses)
# goes to the full implementation above, so the result never differs from it.
_SAFE_INT = 2**53 - 1
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":"))
_WIDE = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")


def _plain(v: Any) -> bool:
    t = type(v)
    if t is str or t is bool or v is None:
        return True
    if t is int:
        return bool(-_SAFE_INT <= v <= _SAFE_INT)
    if t is dict:
        for k, x in v.items():  # noqa: SIM110 (a loop is faster than all() over a generator)
            if type(k) is not str or not _plain(x):
                return False
        return True
    if t is list or t is tuple:
        for x in v:  # noqa: SIM110
            if not _plain(x):
                return False
        return True
    return False


def _plain_jcs(obj: Any) -> bytes | None:
    try:
        if not _plain(obj):
            return None
    except RecursionError:
        return None
    text = _ENCODER.encode(obj)
    if not text.isascii() and _WIDE.search(text):
        return None
    return text.encode("utf-8")


def sha256(data: bytes) -> bytes:
    """SHA-256 digest of ``data``."""
    return hashlib.sha256(data).digest()


def b64u(data: bytes) -> str:
    """base64url of ``data`` without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str, *, length: int | None = None, what: str = "value") -> bytes:
    """Decode unpadded base64url, refusing padding, other alphabets and non-canonical tails.

    ``length``, when given, is the exact number of bytes expected.
    """
    if not isinstance(text, str) or not _B64U.match(text) or len(text) % 4 == 1:
        raise FormatError(f"{what} is not unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise FormatError(f"{what} is not unpadded base64url") from exc
    if b64u(raw) != text:
        raise FormatError(f"{what} is not canonical base64url")
    if length is not None and len(raw) != length:
        raise FormatError(f"{what} must be {length} bytes, got {len(raw)}")
    return raw


_STRING = re.compile(
    r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S
)  # unrolled: same strings, no alternation per character
_BRACKET = re.compile(r"[\[\]{}]")


def _too_deep(text: str) -> bool:
    """Nested deeper than :data:`MAX_DEPTH`? Counts brackets outside complete strings; only
    a text that looks too deep that way is scanned character by character."""
    if text.count("{") + text.count("[") <= MAX_DEPTH:
        return False
    depth = best = 0
    for m in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if m.group() in "[{" else -1
        best = max(best, depth)
    # An unterminated string leaves brackets visible, so this can only overestimate.
    return best > MAX_DEPTH and _depth(text) > MAX_DEPTH


def _depth(text: str) -> int:
    depth = best = 0
    in_str = escape = False
    for ch in text:
        if in_str:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth -= 1
    return best


def _no_constants(name: str) -> Any:
    raise FormatError(f"JSON constant {name} is not allowed")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 would otherwise parse as inf
        raise FormatError(f"JSON number {text[:40]} is out of range")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise FormatError(f"duplicate JSON key {key!r}")
        out[key] = value
    return out


def parse_json(data: bytes | str, *, max_bytes: int = 1 << 20, what: str = "JSON") -> Any:
    """Parse JSON strictly: bounded size and depth, no NaN/Infinity, no duplicate keys."""
    if isinstance(data, bytes):
        if len(data) > max_bytes:
            raise FormatError(f"{what} is {len(data)} bytes, more than {max_bytes}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"{what} is not UTF-8") from exc
    else:
        text = data
        if len(text) > max_bytes:
            raise FormatError(f"{what} is longer than {max_bytes} characters")
    if _too_deep(text):
        raise FormatError(f"{what} is nested deeper than {MAX_DEPTH}")
    try:
        return json.loads(
            text,
            parse_constant=_no_constants,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as exc:
        raise FormatError(f"{what} is not valid JSON: {exc.msg} at {exc.lineno}:{exc.colno}") from exc
    except FormatError:
        raise
    except ValueError as exc:  # e.g. an integer longer than sys.get_int_max_str_digits()
        raise FormatError(f"{what} is not acceptable JSON: {exc}") from exc


def parse_canonical(data: bytes, *, max_bytes: int = 1 << 20) -> Any | None:
    """The value of ``data`` when ``data`` is exactly its RFC 8785 form, else None.

    A fast path in front of :func:`parse_json` for text that should be canonical (ledger
    leaf data): a C parser reads it, and only a text that re-encodes to the same bytes is
    taken. That refuses what the strict parser refuses — duplicate keys, NaN/Infinity,
    numbers out of range, invalid UTF-8 — and anything not canonical besides; the size and
    depth bounds are checked here. On None the caller parses strictly (and names the fault)."""
    if len(data) > max_bytes:
        return None
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if data.count(b"{") + data.count(b"[") > MAX_DEPTH and _too_deep(data.decode("utf-8")):
        return None
    try:
        if jcs(value) != data:
            return None
    except FormatError:
        return None
    return value
