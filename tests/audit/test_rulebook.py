"""The workers' view of the manifest (audit.rulebook) judges exactly as the manifest does,
and entry 0 holding the verified signed manifest is hashed by a worker, not parsed."""

from __future__ import annotations

import copy
import pickle
from pathlib import Path
from typing import Any

import pytest

from audit import checker
from audit.checker import ENTRY, SAME_MANIFEST, check_page, init_worker
from audit.rulebook import ReviewerTable, packed, table_of, worker_manifest
from audit.source import ExportSource
from shared.encoding import b64u_decode, jcs, sha256
from shared.facts import ballot_facts
from shared.keys import SigningKey
from shared.manifest import verify_signed_manifest
from shared.merkle import leaf_hash
from tests.support.ledgers import LedgerBuilder


def test_table_reads_as_the_manifest(mini_ledger: LedgerBuilder) -> None:
    m = mini_ledger.manifest
    wm = pickle.loads(packed(m))
    table = table_of(wm)
    assert isinstance(table, ReviewerTable)
    assert len(table) == len(m.reviewers) and list(table) == list(m.reviewers)
    for rid, r in m.reviewers.items():
        assert table[rid] == r and wm.reviewers.get(rid) == r and rid in wm.reviewers
        assert table.key(rid) == b64u_decode(r.key, length=32)
        assert wm.assignments.get(rid, frozenset()) == m.assignments.get(rid, frozenset())
    assert dict(wm.assignments) == m.assignments
    assert wm.reviewers.get("nobody") is None and "nobody" not in wm.reviewers
    assert wm.assignments.get("nobody") is None
    with pytest.raises(KeyError):
        table.key("nobody")
    assert wm.raw == {} and wm.event == m.event and wm.windows == m.windows and wm.groups == m.groups


def _variants(entry: dict[str, Any], groups: list[str], other: str, keys: dict[str, SigningKey]) -> list[dict[str, Any]]:
    """The entry and copies of it with another reviewer, group or proposal, re-signed by
    the reviewer they name (unknown reviewer, not assigned, conflict of interest, wrong
    form…), and one left with the first reviewer's signature (bad signature)."""
    out = [entry]
    ballot = entry["signed_ballot"]["ballot"]
    changes: list[tuple[str, str]] = [("reviewer", "nobody"), ("reviewer", other)]
    changes += [("group", g) for g in [*groups, "g-none"] if "group" in ballot and g != ballot["group"]]
    changes += [("proposal", "p-none")] if "proposal" in ballot else []
    for field, value in changes:
        e = copy.deepcopy(entry)
        b = e["signed_ballot"]["ballot"]
        b[field] = value
        key = keys.get(b["reviewer"])
        e["signed_ballot"]["sig"] = key.sign_b64u(jcs(b)) if key is not None else "A" * 86
        out.append(e)
    unsigned = copy.deepcopy(entry)
    unsigned["signed_ballot"]["ballot"]["reviewer"] = other
    out.append(unsigned)
    return out


def test_worker_manifest_gives_the_same_facts(mini_ledger: LedgerBuilder, mini_keys: dict[str, SigningKey]) -> None:
    """Every ballot of the mini ledger and its variants: the same facts — verdict, codes
    and messages — from the table as from the manifest."""
    m = mini_ledger.manifest
    wm = worker_manifest(m)
    ballots = [e for e in mini_ledger.entries if e["type"] in ("ballot", "rejected")]
    assert ballots
    reviewers = list(m.reviewers)
    seen_codes: set[str | None] = set()
    for k, entry in enumerate(ballots):
        for e in _variants(entry, list(m.groups), reviewers[k % len(reviewers)], mini_keys):
            want = ballot_facts(m, e, keep_signed=False)
            got = ballot_facts(wm, e, keep_signed=False)
            assert got == want
            if want.verdict is not None:
                failure = want.verdict.early or want.verdict.late
                seen_codes.add(None if failure is None else failure[0])
    want_codes = {None, "unknown_reviewer", "bad_signature", "not_assigned", "conflict_of_interest", "wrong_form"}
    assert want_codes <= seen_codes, seen_codes


def test_manifest_entry_is_hashed_not_parsed(mini_export: Path) -> None:
    source = ExportSource(mini_export)
    signed = source.signed_manifest()
    page = next(iter(source.pages(0, 3)))
    line0 = page.payload.split(b"\n")[0]
    saved = (checker._MANIFEST, checker._TABLE, checker._SIGNED_DIGEST)
    try:
        m = verify_signed_manifest(signed)
        init_worker(packed(m), sha256(jcs(signed)))
        leaves, items, unreadable = check_page(page)
        assert unreadable is None
        assert items[0][0] == SAME_MANIFEST
        assert isinstance(items[0][1], str) and line0.startswith(b'{"received_at":"' + items[0][1].encode())
        assert leaves[:32] == leaf_hash(line0)
        # Another signed manifest than the one the worker holds: parsed and returned whole.
        init_worker(packed(m), sha256(b"another manifest"))
        leaves2, items2, _ = check_page(page)
        assert items2[0][0] == ENTRY and items2[0][1]["signed_manifest"] == signed
        assert leaves2 == leaves
    finally:
        checker._MANIFEST, checker._TABLE, checker._SIGNED_DIGEST = saved
