"""The server's stateless checks give exactly the code ``shared.rules.check_ballot`` gives,
on one thread or on the process pool, with the receipt id of the bytes as sent."""

from __future__ import annotations

from typing import Any

import pytest

from server.services.precheck import KeyRing, Prechecker, final_code, prepare
from shared.errors import Rejection
from shared.manifest import Manifest
from shared.rules import check_ballot
from tests.server.kit import Ballots, receipt_id


def _table(ballots: Ballots) -> list[Any]:
    m = ballots.manifest
    rep, rep2 = ballots.reps()[0], ballots.reps()[1]
    unassigned = next(p for p in m.proposals if p not in m.assignments[rep])
    late = "2001-01-01T00:00:00Z"
    wrong_key = ballots.keys[rep2]
    return [
        ballots.rubric(rep, kiosk="k1"),
        ballots.rubric(rep, kiosk="k1", scores={"benefit": 1}),
        ballots.rubric(rep, unassigned, kiosk="k1", key=wrong_key),  # bad signature beats not_assigned
        ballots.rubric(rep, kiosk="k1", created_at=late, key=wrong_key),  # and outside_window
        ballots.rubric(rep, kiosk="k1", edit={"reviewer": "ghost"}, key=wrong_key),  # unknown beats bad sig
        ballots.rubric(rep, kiosk="k1", edit={"event": "x"}, key=wrong_key),
        ballots.rubric(rep, kiosk="k2"),  # another kiosk's ballot: malformed
        ballots.rubric(rep, unassigned, kiosk="k1"),
        ballots.rubric(rep, kiosk="k1", created_at=late),
        ballots.approval(ballots.members()[0], edit={"channel": "kiosk", "kiosk": "k1"}),
        {"ballot": ballots.rubric(rep, kiosk="k1")["ballot"], "sig": "!!"},
        {"ballot": ballots.rubric(rep, kiosk="k1")["ballot"], "sig": ballots.rubric(rep)["sig"], "x": 1},
        {"ballot": [], "sig": ""},
        [1, 2, 3],
        "text",
        {"ballot": {**ballots.rubric(rep, kiosk="k1")["ballot"], "scores": {"benefit": 1.5}}, "sig": "A" * 86},
    ]


def _shared_code(m: Manifest, sb: Any, revoked: set[str]) -> str | None:
    try:
        check_ballot(m, sb, channel="kiosk", kiosk="k1", revoked=revoked)
    except Rejection as exc:
        return exc.code
    return None


@pytest.mark.parametrize("revoked", [False, True])
def test_prepare_gives_the_shared_rules_code(ballots: Ballots, revoked: bool) -> None:
    m = ballots.manifest
    gone = {ballots.reps()[0]} if revoked else set()
    keys = KeyRing(m)
    for sb in _table(ballots):
        p = prepare(m, sb, "kiosk", "k1", keys)
        code, _ = final_code(p, p.reviewer in gone, False)
        assert code == _shared_code(m, sb, gone), sb
        if isinstance(sb, dict) and "ballot" in sb and code not in ("malformed",):
            assert p.id == receipt_id(sb)


@pytest.mark.parametrize(("revoked", "closed"), [(False, True), (True, True), (True, False)])
def test_final_code_is_the_shared_rules_code_and_message(ballots: Ballots, revoked: bool, closed: bool) -> None:
    """Revocation and close, applied under the ledger lock, give the very (code, message)
    ``shared.rules`` gives the kiosk and the auditor, in the rule order."""
    m = ballots.manifest
    gone = {ballots.reps()[0]} if revoked else set()
    keys = KeyRing(m)
    for sb in _table(ballots):
        p = prepare(m, sb, "kiosk", "k1", keys)
        got = final_code(p, p.reviewer in gone, closed)
        try:
            check_ballot(m, sb, channel="kiosk", kiosk="k1", revoked=gone, closed=closed)
            want: tuple[str | None, str] = (None, "")
        except Rejection as exc:
            want = (exc.code, exc.detail)
        assert got == want, sb


def test_the_process_pool_agrees_with_the_thread(ballots: Ballots, mini_event: Any) -> None:
    import json

    m = ballots.manifest
    table = _table(ballots) * 3
    signed = json.loads(mini_event.manifest_path.read_text())
    pool = Prechecker(m, signed, workers=2, threshold=4)
    try:
        on_pool = pool.run(table, "kiosk", "k1")
    finally:
        pool.close()
    here = Prechecker(m, signed, workers=0, threshold=4).run(table, "kiosk", "k1")
    assert on_pool == here


def test_the_rules_judge_the_canonical_form_the_ledger_keeps(ballots: Ballots) -> None:
    """A score sent as 3.0 is the integer 3 in JCS — what the reviewer signed, what the
    ledger keeps and what an auditor replays — so it is judged as 3, on either path."""
    import json

    from shared.encoding import jcs, parse_canonical

    m = ballots.manifest
    sb = ballots.rubric(ballots.reps()[0], kiosk="k1")
    floaty = json.loads(json.dumps(sb))
    name = next(iter(floaty["ballot"]["scores"]))
    floaty["ballot"]["scores"][name] = float(floaty["ballot"]["scores"][name])
    assert isinstance(floaty["ballot"]["scores"][name], float) and jcs(floaty) == jcs(sb)
    p = prepare(m, floaty, "kiosk", "k1", KeyRing(m))
    assert p.code is None and p.id == receipt_id(sb)
    assert _shared_code(m, parse_canonical(p.sb_text.encode()), set()) is None  # the auditor's view
    assert _shared_code(m, floaty, set()) == "bad_scores"  # the object as parsed is not what was signed


def test_the_pool_given_canonical_bytes_agrees_with_the_thread(ballots: Ballots, mini_event: Any) -> None:
    import json

    from shared.encoding import jcs

    m = ballots.manifest
    table = [sb for sb in _table(ballots) if isinstance(sb, dict)] * 3
    canonical = [jcs(sb) if "scores" not in str(sb) or "1.5" not in str(sb) else None for sb in table]
    signed = json.loads(mini_event.manifest_path.read_text())
    pool = Prechecker(m, signed, workers=2, threshold=4)
    try:
        on_pool = pool.run(table, "kiosk", "k1", canonical)
    finally:
        pool.close()
    here = Prechecker(m, signed, workers=0, threshold=4).run(table, "kiosk", "k1")
    for a, b in zip(on_pool, here, strict=True):
        assert a == b, (a, b)
