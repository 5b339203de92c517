"""The sequencer (group commit): many submissions, one transaction, one STH; a failed
group fails every submission in it and writes nothing; a full queue answers 503."""

from __future__ import annotations

import json
import time
from concurrent.futures import Future
from typing import Any

import pytest

from server.api.jsonable import obj
from server.ledger.store import Appender
from server.problems import status_of
from server.services import ingest
from server.services.batches import KioskBatch, _Placed
from server.services.errors import NotCommitted
from server.services.ingest import OnlineBallot, OnlineTaken
from server.services.sequencer import Committed, Group
from shared.chain import Batch
from shared.encoding import jcs
from shared.ledger import verify_sth
from shared.merkle import verify_inclusion
from tests.server.conftest import Harness
from tests.server.kit import Ballots, Kiosk, _d, audit


def _check_receipt(srv: Harness, receipt: dict[str, Any]) -> None:
    """The receipt's entry is in the tree its STH signs (an inclusion proof checks)."""
    key = srv.ctx.manifest.ledger_key
    head = verify_sth(receipt["sth"], key)
    assert receipt["index"] < head.tree_size
    p = srv.client.get(f"/api/v1/ledger/proof/inclusion?index={receipt['index']}&tree_size={head.tree_size}").json()
    entry = srv.client.get(f"/api/v1/ledger/entries?start={receipt['index']}&end={receipt['index'] + 1}").json()
    leaf = _d(p["leaf_hash"])
    assert entry["entries"][0]["index"] == receipt["index"]
    verify_inclusion(receipt["index"], head.tree_size, leaf, [_d(x) for x in p["audit_path"]], head.root_hash)


def _held(srv: Harness, jobs: list[Any]) -> list[Future[Committed]]:
    """Queue ``jobs`` while holding the queue's lock (re-entrant), so the integrator can
    take none of them before all are waiting: they make one group."""
    seq = srv.ctx.sequencer
    with seq._cv:
        futures = [seq.submit(j) for j in jobs]
    return futures


def test_waiting_ballots_share_one_transaction_and_one_sth(srv: Harness, ballots: Ballots) -> None:
    ctx = srv.ctx
    members = ballots.members()[:40]
    jobs = [ingest.admit_online(ctx, ballots.approval(m)) for m in members]
    assert all(isinstance(j, OnlineBallot) for j in jobs)
    size0 = srv.sth()["tree_size"]
    groups0 = ctx.sequencer.groups
    futures = _held(srv, jobs)
    answers = [ingest.settle_online(j, f.result(30)) for j, f in zip(jobs, futures, strict=True)]  # type: ignore[arg-type]
    assert ctx.sequencer.groups - groups0 == 1
    assert len({jcs(a.receipt.sth) for a in answers}) == 1
    assert [a.new for a in answers] == [True] * len(members)
    assert [a.receipt.index for a in answers] == list(range(size0, size0 + len(members)))  # queue order is ledger order
    assert srv.sth()["tree_size"] == size0 + len(members)
    for a in answers:
        _check_receipt(srv, obj(a.receipt))
    # The same ballot again: the original receipt, from the table the group wrote.
    again = ingest.submit_online(ctx, json.loads(jobs[5].p.sb_text))  # type: ignore[union-attr]
    assert again == OnlineTaken(answers[5].receipt, new=False)


def test_the_same_ballot_twice_in_one_group_is_logged_once(srv: Harness, ballots: Ballots) -> None:
    sb = ballots.approval(ballots.members()[0])
    a, b = ingest.admit_online(srv.ctx, sb), ingest.admit_online(srv.ctx, sb)
    fa, fb = _held(srv, [a, b])
    ra = ingest.settle_online(a, fa.result(30))  # type: ignore[arg-type]
    rb = ingest.settle_online(b, fb.result(30))  # type: ignore[arg-type]
    assert ra.new and not rb.new and ra.receipt.index == rb.receipt.index
    assert srv.sth()["tree_size"] == ra.receipt.index + 1
    _check_receipt(srv, obj(rb.receipt))


