"""Building blocks for server tests: reviewer keys from the real credentials, ballots,
kiosk chains and batches, and an independent client check of the audit API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.ballot import approval_ballot, rubric_ballot, sign_ballot
from shared.chain import GENESIS, closure_body, make_batch, make_record, record_hash, sign_closure
from shared.credential import parse, unlock
from shared.encoding import b64u, jcs, sha256
from shared.keys import SigningKey
from shared.ledger import verify_sth
from shared.manifest import Manifest
from shared.merkle import leaf_hash, root_from_leaf_hashes, verify_consistency, verify_inclusion
from shared.timefmt import format_time
from tests.support.events import EventFiles


def now() -> str:
    return format_time(datetime.now(UTC).replace(microsecond=0))


def reviewer_keys(event: EventFiles, manifest: Manifest) -> dict[str, SigningKey]:
    """Every reviewer's key, opened from their card with their PIN."""
    return {
        rid: unlock(parse(event.credentials[rid]), event.pins[rid], manifest.reviewers[rid].key, min_logn=10)
        for rid in manifest.reviewers
    }


def receipt_id(signed: dict[str, Any]) -> str:
    """What DESIGN §4 says a receipt is: b64u(SHA-256(JCS(signed ballot)))."""
    return b64u(sha256(jcs(signed)))


@dataclass
class Ballots:
    """Signed ballots for the mini event, valid unless a test spoils them."""

    manifest: Manifest
    keys: dict[str, SigningKey]

    def __repr__(self) -> str:  # short: hypothesis prints it with a falsifying example
        return f"Ballots({self.manifest.event}, {len(self.keys)} keys)"

    def reps(self) -> list[str]:
        return [r for r, v in self.manifest.reviewers.items() if v.role == "representative"]

    def members(self) -> list[str]:
        return [r for r, v in self.manifest.reviewers.items() if v.role == "member"]

    def rubric(
        self, reviewer: str, proposal: str | None = None, *, kiosk: str = "k1", created_at: str | None = None,
        scores: dict[str, int] | None = None, key: SigningKey | None = None, edit: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        m = self.manifest
        if proposal is None:
            proposal = sorted(t for t in m.assignments[reviewer] if t in m.proposals)[0]
        b = rubric_ballot(
            event=m.event, reviewer=reviewer, channel="kiosk", kiosk=kiosk, created_at=created_at or now(),
            nonce=str(uuid.uuid4()), proposal=proposal,
            scores=scores if scores is not None else {c.id: c.max // 2 for c in m.rubric},
        )
        b.update(edit or {})
        return {"ballot": b, "sig": (key or self.keys[reviewer]).sign_b64u(jcs(b))}

    def approval(
        self, reviewer: str, choices: list[str] | None = None, *, created_at: str | None = None,
        key: SigningKey | None = None, edit: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        m = self.manifest
        group = sorted(m.assignments[reviewer])[0]
        own = m.reviewers[reviewer].community
        if choices is None:
            choices = [p for p in m.groups[group] if m.proposals[p].community != own][:3]
        b = approval_ballot(
            event=m.event, reviewer=reviewer, channel="online", kiosk=None, created_at=created_at or now(),
            nonce=str(uuid.uuid4()), group=group, choices=choices,
        )
        b.update(edit or {})
        return {"ballot": b, "sig": (key or self.keys[reviewer]).sign_b64u(jcs(b))}


def valid_signed(ballots: Ballots, b: dict[str, Any], reviewer: str) -> dict[str, Any]:
    return sign_ballot(b, ballots.keys[reviewer]).to_json()


@dataclass
class Kiosk:
    """A kiosk's side of the protocol: key, registration, its local chain, batches."""

    id: str
    key: SigningKey = field(default_factory=lambda: SigningKey(uuid.uuid4().bytes * 2))
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def head(self) -> tuple[int, str]:
        return (len(self.records), record_hash(self.records[-1]) if self.records else GENESIS)

    def registration(self) -> dict[str, Any]:
        body = {"kiosk": self.id, "public_key": self.key.public_b64u, "registered_at": now()}
        return {**body, "sig": self.key.sign_b64u(jcs(body))}

    def add(self, signed_ballot: dict[str, Any]) -> dict[str, Any]:
        seq, prev = self.head
        r = make_record(seq + 1, prev, signed_ballot)
        self.records.append(r)
        return r

    def batch(self, start: int = 1, end: int | None = None) -> dict[str, Any]:
        """A batch of records seq start..end (inclusive; default: to the head)."""
        end = len(self.records) if end is None else end
        recs = self.records[start - 1 : end]
        seq, h = (end, record_hash(self.records[end - 1])) if end else (0, GENESIS)
        return make_batch(self.id, recs, self.key, seq, h)

    def closure(self, opened: int = 0) -> dict[str, Any]:
        seq, h = self.head
        return sign_closure(closure_body(self.id, seq, h, opened, seq, now()), self.key)


def audit(client: Any, ledger_key: str, *, all_pairs: bool = True) -> list[dict[str, Any]]:
    """Check the ledger as an independent client would, from DESIGN §4 alone: fetch every
    entry, recompute the root, check the STH signature, and verify every inclusion proof
    and the consistency proofs between sizes. Returns the entries."""
    sth = client.get("/api/v1/ledger/sth").json()
    head = verify_sth(sth, ledger_key)
    entries: list[dict[str, Any]] = []
    while len(entries) < head.tree_size:
        page = client.get(f"/api/v1/ledger/entries?start={len(entries)}&end={head.tree_size}").json()["entries"]
        assert page and page[0]["index"] == len(entries)
        entries.extend(e["entry"] for e in page)
    leaves = [leaf_hash(jcs(e)) for e in entries]
    assert root_from_leaf_hashes(leaves) == head.root_hash
    n = head.tree_size
    roots = {m: root_from_leaf_hashes(leaves[:m]) for m in range(1, n + 1)}
    for i in range(n):
        p = client.get(f"/api/v1/ledger/proof/inclusion?index={i}&tree_size={n}").json()
        assert p["leaf_hash"] == b64u(leaves[i])
        verify_inclusion(i, n, leaves[i], [_d(x) for x in p["audit_path"]], head.root_hash)
    firsts = range(1, n + 1) if all_pairs else {1, n // 2 or 1, n}
    for m in firsts:
        for second in ([*range(m, n + 1)] if all_pairs else [n]):
            c = client.get(f"/api/v1/ledger/proof/consistency?first={m}&second={second}").json()
            verify_consistency(m, second, roots[m], roots[second], [_d(x) for x in c["consistency"]])
    return entries


def _d(text: str) -> bytes:
    from shared.encoding import b64u_decode

    return b64u_decode(text, length=32)
