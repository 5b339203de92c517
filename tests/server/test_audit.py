"""The audit API as an independent client uses it (DESIGN §4): entries, root, STH
signatures, every inclusion and consistency proof; and a mixed session replayed with
``shared.replay`` gives the results the server published."""

from __future__ import annotations

from typing import Any

from shared.encoding import b64u, jcs
from shared.ledger import verify_sth
from shared.manifest import verify_signed_manifest
from shared.merkle import leaf_hash, root_from_leaf_hashes, verify_consistency, verify_inclusion
from shared.replay import replay
from shared.tally import results_hash
from tests.server.conftest import Harness
from tests.server.kit import Ballots, Kiosk, _d, audit


def _mixed_session(srv: Harness, ballots: Ballots) -> list[dict[str, Any]]:
    """Kiosks, online ballots, rejections, a conflict with a resolution, a revocation and
    a closed kiosk; returns every STH the server handed out on the way."""
    sths = [srv.sth()]
    k1, k2 = Kiosk("k1"), Kiosk("k2")
    srv.enrol(k1)
    srv.enrol(k2)
    reps = ballots.reps()
    for i, rep in enumerate(reps[:8]):
        (k1 if i % 2 else k2).add(ballots.rubric(rep, kiosk=(k1 if i % 2 else k2).id))
    k1.add(ballots.rubric(reps[1], kiosk="k1", scores={"benefit": 1}))  # rejected: bad_scores
    k2.add(ballots.rubric(reps[0], kiosk="k2", scores={c.id: c.max for c in ballots.manifest.rubric}))  # conflict
    for k in (k1, k2):
        sths.append(srv.sync(k, 1, 2).json()["sth"])
        sths.append(srv.sync(k).json()["sth"])
    for member in ballots.members()[:6]:
        r = srv.client.post("/api/v1/ballots", json=ballots.approval(member))
        sths.append(r.json()["sth"])
    srv.client.post("/api/v1/ballots", json=ballots.approval(ballots.members()[7], choices=["p99"]))  # refused, not logged
    srv.client.post("/api/v1/staff/revocations", json={"reviewer": reps[9], "reason": "lost"}, headers=srv.staff)
    k1.add(ballots.rubric(reps[9], kiosk="k1"))  # revoked_credential, logged as rejected
    sths.append(srv.sync(k1).json()["sth"])
    conflict = next(c for c in srv.client.get("/api/v1/staff/conflicts", headers=srv.staff).json()["conflicts"] if c["reviewer"] == reps[0])
    srv.client.post("/api/v1/staff/resolutions", headers=srv.staff, json={
        "reviewer": reps[0], "target": conflict["target"], "ballot": conflict["ballots"][0]["id"], "reason": "on-site note"})
    srv.client.post("/api/v1/kiosks/k1/closure", json=k1.closure(opened=5))
    assert srv.client.post("/api/v1/staff/kiosks/k1/close", headers=srv.staff).json()["closure_included"]
    sths.append(srv.client.post("/api/v1/staff/close", json={"event": "mini", "reason": "k2 is a spare, left open"}, headers=srv.staff).json()["sth"])
    return sths


def test_an_independent_client_checks_the_whole_ledger_and_recomputes_the_results(srv: Harness, ballots: Ballots) -> None:
    sths = _mixed_session(srv, ballots)
    signed = srv.client.get("/api/v1/event").json()
    manifest = verify_signed_manifest(signed)
    key = srv.client.get("/api/v1/ledger/key").json()["public_key"]
    assert key == manifest.ledger_key
    entries = audit(srv.client, key, all_pairs=True)
    assert entries[0]["signed_manifest"] == signed
    # every STH handed out is signed and consistent with the final tree
    final = verify_sth(srv.sth(), key)
    for old in sths:
        h = verify_sth(old, key, event="mini")
        proof = srv.client.get(f"/api/v1/ledger/proof/consistency?first={h.tree_size}&second={final.tree_size}").json()
        verify_consistency(h.tree_size, final.tree_size, h.root_hash, final.root_hash, [_d(x) for x in proof["consistency"]])
    state = replay(entries)  # every rule, signature, chain and statement checked again
    published = srv.client.get("/api/v1/results").json()
    assert state.close is not None and state.close["results_hash"] == published["results_hash"]
    assert results_hash(state.results()) == published["results_hash"]
    assert state.results() == published["results"]
    assert {k: (c.seq, c.accepted, c.rejected) for k, c in state.kiosks.items()} == {"k1": (6, 4, 2), "k2": (5, 5, 0)}
    # the staff API's conflicts (from the server's live replay) are an independent full replay's
    replayed = [
        {"reviewer": c.key[0], "target": c.key[1], "default": c.default, "resolved": c.resolved, "effective": c.effective,
         "ballots": [{"id": a.id, "index": a.index, "channel": a.signed.ballot.channel, "kiosk": a.kiosk, "seq": a.seq,
                      "created_at": a.signed.ballot.created_at} for a in c.ballots]}
        for c in state.merged().conflicts
    ]
    served = srv.client.get("/api/v1/staff/conflicts", headers=srv.staff).json()["conflicts"]
    assert replayed and served == replayed
    assert any(c["resolved"] for c in replayed)


