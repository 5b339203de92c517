"""Benchmark: Ed25519 verify and sign per second, by library, on one core.

    python -m bench.ed25519 [--seconds 3] [--rounds 3]

Measures, in one process and interleaved round by round (so load from other work hits
them alike): ``cryptography`` (OpenSSL; key object from bytes each time, and key object
kept), PyNaCl (libsodium; ``crypto_sign_open`` on signature + message) and
:func:`shared.keys.signature_ok`, the wrapper every hot path calls. Messages are
ballot-sized (430 bytes), 256 keys. Prints the best round of each and the ratios.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair

from shared.keys import SigningKey, signature_ok

Item = tuple[bytes, bytes, bytes]


def items(n: int = 256) -> list[Item]:
    out = []
    for k in range(n):
        key = SigningKey(bytes([k, 1]) * 16)
        msg = bytes([k]) * 430
        out.append((key.public, msg, key.sign(msg)))
    return out


def rate(fn: Callable[[list[Item]], None], data: list[Item], seconds: float) -> float:
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn(data)
        n += len(data)
    return n / (time.perf_counter() - t0)


def engines(data: list[Item]) -> dict[str, Callable[[list[Item]], None]]:
    objects = [(Ed25519PublicKey.from_public_bytes(p), m, s) for p, m, s in data]
    seeds = [bytes([k, 1]) * 16 for k in range(len(data))]
    ossl_keys = [Ed25519PrivateKey.from_private_bytes(s) for s in seeds]
    sodium_keys = [crypto_sign_seed_keypair(s)[1] for s in seeds]

    def ossl_bytes(d: list[Item]) -> None:
        for p, m, s in d:
            Ed25519PublicKey.from_public_bytes(p).verify(s, m)

    def ossl_obj(_: list[Item]) -> None:
        for k, m, s in objects:
            k.verify(s, m)

    def sodium(d: list[Item]) -> None:
        for p, m, s in d:
            crypto_sign_open(s + m, p)

    def wrapper(d: list[Item]) -> None:
        for p, m, s in d:
            assert signature_ok(p, m, s)

    def ossl_sign(d: list[Item]) -> None:
        for k, (_, m, _s) in zip(ossl_keys, d, strict=True):
            k.sign(m)

    def sodium_sign(d: list[Item]) -> None:
        for k, (_, m, _s) in zip(sodium_keys, d, strict=True):
            crypto_sign(m, k)

    return {
        "verify: cryptography (OpenSSL), key from bytes": ossl_bytes,
        "verify: cryptography (OpenSSL), key object kept": ossl_obj,
        "verify: PyNaCl (libsodium)": sodium,
        "verify: shared.keys.signature_ok (libsodium)": wrapper,
        "sign: cryptography (OpenSSL)": ossl_sign,
        "sign: PyNaCl (libsodium)": sodium_sign,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    data = items()
    fns = engines(data)
    best = dict.fromkeys(fns, 0.0)
    for _ in range(args.rounds):
        for name, fn in fns.items():
            best[name] = max(best[name], rate(fn, data, args.seconds))
    print(f"Ed25519 on one core, best of {args.rounds} interleaved rounds of {args.seconds:g} s; "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| operation | per second | × cryptography, key from bytes |")
    print("|---|---|---|")
    base = best["verify: cryptography (OpenSSL), key from bytes"]
    sign_base = best["sign: cryptography (OpenSSL)"]
    for name, r in best.items():
        ref = sign_base if name.startswith("sign") else base
        print(f"| {name} | {r:,.0f} | {r / ref:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
