"""Kiosks: registration and approval, POST /api/v1/kiosks/{kiosk}/batches with every
batch-level code, per-record results, idempotent re-sends, atomic commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from server.services import dashboard, views
from shared.chain import GENESIS, make_batch, make_record, record_hash, sign_head
from shared.encoding import jcs
from shared.timefmt import format_time
from tests.server.conftest import Harness
from tests.server.kit import Ballots, Kiosk, audit, now, receipt_id


def test_registration_is_pending_until_staff_approve(srv: Harness) -> None:
    k = Kiosk("hall-a")
    assert srv.client.get("/api/v1/kiosks/hall-a").json() == {"kiosk": "hall-a", "status": "unknown", "synced_seq": 0, "synced_hash": GENESIS}
    r = srv.client.post("/api/v1/kiosks", json=k.registration())
    assert (r.status_code, r.json()) == (202, {"kiosk": "hall-a", "status": "pending"})
    assert srv.client.post("/api/v1/kiosks", json=k.registration()).status_code == 202  # again: still pending
    assert srv.client.get("/api/v1/kiosks/hall-a").json()["status"] == "pending"
    before = srv.sth()
    r = srv.sync(k)
    assert (r.status_code, r.json()["code"]) == (403, "unknown_kiosk")  # pending is not enrolled
    r = srv.client.post("/api/v1/staff/kiosks/hall-a/approve", headers=srv.staff)
    assert r.status_code == 200 and r.json()["index"] == before["tree_size"]
    entry = srv.client.get(f"/api/v1/ledger/entries?start={r.json()['index']}").json()["entries"][0]["entry"]
    st = entry["statement"]
    assert (entry["type"], st["kiosk"], st["key"], st["staff"]) == ("kiosk", "hall-a", k.key.public_b64u, "alice")
    assert entry["signer"] == {"role": "staff", "id": "alice", "key": srv.client.get("/api/v1/staff/me", headers=srv.staff).json()["key"]}
    r = srv.client.post("/api/v1/kiosks", json=k.registration())
    assert (r.status_code, r.json()["status"]) == (200, "approved")
    assert srv.sync(k).json() == {"results": [], "synced_seq": 0, "synced_hash": GENESIS, "sth": srv.sth()}


def test_registrations_refused(srv: Harness) -> None:
    spoilers: list[tuple[Callable[[dict[str, Any]], dict[str, Any]], str]] = [
        (lambda b: {**b, "sig": "A" * 86}, "bad_signature"),
        (lambda b: {**b, "kiosk": "bad id!"}, "malformed"),
        (lambda b: {**b, "extra": 1}, "malformed"),
        (lambda b: {k: v for k, v in b.items() if k != "registered_at"}, "malformed"),
    ]
    for spoil, code in spoilers:
        r = srv.client.post("/api/v1/kiosks", json=spoil(Kiosk("k9").registration()))
        assert (r.status_code, r.json()["code"]) == (400, code)
    assert srv.client.get("/api/v1/kiosks/k9").json()["status"] == "unknown"


def test_a_kiosk_id_keeps_its_first_key(srv: Harness) -> None:
    srv.client.post("/api/v1/kiosks", json=Kiosk("k2").registration())
    r = srv.client.post("/api/v1/kiosks", json=Kiosk("k2").registration())
    assert (r.status_code, r.json()["code"]) == (409, "kiosk_key_conflict")


def _fill(k: Kiosk, ballots: Ballots, n: int, start: int = 0) -> None:
    reps = ballots.reps()
    m = ballots.manifest
    for i in range(start, start + n):
        rep = reps[i % len(reps)]
        targets = sorted(t for t in m.assignments[rep] if t in m.proposals)
        k.add(ballots.rubric(rep, targets[(i // len(reps)) % len(targets)], kiosk=k.id))


def test_batch_results_duplicates_and_rejected_records_on_the_ledger(srv: Harness, ballots: Ballots) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    _fill(k, ballots, 3)
    bad = ballots.rubric(ballots.reps()[0], kiosk="k1", scores={"benefit": 99})  # bad_scores
    k.add(bad)
    _fill(k, ballots, 2, start=3)
    r = srv.sync(k, 1, 4)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["synced_seq"], body["synced_hash"]) == (4, record_hash(k.records[3]))
    statuses = [(x["seq"], x["status"], x["code"]) for x in body["results"]]
    assert statuses == [(1, "accepted", None), (2, "accepted", None), (3, "accepted", None), (4, "rejected", "bad_scores")]
    for x, rec in zip(body["results"], k.records, strict=False):
        assert x["id"] == receipt_id(rec["signed_ballot"])
    first = {x["seq"]: x for x in body["results"]}
    # the whole chain again: 1-4 are duplicates with their original receipts, 5-6 are new
    again = srv.sync(k).json()
    assert [x["status"] for x in again["results"]] == ["duplicate"] * 4 + ["accepted"] * 2
    for x in again["results"][:4]:
        assert (x["id"], x["index"], x["code"]) == (first[x["seq"]]["id"], first[x["seq"]]["index"], first[x["seq"]]["code"])
    assert again["synced_seq"] == 6 and again["synced_hash"] == record_hash(k.records[-1])
    assert srv.client.get("/api/v1/kiosks/k1").json()["synced_seq"] == 6
    entries = audit(srv.client, srv.ctx.event.ledger_key.public_b64u, all_pairs=False)
    rejected = [e for e in entries if e["type"] == "rejected"]
    assert len(rejected) == 1 and rejected[0]["code"] == "bad_scores" and rejected[0]["seq"] == 4
    assert rejected[0]["signed_ballot"] == bad
    kept = srv.client.get("/api/v1/staff/rejections?channel=kiosk", headers=srv.staff).json()["rejections"]
    assert [(x["kiosk"], x["seq"], x["code"], x["ledger_index"]) for x in kept] == [("k1", 4, "bad_scores", first[4]["index"])]


def test_every_ballot_code_on_a_kiosk_record(srv: Harness, ballots: Ballots) -> None:
    """Each §5 code a kiosk record can get, logged as a rejected entry in its chain
    (conflict_of_interest cannot happen on this event's kiosks: representatives are never
    assigned their own proposal, so rule 8 refuses it first; the online test covers it)."""
    m = ballots.manifest
    k = Kiosk("k1")
    srv.enrol(k)
    rep, rep2 = ballots.reps()[0], ballots.reps()[1]
    unassigned = next(p for p in m.proposals if p not in m.assignments[rep] and m.proposals[p].group not in m.assignments[rep])
    late = "2001-01-01T00:00:00Z"
    srv.client.post("/api/v1/staff/revocations", json={"reviewer": rep2, "reason": "lost"}, headers=srv.staff)
    cases = {
        "malformed": {"ballot": {"v": 2}, "sig": "x"},
        "wrong_event": ballots.rubric(rep, kiosk="k1", edit={"event": "other"}),
        "unknown_reviewer": ballots.rubric(rep, kiosk="k1", edit={"reviewer": "ghost"}),
        "bad_signature": ballots.rubric(rep, kiosk="k1", key=ballots.keys[rep2]),
        "revoked_credential": ballots.rubric(rep2, kiosk="k1", created_at=late),
        "wrong_form": ballots.approval(ballots.members()[0], edit={"channel": "kiosk", "kiosk": "k1"}),
        "not_assigned": ballots.rubric(rep, unassigned, kiosk="k1"),
        "bad_scores": ballots.rubric(rep, kiosk="k1", scores={}),
        "outside_window": ballots.rubric(rep, kiosk="k1", created_at=late),
        "other-kiosk (malformed)": ballots.rubric(rep, kiosk="k7"),
    }
    for sb in cases.values():
        k.add(sb)
    body = srv.sync(k).json()
    got = [x["code"] for x in body["results"]]
    assert got == [c.split(" ")[0] if "(" not in c else "malformed" for c in cases]
    assert all(x["status"] == "rejected" for x in body["results"])
    audit(srv.client, srv.ctx.event.ledger_key.public_b64u, all_pairs=False)


def test_batches_refused_whole(srv: Harness, ballots: Ballots) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    _fill(k, ballots, 4)
    assert srv.sync(k, 1, 2).status_code == 200
    before = srv.sth()

    def refused(batch: dict[str, Any], code: str, status: int, kiosk: str = "k1") -> None:
        r = srv.client.post(f"/api/v1/kiosks/{kiosk}/batches", json=batch)
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
        assert srv.sth() == before

    refused(k.batch(4, 4), "chain_gap", 409)  # seq 3 is missing
    forged = Kiosk("k1", key=k.key)
    _fill(forged, ballots, 3, start=10)  # another record at seq 1..3 under the same key
    refused(forged.batch(2, 3), "chain_fork", 409)  # seq 2 differs from the one held
    refused(forged.batch(3, 3), "chain_fork", 409)  # seq 3 does not continue the held seq 2
    b = k.batch(3, 4)
    refused({**b, "head": {**b["head"], "sig": Kiosk("x").batch()["head"]["sig"]}}, "bad_head_signature", 400)
    refused({**b, "head": sign_head("k1", 4, b["head"]["hash"], Kiosk("k1").key)}, "bad_head_signature", 400)
    refused({**b, "records": b["records"][::-1]}, "malformed", 400)  # not consecutive
    refused({**b, "kiosk": "k2"}, "malformed", 400)  # names another kiosk than the URL
    refused(b, "unknown_kiosk", 403, kiosk="k2")  # the path's kiosk is checked before the body is read
    stranger = Kiosk("k5")
    _fill(stranger, ballots, 1)
    refused(stranger.batch(), "unknown_kiosk", 403, kiosk="k5")
    r = srv.client.post("/api/v1/kiosks/k1/batches", content=b"[" * 20 + b"]" * 20, headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (400, "malformed")
    assert "nested deeper" in srv.client.get("/api/v1/staff/rejections?kiosk=k1&limit=1", headers=srv.staff).json()["rejections"][0]["detail"]
    kept = {x["code"] for x in srv.client.get("/api/v1/staff/rejections?kiosk=k1", headers=srv.staff).json()["rejections"]}
    assert {"chain_gap", "chain_fork", "bad_head_signature", "malformed"} <= kept
    # and the right batch still goes through
    assert srv.sync(k, 3, 4).json()["synced_seq"] == 4


def test_an_empty_batch_reports_the_kiosks_head(srv: Harness, ballots: Ballots) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    _fill(k, ballots, 5)
    srv.sync(k, 1, 2)
    seq, h = k.head
    r = srv.client.post("/api/v1/kiosks/k1/batches", json=make_batch("k1", [], k.key, seq, h))
    assert r.status_code == 200 and r.json()["synced_seq"] == 2
    row = next(x for x in srv.client.get("/api/v1/staff/kiosks", headers=srv.staff).json()["kiosks"] if x["kiosk"] == "k1")
    assert (row["recorded_seq"], row["synced_seq"], row["missing"]) == (5, 2, 3)


def test_an_idle_kiosks_head_only_batch_is_contact(srv: Harness, ballots: Ballots) -> None:
    """What an idle kiosk sends every sync pass (kiosk.sync.Syncer.report_head): the
    dashboard's last contact moves to it and the kiosk is no longer "silent"."""
    k = Kiosk("k1")
    srv.enrol(k)
    _fill(k, ballots, 3)
    srv.sync(k)
    ctx = srv.ctx
    start = ctx.manifest.windows["kiosk"].start + timedelta(hours=1)  # inside the kiosk window

    def row_and_alarms(at: datetime) -> tuple[dashboard.KioskStatus, list[str]]:
        ctx.clock = lambda: at
        rows = dashboard.kiosk_rows(ctx, views.kiosks_table(ctx))
        ov = views.overview(ctx)
        return next(r for r in rows if r.kiosk == "k1"), [a.key for a in dashboard.alarms(ctx, ov, rows)]

    clock, ledger_clock = ctx.clock, ctx.ledger.clock
    try:
        ctx.ledger.clock = lambda: start  # the records arrived at `start`
        srv.sync(k)  # everything held: answered as duplicates, contact at `start`
        later = start + timedelta(minutes=20)
        row, keys = row_and_alarms(later)
        assert row.last_contact == format_time(start) and "alarm.silent" in keys
        ctx.ledger.clock = lambda: later
        seq, h = k.head
        r = srv.client.post("/api/v1/kiosks/k1/batches", json=make_batch("k1", [], k.key, seq, h))
        assert r.status_code == 200 and r.json()["results"] == [] and r.json()["synced_seq"] == 3
        row, keys = row_and_alarms(later)
        assert row.last_contact == format_time(later) and "alarm.silent" not in keys
        assert (row.recorded_seq, row.synced_seq, row.missing) == (3, 3, 0)
    finally:
        ctx.clock, ctx.ledger.clock = clock, ledger_clock


