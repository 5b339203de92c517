"""Kiosk chains, signed heads, batches and closures (DESIGN §4, normative).

A kiosk appends records ``{"seq": n, "prev": h(n-1), "signed_ballot": SB}``; ``h(n)`` is
SHA-256 of the record's JCS bytes, ``prev`` of record 1 is 32 zero bytes. A batch — a
sync request or a USB bundle — carries consecutive records and a head the kiosk signed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import schema as s
from . import wire
from .encoding import b64u, b64u_decode, jcs, sha256
from .errors import FormatError, Rejection
from .keys import SigningKey, verify_b64u
from .timefmt import parse_time

GENESIS = b64u(bytes(32))
_B64U_TEXT = re.compile(r"\A[A-Za-z0-9_-]*\Z")
_SAFE_INT = 2**53 - 1
MAX_BATCH_RECORDS = 500


def record_hash(record: dict[str, Any]) -> str:
    """b64u(SHA-256(JCS(record)))."""
    return b64u(sha256(jcs(record)))


def record_hash_of(seq: int, prev: str, signed_ballot_jcs: bytes) -> str:
    """``record_hash(make_record(seq, prev, sb))`` when ``JCS(sb)`` is already in hand: a
    record's keys sort prev < seq < signed_ballot, and JCS writes each member's value as
    that value's own JCS bytes."""
    if type(seq) is int and 0 <= seq <= _SAFE_INT and type(prev) is str and _B64U_TEXT.match(prev):
        # JCS of a base64url string is the string in quotes, of a safe integer its digits.
        head = b'{"prev":"' + prev.encode("ascii") + b'","seq":' + str(seq).encode("ascii")
    else:
        head = b'{"prev":' + jcs(prev) + b',"seq":' + jcs(seq)
    return b64u(sha256(head + b',"signed_ballot":' + signed_ballot_jcs + b"}"))


def make_record(seq: int, prev: str, signed_ballot: dict[str, Any]) -> dict[str, Any]:
    return {"seq": seq, "prev": prev, "signed_ballot": signed_ballot}


def check_record_shape(raw: Any, what: str = "record") -> dict[str, Any]:
    """A record has exactly seq ≥ 1, a 32-byte prev and a signed_ballot (any JSON object;
    the ballot itself is judged later, so a bad ballot still has its place in the chain)."""
    if wire.read_record(raw):
        return dict(raw)
    r = s.obj(raw, what)
    s.keys(r, what, {"seq", "prev", "signed_ballot"})
    s.integer(r["seq"], f"{what} seq", lo=1)
    b64u_decode(s.string(r["prev"], f"{what} prev"), length=32, what=f"{what} prev")
    s.obj(r["signed_ballot"], f"{what} signed_ballot")
    return dict(r)


def head_body(kiosk: str, seq: int, hash_: str) -> dict[str, Any]:
    return {"kiosk": kiosk, "seq": seq, "hash": hash_}


def sign_head(kiosk: str, seq: int, hash_: str, key: SigningKey) -> dict[str, Any]:
    """A signed head ``{"kiosk","seq","hash","sig"}``; seq 0 with the genesis hash is the empty chain."""
    body = head_body(kiosk, seq, hash_)
    return {**body, "sig": key.sign_b64u(jcs(body))}


@dataclass(frozen=True)
class Batch:
    kiosk: str
    records: tuple[dict[str, Any], ...]
    head: dict[str, Any]
    #: JCS of each record's signed ballot, computed once for the linkage check and kept for
    #: the receipt id and the signature check (the same bytes are never encoded twice).
    signed_jcs: tuple[bytes, ...] = field(repr=False, compare=False)
    #: h(n) of each record, b64u.
    hashes: tuple[str, ...] = field(repr=False, compare=False)

    @property
    def head_seq(self) -> int:
        return int(self.head["seq"])

    def to_json(self) -> dict[str, Any]:
        return {"kiosk": self.kiosk, "records": list(self.records), "head": self.head}

    @classmethod
    def from_json(cls, raw: Any, *, max_records: int = MAX_BATCH_RECORDS) -> Batch:
        """Check shape and internal linkage: consecutive seqs, each ``prev`` the hash of the
        record before, the head naming the last record. Raise :class:`FormatError`."""
        if wire.read_batch(raw, max_records) is not None:  # the compiled reader accepts
            kiosk, head, seq = raw["kiosk"], raw["head"], raw["head"]["seq"]
            records = [dict(r) for r in raw["records"]]
        else:  # the checks below name the first fault
            kiosk, records, head, seq = cls._explained(raw, max_records)
        signed = tuple(jcs(r["signed_ballot"]) for r in records)
        hashes = [record_hash_of(r["seq"], r["prev"], sbj) for r, sbj in zip(records, signed, strict=True)]
        for i in range(1, len(records)):
            a, c = records[i - 1], records[i]
            if c["seq"] != a["seq"] + 1:
                raise FormatError(f"records jump from seq {a['seq']} to {c['seq']}")
            if c["prev"] != hashes[i - 1]:
                raise FormatError(f"record {c['seq']} does not link to record {a['seq']}")
        if records and (seq != records[-1]["seq"] or head["hash"] != hashes[-1]):
            raise FormatError("the batch head does not name its last record")
        return cls(kiosk, tuple(records), dict(head), signed, tuple(hashes))

    @staticmethod
    def _explained(raw: Any, max_records: int) -> tuple[str, list[dict[str, Any]], Mapping[str, Any], int]:
        """The field-by-field checks of a batch's shape, in order: the first fault is named."""
        b = s.obj(raw, "batch")
        s.keys(b, "batch", {"kiosk", "records", "head"})
        kiosk = s.string(b["kiosk"], "batch kiosk", max_len=64)
        records = [
            check_record_shape(r, f"record {i}")
            for i, r in enumerate(s.array(b["records"], "batch records", max_len=max_records))
        ]
        head = s.obj(b["head"], "batch head")
        s.keys(head, "batch head", {"kiosk", "seq", "hash", "sig"})
        if head["kiosk"] != kiosk:
            raise FormatError("the batch head names another kiosk")
        seq = s.integer(head["seq"], "head seq", lo=0)
        b64u_decode(s.string(head["hash"], "head hash"), length=32, what="head hash")
        b64u_decode(s.string(head["sig"], "head sig"), length=64, what="head sig")
        return kiosk, records, head, seq

    def verify_head(self, kiosk_key_b64u: str) -> None:
        """Check the kiosk's signature on the head; raise :class:`VerificationError`."""
        body = head_body(self.kiosk, self.head["seq"], self.head["hash"])
        verify_b64u(kiosk_key_b64u, jcs(body), self.head["sig"], what="batch head signature")


