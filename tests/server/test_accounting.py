"""Nothing lost at the edges: every signed kiosk record that reaches the server ends up on
the ledger (counted or not), every signed head is remembered, a close cannot drop
ballots without a typed override on the ledger, and the figures reconcile."""

from __future__ import annotations

from typing import Any

import pytest

from audit.accounting import accounting_lines
from server.services import dashboard, reconcile, views
from shared.replay import replay
from tests.server.conftest import Harness
from tests.server.kit import Ballots, Kiosk, audit


def _fill(k: Kiosk, ballots: Ballots, n: int) -> None:
    reps = ballots.reps()
    m = ballots.manifest
    for _ in range(n):
        i = len(k.records)
        rep = reps[i % len(reps)]
        targets = sorted(t for t in m.assignments[rep] if t in m.proposals)
        k.add(ballots.rubric(rep, targets[(i // len(reps)) % len(targets)], kiosk=k.id))


def _entries(srv: Harness) -> list[dict[str, Any]]:
    size = srv.sth()["tree_size"]
    out = srv.client.get(f"/api/v1/ledger/entries?start=0&end={size}").json()["entries"]
    return [e["entry"] for e in out]


def _row(srv: Harness, kiosk: str) -> dashboard.KioskStatus:
    return next(r for r in dashboard.kiosk_rows(srv.ctx, views.kiosks_table(srv.ctx)) if r.kiosk == kiosk)


def _heartbeat(srv: Harness, k: Kiosk) -> Any:
    """A head-only batch at the kiosk's head (what its sync sends when uploads fail)."""
    from shared.chain import make_batch

    seq, h = k.head
    return srv.client.post(f"/api/v1/kiosks/{k.id}/batches", json=make_batch(k.id, [], k.key, seq, h))


@pytest.mark.parametrize("path", ["network", "bundle"])
def test_the_lost_ballot_scenario_ends_with_every_ballot_on_the_ledger(srv: Harness, ballots: Ballots, path: str) -> None:
    """The issue's finding 1: a kiosk saves 3 more ballots offline; staff close it. The close
    now needs a typed override naming what is at stake; the 3 records, arriving afterwards
    by sync or by USB bundle, go on the ledger as rejected ``kiosk_closed`` and the kiosk's
    late closure is kept; the pages and ``simsa verify`` show them."""
    k = Kiosk("k1")
    srv.enrol(k)
    _fill(k, ballots, 5)
    assert srv.sync(k).status_code == 200
    _fill(k, ballots, 3)  # seq 6-8, saved offline
    assert _heartbeat(srv, k).status_code == 200  # its signed head reaches the server, the records do not
    row = _row(srv, "k1")
    assert (row.recorded_seq, row.synced_seq, row.missing, row.received_all) == (8, 5, 3, False)

    r = srv.client.post("/api/v1/staff/kiosks/k1/close", headers=srv.staff)  # one click: refused
    assert (r.status_code, r.json()["code"]) == (409, "closure_missing")
    assert r.json()["stake"]["missing"] == {"first": 6, "last": 8} and "seq 6-8 (3 records)" in r.json()["detail"]
    r = srv.client.post("/api/v1/staff/kiosks/k1/close", json={"confirm": "k1", "reason": "  "}, headers=srv.staff)
    assert (r.status_code, r.json()["code"]) == (400, "override_unconfirmed")
    r = srv.client.post("/api/v1/staff/kiosks/k1/close", json={"confirm": "k1", "reason": "kiosk unplugged, sent home"},
                        headers=srv.staff)
    assert r.status_code == 200, r.text
    close_index = r.json()["index"]
    st = _entries(srv)[close_index]["statement"]
    assert st["override"]["reason"] == "kiosk unplugged, sent home" and st["override"]["missing"] == {"first": 6, "last": 8}
    assert st["closure"] is None and st["override"]["signed_seq"] == 8

    if path == "network":
        r = srv.sync(k, 6)
    else:
        r = srv.client.post("/api/v1/staff/bundles", json=k.batch(1), headers=srv.staff)
    assert r.status_code == 200, r.text
    assert [(x["seq"], x["status"], x["code"]) for x in r.json()["results"] if x["seq"] > 5] == [
        (s, "rejected", "kiosk_closed") for s in (6, 7, 8)
    ]
    late = [e for e in _entries(srv) if e["type"] == "rejected" and e.get("code") == "kiosk_closed"]
    assert [e["seq"] for e in late] == [6, 7, 8]
    assert srv.sync(k).json()["results"][-1]["status"] == "duplicate"  # again: the same receipts, no new entries
    r = srv.client.post("/api/v1/kiosks/k1/closure", json=k.closure(opened=8))  # its own closure, late: kept
    assert r.status_code == 202 and r.json() == {"kiosk": "k1", "status": "late", "matches": True, "synced_seq": 8}

    row = _row(srv, "k1")
    assert (row.missing, row.late, row.received_all) == (0, 3, True)
    assert row.override is not None and row.override["missing"] == {"first": 6, "last": 8}
    assert row.override_staff == "alice"
    keys = [a.key for a in dashboard.alarms(srv.ctx, views.overview(srv.ctx), [row])]
    assert "alarm.late" in keys
    ov = views.overview(srv.ctx)
    assert ov.late == {"kiosk_closed": 3} and sum(ov.ledger_types.values()) == ov.tree_size
    assert ov.ledger_types["rejected"] == 3 and ov.ballots.kiosk == 5

    state = replay(_entries(srv))
    assert [(x[2], x[3]) for x in state.late] == [("k1", 6), ("k1", 7), ("k1", 8)]
    assert state.kiosks["k1"].accepted == 5 and state.kiosks["k1"].rejected == 3
    lines = accounting_lines(state)
    assert any("kiosk k1 seq 6-8 logged as rejected kiosk_closed" in x for x in lines), lines
    assert any("kiosk unplugged, sent home" in x and "seq 6-8 known missing" in x for x in lines), lines
    audit(srv.client, srv.ctx.event.ledger_key.public_b64u, all_pairs=False)


@pytest.mark.parametrize("path", ["network", "bundle"])
def test_records_after_the_event_closed_are_logged_event_closed(srv: Harness, ballots: Ballots, path: str) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    _fill(k, ballots, 2)
    srv.sync(k)
    r = srv.client.post("/api/v1/staff/close", json={"event": "mini", "reason": "k1 stays on for the photo"}, headers=srv.staff)
    assert r.status_code == 200, r.text
    results = srv.client.get("/api/v1/results").json()
    _fill(k, ballots, 2)
    if path == "network":
        r = srv.sync(k, 3)
    else:
        r = srv.client.post("/api/v1/staff/bundles", json=k.batch(1), headers=srv.staff)
    assert [(x["seq"], x["code"]) for x in r.json()["results"] if x["seq"] > 2] == [(3, "event_closed"), (4, "event_closed")]
    state = replay(_entries(srv))
    assert [x[3] for x in state.late] == [3, 4] and state.close_index is not None and state.close_index < state.late[0][0]
    assert srv.client.get("/api/v1/results").json() == results  # the published results never move
    assert _row(srv, "k1").late == 2
    audit(srv.client, srv.ctx.event.ledger_key.public_b64u, all_pairs=False)


def test_a_refused_batch_still_records_the_kiosks_signed_head(srv: Harness, ballots: Ballots) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    _fill(k, ballots, 6)
    assert srv.sync(k, 1, 2).status_code == 200
    r = srv.sync(k, 5, 6)  # a gap: refused whole
    assert (r.status_code, r.json()["code"], r.json()["signed_seq"]) == (409, "chain_gap", 6)
    row = _row(srv, "k1")
    assert (row.recorded_seq, row.synced_seq, row.missing, row.received_all) == (6, 2, 4, False)
    assert row.missing_range == {"first": 3, "last": 6}
    for _ in range(9):  # the kiosk retries the same batch: one problem, not ten
        srv.sync(k, 5, 6)
    refusals = dashboard.kiosk_refusals(srv.ctx, "k1")["k1"]
    assert [(x.code, x.seq, x.times) for x in refusals] == [("chain_gap", 5, 10)]
    ov = views.overview(srv.ctx)
    assert ov.refusals == {"chain_gap": {"distinct": 1, "received": 10}} and "kiosk" not in ov.rejections
    # a bad head signature is not the kiosk's: it records nothing
    bad = k.batch(1, 6)
    bad["head"] = {**bad["head"], "seq": 99}
    assert srv.client.post("/api/v1/kiosks/k1/batches", json=bad).json()["code"] in ("malformed", "bad_head_signature")
    assert _row(srv, "k1").recorded_seq == 6


def test_a_never_synced_kiosk_is_red_at_once(srv: Harness, ballots: Ballots) -> None:
    k = Kiosk("usb-only")
    srv.enrol(k)
    row = _row(srv, "usb-only")
    assert (row.head_known, row.received_all) == (False, False)
    got = dashboard.alarms(srv.ctx, views.overview(srv.ctx), [row])
    assert ("bad", "alarm.nohead") in [(a.level, a.key) for a in got]
    r = srv.client.post("/api/v1/staff/kiosks/usb-only/close", headers=srv.staff)
    assert (r.status_code, r.json()["code"]) == (409, "closure_missing")
    assert r.json()["stake"]["head_known"] is False and "no signed head since approval" in r.json()["detail"]
    _heartbeat(srv, k)  # an empty kiosk that syncs once is all received
    assert _row(srv, "usb-only").received_all is True


def test_a_bundle_imported_before_approval_tells_what_the_kiosk_holds(srv: Harness, ballots: Ballots) -> None:
    """The USB-only kiosk of finding 2: its bundle (registration and batch) is imported
    before staff approve it. The batch is refused (pending), but its signed head is kept:
    once approved, the kiosk shows 3 records missing, not a green tick."""
    k = Kiosk("usb")
    assert srv.client.post("/api/v1/kiosks", json=k.registration()).status_code == 202
    _fill(k, ballots, 3)
    r = srv.client.post("/api/v1/staff/bundles", json=k.batch(), headers=srv.staff)
    assert (r.status_code, r.json()["code"], r.json()["signed_seq"]) == (403, "unknown_kiosk", 3)
    impostor = Kiosk("usb")  # another key claiming the id: its head is not the kiosk's
    _fill(impostor, ballots, 5)
    assert srv.client.post("/api/v1/kiosks/usb/batches", json=impostor.batch()).json()["code"] == "unknown_kiosk"
    assert srv.client.post("/api/v1/staff/kiosks/usb/approve", headers=srv.staff).status_code == 200
    row = _row(srv, "usb")
    assert (row.head_known, row.recorded_seq, row.missing, row.received_all) == (True, 3, 3, False)
    keys = [(a.level, a.key) for a in dashboard.alarms(srv.ctx, views.overview(srv.ctx), [row])]
    assert ("bad", "alarm.missing") in keys
    assert srv.client.post("/api/v1/staff/bundles", json=k.batch(), headers=srv.staff).status_code == 200
    assert _row(srv, "usb").received_all is True


CLOSE_KIOSK = [
    # (name, kiosk state, body, status, code)
    ("no closure, one click", "behind", None, 409, "closure_missing"),
    ("closure differs", "mismatch", None, 409, "closure_mismatch"),
    ("old force flag alone", "mismatch", {"force": True}, 409, "closure_mismatch"),
    ("override with the wrong name", "behind", {"confirm": "k2", "reason": "x"}, 400, "override_unconfirmed"),
    ("override without a reason", "behind", {"confirm": "k1"}, 400, "override_unconfirmed"),
    ("override with a blank reason", "behind", {"confirm": "k1", "reason": "   "}, 400, "override_unconfirmed"),
    ("override with a reason too long", "behind", {"confirm": "k1", "reason": "x" * 501}, 400, "override_unconfirmed"),
    ("matching closure", "matching", None, 200, None),
    ("override", "behind", {"confirm": "k1", "reason": "stolen"}, 200, None),
]


@pytest.mark.parametrize(("name", "state", "body", "status", "code"), CLOSE_KIOSK, ids=[c[0] for c in CLOSE_KIOSK])
def test_close_kiosk_codes(srv: Harness, ballots: Ballots, name: str, state: str, body: Any, status: int, code: str | None) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    _fill(k, ballots, 3)
    srv.sync(k, 1, 3 if state == "matching" else 2)
    if state in ("mismatch", "matching"):
        srv.client.post("/api/v1/kiosks/k1/closure", json=k.closure(opened=3))
    else:
        _heartbeat(srv, k)
    before = srv.sth()["tree_size"]
    r = srv.client.post("/api/v1/staff/kiosks/k1/close", json=body, headers=srv.staff) if body is not None else \
        srv.client.post("/api/v1/staff/kiosks/k1/close", headers=srv.staff)
    assert r.status_code == status, r.text
    if code is not None:
        assert r.json()["code"] == code and srv.sth()["tree_size"] == before  # nothing on the ledger
        assert srv.client.get("/api/v1/kiosks/k1").json()["status"] == "approved"


CLOSE_EVENT = [
    ("open kiosk, no reason", "open", {}, 409, "kiosks_unreconciled"),
    ("closed kiosk behind, no reason", "closed-behind", {}, 409, "kiosks_unreconciled"),
    ("open kiosk, blank reason", "open", {"reason": " "}, 400, "override_unconfirmed"),
    ("open kiosk, reason", "open", {"reason": "k1 is a spare"}, 200, None),
    ("every kiosk closed and complete", "closed", {}, 200, None),
]


@pytest.mark.parametrize(("name", "state", "extra", "status", "code"), CLOSE_EVENT, ids=[c[0] for c in CLOSE_EVENT])
def test_close_event_codes(srv: Harness, ballots: Ballots, name: str, state: str, extra: dict[str, Any], status: int, code: str | None) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    _fill(k, ballots, 2)
    srv.sync(k)
    if state == "closed":
        srv.client.post("/api/v1/kiosks/k1/closure", json=k.closure(opened=2))
        assert srv.client.post("/api/v1/staff/kiosks/k1/close", headers=srv.staff).status_code == 200
    elif state == "closed-behind":
        srv.client.post("/api/v1/staff/kiosks/k1/close", json={"confirm": "k1", "reason": "gone"}, headers=srv.staff)
        _fill(k, ballots, 1)
        assert srv.client.post("/api/v1/kiosks/k1/closure", json=k.closure(opened=3)).json()["status"] == "late"
    r = srv.client.post("/api/v1/staff/close", json={"event": "mini", **extra}, headers=srv.staff)
    assert r.status_code == status, r.text
    if code is not None:
        assert r.json()["code"] == code
        return
    st = _entries(srv)[r.json()["index"]]["statement"]
    if extra.get("reason"):
        assert st["override"]["reason"] == extra["reason"]
        assert [x["kiosk"] for x in st["override"]["kiosks"]] == ["k1"]
        lines = accounting_lines(replay(_entries(srv)))
        assert any("closed the event by alice: \"k1 is a spare\"" in x and "k1" in x for x in lines), lines
    else:
        assert "override" not in st


def test_accepted_against_counted_names_the_conflict_losers(srv: Harness, ballots: Ballots) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    rep = ballots.reps()[0]
    k.add(ballots.rubric(rep, "p02", kiosk="k1"))
    k.add(ballots.rubric(rep, "p02", kiosk="k1", scores={c.id: c.max for c in ballots.manifest.rubric}))
    srv.sync(k)
    c = reconcile.counted(srv.ctx).channels["kiosk"]
    assert (c.accepted, c.counted, c.lost_rule, c.lost_staff) == (2, 1, 1, 0)
    assert c.accepted == c.counted + c.lost_rule + c.lost_staff
