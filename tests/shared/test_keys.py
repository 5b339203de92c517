"""shared.keys: Ed25519 (RFC 8032) signing keys from seeds, verification that raises."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.encoding import b64u
from shared.errors import FormatError, VerificationError
from shared.keys import (
    SigningKey,
    fingerprint,
    public_key_from_b64u,
    verify,
    verify_b64u,
)

VECTORS: list[dict[str, str]] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "ed25519.json").read_text("ascii")
)["vectors"]
#: Order of the Ed25519 base point (RFC 8032 §5.1).
L = 2**252 + 27742317777372353535851937790883648493


def _raw(vector: dict[str, str]) -> tuple[bytes, bytes, bytes, bytes]:
    """Seed, public key, message and signature of a vector."""
    return (
        bytes.fromhex(vector["secret_key"]),
        bytes.fromhex(vector["public_key"]),
        bytes.fromhex(vector["message"]),
        bytes.fromhex(vector["signature"]),
    )


def _flip(data: bytes, index: int, bit: int = 0) -> bytes:
    out = bytearray(data)
    out[index] ^= 1 << bit
    return bytes(out)


def _ids(vector: dict[str, Any]) -> str:
    return str(vector["name"])


@pytest.mark.parametrize("vector", VECTORS, ids=_ids)
def test_rfc8032_vector(vector: dict[str, str]) -> None:
    seed, public, message, signature = _raw(vector)
    key = SigningKey(seed)
    assert key.public == public
    assert key.sign(message) == signature
    verify(public, message, signature)  # returns nothing; raises on failure


@pytest.mark.parametrize("vector", VECTORS, ids=_ids)
def test_tampered_message_fails(vector: dict[str, str]) -> None:
    _, public, message, signature = _raw(vector)
    tampered = [message + b"\x00", b"x" + message]
    if message:
        tampered += [message[:-1], _flip(message, 0), _flip(message, len(message) - 1, 7)]
    for other in tampered:
        with pytest.raises(VerificationError, match="does not verify"):
            verify(public, other, signature)


@pytest.mark.parametrize("vector", VECTORS, ids=_ids)
def test_tampered_signature_fails(vector: dict[str, str]) -> None:
    _, public, message, signature = _raw(vector)
    s = int.from_bytes(signature[32:], "little")
    assert s < L
    tampered = [
        _flip(signature, 0),  # R
        _flip(signature, 31, 6),
        _flip(signature, 32),  # S
        _flip(signature, 63, 3),
        signature[32:] + signature[:32],
        bytes(64),
        # S + L is the same scalar mod L: a malleable verifier would accept it.
        signature[:32] + (s + L).to_bytes(32, "little"),
    ]
    for sig in tampered:
        with pytest.raises(VerificationError, match="does not verify"):
            verify(public, message, sig)


@pytest.mark.parametrize("vector", VECTORS, ids=_ids)
def test_someone_elses_key_fails(vector: dict[str, str]) -> None:
    _, _, message, signature = _raw(vector)
    for other in VECTORS:
        if other is not vector:
            with pytest.raises(VerificationError):
                verify(bytes.fromhex(other["public_key"]), message, signature)


@pytest.mark.parametrize("length", [0, 32, 63, 65, 128])
def test_signature_of_wrong_length_fails(length: int) -> None:
    key = SigningKey(bytes(32))
    signature = (key.sign(b"m") * 2)[:length]
    with pytest.raises(VerificationError, match=f"64 bytes, got {length}"):
        verify(key.public, b"m", signature, what="ballot signature")


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_public_key_of_wrong_length_fails(length: int) -> None:
    key = SigningKey(bytes(32))
    with pytest.raises(VerificationError, match="ballot signature does not verify"):
        verify((key.public * 2)[:length], b"m", key.sign(b"m"), what="ballot signature")


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_seed_must_be_32_bytes(length: int) -> None:
    with pytest.raises(FormatError, match=f"32 bytes, got {length}"):
        SigningKey(bytes(length))


def test_repr_never_shows_the_seed() -> None:
    seed, public, _, _ = _raw(VECTORS[0])
    key = SigningKey(seed)
    text = repr(key) + str(key)
    assert seed.hex() not in text
    assert b64u(seed) not in text
    assert b64u(public) in text


def test_base64url_forms() -> None:
    seed, public, message, signature = _raw(VECTORS[2])
    key = SigningKey(seed)
    assert key.public_b64u == b64u(public)
    assert key.sign_b64u(message) == b64u(signature)
    assert public_key_from_b64u(key.public_b64u) == public
    with pytest.raises(FormatError, match="authority key must be 32 bytes"):
        public_key_from_b64u(b64u(public[:31]), what="authority key")
    with pytest.raises(FormatError, match="not unpadded base64url"):
        public_key_from_b64u(key.public_b64u + "=")


def test_verify_b64u() -> None:
    seed, _, message, _ = _raw(VECTORS[1])
    key = SigningKey(seed)
    sig = key.sign_b64u(message)
    verify_b64u(key.public_b64u, message, sig, what="ballot")
    bad = [
        (key.public_b64u, message + b"!", sig, "does not verify"),
        (key.public_b64u, message, sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1], "verify"),
        (key.public_b64u, message, sig + "==", "base64url"),  # malformed text fails verification
        (key.public_b64u, message, "!" * 86, "base64url"),
        (key.public_b64u + "=", message, sig, "base64url"),
        (key.public_b64u[:-1], message, sig, "ballot key"),
        (b64u(bytes(31)), message, sig, "32 bytes"),
    ]
    for pub, msg, s, words in bad:
        with pytest.raises(VerificationError, match=words):
            verify_b64u(pub, msg, s, what="ballot")


def test_fingerprint() -> None:
    _, public, _, _ = _raw(VECTORS[0])
    digest = hashlib.sha256(public).hexdigest()
    fp = fingerprint(public)
    assert re.fullmatch(r"[0-9a-f]{4}(-[0-9a-f]{4}){3}", fp)
    assert fp.replace("-", "") == digest[:16]
    assert fingerprint(bytes.fromhex(VECTORS[1]["public_key"])) != fp


@settings(max_examples=50)
@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=200))
def test_sign_then_verify(seed: bytes, message: bytes) -> None:
    key = SigningKey(seed)
    signature = key.sign(message)
    assert len(signature) == 64
    assert key.sign(message) == signature  # Ed25519 is deterministic
    verify(key.public, message, signature)
    with pytest.raises(VerificationError):
        verify(key.public, message + b"\x01", signature)
    if message:
        with pytest.raises(VerificationError):
            verify(key.public, _flip(message, len(message) // 2), signature)
