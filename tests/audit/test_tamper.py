"""Tamper tests: change an export folder the way an attacker (or a bug) would and check that
``simsa verify DIR`` says no and names the entry and the problem; the untouched ledger passes.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from audit.export import write_export
from audit.source import ExportSource
from audit.verdict import Verdict
from audit.verify import verify_ledger
from shared.encoding import jcs
from shared.keys import SigningKey
from shared.ledger import TreeHead, sign_sth, verify_sth
from shared.manifest import sign_manifest
from shared.merkle import CompactRange, leaf_hash
from simsa.cli import main
from tests.support.events import EventFiles
from tests.support.ledgers import seed_key


@dataclass
class Export:
    """An export folder loaded for editing."""

    entries: list[dict[str, Any]]
    sth: dict[str, Any]
    manifest: dict[str, Any]
    results: dict[str, Any] | None
    event: EventFiles
    raw_lines: dict[int, bytes]

    @classmethod
    def load(cls, folder: Path, event: EventFiles) -> Export:
        lines = (folder / "entries.jsonl").read_bytes().splitlines()
        results = json.loads((folder / "results.json").read_text()) if (folder / "results.json").exists() else None
        return cls(
            [json.loads(line) for line in lines],
            json.loads((folder / "sth.json").read_text()),
            json.loads((folder / "manifest.json").read_text()),
            results,
            event,
            {},
        )

    def save(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        lines = [self.raw_lines.get(i, jcs(e)) for i, e in enumerate(self.entries)]
        write_export(folder, self.manifest, lines, self.sth, self.results)

    def find(self, pred: Callable[[dict[str, Any]], bool], nth: int = 0) -> int:
        hits = [i for i, e in enumerate(self.entries) if pred(e)]
        return hits[nth]

    def kiosk_records(self, kiosk: str) -> list[int]:
        return [i for i, e in enumerate(self.entries) if e.get("kiosk") == kiosk and e["type"] in ("ballot", "rejected")]

    def online(self, nth: int = 0) -> int:
        return self.find(lambda e: e["type"] == "ballot" and e["kiosk"] is None, nth)

    def of_type(self, kind: str, nth: int = 0) -> int:
        return self.find(lambda e: e["type"] == kind, nth)

    def sign_sth(self, key: SigningKey, size: int | None = None) -> dict[str, Any]:
        n = len(self.entries) if size is None else size
        tree = CompactRange()
        for e in self.entries[:n]:
            tree.append(leaf_hash(jcs(e)))
        return sign_sth(self.sth["event"], n, tree.root(), self.sth["timestamp"], key)


Expect = tuple[int | None, str]


def score_changed(x: Export) -> Expect:
    i = x.find(lambda e: e["type"] == "ballot" and e["kiosk"] == "k02", 3)
    scores = x.entries[i]["signed_ballot"]["ballot"]["scores"]
    crit = sorted(scores)[0]
    scores[crit] = 0 if scores[crit] else 1
    return i, "bad_signature"


def choice_changed(x: Export) -> Expect:
    i = x.online(7)
    b = x.entries[i]["signed_ballot"]["ballot"]
    group = next(g for g in x.manifest["manifest"]["groups"] if g["id"] == b["group"])
    other = next(p for p in group["proposals"] if p not in b["choices"])
    b["choices"][0] = other
    return i, "bad_signature"


def choice_added(x: Export) -> Expect:
    i = x.online(4)
    b = x.entries[i]["signed_ballot"]["ballot"]
    b["choices"] = b["choices"][:-1]
    return i, "bad_signature"


def rejected_record_changed(x: Export) -> Expect:
    i = x.of_type("rejected")
    scores = x.entries[i]["signed_ballot"]["ballot"]["scores"]
    for c in scores:
        scores[c] = 0
    return i, "logged as rejected with 'not_assigned' but the rules give bad_signature"


def online_ballot_received_after_the_window(x: Export) -> Expect:
    """The server logged an online ballot a day after the online window closed, dated
    inside it: the auditor judges by the entry's received_at (DESIGN §5 rule 11)."""
    from datetime import timedelta

    from shared.timefmt import format_time, parse_time

    i = x.online(3)
    end = parse_time(x.manifest["manifest"]["windows"]["online"]["end"])
    x.entries[i]["received_at"] = format_time(end + timedelta(days=1))
    return i, "an accepted ballot that the rules reject: outside_window"


