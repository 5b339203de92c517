"""Receipt codes people can read aloud and type back (DESIGN §4 keeps the full id).

A receipt id is b64u(SHA-256(JCS(signed ballot))): 43 characters, mixed case, with ``-``
and ``_``. Kiosks and pages show its **short code** instead: the first 40 bits of the
32-byte hash in Crockford base32 — ``0123456789ABCDEFGHJKMNPQRSTVWXYZ``, no I, L, O or U —
grouped ``XXXX-XXXX`` (e.g. ``7Q2M-K4XD``).

Reading a typed code back is forgiving the Crockford way: any case, ``I`` and ``L`` read as
``1``, ``O`` as ``0``, hyphens, dashes and spaces ignored. Anything else is a
:class:`FormatError` that names what is wrong.

:func:`parse_receipt` takes what a person types or scans — a full id or a short code —
and gives a :class:`ReceiptQuery`: the base64url prefix an index can look up and the exact
test each candidate id must pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from .encoding import b64u, b64u_decode
from .errors import FormatError

ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Bytes of the receipt hash a short code holds (8 characters × 5 bits).
CODE_BYTES: Final = 5
CODE_CHARS: Final = 8
#: An example for messages and placeholders (a real-looking code).
EXAMPLE: Final = "7Q2M-K4XD"

_VALUE: Final[dict[str, int]] = {c: i for i, c in enumerate(ALPHABET)}
_VALUE.update({"I": 1, "L": 1, "O": 0})
_IGNORED = re.compile(r"[\s\-\u2010-\u2015\u2212]+")
_RECEIPT_ID = re.compile(r"\A[A-Za-z0-9_-]{43}\Z")


def encode_code(prefix: bytes) -> str:
    """Five bytes → ``XXXX-XXXX`` in Crockford base32 (most significant bits first)."""
    if len(prefix) != CODE_BYTES:
        raise FormatError(f"a short code encodes {CODE_BYTES} bytes, not {len(prefix)}")
    n = int.from_bytes(prefix, "big")
    chars = "".join(ALPHABET[(n >> (5 * (CODE_CHARS - 1 - i))) & 31] for i in range(CODE_CHARS))
    return f"{chars[:4]}-{chars[4:]}"


def decode_code(text: str) -> bytes:
    """A typed short code → its five bytes; raise :class:`FormatError` naming the fault."""
    if not isinstance(text, str):
        raise FormatError("a receipt code is text")
    chars = _IGNORED.sub("", text).upper()
    if not chars:
        raise FormatError(f"the receipt code is empty: type the 8 letters and digits, like {EXAMPLE}")
    bad = [c for c in chars if c not in _VALUE]
    if bad:
        shown = ", ".join(dict.fromkeys(repr(c) for c in bad))
        hint = " (U is never used)" if "U" in bad else ""
        raise FormatError(
            f"a receipt code has only the digits 0-9 and the letters A-Z without U{hint}; "
            f"{text.strip()!r} has {shown}"
        )
    if len(chars) != CODE_CHARS:
        raise FormatError(
            f"a receipt code has {CODE_CHARS} letters and digits, like {EXAMPLE}; {text.strip()!r} has {len(chars)}"
        )
    n = 0
    for c in chars:
        n = (n << 5) | _VALUE[c]
    return n.to_bytes(CODE_BYTES, "big")


def normalise_code(text: str) -> str:
    """A typed short code in its printed form (``7q2m k4xd`` → ``7Q2M-K4XD``)."""
    return encode_code(decode_code(text))


def short_code(ballot_id: str) -> str:
    """The short code of a receipt id (43 base64url characters of a SHA-256)."""
    return encode_code(b64u_decode(ballot_id, length=32, what="receipt id")[:CODE_BYTES])


def b64u_prefix(code: bytes) -> str:
    """The base64url characters fully fixed by a short code's 40 bits: the first 6 (36
    bits) of every receipt id with this code — for an indexed prefix search."""
    if len(code) != CODE_BYTES:
        raise FormatError(f"a short code encodes {CODE_BYTES} bytes, not {len(code)}")
    return b64u(code)[:6]


@dataclass(frozen=True)
class ReceiptQuery:
    """What someone asked for: a full receipt id (``code`` None) or a short code."""

    ballot_id: str | None = None
    code: bytes | None = None

    @property
    def prefix(self) -> str:
        """Every matching id starts with this (the whole id for a full receipt)."""
        if self.ballot_id is not None:
            return self.ballot_id
        assert self.code is not None
        return b64u_prefix(self.code)

    @property
    def text(self) -> str:
        """The receipt as printed: the full id, or ``XXXX-XXXX``."""
        if self.ballot_id is not None:
            return self.ballot_id
        assert self.code is not None
        return encode_code(self.code)

    @property
    def exact(self) -> bool:
        return self.ballot_id is not None

    def matches(self, ballot_id: str) -> bool:
        """Whether ``ballot_id`` is this receipt (or has this short code)."""
        if self.ballot_id is not None:
            return ballot_id == self.ballot_id
        assert self.code is not None
        if not ballot_id.startswith(self.prefix):
            return False
        try:
            return b64u_decode(ballot_id, length=32, what="receipt id")[:CODE_BYTES] == self.code
        except FormatError:
            return False


def parse_receipt(text: str) -> ReceiptQuery:
    """A full receipt id (43 base64url characters, case and ``-``/``_`` exact) or a short
    code (forgiving); raise :class:`FormatError` for anything else."""
    if not isinstance(text, str):
        raise FormatError("a receipt is text")
    t = text.strip()
    if _RECEIPT_ID.match(t):
        b64u_decode(t, length=32, what="receipt id")
        return ReceiptQuery(ballot_id=t)
    if len(t) > 40:
        raise FormatError(f"a receipt is a 43-character id or an 8-character code like {EXAMPLE}; this has {len(t)} characters")
    return ReceiptQuery(code=decode_code(t))
