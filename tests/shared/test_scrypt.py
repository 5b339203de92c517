"""shared.scrypt: RFC 7914's known answers, and the same keys as OpenSSL's scrypt (the
``cryptography`` package, kept as the oracle) for any secret, salt and cost."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.scrypt import MAX_LOGN, MIN_LOGN, scrypt


@pytest.mark.parametrize(
    ("logn", "first_32_bytes"),
    [
        (14, "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"),
        # the largest cost a card may name (1 GiB): the memory bound passed to libsodium holds
        (MAX_LOGN, "2101cb9b6a511aaeaddbbe09cf70f881ec568d574a2ffd4dabe5ee9820adaa47"),
    ],
)
def test_rfc_7914_known_answers(logn: int, first_32_bytes: str) -> None:
    # §12, the third and fourth vectors (r = 8, p = 1): the first 32 of their 64 bytes, which
    # are PBKDF2's first block and so the whole of a 32-byte key
    assert scrypt(b"pleaseletmein", b"SodiumChloride", logn) == bytes.fromhex(first_32_bytes)


@settings(max_examples=40, deadline=None)
@given(secret=st.binary(max_size=40), salt=st.binary(max_size=32), logn=st.integers(MIN_LOGN, 12))
def test_the_same_key_as_openssl(secret: bytes, salt: bytes, logn: int) -> None:
    oracle = Scrypt(salt=salt, length=32, n=1 << logn, r=8, p=1).derive(secret)
    assert scrypt(secret, salt, logn) == oracle


@pytest.mark.parametrize("logn", [0, -1, MAX_LOGN + 1, 64, True])
def test_a_cost_outside_its_bounds_is_refused(logn: int) -> None:
    with pytest.raises(ValueError, match="scrypt cost logn"):
        scrypt(b"1234", bytes(16), logn)
