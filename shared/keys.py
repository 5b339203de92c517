"""Ed25519 keys (RFC 8032) through libsodium (PyNaCl): seeds in, signatures out.

Randomness is the caller's: a key is always made from a 32-byte seed it supplies.

:func:`signature_ok` is the one verification every hot path calls (the server's ingest,
the kiosk, the auditor's workers). libsodium was measured about twice as fast as
``cryptography``'s OpenSSL binding on the reference machine
(``python -m bench.ed25519``), and it is the stricter of the two: on every case of
``tests/shared/test_ed25519_cross.py`` where they differ, libsodium rejects what OpenSSL
accepts — small-order public keys (the identity point, which makes ``S = 0`` verify
for any message, its non-canonical encodings, the order-2 point for half of all
messages) — and there is no case where OpenSSL
rejects what libsodium accepts. Both reject ``S ≥ L`` and non-canonical ``R``. So
libsodium alone rejects what either library rejects; the test holds that union.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import BadSignatureError

from .encoding import b64u, b64u_decode, sha256
from .errors import FormatError, VerificationError

SEED_BYTES = 32
SIG_BYTES = 64


@dataclass(frozen=True, repr=False)
class SigningKey:
    """An Ed25519 private key made from its 32-byte seed."""

    seed: bytes

    def __post_init__(self) -> None:
        if len(self.seed) != SEED_BYTES:
            raise FormatError(f"an Ed25519 seed is {SEED_BYTES} bytes, got {len(self.seed)}")

    def __repr__(self) -> str:  # never print the seed
        return f"SigningKey(public={self.public_b64u})"

    @cached_property
    def _pair(self) -> tuple[bytes, bytes]:
        public, secret = crypto_sign_seed_keypair(self.seed)
        return public, secret

    @property
    def public(self) -> bytes:
        """Raw 32-byte public key."""
        return self._pair[0]

    @property
    def public_b64u(self) -> str:
        """Public key as unpadded base64url, as manifests carry it."""
        return b64u(self.public)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature of ``message``."""
        return crypto_sign(message, self._pair[1])[:SIG_BYTES]

    def sign_b64u(self, message: bytes) -> str:
        """Ed25519 signature of ``message`` as unpadded base64url."""
        return b64u(self.sign(message))


def public_key_from_b64u(text: str, *, what: str = "public key") -> bytes:
    """Decode and length-check a base64url Ed25519 public key."""
    return b64u_decode(text, length=32, what=what)


def fingerprint(public: bytes) -> str:
    """A short human-comparable fingerprint: first 8 bytes of SHA-256, as 4 groups of hex."""
    h = sha256(public)[:8].hex()
    return "-".join(h[i : i + 4] for i in range(0, 16, 4))


def signature_ok(public: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``public``'s Ed25519 signature of ``message`` (libsodium's
    strict check; see the module docstring). Never raises: a key or signature of the
    wrong length, a small-order or non-canonical key, ``S ≥ L`` — all are False."""
    if len(signature) != SIG_BYTES or len(public) != 32:
        return False
    try:
        crypto_sign_open(signature + message, public)
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


def verify(public: bytes, message: bytes, signature: bytes, *, what: str = "signature") -> None:
    """Check an Ed25519 signature; raise :class:`VerificationError` if it does not hold."""
    if len(signature) != SIG_BYTES:
        raise VerificationError(f"{what}: an Ed25519 signature is 64 bytes, got {len(signature)}")
    if not signature_ok(public, message, signature):
        raise VerificationError(f"{what} does not verify")


def verify_b64u(public_b64u: str, message: bytes, signature_b64u: str, *, what: str) -> None:
    """:func:`verify` with base64url key and signature; malformed text fails verification."""
    try:
        pub = public_key_from_b64u(public_b64u, what=f"{what} key")
        sig = b64u_decode(signature_b64u, what=f"{what} signature")
    except FormatError as exc:
        raise VerificationError(str(exc)) from exc
    verify(pub, message, sig, what=what)