def test_closure_and_kiosk_close(srv: Harness, ballots: Ballots) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    _fill(k, ballots, 3)
    srv.sync(k, 1, 2)
    r = srv.client.post("/api/v1/kiosks/k1/closure", json=k.closure(opened=3))
    assert (r.status_code, r.json()["matches"]) == (202, False)
    r = srv.client.post("/api/v1/staff/kiosks/k1/close", headers=srv.staff)
    assert (r.status_code, r.json()["code"]) == (409, "closure_mismatch")
    srv.sync(k)
    r = srv.client.post("/api/v1/staff/kiosks/k1/close", headers=srv.staff)
    assert r.status_code == 200 and r.json()["closure_included"] is True
    entry = srv.client.get(f"/api/v1/ledger/entries?start={r.json()['index']}").json()["entries"][0]["entry"]
    st = entry["statement"]
    assert st["closure"] == k.closure(opened=3) | {"closed_at": st["closure"]["closed_at"], "sig": st["closure"]["sig"]}
    assert st["server_counts"] == {"synced_seq": 3, "accepted": 3, "rejected": 0} and st["staff"] == "alice"
    assert srv.client.get("/api/v1/kiosks/k1").json()["status"] == "closed"
    _fill(k, ballots, 1, start=5)
    r = srv.sync(k)  # after the close: logged, never counted (tests/server/test_accounting.py)
    assert r.status_code == 200 and [(x["seq"], x["status"], x["code"]) for x in r.json()["results"]][-1] == (4, "rejected", "kiosk_closed")
    assert srv.sync(k, 1, 3).json()["results"][0]["status"] == "duplicate"  # receipts still answered
    # a closure signed by another key is refused
    bad = Kiosk("k1").closure()
    assert srv.client.post("/api/v1/kiosks/k1/closure", json=bad).json()["code"] == "bad_signature"
    audit(srv.client, srv.ctx.event.ledger_key.public_b64u, all_pairs=False)