def kiosk_record_dropped(x: Export) -> Expect:
    recs = x.kiosk_records("k01")
    del x.entries[recs[5]]
    return recs[6] - 1, "record seq 7 does not follow 5"


def online_ballot_dropped(x: Export) -> Expect:
    del x.entries[x.online(9)]
    return len(x.entries) - 1, "results hash is not the hash of the recomputed results"


def last_entry_dropped(x: Export) -> Expect:
    n = len(x.entries)
    x.entries.pop()
    return n - 1, f"ends after {n - 1} entries but the tree head covers {n}: entry {n - 1} is missing"


def truncated_to_half(x: Export) -> Expect:
    half = len(x.entries) // 2
    del x.entries[half:]
    return half, f"entry {half} is missing"


def kiosk_records_swapped(x: Export) -> Expect:
    recs = x.kiosk_records("k02")
    a, b = recs[2], recs[3]
    x.entries[a], x.entries[b] = x.entries[b], x.entries[a]
    return a, "kiosk k02 record seq 4 does not follow 2"


def online_ballots_swapped(x: Export) -> Expect:
    a, b = x.online(2), x.online(3)
    x.entries[a], x.entries[b] = x.entries[b], x.entries[a]
    return None, "do not hash to the root the tree head signs: an entry was changed, dropped, added or reordered"


def online_ballot_duplicated(x: Export) -> Expect:
    i = x.online(5)
    x.entries.insert(i + 1, copy.deepcopy(x.entries[i]))
    return i + 1, f"is on the ledger twice \\(first at {i}\\)"


def kiosk_record_duplicated(x: Export) -> Expect:
    i = x.kiosk_records("k01")[4]
    x.entries.insert(i + 1, copy.deepcopy(x.entries[i]))
    return i + 1, "kiosk k01 record seq 5 does not follow 5"


def sth_resigned_by_another_key(x: Export) -> Expect:
    x.sth = x.sign_sth(seed_key("not the ledger key"))
    return None, "tree head does not hold with the manifest's ledger key: STH signature does not verify"


def sth_of_more_entries_resigned(x: Export) -> Expect:
    x.entries.append(copy.deepcopy(x.entries[x.online(0)]))
    x.sth = x.sign_sth(seed_key("not the ledger key"))
    return None, "STH signature does not verify"


def received_at_changed(x: Export) -> Expect:
    i = x.online(3)
    x.entries[i]["received_at"] = x.entries[i]["received_at"].replace("Z", ".5Z")
    return None, "do not hash to the root"


def close_hash_changed(x: Export) -> Expect:
    i = x.of_type("close")
    x.entries[i]["statement"]["results_hash"] = "A" * 43
    return i, "close statement signature does not verify"


def published_results_changed(x: Export) -> Expect:
    assert x.results is not None
    x.results["results"]["proposals"][0]["online"]["ballots"] += 1
    return x.of_type("close"), "published results differ from the results recomputed .*proposal p01"


def revocation_dropped(x: Export) -> Expect:
    r = x.of_type("revocation")
    del x.entries[r]
    late = x.find(lambda e: e["type"] == "rejected" and e["code"] == "revoked_credential")
    return late, "logged as rejected with 'revoked_credential' but the rules give accepted"


def revocation_reassigned(x: Export) -> Expect:
    i = x.of_type("revocation")
    x.entries[i]["statement"]["reviewer"] = "mem-01-1"
    return i, "revocation statement signature does not verify"


def resolution_repointed(x: Export) -> Expect:
    i = x.of_type("resolution")
    x.entries[i]["statement"]["ballot"] = "B" * 43
    return i, "resolution statement signature does not verify"


