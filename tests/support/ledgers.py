"""Ledgers built directly with the shared functions, written as export folders.

:class:`LedgerBuilder` appends entries the way a server would — the manifest, kiosk
enrolments and closes, kiosk records (accepted or rejected), online ballots,
resolutions, revocations and the close with the recomputed results hash — keeping the
kiosk chains and the Merkle tree as it goes; :meth:`LedgerBuilder.write` signs an STH
with the event's ledger key and writes ``entries.jsonl``, ``sth.json`` and
``manifest.json`` with :func:`audit.export.write_export`.

:func:`build_mini_ledger` uses it for a small event with one of everything, from the
``mini_event`` fixture's real credentials opened with their PINs.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from audit.export import write_export
from shared.ballot import approval_ballot, ballot_id, rubric_ballot, sign_ballot
from shared.chain import GENESIS, closure_body, make_record, record_hash, sign_closure
from shared.credential import parse, unlock
from shared.keys import SigningKey
from shared.ledger import (
    ballot_entry,
    entry_leaf_hash,
    manifest_entry,
    rejected_entry,
    sign_sth,
    statement,
    statement_entry,
)
from shared.manifest import Manifest, verify_signed_manifest
from shared.merkle import CompactRange
from shared.replay import replay
from shared.tally import results_hash
from shared.timefmt import format_time, to_millis

from .events import EventFiles


@dataclass
class KioskState:
    key: SigningKey
    seq: int = 0
    hash: str = GENESIS
    saved: int = 0
    opened: set[str] = field(default_factory=set)


def seed_key(tag: str) -> SigningKey:
    """A fixed key for a role in a test ledger (staff, kiosk)."""
    from shared.encoding import sha256

    return SigningKey(sha256(tag.encode()))


class LedgerBuilder:
    """Append entries like a server; every helper returns the new entry's index."""

    def __init__(
        self,
        signed_manifest: dict[str, Any],
        ledger_key: SigningKey,
        *,
        staff_key: SigningKey | None = None,
        staff_id: str = "staff-1",
        start: datetime | None = None,
    ) -> None:
        self.signed_manifest = signed_manifest
        self.manifest: Manifest = verify_signed_manifest(signed_manifest)
        self.ledger_key = ledger_key
        self.staff_key = staff_key or seed_key("staff-1")
        self.staff_id = staff_id
        self.clock = start or self.manifest.windows["kiosk"].start + timedelta(minutes=2)
        self.entries: list[dict[str, Any]] = []
        self.tree = CompactRange()
        self.kiosks: dict[str, KioskState] = {}
        self.add(manifest_entry(signed_manifest, self.now()))

    # --- time and raw entries ---------------------------------------------------------

    def now(self, step: float = 1.0) -> str:
        self.clock += timedelta(seconds=step)
        return format_time(self.clock)

    def add(self, entry: dict[str, Any]) -> int:
        self.entries.append(entry)
        self.tree.append(entry_leaf_hash(entry))
        return len(self.entries) - 1

    def _statement(self, kind: str, **fields: Any) -> int:
        body = statement(kind, self.manifest.event, staff=self.staff_id, **fields)
        return self.add(statement_entry(body, "staff", self.staff_id, self.staff_key, self.now()))

    # --- ballots ----------------------------------------------------------------------

    def rubric(
        self, reviewer: str, key: SigningKey, proposal: str, scores: dict[str, int], *, kiosk: str | None
    ) -> dict[str, Any]:
        """A signed rubric ballot (kiosk channel when ``kiosk`` is given)."""
        b = rubric_ballot(
            event=self.manifest.event,
            reviewer=reviewer,
            channel="kiosk" if kiosk else "online",
            kiosk=kiosk,
            created_at=format_time(self.clock),
            nonce=str(uuid.uuid4()),
            proposal=proposal,
            scores=scores,
        )
        return sign_ballot(b, key).to_json()

    def approval(
        self, reviewer: str, key: SigningKey, group: str, choices: list[str], *, kiosk: str | None = None
    ) -> dict[str, Any]:
        b = approval_ballot(
            event=self.manifest.event,
            reviewer=reviewer,
            channel="kiosk" if kiosk else "online",
            kiosk=kiosk,
            created_at=format_time(self.clock),
            nonce=str(uuid.uuid4()),
            group=group,
            choices=choices,
        )
        return sign_ballot(b, key).to_json()

    # --- entries ----------------------------------------------------------------------

    def enrol_kiosk(self, kiosk: str, key: SigningKey | None = None) -> int:
        key = key or seed_key(f"kiosk {kiosk}")
        self.kiosks[kiosk] = KioskState(key)
        return self._statement("kiosk", kiosk=kiosk, key=key.public_b64u)

    def kiosk_record(self, kiosk: str, signed_ballot: dict[str, Any], *, code: str | None = None) -> int:
        """The next record of a kiosk's chain, logged as accepted or (with ``code``) rejected."""
        k = self.kiosks[kiosk]
        k.seq += 1
        k.hash = record_hash(make_record(k.seq, k.hash, signed_ballot))
        k.saved += 1
        k.opened.add(signed_ballot["ballot"]["reviewer"])
        when = self.now()
        if code is not None:
            return self.add(rejected_entry(signed_ballot, when, kiosk, k.seq, code))
        return self.add(ballot_entry(signed_ballot, when, kiosk, k.seq))

    def online(self, signed_ballot: dict[str, Any]) -> int:
        return self.add(ballot_entry(signed_ballot, self.now(), None, None))

    def revoke(self, reviewer: str, reason: str = "card reported lost") -> int:
        return self._statement("revocation", reviewer=reviewer, reason=reason)

    def resolve(self, reviewer: str, target: str, signed_ballot: dict[str, Any]) -> int:
        return self._statement("resolution", reviewer=reviewer, target=target, ballot=ballot_id(signed_ballot))

    def close_kiosk(self, kiosk: str, *, with_closure: bool = True) -> int:
        k = self.kiosks[kiosk]
        closure = None
        if with_closure:
            body = closure_body(kiosk, k.seq, k.hash, len(k.opened), k.saved, format_time(self.clock))
            closure = sign_closure(body, k.key)
        return self._statement("kiosk-close", kiosk=kiosk, closure=closure)

    def results(self) -> dict[str, Any]:
        return replay(self.entries, check_ballots=False).results()

    def published(self) -> dict[str, Any] | None:
        """What the server publishes at ``/api/v1/results`` once the event is closed."""
        st = replay(self.entries, check_ballots=False)
        if st.close is None:
            return None
        return {
            "event": self.manifest.event,
            "close_index": st.close_index,
            "results_hash": st.close["results_hash"],
            "results": st.results(),
        }

    def close(self) -> int:
        return self._statement("close", results_hash=results_hash(self.results()))

    # --- output -----------------------------------------------------------------------

    def sth(self, size: int | None = None, *, key: SigningKey | None = None) -> dict[str, Any]:
        """An STH over the first ``size`` entries (all by default), signed by ``key``
        (the event's ledger key by default)."""
        n = len(self.entries) if size is None else size
        tree = self.tree if n == self.tree.size else _tree(self.entries[:n])
        return sign_sth(self.manifest.event, n, tree.root(), to_millis(self.clock), key or self.ledger_key)

    def write(self, folder: Path, *, results: bool = True) -> Path:
        """Write the export folder (with ``results.json`` when the event is closed)."""
        write_export(folder, self.signed_manifest, self.entries, self.sth(), self.published() if results else None)
        return folder