def test_forced_close_leaves_out_a_mismatched_closure(srv: Harness, ballots: Ballots) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    _fill(k, ballots, 2)
    srv.sync(k, 1, 1)
    srv.client.post("/api/v1/kiosks/k1/closure", json=k.closure())
    r = srv.client.post("/api/v1/staff/kiosks/k1/close", json={"force": True}, headers=srv.staff)
    assert (r.status_code, r.json()["code"]) == (409, "closure_mismatch")  # a checkbox is not enough
    assert r.json()["stake"]["missing"] == {"first": 2, "last": 2}
    r = srv.client.post("/api/v1/staff/kiosks/k1/close", json={"confirm": "k1", "reason": "kiosk broke"}, headers=srv.staff)
    assert r.status_code == 200 and r.json()["closure_included"] is False
    assert r.json()["override"]["missing"] == {"first": 2, "last": 2} and r.json()["override"]["reason"] == "kiosk broke"


def test_after_close_new_records_get_event_closed(srv: Harness, ballots: Ballots) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    _fill(k, ballots, 2)
    srv.sync(k, 1, 1)
    r = srv.client.post("/api/v1/staff/close", json={"event": "mini"}, headers=srv.staff)
    assert (r.status_code, r.json()["code"]) == (409, "kiosks_unreconciled")  # k1 is open and behind
    r = srv.client.post("/api/v1/staff/close", json={"event": "mini", "reason": "hall shut"}, headers=srv.staff)
    assert r.status_code == 200
    before = srv.sth()
    r = srv.sync(k)
    assert r.status_code == 200 and [(x["seq"], x["code"]) for x in r.json()["results"]] == [(1, None), (2, "event_closed")]
    assert srv.sync(k, 1, 1).json()["results"][0]["status"] == "duplicate"
    assert srv.sth()["tree_size"] == before["tree_size"] + 1  # on the ledger after the close entry


