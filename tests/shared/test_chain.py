"""shared.chain: kiosk records, signed heads, batches, classify and closures (DESIGN §4–§5)."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from shared.chain import (
    GENESIS,
    Batch,
    ChainState,
    check_record_shape,
    classify,
    closure_body,
    head_body,
    make_batch,
    make_record,
    record_hash,
    sign_closure,
    sign_head,
    verify_chain,
    verify_closure,
)
from shared.encoding import b64u, b64u_decode, jcs
from shared.errors import FormatError, Rejection, VerificationError
from shared.keys import verify
from tests.support import tiny

KEY = tiny.KIOSK_KEY
K = tiny.KIOSK


def chain(n: int, start_prev: str = GENESIS) -> list[dict[str, Any]]:
    """n records of rep1/exp1 ballots, linked from ``start_prev``."""
    out: list[dict[str, Any]] = []
    prev = start_prev
    for i in range(1, n + 1):
        b = tiny.rubric(reviewer="exp1", proposal=f"p{(i - 1) % 5 + 1}", n=100 + i)
        r = make_record(i, prev, tiny.signed(b))
        out.append(r)
        prev = record_hash(r)
    return out


RECORDS = chain(4)


def test_genesis_is_32_zero_bytes() -> None:
    assert b64u_decode(GENESIS) == bytes(32)
    assert GENESIS == "A" * 43


def test_record_hash_is_sha256_of_jcs() -> None:
    r = RECORDS[0]
    assert set(r) == {"seq", "prev", "signed_ballot"}
    assert r["seq"] == 1 and r["prev"] == GENESIS
    assert record_hash(r) == b64u(hashlib.sha256(jcs(r)).digest())
    assert RECORDS[1]["prev"] == record_hash(RECORDS[0])


def test_verify_chain() -> None:
    verify_chain(RECORDS)
    verify_chain([])
    with pytest.raises(FormatError, match="expected seq 1, found 2"):
        verify_chain(RECORDS[1:])
    bad = copy.deepcopy(RECORDS)
    bad[1]["signed_ballot"]["ballot"]["scores"]["a"] = 1  # changes h(2), so record 3 no longer links
    with pytest.raises(FormatError, match="record 3 does not link to record 2"):
        verify_chain(bad)


# --- heads and batches ------------------------------------------------------------------------


def test_head_signature_is_over_jcs_without_sig() -> None:
    head = sign_head(K, 4, record_hash(RECORDS[3]), KEY)
    assert set(head) == {"kiosk", "seq", "hash", "sig"}
    verify(KEY.public, jcs(head_body(K, 4, head["hash"])), b64u_decode(head["sig"]))
    body = {k: v for k, v in head.items() if k != "sig"}
    assert jcs(body) == jcs(head_body(K, 4, head["hash"]))


def test_batch_round_trip_and_head_verifies() -> None:
    raw = make_batch(K, RECORDS[:3], KEY, 0, GENESIS)
    b = Batch.from_json(raw)
    assert b.head_seq == 3 and b.head["hash"] == record_hash(RECORDS[2])
    assert b.to_json() == raw
    b.verify_head(KEY.public_b64u)


def test_head_signed_by_another_key_fails() -> None:
    b = Batch.from_json(make_batch(K, RECORDS[:2], tiny.key("impostor"), 0, GENESIS))
    with pytest.raises(VerificationError, match="batch head signature does not verify"):
        b.verify_head(KEY.public_b64u)


def test_head_over_other_seq_fails() -> None:
    raw = make_batch(K, [], KEY, 2, record_hash(RECORDS[1]))
    raw["head"]["seq"] = 3
    with pytest.raises(VerificationError):
        Batch.from_json(raw).verify_head(KEY.public_b64u)


def test_empty_batch_carries_the_current_head() -> None:
    raw = make_batch(K, [], KEY, 2, record_hash(RECORDS[1]))
    b = Batch.from_json(raw)
    assert b.records == () and b.head_seq == 2
    b.verify_head(KEY.public_b64u)
    empty = Batch.from_json(make_batch(K, [], KEY, 0, GENESIS))
    assert empty.head_seq == 0


def test_batch_may_start_anywhere() -> None:
    """A batch is a window of the chain: it links internally; classify links it to the server's."""
    b = Batch.from_json(make_batch(K, RECORDS[2:4], KEY, 0, GENESIS))
    assert [r["seq"] for r in b.records] == [3, 4]


Edit = Callable[[dict[str, Any]], object]


def _good() -> dict[str, Any]:
    return make_batch(K, copy.deepcopy(RECORDS[:3]), KEY, 0, GENESIS)


def _signed_head(**changes: Any) -> Edit:
    """Change the head and sign it again, so only the shape problem remains."""

    def go(raw: dict[str, Any]) -> None:
        head = {**raw["head"], **changes}
        raw["head"] = sign_head(head["kiosk"], head["seq"], head["hash"], KEY)

    return go


