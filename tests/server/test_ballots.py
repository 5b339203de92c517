"""POST /api/v1/ballots: receipts, idempotency and every rejection code (ledger unchanged)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from shared.ledger import verify_sth
from shared.timefmt import format_time
from tests.server.conftest import Harness
from tests.server.kit import Ballots, receipt_id


def test_receipt_is_the_hash_of_the_signed_ballot_and_resending_returns_it(srv: Harness, ballots: Ballots) -> None:
    sb = ballots.approval(ballots.members()[0])
    r = srv.client.post("/api/v1/ballots", json=sb)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] == receipt_id(sb)
    assert body["index"] == 1
    sth = verify_sth(body["sth"], srv.ctx.event.ledger_key.public_b64u)
    assert sth.tree_size == 2
    # the same bytes again — and the same ballot in other whitespace — give the original body
    again = srv.client.post("/api/v1/ballots", json=sb)
    assert again.status_code == 200 and again.json() == body
    spaced = srv.client.post(
        "/api/v1/ballots", content=json.dumps(sb, indent=2), headers={"content-type": "application/json"}
    )
    assert spaced.status_code == 200 and spaced.json() == body
    assert srv.sth()["tree_size"] == 2
    entry = srv.client.get("/api/v1/ledger/entries?start=1&end=2").json()["entries"][0]["entry"]
    assert entry["type"] == "ballot" and entry["signed_ballot"] == sb
    assert entry["kiosk"] is None and entry["seq"] is None


def _spoil(ballots: Ballots, code: str) -> dict[str, Any]:
    m = ballots.manifest
    member = ballots.members()[1]
    later = format_time(m.windows["online"].end + timedelta(seconds=m.clock_tolerance_s + 60))
    own = [p for p in m.groups[sorted(m.assignments[member])[0]] if m.proposals[p].community == m.reviewers[member].community]
    other_group = next(g for g in m.groups if g not in m.assignments[member])
    fine = ballots.approval(member)["ballot"]["choices"][0]
    spoilers: dict[str, Callable[[], dict[str, Any]]] = {
        "malformed": lambda: {"ballot": {"v": 1}, "sig": "x"},
        "wrong_event": lambda: ballots.approval(member, edit={"event": "another-event"}),
        "unknown_reviewer": lambda: ballots.approval(member, edit={"reviewer": "nobody-here"}),
        "bad_signature": lambda: ballots.approval(member, key=ballots.keys[ballots.members()[2]]),
        "wrong_form": lambda: ballots.rubric(ballots.reps()[0], edit={"channel": "online", "kiosk": None}),
        "not_assigned": lambda: ballots.approval(member, choices=[], edit={"group": other_group}),
        "conflict_of_interest": lambda: ballots.approval(member, choices=own[:1]),
        "bad_scores": lambda: ballots.approval(member, choices=[fine, fine]),
        "outside_window": lambda: ballots.approval(member, created_at=later),
    }
    return spoilers[code]()


STATELESS = ["malformed", "wrong_event", "unknown_reviewer", "bad_signature", "wrong_form", "not_assigned",
             "conflict_of_interest", "bad_scores", "outside_window"]


def test_each_bad_ballot_gets_its_code_and_the_ledger_is_unchanged(srv: Harness, ballots: Ballots) -> None:
    before = srv.sth()
    for code in STATELESS:
        sb = _spoil(ballots, code)
        r = srv.client.post("/api/v1/ballots", json=sb)
        assert r.status_code == (400 if code == "malformed" else 422), r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == code
        assert "Traceback" not in r.text
        assert srv.sth() == before
        kept = srv.client.get(f"/api/v1/staff/rejections?code={code}", headers=srv.staff).json()["rejections"]
        assert len(kept) == 1 and kept[0]["channel"] == "online", code


def test_revoked_and_closed_come_after_the_signature_and_before_the_rest(srv: Harness, ballots: Ballots) -> None:
    member = ballots.members()[3]
    r = srv.client.post("/api/v1/staff/revocations", json={"reviewer": member, "reason": "card lost"}, headers=srv.staff)
    assert r.status_code == 200, r.text
    before = srv.sth()
    # revoked beats a later failing rule (outside_window), but a bad signature still comes first
    late = _spoil(ballots, "outside_window")["ballot"]["created_at"]
    assert srv.client.post("/api/v1/ballots", json=ballots.approval(member, created_at=late)).json()["code"] == "revoked_credential"
    forged = ballots.approval(member, key=ballots.keys[ballots.members()[4]])
    assert srv.client.post("/api/v1/ballots", json=forged).json()["code"] == "bad_signature"
    assert srv.sth() == before
    r = srv.client.post("/api/v1/staff/close", json={"event": ballots.manifest.event}, headers=srv.staff)
    assert r.status_code == 200, r.text
    closed = srv.sth()
    other = ballots.members()[5]
    r = srv.client.post("/api/v1/ballots", json=ballots.approval(other, created_at=late))
    assert r.status_code == 422 and r.json()["code"] == "event_closed"
    assert srv.client.post("/api/v1/ballots", json=ballots.approval(member)).json()["code"] == "revoked_credential"
    assert srv.sth() == closed


def test_a_ballot_accepted_before_close_still_gets_its_receipt_after(srv: Harness, ballots: Ballots) -> None:
    sb = ballots.approval(ballots.members()[6])
    first = srv.client.post("/api/v1/ballots", json=sb).json()
    srv.client.post("/api/v1/staff/close", json={"event": ballots.manifest.event}, headers=srv.staff)
    again = srv.client.post("/api/v1/ballots", json=sb)
    assert again.status_code == 200 and again.json() == first


NOT_BALLOTS = [
        (b"{not json", "application/json", 400, "malformed"),
        (b"[" * 40 + b"]" * 40, "application/json", 400, "malformed"),
        (b'{"ballot": 1, "ballot": 2}', "application/json", 400, "malformed"),
        (b'{"ballot": NaN}', "application/json", 400, "malformed"),
        (b"\xff\xfe", "application/json", 400, "malformed"),
        (b"x" * (70 * 1024), "application/json", 413, "too_large"),
        (b"{}", "text/plain", 415, "unsupported_media_type"),
    ]


def test_bodies_that_are_not_a_ballot(srv: Harness) -> None:
    before = srv.sth()
    for body, ctype, status, code in NOT_BALLOTS:
        r = srv.client.post("/api/v1/ballots", content=body, headers={"content-type": ctype})
        assert (r.status_code, r.json()["code"]) == (status, code), (body[:20], r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert srv.sth() == before