def test_entry_texts_are_canonical(ballots: Ballots) -> None:
    from server.services.entries import ballot_entry_text, rejected_entry_text
    from shared.chain import Batch
    from shared.keys import SigningKey
    from shared.ledger import ballot_entry, rejected_entry

    sb = ballots.rubric(ballots.reps()[0], kiosk="k\"1\u00e9", edit={"comment": "좋아요 \"quoted\"\n\u2028 \U0001f600"})
    sbt = jcs(sb).decode()
    rec = make_record(1, GENESIS, sb)
    batch = Batch.from_json(make_batch('k"1\u00e9', [rec], SigningKey(bytes(32)), 0, GENESIS))
    assert batch.signed_jcs == (sbt.encode(),) and batch.hashes == (record_hash(rec),)
    assert ballot_entry_text(sbt, now(), "k\"1\u00e9", 7) == jcs(ballot_entry(sb, now(), "k\"1\u00e9", 7)).decode()
    assert ballot_entry_text(sbt, now(), None, None) == jcs(ballot_entry(sb, now(), None, None)).decode()
    t = rejected_entry_text(sbt, now(), "k1", 3, "bad_scores")
    assert t == jcs(rejected_entry(sb, now(), "k1", 3, "bad_scores")).decode()


def test_bodies_over_the_limit_are_refused_declared_or_streamed(srv: Harness, ballots: Ballots) -> None:
    from fastapi.testclient import TestClient

    from server.app import create_app

    small = srv.ctx.settings.model_copy(update={"max_batch_bytes": 64 * 1024})
    client = TestClient(create_app(small, context=srv.ctx))
    k = Kiosk("k1")
    srv.enrol(k)
    _fill(k, ballots, 150)  # about 76 kB
    before = srv.sth()
    import json

    body = json.dumps(k.batch()).encode()
    assert len(body) > 64 * 1024
    r = client.post("/api/v1/kiosks/k1/batches", content=body, headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (413, "too_large")

    def chunks() -> Any:
        for i in range(0, len(body), 8192):
            yield body[i : i + 8192]

    r = client.post("/api/v1/kiosks/k1/batches", content=chunks(), headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["code"]) == (413, "too_large")
    assert srv.sth() == before
    assert srv.sync(k).status_code == 200  # the normal limit (8 MiB) takes it
