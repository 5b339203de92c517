"""C2SP signed notes (c2sp.org/signed-note): text signed by one or more keys.

A note is its text (ending in a newline), a blank line, then signature lines
``— <key name> base64(key ID ‖ signature)``. A key is known to a verifier by its name,
its 4-byte key ID and its public key; signature lines from other keys are ignored.

Two Ed25519 signature types are used by simsa: ``0x01`` (plain note signatures, the ledger
signing its checkpoints) and ``0x04`` (timestamped tlog-cosignatures, the witnesses; see
:mod:`shared.checkpoint`). Key IDs are ``SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]``.
Verifier keys (*vkeys*) are ``<name>+<hex key ID>+<base64(type ‖ public key)>``.

Standard base64 (RFC 4648 §4, padded) throughout, as the spec asks — not simsa's base64url.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from .encoding import sha256
from .errors import FormatError, VerificationError
from .keys import SigningKey, verify

SIG_ED25519 = 0x01
SIG_COSIGNATURE = 0x04
#: Verifiers must accept at least 16 signatures; a note with more than this is refused.
MAX_SIGNATURES = 64
DASH = "\u2014"
_SPACE = re.compile(r"\s")


def b64(data: bytes) -> str:
    """Standard padded base64."""
    return base64.b64encode(data).decode("ascii")


def b64_decode(text: str, *, what: str) -> bytes:
    """Decode strict standard base64 or raise :class:`FormatError` naming ``what``."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise FormatError(f"{what} is not standard base64: {exc}") from exc


def check_key_name(name: str) -> str:
    """A key name is non-empty, without Unicode spaces or ``+``."""
    if not name or _SPACE.search(name) or "+" in name:
        raise FormatError(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


def key_id(name: str, sig_type: int, public: bytes) -> bytes:
    """``SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]``."""
    return sha256(check_key_name(name).encode("utf-8") + b"\n" + bytes([sig_type]) + public)[:4]


@dataclass(frozen=True)
class Verifier:
    """A known key: name, type (0x01 or 0x04) and the 32-byte Ed25519 public key."""

    name: str
    sig_type: int
    public: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.sig_type, self.public)

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{b64(bytes([self.sig_type]) + self.public)}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """Parse ``<name>+<hex id>+<base64(type ‖ key)>``; the ID must match the key."""
        parts = vkey.strip().split("+", 2)  # the base64 may hold '+'; name and ID never do
        if len(parts) != 3:
            raise FormatError(f"a verifier key is name+id+key, got {vkey!r}")
        name, hid, material = parts
        check_key_name(name)
        raw = b64_decode(material, what="verifier key material")
        if len(raw) != 33 or raw[0] not in (SIG_ED25519, SIG_COSIGNATURE):
            raise FormatError("verifier key material must be type 0x01 or 0x04 and a 32-byte Ed25519 key")
        v = cls(name, raw[0], raw[1:])
        if not re.fullmatch(r"[0-9a-f]{8}", hid) or bytes.fromhex(hid) != v.key_id:
            raise FormatError(f"verifier key {name}: key ID {hid!r} does not match its key")
        return v


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, key ID and the signature bytes after the ID."""

    name: str
    key_id: bytes
    sig: bytes

    def line(self) -> str:
        return f"{DASH} {self.name} {b64(self.key_id + self.sig)}\n"


@dataclass(frozen=True)
class Note:
    """A parsed note: its text (with the final newline) and its signature lines."""

    text: str
    signatures: tuple[Signature, ...]

    def render(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


def parse_signature_line(line: str) -> Signature:
    """Parse ``— name base64`` (without the newline)."""
    if not line.startswith(DASH + " "):
        raise FormatError(f"a signature line starts with '{DASH} ', got {line[:20]!r}")
    rest = line[2:].split(" ")
    if len(rest) != 2:
        raise FormatError("a signature line is '— <name> <base64>'")
    name, text = rest
    check_key_name(name)
    raw = b64_decode(text, what=f"signature of {name}")
    if len(raw) < 5:
        raise FormatError(f"signature of {name} is too short")
    return Signature(name, raw[:4], raw[4:])


def parse_signature_lines(text: str) -> tuple[Signature, ...]:
    """Parse a block of newline-terminated signature lines (a witness's answer)."""
    if not text.endswith("\n"):
        raise FormatError("signature lines must each end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise FormatError(f"more than {MAX_SIGNATURES} signatures")
    return tuple(parse_signature_line(ln) for ln in lines)


def parse_note(data: str | bytes) -> Note:
    """Split a note into text and signatures; raise :class:`FormatError` if malformed."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError("a note must be UTF-8") from exc
    if any(ord(c) < 0x20 and c != "\n" for c in data):
        raise FormatError("a note must not contain control characters other than newline")
    cut = data.rfind("\n\n")
    if cut < 0:
        raise FormatError("a note needs a blank line between its text and its signatures")
    text, sigs = data[: cut + 1], data[cut + 2 :]
    if not sigs:
        raise FormatError("a note needs at least one signature line")
    return Note(text, parse_signature_lines(sigs))


def sign_note(text: str, name: str, key: SigningKey) -> Note:
    """A note of ``text`` signed with Ed25519 (type 0x01) by ``key`` under ``name``."""
    if not text.endswith("\n"):
        raise FormatError("note text must end in a newline")
    kid = key_id(name, SIG_ED25519, key.public)
    return Note(text, (Signature(name, kid, key.sign(text.encode("utf-8"))),))


def matching(note: Note, v: Verifier) -> list[Signature]:
    """The signature lines whose name and key ID are those of ``v``."""
    kid = v.key_id
    return [s for s in note.signatures if s.name == v.name and s.key_id == kid]


def verify_note(note: Note, v: Verifier) -> None:
    """Check the note carries a valid type-0x01 signature by ``v``.

    Every line from the known key must verify (a bad one rejects the note, as the
    spec recommends); at least one must be present.
    """
    if v.sig_type != SIG_ED25519:
        raise VerificationError(f"key {v.name} is not a note signing key")
    found = matching(note, v)
    if not found:
        raise VerificationError(f"the note carries no signature by {v.name} ({v.key_id.hex()})")
    for s in found:
        verify(v.public, note.text.encode("utf-8"), s.sig, what=f"note signature by {v.name}")
