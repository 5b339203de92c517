"""Receipt ids in the auditor, whose accepted ballots are columns (shared.columns): a
ballot logged twice online is found and named with its first index, a kiosk record of one
ballot logged again counts once, a resolution must name a ballot on the ledger; and
``simsa verify DIR --receipt ID`` finds every ballot where the verifier's state has it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from audit.receipt import verify_receipt
from audit.source import ExportSource
from audit.verify import verify_ledger
from shared.ballot import ballot_id
from shared.keys import SigningKey
from tests.support.events import EventFiles
from tests.support.ledgers import LedgerBuilder


def _ledger(event: EventFiles, keys: dict[str, SigningKey], then: Callable[[LedgerBuilder, list[int]], None]
            ) -> LedgerBuilder:
    """A kiosk with three records and four online ballots (their indices passed on), then
    ``then`` adds what the case is about."""
    b = LedgerBuilder(json.loads(event.manifest_path.read_text()), event.ledger_key())
    m = b.manifest
    b.enrol_kiosk("k01")
    reviewers = sorted(m.reviewers.values(), key=lambda r: r.id)
    for r in [r for r in reviewers if r.role in ("representative", "expert")][:3]:
        b.kiosk_record("k01", b.rubric(r.id, keys[r.id], sorted(m.assignments[r.id])[0],
                                       {c.id: 1 for c in m.rubric}, kiosk="k01"))
    online = []
    for r in [r for r in reviewers if r.role == "member"][:4]:
        group = sorted(m.assignments[r.id])[0]
        allowed = [p for p in m.groups[group] if m.proposals[p].community != r.community]
        online.append(b.online(b.approval(r.id, keys[r.id], group, allowed[:1])))
    then(b, online)
    return b


def _again(b: LedgerBuilder, i: int) -> None:
    """Entry ``i`` logged again, now."""
    b.add({**copy.deepcopy(b.entries[i]), "received_at": b.now()})


def _kiosk_again(b: LedgerBuilder, online: list[int]) -> None:
    b.kiosk_record("k01", b.entries[2]["signed_ballot"])


def _resolve_unknown(b: LedgerBuilder, online: list[int]) -> None:
    sb = b.entries[online[0]]["signed_ballot"]
    b.resolve(sb["ballot"]["reviewer"], sb["ballot"]["group"], {**sb, "sig": "A" * 86})


CASES: dict[str, tuple[Callable[[LedgerBuilder, list[int]], None], str | None]] = {
    "nothing twice": (lambda b, o: None, None),
    "an online ballot again at once": (lambda b, o: _again(b, o[-1]), "twice (first at {last})"),
    "an online ballot again later": (lambda b, o: _again(b, o[0]), "twice (first at {first})"),
    "a kiosk record's ballot again by its kiosk": (_kiosk_again, None),
    "a resolution naming no ballot on the ledger": (_resolve_unknown, "that is not on the ledger"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_duplicate_receipts(name: str, mini_event: EventFiles, mini_keys: dict[str, SigningKey],
                            tmp_path: Path) -> None:
    then, problem = CASES[name]
    b = _ledger(mini_event, mini_keys, then)
    v = verify_ledger(ExportSource(b.write(tmp_path / "export", results=False)), workers=1)
    online = [i for i, e in enumerate(b.entries) if e["type"] == "ballot" and e["kiosk"] is None]
    if problem is None:
        assert v.ok, v.problems
        assert v.state is not None and v.merged is not None
        ids = {ballot_id(e["signed_ballot"]): i for i, e in reversed(list(enumerate(b.entries)))
               if e["type"] == "ballot"}
        assert dict(v.state.ids) == ids
        assert len(v.state.accepted) == len(ids) + (name.startswith("a kiosk record"))
        assert len(v.merged.effective) == len(ids)  # a ballot logged again counts once
    else:
        want = problem.format(first=online[0], last=online[-2] if len(online) > 1 else None)
        assert not v.ok and len(v.problems) == 1
        assert v.problems[0].index == len(b.entries) - 1 and want in str(v.problems[0]), v.problems


def test_every_receipt_is_found_where_the_verifier_has_it(mini_ledger: LedgerBuilder, mini_export: Path) -> None:
    v = verify_ledger(ExportSource(mini_export), workers=1)
    assert v.ok and v.state is not None
    cases: list[tuple[str, int | None]] = []
    for i, e in enumerate(mini_ledger.entries):
        if e["type"] in ("ballot", "rejected"):
            bid = ballot_id(e["signed_ballot"])
            if e["type"] == "ballot":
                assert v.state.ids[bid] == i
            cases.append((bid, i))
    unknown: dict[str, Any] = copy.deepcopy(next(e for e in mini_ledger.entries if e["type"] == "ballot"))
    unknown["signed_ballot"]["ballot"]["nonce"] = "00000000-0000-0000-0000-000000000000"
    cases.append((ballot_id(unknown["signed_ballot"]), None))
    for bid, index in cases:
        rc = verify_receipt(ExportSource(mini_export), bid)
        assert rc.index == index, (bid, rc.problems)
        accepted = index is not None and mini_ledger.entries[index]["type"] == "ballot"
        assert rc.ok is accepted  # a rejected record is found, and said not to count
        assert (bid in v.state.ids) is accepted