def closure_changed(x: Export) -> Expect:
    i = x.of_type("kiosk-close")
    x.entries[i]["statement"]["closure"]["counts"]["ballots_saved"] += 1
    return i, "kiosk-close statement signature does not verify"


def kiosk_key_swapped(x: Export) -> Expect:
    i = x.of_type("kiosk")
    x.entries[i]["statement"]["key"] = seed_key("rogue kiosk").public_b64u
    return i, "kiosk statement signature does not verify"


def manifest_title_changed(x: Export) -> Expect:
    x.manifest["manifest"]["title"]["en"] = "Another event"
    return None, "manifest does not hold: manifest signature does not verify"


def manifest_resigned_differs_from_entry_0(x: Export) -> Expect:
    m = copy.deepcopy(x.manifest["manifest"])
    m["title"]["en"] = "A re-issued manifest"
    x.manifest = sign_manifest(m, x.event.authority())
    return 0, "the manifest entry is not the signed manifest the source publishes"


def line_not_json(x: Export) -> Expect:
    i = x.online(1)
    x.raw_lines[i] = b'{"type":"ballot",'
    return i, "not valid JSON"


def entry_beyond_the_sth(x: Export) -> Expect:
    n = len(x.entries)
    x.entries.append(copy.deepcopy(x.entries[x.online(0)]))
    return n, f"tree head covers only {n}: entries from {n} on are signed by no tree head"


CASES: list[Callable[[Export], Expect]] = [
    score_changed,
    online_ballot_received_after_the_window,
    choice_changed,
    choice_added,
    rejected_record_changed,
    kiosk_record_dropped,
    online_ballot_dropped,
    last_entry_dropped,
    truncated_to_half,
    kiosk_records_swapped,
    online_ballots_swapped,
    online_ballot_duplicated,
    kiosk_record_duplicated,
    sth_resigned_by_another_key,
    sth_of_more_entries_resigned,
    received_at_changed,
    close_hash_changed,
    published_results_changed,
    revocation_dropped,
    revocation_reassigned,
    resolution_repointed,
    closure_changed,
    kiosk_key_swapped,
    manifest_title_changed,
    manifest_resigned_differs_from_entry_0,
    line_not_json,
    entry_beyond_the_sth,
]


def _verify(folder: Path) -> Verdict:
    return verify_ledger(ExportSource(folder), workers=1)


def test_the_untouched_ledger_passes(mini_export: Path) -> None:
    v = _verify(mini_export)
    assert v.ok, v.problems
    assert v.types["ballot"] > 50 and v.types["rejected"] == 2
    assert v.published_match is True
    assert any("hash to the root" in p for p in v.passed)


@pytest.mark.parametrize("tamper", CASES, ids=lambda f: f.__name__)
def test_tampering_is_caught_and_named(
    tamper: Callable[[Export], Expect], mini_export: Path, mini_event: EventFiles, tmp_path: Path
) -> None:
    x = Export.load(mini_export, mini_event)
    index, pattern = tamper(x)
    x.save(tmp_path / "x")
    v = _verify(tmp_path / "x")
    assert not v.ok
    first = v.problems[0]
    assert first.index == index, v.problems
    assert re.search(pattern, first.what), first.what


def test_the_cli_says_no_with_the_index_and_a_non_zero_status(
    mini_export: Path, mini_event: EventFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = Export.load(mini_export, mini_event)
    index, _ = score_changed(x)
    x.save(tmp_path / "x")
    assert main(["verify", str(tmp_path / "x"), "--no-state", "--workers", "2"]) == 1
    out = capsys.readouterr().out
    assert f"entry {index}: an accepted ballot that the rules reject: bad_signature" in out
    assert "INVALID" in out and "검증 실패" in out


def test_the_cli_says_yes_on_every_core(mini_export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(mini_export), "--state", str(tmp_path / "state"), "--workers", "2", "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["ok"] is True and verdict["problems"] == []
    assert verdict["workers"] == 2 and verdict["signatures"] == verdict["types"]["ballot"] + verdict["types"]["rejected"]


def test_an_unreadable_source_is_not_a_verdict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(tmp_path), "--no-state"]) == 2
    assert "entries.jsonl is missing" in capsys.readouterr().err