def test_online_ballots_and_kiosk_batches_go_through_one_integrator(srv: Harness, ballots: Ballots) -> None:
    ctx = srv.ctx
    k = Kiosk("k1")
    srv.enrol(k)
    for rep in ballots.reps()[:10]:
        k.add(ballots.rubric(rep, kiosk="k1"))
    batch = Batch.from_json(k.batch())
    prep = ctx.prechecker.run([r["signed_ballot"] for r in batch.records], "kiosk", "k1", batch.signed_jcs)
    kb = KioskBatch(ctx, "k1", batch, {r["seq"]: p for r, p in zip(batch.records, prep, strict=True)})
    before, after = (ingest.admit_online(ctx, ballots.approval(m)) for m in ballots.members()[:2])
    f1, f2, f3 = _held(srv, [before, kb, after])
    r1 = ingest.settle_online(before, f1.result(30))  # type: ignore[arg-type]
    placed = f2.result(30).outcome
    r3 = ingest.settle_online(after, f3.result(30))  # type: ignore[arg-type]
    assert isinstance(placed, _Placed)
    idx = [x.index for x in placed.results]
    assert [x.status for x in placed.results] == ["accepted"] * 10
    assert r1.receipt.index < min(idx) and max(idx) < r3.receipt.index  # in the order they were queued
    assert r1.receipt.sth == f2.result().sth == r3.receipt.sth  # one group, one STH
    assert srv.client.get("/api/v1/kiosks/k1").json()["synced_seq"] == 10
    # The kiosk's ballots carry the STH of the group they were committed in.
    r = srv.sync(k)
    assert r.status_code == 200 and {x["status"] for x in r.json()["results"]} == {"duplicate"}
    audit(srv.client, ctx.manifest.ledger_key, all_pairs=False)


class _Poison:
    """A job that appends an entry and then fails: its whole group must roll back."""

    size = 1

    def apply(self, g: Group) -> None:
        g.app.append({"type": "note", "text": "half-written"})
        raise RuntimeError("a bug in one job")


def test_a_failed_group_fails_every_submission_in_it_and_writes_nothing(srv: Harness, ballots: Ballots) -> None:
    ctx = srv.ctx
    before = srv.sth()
    jobs: list[Any] = [ingest.admit_online(ctx, ballots.approval(m)) for m in ballots.members()[:3]]
    futures = _held(srv, [*jobs[:2], _Poison(), jobs[2]])
    failed = []
    for f in futures:
        with pytest.raises(NotCommitted) as e:
            f.result(30)
        failed.append(e.value)
    assert {(status_of(p), p.code) for p in failed} == {(503, "not_committed")}
    assert all(p.extra["retry_after"] >= 1 for p in failed)
    assert srv.sth() == before
    # Sent again, each is taken: nothing of the failed group is on the ledger.
    for j in jobs:
        taken = ingest.submit_online(ctx, json.loads(j.p.sb_text))
        assert taken.new
        _check_receipt(srv, obj(taken.receipt))
    assert srv.sth()["tree_size"] == before["tree_size"] + 3


def test_a_commit_that_fails_answers_503_over_http_and_loses_nothing(
    srv: Harness, ballots: Ballots, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = srv.sth()
    real = Appender.finish

    def broken(self: Appender) -> Any:
        real(self)
        raise OSError("disk full")

    monkeypatch.setattr(Appender, "finish", broken)
    sb = ballots.approval(ballots.members()[0])
    r = srv.client.post("/api/v1/ballots", json=sb)
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_committed" and int(r.headers["retry-after"]) >= 1
    assert srv.sth() == before
    monkeypatch.setattr(Appender, "finish", real)
    r = srv.client.post("/api/v1/ballots", json=sb)
    assert r.status_code == 201
    _check_receipt(srv, r.json())


class _Idle:
    size = 1

    def apply(self, g: Group) -> None:
        return None


def test_past_the_bounded_queue_a_submission_gets_503_with_retry_after(srv: Harness, ballots: Ballots) -> None:
    seq = srv.ctx.sequencer
    sb = ballots.approval(ballots.members()[0])
    with srv.ctx.ledger._local:
        held: list[Future[Committed]] = [seq.submit(_Idle())]
        for _ in range(1000):  # until the integrator has taken it and waits for the ledger lock
            if seq.waiting() == 0:
                break
            time.sleep(0.01)
        assert seq.waiting() == 0
        time.sleep(0.05)  # past its linger: it takes no more until this group is committed
        while seq.waiting() < seq.max_queue:
            held.append(seq.submit(_Idle()))
        r = srv.client.post("/api/v1/ballots", json=sb)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "busy" and int(r.headers["retry-after"]) >= 1
    for f in held:
        assert f.result(30).outcome is None
    r = srv.client.post("/api/v1/ballots", json=sb)  # the same ballot, once there is room
    assert r.status_code == 201
    _check_receipt(srv, r.json())
