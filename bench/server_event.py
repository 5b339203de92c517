"""Bench events for the ledger server: the KINTEX 2017 shape with reviewer keys from fixed
seeds (no credential sealing: the server never sees credentials), and its kiosk ballots."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from organiser.demo import kintex_2017
from organiser.writer import write_key
from shared.ballot import rubric_ballot
from shared.chain import make_batch, make_record
from shared.encoding import jcs, sha256
from shared.keys import SigningKey
from shared.manifest import Manifest, sign_manifest, verify_signed_manifest
from shared.timefmt import format_time


def seed_key(tag: str) -> SigningKey:
    return SigningKey(sha256(b"simsa server bench " + tag.encode()))


@dataclass
class BenchEvent:
    dir: Path
    manifest: Manifest
    authority: SigningKey

    def reviewer_key(self, reviewer: str) -> SigningKey:
        return seed_key("reviewer " + reviewer)


def make_event(out: Path) -> BenchEvent:
    """Write ``manifest.json`` and ``ledger.key`` of a KINTEX-shape event into ``out``."""
    plan = kintex_2017(datetime.now(UTC), random.Random(2017))
    authority, ledger = seed_key("authority"), seed_key("ledger")
    keys = {r.id: seed_key("reviewer " + r.id).public_b64u for r in plan.reviewers}
    signed = sign_manifest(plan.manifest(keys, authority.public_b64u, ledger.public_b64u), authority)
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").write_text(json.dumps(signed, ensure_ascii=False), encoding="utf-8")
    write_key(out / "ledger.key", ledger)
    return BenchEvent(out, verify_signed_manifest(signed), authority)


def rubric_ballots(ev: BenchEvent) -> list[tuple[str, dict[str, Any], SigningKey]]:
    """Every on-site rubric ballot of the day, as ``(group, ballot, reviewer key)``, not yet
    signed (the kiosk id goes in first): each representative scores the other proposals of
    their group, each expert all of theirs."""
    m = ev.manifest
    now = format_time(datetime.now(UTC).replace(microsecond=0))
    rng = random.Random(11)
    out: list[tuple[str, dict[str, Any], SigningKey]] = []
    for rid, rev in m.reviewers.items():
        if rev.role == "member":
            continue
        key = ev.reviewer_key(rid)
        for p in sorted(t for t in m.assignments[rid] if t in m.proposals):
            b = rubric_ballot(
                event=m.event, reviewer=rid, channel="kiosk", kiosk="?", created_at=now,
                nonce=str(uuid.UUID(int=rng.getrandbits(128), version=4)), proposal=p,
                scores={c.id: rng.randint(0, c.max) for c in m.rubric},
            )
            out.append((m.proposals[p].group, b, key))
    return out


def kiosk_batches(ev: BenchEvent, kiosks: int, batch: int = 500) -> tuple[dict[str, SigningKey], list[list[bytes]]]:
    """Ballots spread over ``kiosks`` kiosks by group, each kiosk's chain cut in batches of
    at most ``batch`` records; returns the kiosk keys and, per kiosk, its request bodies."""
    keys = {f"kiosk-{i + 1:02d}": seed_key(f"kiosk {i}") for i in range(kiosks)}
    ids = list(keys)
    groups = sorted(ev.manifest.groups)
    chains: dict[str, list[dict[str, Any]]] = {k: [] for k in ids}
    from shared.chain import GENESIS, record_hash

    heads = {k: (0, GENESIS) for k in ids}
    for group, b, key in rubric_ballots(ev):
        kid = ids[groups.index(group) % kiosks]
        b["kiosk"] = kid
        sb = {"ballot": b, "sig": key.sign_b64u(jcs(b))}
        seq, prev = heads[kid]
        rec = make_record(seq + 1, prev, sb)
        chains[kid].append(rec)
        heads[kid] = (seq + 1, record_hash(rec))
    bodies: list[list[bytes]] = []
    for kid in ids:
        recs = chains[kid]
        mine = []
        for i in range(0, len(recs), batch):
            part = recs[i : i + batch]
            mine.append(json.dumps(make_batch(kid, part, keys[kid], 0, GENESIS), separators=(",", ":")).encode())
        bodies.append(mine)
    return keys, bodies
