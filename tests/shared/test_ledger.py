"""shared.ledger: entries, signed statements and signed tree heads (DESIGN §4)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from shared.encoding import b64u, b64u_decode, jcs
from shared.errors import FormatError, VerificationError
from shared.keys import verify
from shared.ledger import (
    ENTRY_TYPES,
    STATEMENT_TYPES,
    ballot_entry,
    check_ballot_entry,
    check_statement_body,
    entry_leaf_hash,
    manifest_entry,
    rejected_entry,
    sign_sth,
    statement,
    statement_entry,
    sth_body,
    verify_statement_entry,
    verify_sth,
)
from shared.merkle import root_from_leaf_hashes
from tests.support import tiny

SB = tiny.signed(tiny.rubric())


def test_entry_shapes_are_the_normative_ones() -> None:
    m = manifest_entry(tiny.signed_manifest(), tiny.at(0))
    assert set(m) == {"type", "received_at", "signed_manifest"} and m["type"] == "manifest"
    b = ballot_entry(SB, tiny.at(1), "k1", 1)
    assert b == {"type": "ballot", "received_at": tiny.at(1), "signed_ballot": SB, "kiosk": "k1", "seq": 1}
    online = ballot_entry(SB, tiny.at(1), None, None)
    assert online["kiosk"] is None and online["seq"] is None
    r = rejected_entry(SB, tiny.at(1), "k1", 2, "bad_scores")
    assert r == {**b, "type": "rejected", "seq": 2, "code": "bad_scores"}
    assert set(STATEMENT_TYPES) | {"manifest", "ballot", "rejected"} == set(ENTRY_TYPES)


def test_leaf_hash_is_rfc9162_over_jcs() -> None:
    e = ballot_entry(SB, tiny.at(1), "k1", 1)
    assert entry_leaf_hash(e) == hashlib.sha256(b"\x00" + jcs(e)).digest()
    reordered = dict(reversed(list(e.items())))
    assert entry_leaf_hash(reordered) == entry_leaf_hash(e)


def test_statement_entry_signs_jcs_of_the_statement() -> None:
    body = statement("revocation", "t1", "ana", reviewer="rep4", reason="lost card")
    assert body == {
        "type": "revocation",
        "event": "t1",
        "reviewer": "rep4",
        "reason": "lost card",
        "staff": "ana",
    }
    e = statement_entry(body, "staff", "ana", tiny.STAFF_KEY, tiny.at(5))
    assert set(e) == {"type", "received_at", "statement", "signer", "sig"}
    assert e["signer"] == {"role": "staff", "id": "ana", "key": tiny.STAFF_KEY.public_b64u}
    verify(tiny.STAFF_KEY.public, jcs(body), b64u_decode(e["sig"]))
    got = verify_statement_entry(e, event="t1", authority_key=tiny.AUTHORITY.public_b64u)
    assert (got.type, got.signer_role, got.signer_id, got.body) == ("revocation", "staff", "ana", body)


def test_authority_statement() -> None:
    body = statement("revocation", "t1", reviewer="rep4")
    assert "staff" not in body
    e = statement_entry(body, "authority", None, tiny.AUTHORITY, tiny.at(5))
    got = verify_statement_entry(e, event="t1", authority_key=tiny.AUTHORITY.public_b64u)
    assert got.signer_role == "authority" and got.signer_key == tiny.AUTHORITY.public_b64u


def test_statement_entry_refuses_other_types() -> None:
    with pytest.raises(FormatError, match="not a statement type"):
        statement_entry({"type": "ballot"}, "staff", "ana", tiny.STAFF_KEY, tiny.at(5))


#: (name, statement body, message) — check_statement_body must refuse each.
BAD_BODIES: list[tuple[str, Any, str]] = [
    ("not an object", [], "statement must be a JSON object"),
    ("unknown type", {"type": "note", "event": "t1"}, "statement type must be one of"),
    ("no event", {"type": "close", "results_hash": "x"}, "close statement event must be a string"),
    ("kiosk without key", {"type": "kiosk", "event": "t1", "kiosk": "k1"}, "a kiosk statement needs key"),
    (
        "kiosk key short",
        {"type": "kiosk", "event": "t1", "kiosk": "k1", "key": "AAAA"},
        "kiosk statement key must be 32 bytes",
    ),
    (
        "kiosk id empty",
        {"type": "kiosk", "event": "t1", "kiosk": "", "key": tiny.KIOSK_KEY.public_b64u},
        "kiosk statement kiosk must not be empty",
    ),
    (
        "revocation reviewer number",
        {"type": "revocation", "event": "t1", "reviewer": 1},
        "revocation statement reviewer has the wrong type",
    ),
    (
        "resolution without ballot",
        {"type": "resolution", "event": "t1", "reviewer": "r", "target": "g"},
        "a resolution statement needs ballot",
    ),
    (
        "kiosk-close closure a string",
        {"type": "kiosk-close", "event": "t1", "kiosk": "k1", "closure": "x"},
        "kiosk-close statement closure has the wrong type",
    ),
    ("close without results_hash", {"type": "close", "event": "t1"}, "a close statement needs results_hash"),
    (
        "staff a number",
        {"type": "close", "event": "t1", "results_hash": "x", "staff": 3},
        "close statement staff must be a string",
    ),
    (
        "at in local time",
        {"type": "close", "event": "t1", "results_hash": "x", "at": "18:00"},
        "close statement at must be an RFC 3339",
    ),
    (
        "reason too long",
        {"type": "revocation", "event": "t1", "reviewer": "r", "reason": "x" * 501},
        "reason is longer than 500",
    ),
]


@pytest.mark.parametrize(("name", "body", "message"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_statement_body(name: str, body: Any, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        check_statement_body(body)


def test_statement_builder_checks_too() -> None:
    with pytest.raises(FormatError, match="needs reviewer"):
        statement("revocation", "t1", "ana")


def _good_statement() -> dict[str, Any]:
    return statement_entry(
        statement("kiosk", "t1", "ana", kiosk="k1", key=tiny.KIOSK_KEY.public_b64u),
        "staff",
        "ana",
        tiny.STAFF_KEY,
        tiny.at(1),
    )


BAD_STATEMENT_ENTRIES: list[tuple[str, Callable[[dict[str, Any]], object], type[Exception], str]] = [
    ("missing sig", lambda e: e.pop("sig"), FormatError, "statement entry is missing sig"),
    ("extra field", lambda e: e.update(index=1), FormatError, "unexpected field"),
    ("type mismatch", lambda e: e.update(type="revocation"), FormatError, "does not match its entry"),
    ("other event", lambda e: e["statement"].update(event="t2"), FormatError, "for event 't2'"),
    ("signer without key", lambda e: e["signer"].pop("key"), FormatError, "signer is missing key"),
    (
        "signer key not a key",
        lambda e: e["signer"].update(key="AAAA"),
        FormatError,
        "signer key must be 32 bytes",
    ),
    ("staff id null", lambda e: e["signer"].update(id=None), FormatError, "staff id must be a string"),
    ("signed as another staff", lambda e: e["signer"].update(id="bob"), FormatError, "another staff member"),
    (
        "authority role with a staff key",
        lambda e: e["signer"].update(role="authority"),
        FormatError,
        "not the authority",
    ),
    (
        "statement changed",
        lambda e: e["statement"].update(kiosk="k2"),
        VerificationError,
        "kiosk statement signature does not verify",
    ),
    (
        "signed by another key",
        lambda e: e["signer"].update(key=tiny.key("x").public_b64u),
        VerificationError,
        "does not verify",
    ),
    ("sig not base64url", lambda e: e.update(sig="!"), VerificationError, "base64url"),
]


@pytest.mark.parametrize(
    ("name", "edit", "error", "message"), BAD_STATEMENT_ENTRIES, ids=[b[0] for b in BAD_STATEMENT_ENTRIES]
)
def test_bad_statement_entry(
    name: str, edit: Callable[[dict[str, Any]], object], error: type[Exception], message: str
) -> None:
    e = _good_statement()
    edit(e)
    with pytest.raises(error, match=message):
        verify_statement_entry(e, event="t1", authority_key=tiny.AUTHORITY.public_b64u)


BAD_BALLOT_ENTRIES: list[tuple[str, Any, str]] = [
    ("not an object", 1, "ballot entry must be a JSON object"),
    ("type close", {**ballot_entry(SB, tiny.at(1), "k1", 1), "type": "close"}, "entry type must be one of"),
    (
        "rejected without code",
        {**ballot_entry(SB, tiny.at(1), "k1", 1), "type": "rejected"},
        "rejected entry is missing code",
    ),
    (
        "ballot with code",
        {**ballot_entry(SB, tiny.at(1), "k1", 1), "code": "bad_scores"},
        "unexpected field.*code",
    ),
    ("kiosk seq text", ballot_entry(SB, tiny.at(1), "k1", "1"), "seq must be a whole number"),  # type: ignore[arg-type]
    ("online with seq", ballot_entry(SB, tiny.at(1), None, 4), "kiosk null and seq null"),
    (
        "online rejected",
        {**ballot_entry(SB, tiny.at(1), None, None), "type": "rejected", "code": "bad_scores"},
        "never rejected",
    ),
    (
        "batch code in a rejected entry",
        rejected_entry(SB, tiny.at(1), "k1", 1, "chain_gap"),
        "rejected entry code must be one of",
    ),
    ("received_at in millis", ballot_entry(SB, 1487844900000, "k1", 1), "received_at must be an RFC 3339"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(
    ("name", "entry", "message"), BAD_BALLOT_ENTRIES, ids=[b[0] for b in BAD_BALLOT_ENTRIES]
)
def test_bad_ballot_entry(name: str, entry: Any, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        check_ballot_entry(entry)


# --- STH -------------------------------------------------------------------------------------

ROOT = root_from_leaf_hashes([entry_leaf_hash(e) for e in tiny.ledger_entries()])


def test_sth_sign_and_verify() -> None:
    sth = sign_sth("t1", 10, ROOT, 1487844900000, tiny.LEDGER)
    assert set(sth) == {"event", "tree_size", "root_hash", "timestamp", "sig"}
    assert sth["root_hash"] == b64u(ROOT)
    body = {k: v for k, v in sth.items() if k != "sig"}
    assert body == sth_body("t1", 10, ROOT, 1487844900000)
    verify(tiny.LEDGER.public, jcs(body), b64u_decode(sth["sig"]))
    head = verify_sth(sth, tiny.LEDGER.public_b64u, event="t1")
    assert (head.tree_size, head.root_hash, head.timestamp) == (10, ROOT, 1487844900000)
    assert head.to_json() == sth


def test_empty_tree_sth() -> None:
    sth = sign_sth("t1", 0, hashlib.sha256(b"").digest(), 0, tiny.LEDGER)
    assert verify_sth(sth, tiny.LEDGER.public_b64u).tree_size == 0


BAD_STHS: list[tuple[str, Callable[[dict[str, Any]], object], type[Exception], str]] = [
    ("size changed", lambda h: h.update(tree_size=11), VerificationError, "STH signature does not verify"),
    (
        "root changed",
        lambda h: h.update(root_hash=b64u(bytes(32))),
        VerificationError,
        "STH signature does not verify",
    ),
    (
        "timestamp changed",
        lambda h: h.update(timestamp=h["timestamp"] + 1),
        VerificationError,
        "does not verify",
    ),
    (
        "signed by the authority",
        lambda h: h.update(sig=tiny.AUTHORITY.sign_b64u(jcs({k: v for k, v in h.items() if k != "sig"}))),
        VerificationError,
        "does not verify",
    ),
    ("missing sig", lambda h: h.pop("sig"), FormatError, "STH is missing sig"),
    ("extra field", lambda h: h.update(v=1), FormatError, "STH has unexpected"),
    ("size negative", lambda h: h.update(tree_size=-1), FormatError, "tree_size must be at least 0"),
    ("size as text", lambda h: h.update(tree_size="10"), FormatError, "tree_size must be a whole number"),
    (
        "timestamp as RFC 3339",
        lambda h: h.update(timestamp="2017-02-23T10:15:00Z"),
        FormatError,
        "timestamp must be a whole number",
    ),
    (
        "timestamp fractional",
        lambda h: h.update(timestamp=1.5),
        FormatError,
        "timestamp must be a whole number",
    ),
    ("root hash hex", lambda h: h.update(root_hash=ROOT.hex()), FormatError, "root_hash must be 32 bytes"),
    ("other event", lambda h: h.update(event="t2"), FormatError, "for event 't2'"),
]


@pytest.mark.parametrize(("name", "edit", "error", "message"), BAD_STHS, ids=[b[0] for b in BAD_STHS])
def test_bad_sth(
    name: str, edit: Callable[[dict[str, Any]], object], error: type[Exception], message: str
) -> None:
    sth = sign_sth("t1", 10, ROOT, 1487844900000, tiny.LEDGER)
    edit(sth)
    with pytest.raises(error, match=message):
        verify_sth(sth, tiny.LEDGER.public_b64u, event="t1")


def test_sth_from_another_ledger_key() -> None:
    sth = sign_sth("t1", 10, ROOT, 1487844900000, tiny.key("rogue"))
    with pytest.raises(VerificationError):
        verify_sth(sth, tiny.LEDGER.public_b64u)
