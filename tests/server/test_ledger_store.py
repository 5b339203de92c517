"""The ledger store on both backends: stored nodes give the naive tree's roots and proofs
at every size; a changed node is caught before any new STH is signed."""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import select, update

from server.db.schema import merkle_nodes
from server.ledger.store import LedgerCorrupt
from shared.ledger import verify_sth
from shared.merkle import leaf_hash, naive_consistency_path, naive_inclusion_path, root_from_leaf_hashes
from tests.server.conftest import Harness


def _fill(srv: Harness, n: int) -> None:
    ledger = srv.ctx.ledger
    with ledger.appending() as app:
        for i in range(n):
            app.append({"type": "kiosk", "note": i})  # shape is irrelevant to the tree


def test_roots_and_proofs_from_stored_nodes_match_the_naive_tree(srv: Harness) -> None:
    ledger = srv.ctx.ledger
    for batch in (1, 1, 2, 3, 7, 9, 13, 33):  # sizes 2..70 after each batch
        _fill(srv, batch)
    with srv.ctx.db.read() as conn:
        size, _ = ledger.head(conn)
        leaves = [leaf_hash(t.encode()) for _, t in ledger.entries_text(conn, 0, size)]
        for n in range(1, size + 1):
            assert ledger.root_at(conn, n) == root_from_leaf_hashes(leaves[:n])
        for n in (1, 2, 7, 8, 9, 31, 32, 33, size):
            for i in range(n):
                assert ledger.inclusion(conn, i, n) == naive_inclusion_path(leaves[:n], i)
            for m in range(1, n + 1):
                assert ledger.consistency(conn, m, n) == (naive_consistency_path(leaves[:n], m) if m < n else [])
        sth = ledger.latest_sth(conn)
    assert sth is not None
    head = verify_sth(sth, srv.ctx.event.ledger_key.public_b64u)
    assert (head.tree_size, head.root_hash) == (size, root_from_leaf_hashes(leaves))


def test_every_batch_signs_one_sth_with_non_decreasing_time(srv: Harness) -> None:
    from server.db.schema import sths

    for _ in range(3):
        _fill(srv, 2)
    with srv.ctx.db.read() as conn:
        rows = [json.loads(r.data) for r in conn.execute(select(sths.c.data).order_by(sths.c.tree_size))]
    assert [r["tree_size"] for r in rows] == [1, 3, 5, 7]
    assert all(a["timestamp"] <= b["timestamp"] for a, b in itertools.pairwise(rows))


def test_a_changed_node_stops_the_ledger(srv: Harness) -> None:
    _fill(srv, 6)  # size 7: peaks at (2,0), (1,2), (0,6)
    before = srv.sth()
    with srv.ctx.db.write() as conn:
        conn.execute(update(merkle_nodes).where(merkle_nodes.c.level == 1, merkle_nodes.c.idx == 2).values(hash=bytes(32)))
    srv.ctx.ledger.cache = type(srv.ctx.ledger.cache)()  # a fresh process would not have it cached
    with pytest.raises(LedgerCorrupt, match="changed behind the server"):
        _fill(srv, 1)
    assert srv.sth() == before  # nothing signed


def test_a_proof_reads_log_n_stored_nodes_in_one_query(srv: Harness) -> None:
    """Never rebuilt per request: an inclusion or consistency proof at size n fetches at most
    a few times log2(n) perfect-subtree nodes, in one query, however large n is."""
    from sqlalchemy import event

    from server.ledger import store

    _fill(srv, 999)  # 1000 entries
    ledger = srv.ctx.ledger
    asked: list[int] = []
    real = store.fetch_nodes

    def counting(conn: object, keys: list[tuple[int, int]], cache: object = None) -> dict[tuple[int, int], bytes]:
        asked.append(len(set(keys)))
        return real(conn, keys, None)  # type: ignore[arg-type]

    queries: list[str] = []
    with srv.ctx.db.read() as conn:
        event.listen(conn, "before_cursor_execute", lambda *a: queries.append(a[2]))
        store.fetch_nodes = counting  # type: ignore[assignment]
        try:
            for i in (0, 1, 500, 998, 999):
                ledger.inclusion(conn, i, 1000)
            for m in (1, 333, 512, 999):
                ledger.consistency(conn, m, 1000)
        finally:
            store.fetch_nodes = real
    assert max(asked) <= 3 * 10  # log2(1000) ≈ 10
    assert len(queries) == len(asked) == 9  # one query per proof


def test_received_at_never_goes_back_when_the_clock_does(srv: Harness) -> None:
    from datetime import UTC, datetime

    _fill(srv, 1)
    ledger = srv.ctx.ledger
    real = ledger.clock
    ledger.clock = lambda: datetime(2001, 1, 1, tzinfo=UTC)  # the server's clock jumps back
    try:
        with ledger.appending() as app:
            app.append({"type": "kiosk", "received_at": app.received_at()})
    finally:
        ledger.clock = real
    with srv.ctx.db.read() as conn:
        stamps = [json.loads(t)["received_at"] for _, t in ledger.entries_text(conn, 0, 3) if "received_at" in json.loads(t)]
        sths = [ledger.sth_at(conn, n) for n in (2, 3)]
    assert stamps == sorted(stamps) and not stamps[-1].startswith("2001")
    assert sths[0] is not None and sths[1] is not None and sths[0]["timestamp"] <= sths[1]["timestamp"]


def test_a_rolled_back_head_stops_the_ledger(srv: Harness) -> None:
    """A head moved back behind the last STH (say, a restored old backup of one table)
    would let the server sign a second, different tree of a size it already signed."""
    from server.db.schema import ledger_head

    _fill(srv, 4)
    _fill(srv, 3)  # sizes 1, 5, 8 signed
    with srv.ctx.db.write() as conn:
        old = conn.execute(select(merkle_nodes.c.hash).where(merkle_nodes.c.level == 2, merkle_nodes.c.idx == 0)).scalar_one()
        leaf4 = conn.execute(select(merkle_nodes.c.hash).where(merkle_nodes.c.level == 0, merkle_nodes.c.idx == 4)).scalar_one()
        from shared.merkle import node_hash

        conn.execute(update(ledger_head).values(size=5, root_hash=node_hash(bytes(old), bytes(leaf4))))
    srv.ctx.ledger.cache = type(srv.ctx.ledger.cache)()
    with pytest.raises(LedgerCorrupt, match="not the last signed tree head"):
        _fill(srv, 1)
