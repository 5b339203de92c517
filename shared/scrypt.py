"""scrypt (RFC 7914) with r = 8, p = 1 and a 32-byte key: what seals a reviewer's card
(:mod:`shared.credential`) and hashes a kiosk's staff PIN (``kiosk.identity``).

libsodium's (PyNaCl) rather than OpenSSL's: the same function — the known answers of
RFC 7914 and a cross-check against ``cryptography`` in tests/shared/test_scrypt.py — about
1.4 times faster here (2^10: 1.8 against 2.6 ms; 2^15: 78 against 112 ms). That is a
kiosk opening a card sooner and an organiser sealing the KINTEX 8,866 cards in 16.6 CPU-s
instead of 21.5;
a guesser's cost is whatever the fastest code on their hardware takes, so it lowers nothing.
"""

from __future__ import annotations

from nacl.bindings import crypto_pwhash_scryptsalsa208sha256_ll

R, P, KEY_BYTES = 8, 1, 32
#: The costs this function takes: 2^1 (RFC 7914's smallest) to 2^20 (a card's largest, 1 GiB).
MIN_LOGN, MAX_LOGN = 1, 20


def scrypt(secret: bytes, salt: bytes, logn: int) -> bytes:
    """The 32-byte scrypt(secret, salt, N = 2^logn, r = 8, p = 1)."""
    if isinstance(logn, bool) or not isinstance(logn, int) or not MIN_LOGN <= logn <= MAX_LOGN:
        raise ValueError(f"scrypt cost logn must be {MIN_LOGN}..{MAX_LOGN}, got {logn!r}")
    n = 1 << logn
    # libsodium's own bound on the memory it may take: exactly what N and r need (V and B)
    need = 128 * R * (n + 2) + 128 * R * P
    return crypto_pwhash_scryptsalsa208sha256_ll(secret, salt, n, R, P, KEY_BYTES, maxmem=need)
