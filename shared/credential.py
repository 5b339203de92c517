"""The SIMSA1 reviewer credential: the text of the QR code (DESIGN §4, normative).

``SIMSA1.<event>.<reviewer>.<logn>.<salt>.<nonce>.<box>`` where ``box`` is AES-256-GCM of
the reviewer's Ed25519 seed under scrypt(PIN), with ``<event>.<reviewer>`` as associated
data. A photo of the card without its PIN cannot sign.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .encoding import b64u, b64u_decode
from .errors import CredentialFormatError, CredentialMismatch, WeakCredential, WrongPin
from .keys import SEED_BYTES, SigningKey
from .scrypt import scrypt

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "SIMSA1"
SALT_BYTES = 16
NONCE_BYTES = 12
BOX_BYTES = SEED_BYTES + 16
#: scrypt cost bounds a parser accepts (2^10 for demos up to 2^20).
MIN_LOGN, MAX_LOGN = 10, 20
#: Event and reviewer ids: short, and free of the separator. Anchored with ``\A``/``\Z``
#: (not ``^``/``$``, which let a trailing newline through ``re.match``).
ID_RE = re.compile(r"\A[A-Za-z0-9_-]{1,64}\Z")
#: Event and reviewer ids together at most this long keep the card within QR version 8 at
#: error correction M (DESIGN §4); measured: 36 characters fit, 37 do not.
MAX_ID_CHARS = 36
PIN_RE = re.compile(r"\A[0-9]{4,12}\Z")


@dataclass(frozen=True)
class Credential:
    """A parsed, still sealed credential."""

    event: str
    reviewer: str
    logn: int
    salt: bytes
    nonce: bytes
    box: bytes

    @property
    def aad(self) -> bytes:
        return f"{self.event}.{self.reviewer}".encode()

    def to_text(self) -> str:
        """The exact QR text."""
        return ".".join(
            (
                PREFIX,
                self.event,
                self.reviewer,
                str(self.logn),
                b64u(self.salt),
                b64u(self.nonce),
                b64u(self.box),
            )
        )


def check_pin_format(pin: str) -> None:
    """A PIN is 4 to 12 ASCII digits."""
    if not isinstance(pin, str) or not PIN_RE.match(pin):
        raise CredentialFormatError("a PIN is 4 to 12 digits")


def _kdf(pin: str, salt: bytes, logn: int) -> bytes:
    return scrypt(pin.encode("utf-8"), salt, logn)


def _aead(key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def seal(
    *, event: str, reviewer: str, seed: bytes, pin: str, logn: int, salt: bytes, nonce: bytes
) -> Credential:
    """Seal ``seed`` under ``pin``. Salt and nonce are the caller's fresh random bytes."""
    for name, value in (("event", event), ("reviewer", reviewer)):
        if not ID_RE.match(value):
            raise CredentialFormatError(f"{name} id {value!r} must be 1-64 of A-Z a-z 0-9 _ -")
    if len(event) + len(reviewer) > MAX_ID_CHARS:
        raise CredentialFormatError(
            f"event and reviewer ids together are {len(event) + len(reviewer)} characters; at most "
            f"{MAX_ID_CHARS} keep the card's QR code within version 8"
        )
    check_pin_format(pin)
    if not MIN_LOGN <= logn <= MAX_LOGN:
        raise CredentialFormatError(f"scrypt cost logn must be {MIN_LOGN}..{MAX_LOGN}, got {logn}")
    if len(salt) != SALT_BYTES or len(nonce) != NONCE_BYTES or len(seed) != SEED_BYTES:
        raise CredentialFormatError("salt is 16 bytes, nonce 12 and seed 32")
    aad = f"{event}.{reviewer}".encode()
    box = _aead(_kdf(pin, salt, logn)).encrypt(nonce, seed, aad)
    return Credential(event, reviewer, logn, salt, nonce, box)


def parse(text: str) -> Credential:
    """Parse QR text into a :class:`Credential`; raise :class:`CredentialFormatError`."""
    if not isinstance(text, str):
        raise CredentialFormatError("a credential is text")
    text = text.strip()
    if len(text) > 400:
        raise CredentialFormatError("the text is too long to be a simsa credential")
    parts = text.split(".")
    if parts[0] != PREFIX:
        raise CredentialFormatError("not a simsa credential (it must start with SIMSA1.)")
    if len(parts) != 7:
        raise CredentialFormatError(f"a SIMSA1 credential has 7 dot-separated parts, got {len(parts)}")
    _, event, reviewer, logn_text, salt, nonce, box = parts
    for name, value in (("event", event), ("reviewer", reviewer)):
        if not ID_RE.match(value):
            raise CredentialFormatError(f"the {name} id {value!r} is not valid")
    if not re.fullmatch(r"[1-9][0-9]?", logn_text):
        raise CredentialFormatError(f"the scrypt cost {logn_text!r} is not a decimal number")
    logn = int(logn_text)
    if not MIN_LOGN <= logn <= MAX_LOGN:
        raise CredentialFormatError(f"the scrypt cost {logn} is outside {MIN_LOGN}..{MAX_LOGN}")
    try:
        return Credential(
            event,
            reviewer,
            logn,
            b64u_decode(salt, length=SALT_BYTES, what="salt"),
            b64u_decode(nonce, length=NONCE_BYTES, what="nonce"),
            b64u_decode(box, length=BOX_BYTES, what="box"),
        )
    except CredentialFormatError:
        raise
    except ValueError as exc:
        raise CredentialFormatError(f"credential: {exc}") from exc


def open_seed(cred: Credential, pin: str, *, min_logn: int = MIN_LOGN) -> bytes:
    """Open the credential with ``pin`` and return the 32-byte seed.

    Raises :class:`WeakCredential` below ``min_logn`` (checked before any work) and
    :class:`WrongPin` when the GCM tag fails.
    """
    if cred.logn < min_logn:
        raise WeakCredential(
            f"this card's scrypt cost 2^{cred.logn} is below the event's minimum 2^{min_logn}"
        )
    check_pin_format(pin)
    from cryptography.exceptions import InvalidTag

    try:
        return _aead(_kdf(pin, cred.salt, cred.logn)).decrypt(cred.nonce, cred.box, cred.aad)
    except InvalidTag as exc:
        raise WrongPin("the PIN does not open this card") from exc


def unlock(cred: Credential, pin: str, expected_public_b64u: str, *, min_logn: int) -> SigningKey:
    """Open the credential and check its key is the one the manifest holds."""
    key = SigningKey(open_seed(cred, pin, min_logn=min_logn))
    if key.public_b64u != expected_public_b64u:
        raise CredentialMismatch("the card opens, but to a key the event does not know")
    return key