def _tree(entries: list[dict[str, Any]]) -> CompactRange:
    t = CompactRange()
    for e in entries:
        t.append(entry_leaf_hash(e))
    return t


def reviewer_keys(event: EventFiles) -> dict[str, SigningKey]:
    """Every reviewer's key, opened from the event's credentials with their PINs."""
    m = verify_signed_manifest(json.loads(event.manifest_path.read_text()))
    return {
        rid: unlock(parse(text), event.pins[rid], m.reviewers[rid].key, min_logn=m.kdf_min_logn)
        for rid, text in event.credentials.items()
    }


def build_mini_ledger(event: EventFiles, keys: dict[str, SigningKey], *, close: bool = True) -> LedgerBuilder:
    """A ledger of the mini event with every kind of entry:

    kiosks k01 and k02 enrolled; representatives and experts score at kiosks (one record
    rejected for a conflict of interest, and a representative who scores one proposal
    twice); members like proposals online (one member votes twice and staff resolve it
    for the first ballot); one member's card revoked after voting; kiosks closed with
    signed closures; the event closed with the results hash."""
    signed = json.loads(event.manifest_path.read_text())
    b = LedgerBuilder(signed, event.ledger_key())
    m = b.manifest
    b.enrol_kiosk("k01")
    b.enrol_kiosk("k02")
    crit = m.rubric
    by_id = sorted(m.reviewers.values(), key=lambda r: r.id)
    reps = [r for r in by_id if r.role in ("representative", "expert")][:16]
    for n, r in enumerate(reps):
        kiosk = "k01" if n % 2 == 0 else "k02"
        targets = sorted(m.assignments[r.id])
        for t_i, proposal in enumerate(targets[:3]):
            scores = {c.id: (7 * n + 3 * t_i + len(c.id)) % (c.max + 1) for c in crit}
            b.kiosk_record(kiosk, b.rubric(r.id, keys[r.id], proposal, scores, kiosk=kiosk))
    # A representative scores their own community's proposal: logged, rejected.
    rep = next(r for r in reps if r.role == "representative")
    own = next(p.id for p in m.proposals.values() if p.community == rep.community)
    b.kiosk_record(
        "k01",
        b.rubric(rep.id, keys[rep.id], own, {c.id: 1 for c in crit}, kiosk="k01"),
        code="conflict_of_interest" if own in _assigned_proposals(m, rep.id) else "not_assigned",
    )
    # The same representative scores a proposal again: a conflict, onsite-first takes the later.
    again = sorted(m.assignments[rep.id])[0]
    b.kiosk_record("k01", b.rubric(rep.id, keys[rep.id], again, {c.id: c.max for c in crit}, kiosk="k01"))
    members = [r for r in by_id if r.role == "member"][:30]
    first_of: dict[str, dict[str, Any]] = {}
    for n, r in enumerate(members):
        group = sorted(m.assignments[r.id])[0]
        allowed = [p for p in m.groups[group] if m.proposals[p].community != r.community]
        choices = [allowed[(n + k) % len(allowed)] for k in range(1 + n % m.max_choices)]
        sb = b.approval(r.id, keys[r.id], group, sorted(set(choices)))
        first_of[r.id] = sb
        b.online(sb)
    # A member votes twice; staff resolve the conflict for the first ballot.
    twice = members[0]
    group = sorted(m.assignments[twice.id])[0]
    allowed = [p for p in m.groups[group] if m.proposals[p].community != twice.community]
    b.online(b.approval(twice.id, keys[twice.id], group, allowed[-2:]))
    b.resolve(twice.id, group, first_of[twice.id])
    # A lost card is revoked; a later kiosk record with it is rejected.
    late = reps[1]
    b.revoke(late.id)
    late_kiosk = "k02"
    b.kiosk_record(
        late_kiosk,
        b.rubric(late.id, keys[late.id], sorted(m.assignments[late.id])[-1], {c.id: 2 for c in crit}, kiosk=late_kiosk),
        code="revoked_credential",
    )
    b.close_kiosk("k01")
    b.close_kiosk("k02")
    if close:
        b.close()
    return b


def _assigned_proposals(m: Manifest, reviewer: str) -> set[str]:
    out: set[str] = set()
    for t in m.assignments.get(reviewer, ()):
        out.update(m.groups.get(t, (t,)))
    return out