# --- tree heads remembered across runs --------------------------------------------------------


def _remember(state: Path, event: str, keys: tuple[str, str], heads: list[dict[str, Any]]) -> None:
    state.mkdir(parents=True, exist_ok=True)
    body = {"event": event, "authority_key": keys[0], "ledger_key": keys[1], "sths": heads}
    (state / f"{event}.json").write_text(json.dumps(body))


def _keys(x: Export) -> tuple[str, str]:
    m = x.manifest["manifest"]
    return m["authority_key"], m["ledger_key"]


def test_a_second_run_checks_consistency_with_the_first(mini_export: Path, tmp_path: Path) -> None:
    from audit.state import StateStore

    store = StateStore(tmp_path / "state")
    assert verify_ledger(ExportSource(mini_export), store=store, workers=1).ok
    again = verify_ledger(ExportSource(mini_export), store=store, workers=1)
    assert again.ok and again.remembered == 1
    assert any("consistent with 1 tree head" in p for p in again.passed)


def test_a_rewritten_history_is_a_fork_at_the_remembered_size(
    mini_export: Path, mini_event: EventFiles, tmp_path: Path
) -> None:
    from audit.state import StateStore

    x = Export.load(mini_export, mini_event)
    other = Export.load(mini_export, mini_event)
    i = other.online(0)
    other.entries[i]["received_at"] = other.entries[i]["received_at"].replace("Z", ".1Z")
    m = i + 3
    earlier = other.sign_sth(mini_event.ledger_key(), m)  # what the server showed us before
    _remember(tmp_path / "state", x.sth["event"], _keys(x), [earlier])
    v = verify_ledger(ExportSource(mini_export), store=StateStore(tmp_path / "state"), workers=1)
    assert [p.index for p in v.problems] == [m - 1]
    assert f"the first {m} entries do not hash to the root the server signed for size {m}" in v.problems[0].what
    assert "fork" in v.problems[0].what


def test_a_shorter_tree_than_one_seen_before_is_a_rollback(
    mini_export: Path, mini_event: EventFiles, tmp_path: Path
) -> None:
    from audit.state import StateStore

    x = Export.load(mini_export, mini_event)
    n = len(x.entries)
    longer = Export.load(mini_export, mini_event)
    longer.entries.append(copy.deepcopy(longer.entries[longer.online(0)]))
    _remember(tmp_path / "state", x.sth["event"], _keys(x), [longer.sign_sth(mini_event.ledger_key())])
    v = verify_ledger(ExportSource(mini_export), store=StateStore(tmp_path / "state"), workers=1)
    assert not v.ok
    assert f"shows {n} entries but signed a tree of {n + 1} entries" in v.problems[0].what


def test_a_pinned_authority_key_must_not_change(mini_export: Path, mini_event: EventFiles, tmp_path: Path) -> None:
    from audit.state import StateStore

    x = Export.load(mini_export, mini_event)
    _remember(tmp_path / "state", x.sth["event"], (seed_key("old authority").public_b64u, _keys(x)[1]), [])
    v = verify_ledger(ExportSource(mini_export), store=StateStore(tmp_path / "state"), workers=1)
    assert "seen before with another authority key" in v.problems[0].what


def test_remembered_heads_are_checked_signatures(mini_export: Path, mini_event: EventFiles, tmp_path: Path) -> None:
    x = Export.load(mini_export, mini_event)
    head = verify_sth(x.sth, _keys(x)[1])
    assert isinstance(head, TreeHead)
    forged = dict(x.sth, tree_size=3)
    _remember(tmp_path / "state", x.sth["event"], _keys(x), [forged])
    from audit.state import StateStore

    v = verify_ledger(ExportSource(mini_export), store=StateStore(tmp_path / "state"), workers=1)
    assert "remembered tree head no longer verifies" in v.problems[0].what