def test_inclusion_by_leaf_hash_and_parameter_errors(srv: Harness, ballots: Ballots) -> None:
    r = srv.client.post("/api/v1/ballots", json=ballots.approval(ballots.members()[0]))
    index, n = r.json()["index"], r.json()["sth"]["tree_size"]
    entry = srv.client.get(f"/api/v1/ledger/entries?start={index}").json()["entries"][0]["entry"]
    leaf = leaf_hash(jcs(entry))
    p = srv.client.get(f"/api/v1/ledger/proof/inclusion?hash={b64u(leaf)}&tree_size={n}").json()
    assert p["index"] == index and p["leaf_hash"] == b64u(leaf)
    verify_inclusion(index, n, leaf, [_d(x) for x in p["audit_path"]], _d(r.json()["sth"]["root_hash"]))
    assert srv.client.get(f"/api/v1/ledger/proof/inclusion?index={index}").json()["tree_size"] == n  # default: current size
    bad = [
        "/api/v1/ledger/proof/inclusion?index=0&hash=AAAA&tree_size=1",
        "/api/v1/ledger/proof/inclusion?tree_size=1",
        f"/api/v1/ledger/proof/inclusion?index={n}&tree_size={n}",
        f"/api/v1/ledger/proof/inclusion?index=0&tree_size={n + 1}",
        "/api/v1/ledger/proof/inclusion?hash=not-base64!&tree_size=1",
        "/api/v1/ledger/proof/inclusion?index=-1",
        "/api/v1/ledger/proof/consistency?first=2&second=1",
        f"/api/v1/ledger/proof/consistency?first=1&second={n + 1}",
        "/api/v1/ledger/proof/consistency?first=x&second=1",
        f"/api/v1/ledger/entries?start={n + 1}",
        "/api/v1/ledger/entries?start=2&end=1",
        "/api/v1/ledger/entries",
    ]
    for url in bad:
        r = srv.client.get(url)
        assert (r.status_code, r.json()["code"]) == (400, "bad_request"), url
    r = srv.client.get(f"/api/v1/ledger/proof/inclusion?hash={b64u(bytes(32))}")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert srv.client.get(f"/api/v1/ledger/entries?start={n}").json() == {"entries": []}
    assert srv.client.get("/api/v1/ledger/proof/consistency?first=0&second=1").json() == {"consistency": []}
    assert srv.client.get(f"/api/v1/ledger/proof/consistency?first={n}&second={n}").json() == {"consistency": []}
    r = srv.client.put("/api/v1/ledger/sth")
    assert (r.status_code, r.json()["code"]) == (405, "method_not_allowed")


def test_entries_are_paged_by_1000(srv: Harness, ballots: Ballots) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    rep = ballots.reps()[0]
    for _ in range(1100):  # the same reviewer again and again: conflicts, all accepted
        k.add(ballots.rubric(rep, kiosk="k1"))
    for start in range(1, 1101, 500):
        assert srv.sync(k, start, min(start + 499, 1100)).status_code == 200
    page = srv.client.get("/api/v1/ledger/entries?start=0&end=5000").json()["entries"]
    assert len(page) == 1000 and page[-1]["index"] == 999
    rest = srv.client.get("/api/v1/ledger/entries?start=1000").json()["entries"]
    assert [e["index"] for e in rest] == list(range(1000, 1102))


def test_openapi_documents_the_normative_routes(srv: Harness) -> None:
    paths = srv.client.get("/openapi.json").json()["paths"]
    for path, method in [("/api/v1/event", "get"), ("/api/v1/ledger/sth", "get"), ("/api/v1/ledger/key", "get"),
                         ("/api/v1/ledger/entries", "get"), ("/api/v1/ledger/proof/inclusion", "get"),
                         ("/api/v1/ledger/proof/consistency", "get"), ("/api/v1/ballots", "post"),
                         ("/api/v1/kiosks/{kiosk}/batches", "post")]:
        assert method in paths[path], path
    assert "requestBody" in paths["/api/v1/ballots"]["post"]


def test_proofs_at_every_size_match_the_naive_tree(srv: Harness, ballots: Ballots) -> None:
    """Inclusion proofs for every leaf at every tree size 1..13, and consistency between
    every pair of sizes, checked against hashes recomputed from the entries."""
    for member in ballots.members()[:12]:
        assert srv.client.post("/api/v1/ballots", json=ballots.approval(member)).status_code == 201
    entries = audit(srv.client, srv.ctx.event.ledger_key.public_b64u, all_pairs=True)
    leaves = [leaf_hash(jcs(e)) for e in entries]
    for size in range(1, len(leaves) + 1):
        root = root_from_leaf_hashes(leaves[:size])
        for i in range(size):
            p = srv.client.get(f"/api/v1/ledger/proof/inclusion?index={i}&tree_size={size}").json()
            verify_inclusion(i, size, leaves[i], [_d(x) for x in p["audit_path"]], root)