def make_batch(
    kiosk: str, records: list[dict[str, Any]], key: SigningKey, head_seq: int, head_hash: str
) -> dict[str, Any]:
    """A batch of ``records`` (possibly empty) signed at the kiosk's current head."""
    if records:
        head_seq, head_hash = records[-1]["seq"], record_hash(records[-1])
    return {"kiosk": kiosk, "records": records, "head": sign_head(kiosk, head_seq, head_hash, key)}


@dataclass(frozen=True)
class ChainState:
    """What the server holds of one kiosk's chain: the highest contiguous seq and its hash."""

    synced_seq: int = 0
    synced_hash: str = GENESIS


def classify(record: dict[str, Any], state: ChainState, seen_hash: str | None, own_hash: str | None = None) -> str:
    """Place one record against the chain so far.

    Returns ``"duplicate"`` for a record already held, ``"next"`` for the one that
    extends the chain; raises :class:`Rejection` with ``chain_gap`` or ``chain_fork``.
    ``seen_hash`` is the held record's hash at this seq, if ``seq <= synced_seq``;
    ``own_hash`` the record's own hash when the caller has it (see :attr:`Batch.hashes`).
    """
    seq, h = record["seq"], own_hash if own_hash is not None else record_hash(record)
    if seq <= state.synced_seq:
        if seen_hash == h:
            return "duplicate"
        raise Rejection("chain_fork", f"the server holds a different record at seq {seq}")
    if seq > state.synced_seq + 1:
        raise Rejection("chain_gap", f"seq {seq} arrived but the server holds only up to {state.synced_seq}")
    if record["prev"] != state.synced_hash:
        raise Rejection("chain_fork", f"record {seq} does not continue the synced record {state.synced_seq}")
    return "next"


def verify_chain(records: list[dict[str, Any]]) -> None:
    """Check a whole chain from seq 1: consecutive and linked. Raise :class:`FormatError`."""
    prev, expect = GENESIS, 1
    for r in records:
        if r["seq"] != expect:
            raise FormatError(f"expected seq {expect}, found {r['seq']}")
        if r["prev"] != prev:
            raise FormatError(f"record {expect} does not link to record {expect - 1}")
        prev, expect = record_hash(r), expect + 1


def closure_body(kiosk: str, seq: int, hash_: str, opened: int, saved: int, closed_at: str) -> dict[str, Any]:
    return {
        "type": "kiosk-closure",
        "kiosk": kiosk,
        "seq": seq,
        "hash": hash_,
        "counts": {"credentials_opened": opened, "ballots_saved": saved},
        "closed_at": closed_at,
    }


def sign_closure(body: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    """A kiosk's final signed head with its counts."""
    return {**body, "sig": key.sign_b64u(jcs(body))}


def verify_closure(closure: Any, kiosk_key_b64u: str) -> dict[str, Any]:
    c = s.obj(closure, "kiosk closure")
    s.keys(c, "kiosk closure", {"type", "kiosk", "seq", "hash", "counts", "closed_at", "sig"})
    if c["type"] != "kiosk-closure":
        raise FormatError("closure must have type kiosk-closure")
    counts = s.obj(c["counts"], "closure counts")
    s.keys(counts, "closure counts", {"credentials_opened", "ballots_saved"})
    for name in ("credentials_opened", "ballots_saved"):
        s.integer(counts[name], f"closure {name}", lo=0)
    s.string(c["kiosk"], "closure kiosk", max_len=64)
    s.integer(c["seq"], "closure seq", lo=0)
    b64u_decode(s.string(c["hash"], "closure hash"), length=32, what="closure hash")
    parse_time(c["closed_at"], what="closure closed_at")
    body = {k: v for k, v in c.items() if k != "sig"}
    verify_b64u(kiosk_key_b64u, jcs(body), s.string(c["sig"], "closure sig"), what="kiosk closure signature")
    return dict(c)