#: (name, change of a good batch, message)
MALFORMED_BATCHES: list[tuple[str, Edit, str]] = [
    ("not an object", lambda b: b.clear(), "batch is missing"),
    ("no head", lambda b: b.pop("head"), "batch is missing head"),
    ("extra field", lambda b: b.update(count=3), "batch has unexpected field.*count"),
    ("kiosk empty", lambda b: b.update(kiosk=""), "batch kiosk must not be empty"),
    ("kiosk a number", lambda b: b.update(kiosk=1), "batch kiosk must be a string"),
    ("records an object", lambda b: b.update(records={}), "batch records must be a JSON array"),
    ("501 records", lambda b: b.update(records=[b["records"][0]] * 501), "batch records has more than 500"),
    ("record not an object", lambda b: b["records"].__setitem__(0, []), "record 0 must be a JSON object"),
    ("record without prev", lambda b: b["records"][0].pop("prev"), "record 0 is missing prev"),
    (
        "record with extra field",
        lambda b: b["records"][1].update(id="x"),
        "record 1 has unexpected field.*id",
    ),
    ("record seq 0", lambda b: b["records"][0].update(seq=0), "record 0 seq must be at least 1"),
    ("record seq text", lambda b: b["records"][0].update(seq="1"), "record 0 seq must be a whole number"),
    ("record seq true", lambda b: b["records"][0].update(seq=True), "record 0 seq must be a whole number"),
    (
        "prev of 31 bytes",
        lambda b: b["records"][0].update(prev=b64u(bytes(31))),
        "record 0 prev must be 32 bytes",
    ),
    ("prev in hex", lambda b: b["records"][0].update(prev="00" * 32), "record 0 prev must be 32 bytes"),
    (
        "signed_ballot a string",
        lambda b: b["records"][0].update(signed_ballot="x"),
        "record 0 signed_ballot must be a JSON object",
    ),
    ("seqs jump", lambda b: b["records"].pop(1), "records jump from seq 1 to 3"),
    ("seqs repeat", lambda b: b["records"].insert(1, b["records"][0]), "records jump from seq 1 to 1"),
    ("records swapped", lambda b: b["records"].reverse(), "records jump from seq 3 to 2"),
    (
        "prev does not link",
        lambda b: b["records"][1].update(prev=GENESIS),
        "record 2 does not link to record 1",
    ),
    (
        "a record changed after the next was made",
        lambda b: b["records"][0]["signed_ballot"].update(sig="x"),
        "record 2 does not link to record 1",
    ),
    ("head of another kiosk", lambda b: b["head"].update(kiosk="k2"), "the batch head names another kiosk"),
    ("head without sig", lambda b: b["head"].pop("sig"), "batch head is missing sig"),
    ("head with extra field", lambda b: b["head"].update(at=1), "batch head has unexpected field.*at"),
    ("head seq negative", lambda b: b["head"].update(seq=-1), "head seq must be at least 0"),
    ("head hash short", lambda b: b["head"].update(hash=b64u(bytes(8))), "head hash must be 32 bytes"),
    ("head sig short", lambda b: b["head"].update(sig=b64u(bytes(32))), "head sig must be 64 bytes"),
    (
        "head behind last record",
        _signed_head(seq=2),
        "the batch head does not name its last record",
    ),
    (
        "head hash not the last record's",
        _signed_head(hash=GENESIS),
        "the batch head does not name its last record",
    ),
]


@pytest.mark.parametrize(
    ("name", "edit", "message"), MALFORMED_BATCHES, ids=[n for n, _, _ in MALFORMED_BATCHES]
)
def test_malformed_batch(name: str, edit: Edit, message: str) -> None:
    raw = _good()
    edit(raw)
    with pytest.raises(FormatError, match=message):
        Batch.from_json(raw)


def test_batch_not_an_object() -> None:
    with pytest.raises(FormatError, match="batch must be a JSON object"):
        Batch.from_json([])


def test_record_shape_allows_any_signed_ballot_object() -> None:
    """A record with a bad ballot keeps its place in the chain; the rules judge it later."""
    r = make_record(1, GENESIS, {"ballot": "nonsense"})
    assert check_record_shape(r) == r


# --- classify ------------------------------------------------------------------------------


def _state(n: int) -> ChainState:
    return ChainState(n, record_hash(RECORDS[n - 1]) if n else GENESIS)


def _held(n: int) -> Callable[[int], str | None]:
    return lambda seq: record_hash(RECORDS[seq - 1]) if seq <= n else None


