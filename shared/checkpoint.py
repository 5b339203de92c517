"""C2SP checkpoints (c2sp.org/tlog-checkpoint) and Ed25519 cosignatures
(c2sp.org/tlog-cosignature, ``cosignature/v1``).

A checkpoint is a signed note whose text is three lines: the log's *origin*, the tree
size in decimal and the base64 root hash. simsa's ledger signs every tree head it
publishes as such a note with the ledger key (type 0x01, key name = the origin). A
witness cosigns a checkpoint with a type 0x04 signature over::

    cosignature/v1
    time <POSIX seconds>
    <the checkpoint text>

and the signature bytes after the key ID are ``uint64 timestamp ‖ Ed25519 signature``.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from .encoding import b64u_decode
from .errors import FormatError, VerificationError
from .keys import SigningKey, verify
from .merkle import EMPTY_ROOT, HASH_BYTES
from .note import (
    SIG_COSIGNATURE,
    SIG_ED25519,
    Note,
    Signature,
    Verifier,
    b64,
    b64_decode,
    key_id,
    matching,
    parse_note,
    sign_note,
    verify_note,
)

_SIZE = re.compile(r"\A(0|[1-9][0-9]{0,19})\Z")
MAX_TIMESTAMP = 2**63 - 1


def default_origin(host: str, event: str) -> str:
    """simsa's origin for an event: ``<host>/simsa/<event>``."""
    return f"{host.rstrip('/')}/simsa/{event}"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each ending in newline."""
        lines = [self.origin, str(self.size), b64(self.root), *self.extensions]
        return "".join(f"{ln}\n" for ln in lines)


def parse_checkpoint_text(text: str, *, empty_root: bool = True) -> Checkpoint:
    """Parse a checkpoint's note text (not its signatures). With ``empty_root=False`` a
    size-0 checkpoint is not refused for its root (a witness answers that with 422)."""
    if not text.endswith("\n"):
        raise FormatError("checkpoint text must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not ln for ln in lines):
        raise FormatError("a checkpoint is at least three non-empty lines: origin, size, root hash")
    origin, size, root = lines[:3]
    if not _SIZE.match(size):
        raise FormatError(f"checkpoint tree size {size!r} is not a decimal without leading zeroes")
    h = b64_decode(root, what="checkpoint root hash")
    if len(h) != HASH_BYTES:
        raise FormatError(f"checkpoint root hash is {len(h)} bytes, not {HASH_BYTES}")
    if empty_root and int(size) == 0 and h != EMPTY_ROOT:
        raise FormatError("a checkpoint of size 0 must carry the empty tree's root")
    return Checkpoint(origin, int(size), h, tuple(lines[3:]))


def ledger_verifier(origin: str, ledger_key_b64u: str) -> Verifier:
    """The note verifier of a simsa ledger: its origin as key name, the manifest's ledger key."""
    return Verifier(origin, SIG_ED25519, b64u_decode(ledger_key_b64u, length=32, what="ledger key"))


def sign_checkpoint(cp: Checkpoint, key: SigningKey) -> Note:
    """The checkpoint as a note signed by the log key, named by the origin."""
    return sign_note(cp.text(), cp.origin, key)


def open_checkpoint(data: str | bytes, log: Verifier) -> tuple[Checkpoint, Note]:
    """Parse a checkpoint note and check the log's signature and that its origin is the key name."""
    note = parse_note(data)
    cp = parse_checkpoint_text(note.text)
    if cp.origin != log.name:
        raise VerificationError(f"the checkpoint's origin {cp.origin!r} is not the log {log.name!r}")
    verify_note(note, log)
    return cp, note


# --- cosignatures ---------------------------------------------------------------------


def cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def cosign(text: str, name: str, key: SigningKey, timestamp: int) -> Signature:
    """A witness's timestamped Ed25519 cosignature (type 0x04) of checkpoint ``text``."""
    if not 0 < timestamp <= MAX_TIMESTAMP:
        raise FormatError(f"a cosignature timestamp must be in 1..2^63-1, got {timestamp}")
    sig = key.sign(cosigned_message(text, timestamp))
    return Signature(name, key_id(name, SIG_COSIGNATURE, key.public), struct.pack(">Q", timestamp) + sig)


def verify_cosignature(text: str, s: Signature, v: Verifier) -> int:
    """Check one cosignature line from ``v``; return its timestamp."""
    if v.sig_type != SIG_COSIGNATURE:
        raise VerificationError(f"key {v.name} is not a cosignature key")
    if s.name != v.name or s.key_id != v.key_id:
        raise VerificationError(f"the signature is not from witness {v.name}")
    if len(s.sig) != 8 + 64:
        raise VerificationError(f"cosignature by {v.name} is {len(s.sig)} bytes, not 72")
    ts = int.from_bytes(s.sig[:8], "big")
    if ts > MAX_TIMESTAMP:
        raise VerificationError(f"cosignature by {v.name} has a timestamp beyond 2^63-1")
    verify(v.public, cosigned_message(text, ts), s.sig[8:], what=f"cosignature by {v.name}")
    return ts


def witness_verifier(name: str, key_b64u: str) -> Verifier:
    """A manifest witness ``{"name", "key"}`` as a cosignature verifier."""
    return Verifier(name, SIG_COSIGNATURE, b64u_decode(key_b64u, length=32, what=f"witness {name} key"))


def cosigners(note: Note, witnesses: Sequence[Verifier]) -> dict[str, int]:
    """The witnesses (by name) with a valid cosignature on ``note``, with its timestamp.

    Lines from unknown keys are ignored; a line from a known key that fails to verify
    raises :class:`VerificationError` (the note is malformed).
    """
    out: dict[str, int] = {}
    for v in witnesses:
        for s in matching(note, v):
            out[v.name] = verify_cosignature(note.text, s, v)
    return out


def require_cosigned(note: Note, witnesses: Sequence[Verifier], threshold: int) -> dict[str, int]:
    """Check at least ``threshold`` distinct witnesses cosigned ``note``; return who did."""
    got = cosigners(note, witnesses)
    if len(got) < threshold:
        have = ", ".join(sorted(got)) or "none"
        raise VerificationError(
            f"the tree head of size {parse_checkpoint_text(note.text).size} has {len(got)} of the "
            f"{threshold} witness cosignatures the manifest demands (cosigned by: {have})"
        )
    return got


def open_ledger_checkpoint(data: str | bytes, ledger_key_b64u: str) -> tuple[Checkpoint, Note]:
    """A simsa ledger's checkpoint: the origin is read from its first line, and the note must
    carry the ledger key's signature under that origin (the key alone identifies the ledger)."""
    note = parse_note(data)
    origin = parse_checkpoint_text(note.text).origin
    return open_checkpoint(data, ledger_verifier(origin, ledger_key_b64u))


@dataclass(frozen=True)
class Witnessed:
    """A checkpoint cosigned by at least the policy's threshold of its witnesses."""

    checkpoint: Checkpoint
    cosigners: dict[str, int]
    text: str


def check_witnessed(data: str | bytes, ledger_key_b64u: str, keys: Sequence[tuple[str, str]], threshold: int) -> Witnessed:
    """Verify a checkpoint's ledger signature and ``threshold`` cosignatures from ``keys``
    (``(name, b64u key)`` pairs, the manifest's witnesses); raise VerificationError/FormatError."""
    cp, note = open_ledger_checkpoint(data, ledger_key_b64u)
    got = require_cosigned(note, [witness_verifier(n, k) for n, k in keys], threshold)
    return Witnessed(cp, got, data if isinstance(data, str) else data.decode("utf-8"))
