"""Ed25519 keys (RFC 8032) through ``cryptography``: seeds in, signatures out.

Randomness is the caller's: a key is always made from a 32-byte seed it supplies.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

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

    @property
    def _key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public(self) -> bytes:
        """Raw 32-byte public key."""
        return self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def public_b64u(self) -> str:
        """Public key as unpadded base64url, as manifests carry it."""
        return b64u(self.public)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature of ``message``."""
        return self._key.sign(message)

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


def verify(public: bytes, message: bytes, signature: bytes, *, what: str = "signature") -> None:
    """Check an Ed25519 signature; raise :class:`VerificationError` if it does not hold."""
    if len(signature) != SIG_BYTES:
        raise VerificationError(f"{what}: an Ed25519 signature is 64 bytes, got {len(signature)}")
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError) as exc:
        raise VerificationError(f"{what} does not verify") from exc


def verify_b64u(public_b64u: str, message: bytes, signature_b64u: str, *, what: str) -> None:
    """:func:`verify` with base64url key and signature; malformed text fails verification."""
    try:
        pub = public_key_from_b64u(public_b64u, what=f"{what} key")
        sig = b64u_decode(signature_b64u, what=f"{what} signature")
    except FormatError as exc:
        raise VerificationError(str(exc)) from exc
    verify(pub, message, sig, what=what)