CLASSIFY: list[tuple[str, int, dict[str, Any], str]] = [
    ("first record on an empty chain", 0, RECORDS[0], "next"),
    ("the next record", 2, RECORDS[2], "next"),
    ("record already held", 2, RECORDS[1], "duplicate"),
    ("first record again", 3, RECORDS[0], "duplicate"),
    ("skips one", 1, RECORDS[2], "chain_gap"),
    ("far ahead", 0, RECORDS[3], "chain_gap"),
    (
        "other content at a held seq",
        2,
        make_record(2, RECORDS[1]["prev"], tiny.signed(tiny.rubric(n=999))),
        "chain_fork",
    ),
    (
        "held seq, other prev",
        2,
        make_record(1, record_hash(RECORDS[2]), RECORDS[0]["signed_ballot"]),
        "chain_fork",
    ),
    ("next seq, other prev", 2, make_record(3, GENESIS, RECORDS[2]["signed_ballot"]), "chain_fork"),
    ("next seq of a different history", 2, chain(3, start_prev=b64u(b"\x01" * 32))[2], "chain_fork"),
]


@pytest.mark.parametrize(("name", "synced", "record", "expected"), CLASSIFY, ids=[c[0] for c in CLASSIFY])
def test_classify(name: str, synced: int, record: dict[str, Any], expected: str) -> None:
    state = _state(synced)
    seen = _held(synced)(record["seq"])
    if expected in ("next", "duplicate"):
        assert classify(record, state, seen) == expected
    else:
        with pytest.raises(Rejection) as exc:
            classify(record, state, seen)
        assert exc.value.code == expected
        assert exc.value.detail


def test_classify_a_whole_resent_batch() -> None:
    """A batch re-sent after a lost answer: held records are duplicates, new ones extend."""
    state = _state(2)
    got = []
    for r in RECORDS:
        kind = classify(r, state, _held(state.synced_seq)(r["seq"]))
        got.append(kind)
        if kind == "next":
            state = ChainState(r["seq"], record_hash(r))
    assert got == ["duplicate", "duplicate", "next", "next"]
    assert state == _state(4)


# --- closure -------------------------------------------------------------------------------


def _closure(**kw: Any) -> dict[str, Any]:
    body = closure_body(K, 4, record_hash(RECORDS[3]), 5, 4, "2017-02-23T18:00:00Z")
    body.update(kw)
    return sign_closure(body, KEY)


def test_closure_sign_and_verify() -> None:
    c = _closure()
    assert c["type"] == "kiosk-closure"
    assert c["counts"] == {"credentials_opened": 5, "ballots_saved": 4}
    assert verify_closure(c, KEY.public_b64u) == c
    body = {k: v for k, v in c.items() if k != "sig"}
    verify(KEY.public, jcs(body), b64u_decode(c["sig"]))


BAD_CLOSURES: list[tuple[str, Callable[[dict[str, Any]], Any], type[Exception], str]] = [
    ("counts changed", lambda c: c["counts"].update(ballots_saved=5), VerificationError, "closure signature"),
    ("seq changed", lambda c: c.update(seq=3), VerificationError, "closure signature"),
    (
        "signed by another key",
        lambda c: c.update(sig=tiny.key("x").sign_b64u(jcs({k: v for k, v in c.items() if k != "sig"}))),
        VerificationError,
        "closure signature",
    ),
    ("wrong type", lambda c: c.update(type="closure"), FormatError, "type kiosk-closure"),
    ("missing counts", lambda c: c.pop("counts"), FormatError, "missing counts"),
    (
        "counts with an extra count",
        lambda c: c["counts"].update(pins_failed=1),
        FormatError,
        "closure counts has unexpected",
    ),
    ("extra field", lambda c: c.update(note="x"), FormatError, "unexpected field"),
    (
        "count as text",
        lambda c: c["counts"].update(ballots_saved="4"),
        FormatError,
        "closure ballots_saved must be a whole number",
    ),
    (
        "negative count",
        lambda c: c["counts"].update(credentials_opened=-1),
        FormatError,
        "closure credentials_opened must be at least 0",
    ),
    ("hash in hex", lambda c: c.update(hash="00" * 32), FormatError, "closure hash must be 32 bytes"),
    (
        "closed_at local",
        lambda c: c.update(closed_at="2017-02-23 18:00"),
        FormatError,
        "closure closed_at must be an RFC 3339",
    ),
    ("not an object", lambda c: c.clear(), FormatError, "missing"),
]


@pytest.mark.parametrize(("name", "edit", "error", "message"), BAD_CLOSURES, ids=[b[0] for b in BAD_CLOSURES])
def test_bad_closure(
    name: str, edit: Callable[[dict[str, Any]], Any], error: type[Exception], message: str
) -> None:
    c = _closure()
    edit(c)
    with pytest.raises(error, match=message):
        verify_closure(c, KEY.public_b64u)
