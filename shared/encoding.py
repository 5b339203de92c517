"""Canonical bytes and binary text: RFC 8785 JSON, base64url without padding, SHA-256.

This is the one place where objects become the bytes that are hashed and signed.
"""

from __future__ import annotations

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
        return _mixed_jcs(obj)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise FormatError(f"value cannot be canonicalised as JSON: {exc}") from exc


def _mixed_jcs(obj: Any) -> bytes:
    """JCS of a value that is not plain all through: its plain parts by the fast path, only
    the rest (a float, a wide character…) by the full implementation. A manifest with
    200,000 reviewers and one float weight is then not encoded in pure Python."""
    if type(obj) is dict and all(type(k) is str for k in obj):
        members = [_part(k) + b":" + _part(obj[k]) for k in sorted(obj, key=_utf16)]
        return b"{" + b",".join(members) + b"}"
    if type(obj) is list:
        return b"[" + b",".join(_part(x) for x in obj) + b"]"
    return bytes(rfc8785.dumps(obj))


def _part(obj: Any) -> bytes:
    fast = _plain_jcs(obj)
    return fast if fast is not None else _mixed_jcs(obj)


def _utf16(key: str) -> bytes:
    """RFC 8785 orders members by the UTF-16 code units of their names."""
    return key.encode("utf-16-be", "surrogatepass")


# For *plain* JSON — objects with str keys, arrays, str, int within ±(2**53 - 1), bool
# and null, no float — orjson with sorted keys writes exactly the RFC 8785 bytes: the
# same escapes (\b \t \n \f \r, \u00xx lower-case, nothing else), no whitespace, keys
# sorted by code point, which is UTF-16 order while no character lies outside the BMP.
# Everything else (floats, big integers, non-BMP characters — a 4-byte UTF-8 sequence in
# the output —, lone surrogates, other types, subclasses) goes to the full implementation
# above, so the result never differs from it (tests/shared/test_encoding_fast.py).
_SAFE_INT = 2**53 - 1
_WIDE = re.compile(rb"[\xf0-\xf4]")


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
    try:
        out = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # lone surrogates, nesting beyond orjson's limit
        return None
    if not out.isascii() and _WIDE.search(out):
        return None
    return out


def sha256(data: bytes | memoryview) -> bytes:
    """SHA-256 digest of ``data`` (a memoryview is hashed in place, not copied)."""
    return hashlib.sha256(data).digest()


_TO_URL = bytes.maketrans(b"+/", b"-_")
_FROM_URL = bytes.maketrans(b"-_", b"+/")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: For each character, whether its unused low bits are zero as the last character of a
#: text of length 4k+2 (4 low bits unused) and of length 4k+3 (2 low bits unused).
_CLEAN_TAIL = {2: frozenset(_ALPHABET[i] for i in range(0, 64, 16)), 3: frozenset(_ALPHABET[i] for i in range(0, 64, 4))}


def b64u(data: bytes) -> str:
    """base64url of ``data`` without padding."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL).rstrip(b"=").decode("ascii")


def b64u_decode(text: str, *, length: int | None = None, what: str = "value") -> bytes:
    """Decode unpadded base64url, refusing padding, other alphabets and non-canonical tails.

    ``length``, when given, is the exact number of bytes expected.
    """
    if not isinstance(text, str) or not _B64U.match(text) or len(text) % 4 == 1:
        raise FormatError(f"{what} is not unpadded base64url")
    rest = len(text) % 4
    if rest and text[-1] not in _CLEAN_TAIL[rest]:  # a different text would decode the same
        raise FormatError(f"{what} is not canonical base64url")
    try:
        raw = binascii.a2b_base64(text.encode("ascii").translate(_FROM_URL) + b"=" * (-rest % 4))
    except (binascii.Error, ValueError) as exc:
        raise FormatError(f"{what} is not unpadded base64url") from exc
    if length is not None and len(raw) != length:
        raise FormatError(f"{what} must be {length} bytes, got {len(raw)}")
    return raw


#: Every byte but the quote and the four brackets (what translate deletes).
_NOT_STRUCTURAL = bytes(c for c in range(256) if c not in b'"[]{}')
_QUOTED = re.compile(rb'"[^"]*"')
_INNERMOST = re.compile(rb"\[\]|\{\}")


def _too_deep(text: str | bytes) -> bool:
    """Nested deeper than :data:`MAX_DEPTH`? Decided at C speed for any well-formed text:
    escaped backslashes and quotes are dropped, then everything but quotes and brackets, then
    whole strings; each pass of ``_INNERMOST`` then peels one level of brackets. Only a text
    whose brackets are not gone after :data:`MAX_DEPTH` passes (too deep, or not valid JSON)
    is scanned character by character."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"{") + data.count(b"[") <= MAX_DEPTH:
        return False
    skeleton = _QUOTED.sub(b"", data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURAL))
    for _ in range(MAX_DEPTH):
        peeled = _INNERMOST.sub(b"", skeleton)
        if peeled == skeleton:
            break
        skeleton = peeled
    if not skeleton:
        return False
    as_text = text if isinstance(text, str) else text.decode("utf-8", "replace")
    return _depth(as_text) > MAX_DEPTH


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
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise FormatError(f"duplicate JSON key {key!r}")
            seen.add(key)
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
    if _too_deep(data):
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
    if _too_deep(data):
        return None
    if _NUMBERS_OF_NOTE.search(_JSON_STRING.sub(b"", data)) is None and (data.isascii() or not _WIDE.search(data)):
        # No float (a digit then . e E) and no integer of 16 digits or more outside the
        # strings, no character beyond the BMP: the value is plain JSON, whose RFC 8785
        # form is what orjson writes (see _plain_jcs), so no walk over it is needed.
        return value if orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == data else None
    try:
        if jcs(value) != data:
            return None
    except FormatError:
        return None
    return value


#: A JSON string with its escapes (the text is known to be valid JSON where it is used).
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
#: A float's digit-then-fraction-or-exponent, or an integer that may lie beyond 2**53.
_NUMBERS_OF_NOTE = re.compile(rb"[0-9][.eE]|[0-9]{16}")
