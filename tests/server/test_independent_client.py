"""A client written from DESIGN §4 alone — rfc8785, hashlib and cryptography, no simsa
code — submits ballots, gets receipts, recomputes the root from the entries and checks
the STH signature and every inclusion and consistency proof (RFC 9162 §2.1.3.2, §2.1.4.2)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from tests.server.conftest import Harness


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def h(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return h(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return h(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def inclusion_root(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    fn, sn, r = index, size - 1, leaf
    for p in path:
        assert sn != 0
        if fn & 1 or fn == sn:
            r = h(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = h(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    assert sn == 0
    return r


def consistent(first: int, second: int, r1: bytes, r2: bytes, proof: list[bytes]) -> bool:
    if first == second:
        return not proof and r1 == r2
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, r1)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = h(b"\x01" + c + fr), h(b"\x01" + c + sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = h(b"\x01" + sr + c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == r1 and sr == r2


def open_card(text: str, pin: str) -> bytes:
    """SIMSA1.<event>.<reviewer>.<logn>.<salt>.<nonce>.<box>: AES-256-GCM under scrypt(PIN)."""
    _, event, reviewer, logn, salt, nonce, box = text.split(".")
    key = Scrypt(salt=unb64u(salt), length=32, n=2 ** int(logn), r=8, p=1).derive(pin.encode())
    return AESGCM(key).decrypt(unb64u(nonce), unb64u(box), f"{event}.{reviewer}".encode())


def check_sth(sth: dict[str, Any], key: Ed25519PublicKey) -> None:
    body = {k: v for k, v in sth.items() if k != "sig"}
    key.verify(unb64u(sth["sig"]), rfc8785.dumps(body))  # raises if it does not hold


def test_a_client_from_the_document_alone(srv: Harness) -> None:
    c = srv.client
    signed_manifest = c.get("/api/v1/event").json()
    m = signed_manifest["manifest"]
    authority = Ed25519PublicKey.from_public_bytes(unb64u(m["authority_key"]))
    authority.verify(unb64u(signed_manifest["sig"]), rfc8785.dumps(m))
    ledger_key = Ed25519PublicKey.from_public_bytes(unb64u(c.get("/api/v1/ledger/key").json()["public_key"]))
    assert c.get("/api/v1/ledger/key").json()["public_key"] == m["ledger_key"]

    # a member likes three proposals of their group; the client signs with the member's key
    member = next(r for r in m["reviewers"] if r["role"] == "member")
    sk = Ed25519PrivateKey.from_private_bytes(open_card(srv.event.credentials[member["id"]], srv.event.pins[member["id"]]))
    group = m["assignments"][member["id"]][0]
    props = {p["id"]: p for p in m["proposals"]}
    choices = [p for p in next(g for g in m["groups"] if g["id"] == group)["proposals"] if props[p]["community"] != member["community"]][:3]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ballot = {"v": 1, "type": "ballot", "event": m["event"], "reviewer": member["id"], "channel": "online", "kiosk": None,
              "created_at": now, "nonce": str(uuid.uuid4()), "form": "approval", "group": group, "choices": choices}
    signed: dict[str, Any] = {"ballot": ballot, "sig": b64u(sk.sign(rfc8785.dumps(ballot)))}
    r = c.post("/api/v1/ballots", json=signed)
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["id"] == b64u(h(rfc8785.dumps(signed)))
    check_sth(receipt["sth"], ledger_key)
    assert c.post("/api/v1/ballots", json=signed).json() == receipt

    # bad ballots: each gets its code and the ledger does not move
    sth_before = c.get("/api/v1/ledger/sth").json()
    for spoil, code in [
        ({**signed, "sig": b64u(bytes(64))}, "bad_signature"),
        ({"ballot": {**ballot, "nonce": str(uuid.uuid4()), "choices": choices * 3}}, "malformed"),
    ]:
        r = c.post("/api/v1/ballots", json=spoil)
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["code"] == code
    again = {**ballot, "nonce": str(uuid.uuid4()), "choices": ["no-such-proposal"]}
    r = c.post("/api/v1/ballots", json={"ballot": again, "sig": b64u(sk.sign(rfc8785.dumps(again)))})
    assert r.json()["code"] == "bad_scores"
    assert c.get("/api/v1/ledger/sth").json() == sth_before

    # the whole ledger: root, STH, every inclusion and consistency proof
    sth = c.get("/api/v1/ledger/sth").json()
    check_sth(sth, ledger_key)
    n = sth["tree_size"]
    entries = c.get(f"/api/v1/ledger/entries?start=0&end={n}").json()["entries"]
    assert [e["index"] for e in entries] == list(range(n))
    assert entries[0]["entry"]["signed_manifest"] == signed_manifest
    assert entries[receipt["index"]]["entry"]["signed_ballot"] == signed
    leaves = [h(b"\x00" + rfc8785.dumps(e["entry"])) for e in entries]
    assert b64u(mth(leaves)) == sth["root_hash"]
    for i in range(n):
        p = c.get(f"/api/v1/ledger/proof/inclusion?index={i}&tree_size={n}").json()
        assert inclusion_root(i, n, leaves[i], [unb64u(x) for x in p["audit_path"]]) == unb64u(sth["root_hash"])
    for first in range(1, n + 1):
        proof = [unb64u(x) for x in c.get(f"/api/v1/ledger/proof/consistency?first={first}&second={n}").json()["consistency"]]
        assert consistent(first, n, mth(leaves[:first]), mth(leaves), proof)
