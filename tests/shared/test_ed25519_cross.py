"""libsodium (PyNaCl, behind shared.keys) and OpenSSL (cryptography) against each other:
each verifies the other's signatures, both pass the RFC 8032 vectors, and on malleable,
small-order and non-canonical cases the wrapper rejects whatever either library rejects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from shared.keys import SigningKey, signature_ok

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "ed25519.json").read_text("ascii"))["vectors"]
L = 2**252 + 27742317777372353535851937790883648493
P = 2**255 - 19


def le(n: int) -> bytes:
    return n.to_bytes(32, "little")


def openssl_ok(public: bytes, message: bytes, sig: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(sig, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def sodium_ok(public: bytes, message: bytes, sig: bytes) -> bool:
    try:
        crypto_sign_open(sig + message, public)
    except (BadSignatureError, ValueError):
        return False
    return True


def openssl_sign(seed: bytes, message: bytes) -> tuple[bytes, bytes]:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw), key.sign(message)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: str(v["name"]))
def test_both_libraries_pass_rfc8032(vector: dict[str, str]) -> None:
    seed, public = bytes.fromhex(vector["secret_key"]), bytes.fromhex(vector["public_key"])
    message, sig = bytes.fromhex(vector["message"]), bytes.fromhex(vector["signature"])
    assert openssl_sign(seed, message) == (public, sig)
    key = SigningKey(seed)
    assert (key.public, key.sign(message)) == (public, sig)
    assert openssl_ok(public, message, sig) and sodium_ok(public, message, sig) and signature_ok(public, message, sig)


@settings(max_examples=60, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=600))
def test_each_library_verifies_the_others_signatures(seed: bytes, message: bytes) -> None:
    public, ossl_sig = openssl_sign(seed, message)
    key = SigningKey(seed)
    assert key.public == public
    sodium_sig = key.sign(message)
    assert sodium_sig == ossl_sig  # Ed25519 is deterministic: the same bytes
    assert sodium_ok(public, message, ossl_sig) and signature_ok(public, message, ossl_sig)
    assert openssl_ok(public, message, sodium_sig)
    tampered = message + b"x"
    assert not openssl_ok(public, tampered, sodium_sig) and not signature_ok(public, tampered, sodium_sig)


def _cases() -> dict[str, tuple[bytes, bytes, bytes]]:
    seed = bytes(range(32))
    public, sig = openssl_sign(seed, b"simsa")
    s = int.from_bytes(sig[32:], "little")
    identity, zero = le(1), le(0)
    return {
        "valid": (public, b"simsa", sig),
        "S + L (malleated)": (public, b"simsa", sig[:32] + le(s + L)),
        "S = L": (public, b"simsa", sig[:32] + le(L)),
        "S = 2^256 - 1": (public, b"simsa", sig[:32] + b"\xff" * 32),
        "flipped bit in R": (public, b"simsa", bytes([sig[0] ^ 1]) + sig[1:]),
        "identity key, R = identity, S = 0 (any message)": (identity, b"anything", identity + zero),
        "identity key, non-canonical y = p + 1": (le(P + 1), b"anything", identity + zero),
        "identity key, sign bit set on x = 0": (le(1 | 1 << 255), b"anything", identity + zero),
        "order-2 key (y = p - 1)": (le(P - 1), b"anything", identity + zero),
        "order-4 key (y = 0)": (zero, b"anything", identity + zero),
        "non-canonical R (identity as p + 1)": (identity, b"anything", le(P + 1) + zero),
        "order-2 R": (identity, b"anything", le(P - 1) + zero),
        "key not on the curve (y = 2)": (le(2), b"simsa", sig),
        "short key": (public[:31], b"simsa", sig),
        "short signature": (public, b"simsa", sig[:63]),
    }


#: Where the two libraries differ: OpenSSL accepts a small-order public key — the
#: identity, for which S = 0 verifies any message, and its non-canonical encodings; the
#: order-2 point whenever the message's hash is even (as it is for b"anything") — and
#: libsodium rejects every small-order key.
DIFFER = {
    "order-2 key (y = p - 1)",
    "identity key, R = identity, S = 0 (any message)",
    "identity key, non-canonical y = p + 1",
    "identity key, sign bit set on x = 0",
}


@pytest.mark.parametrize("name", list(_cases()))
def test_wrapper_rejects_what_either_library_rejects(name: str) -> None:
    public, message, sig = _cases()[name]
    ossl = openssl_ok(public, message, sig) if len(public) == 32 and len(sig) == 64 else False
    sodium = sodium_ok(public, message, sig) if len(public) == 32 and len(sig) == 64 else False
    assert signature_ok(public, message, sig) == (ossl and sodium)
    assert signature_ok(public, message, sig) == (name == "valid")
    assert (ossl != sodium) == (name in DIFFER)  # the documented differences, and only those
