"""The ledger as a C2SP tiled log, checked by a client that reads only the served files:
the checkpoint verifies with the ledger key, the root is recomputed from level-0 tiles and
from entry bundles, and inclusion and consistency proofs built from tiles are the JSON API's."""

from __future__ import annotations

from typing import Any

import pytest

from server.api.tlog import tlog_of
from shared.checkpoint import ledger_verifier, open_checkpoint
from shared.encoding import b64u, b64u_decode
from shared.merkle import leaf_hash, root_from_leaf_hashes
from shared.tiles import TileReader, decode_bundle, tile_path, tiles_for
from tests.server.conftest import Harness
from tests.server.kit import Ballots
from tests.support.events import EventFiles


def _fill(srv: Harness, n: int, pad: int = 0) -> None:
    with srv.ctx.ledger.appending() as app:
        for i in range(n):
            app.append({"type": "kiosk", "note": i, "pad": "x" * pad})  # the tree does not read entries


def _fetch(srv: Harness) -> Any:
    def fetch(path: str) -> bytes:
        r = srv.client.get(f"/tlog/{path}")
        assert r.status_code == 200, (path, r.text)
        assert r.headers["content-type"] == "application/octet-stream"
        assert "immutable" in r.headers["cache-control"]
        return r.content

    return fetch


def test_checkpoint_is_the_sth_signed_as_a_note(srv: Harness) -> None:
    _fill(srv, 4)
    r = srv.client.get("/tlog/checkpoint")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["cache-control"] == "public, max-age=2"
    origin = f"localhost/simsa/{srv.ctx.manifest.event}"
    assert r.text.startswith(origin + "\n")
    cp, note = open_checkpoint(r.text, ledger_verifier(origin, srv.ctx.manifest.ledger_key))
    sth = srv.sth()
    assert (cp.size, b64u(cp.root)) == (sth["tree_size"], sth["root_hash"])
    vkey = srv.client.get("/tlog/vkey").text.strip()
    assert vkey == ledger_verifier(origin, srv.ctx.manifest.ledger_key).vkey
    assert note.signatures[0].name == origin


def test_a_tiles_client_reads_and_checks_the_whole_ledger(srv: Harness) -> None:
    for batch in (300, 1, 250, 40):  # sizes 301, 302, 552, 592: full and partial tiles, level 1
        _fill(srv, batch)
    origin = tlog_of(srv.ctx).origin
    cp, _ = open_checkpoint(srv.client.get("/tlog/checkpoint").text, ledger_verifier(origin, srv.ctx.manifest.ledger_key))
    assert cp.size == 592
    fetch = _fetch(srv)
    reader = TileReader(fetch, cp.size)
    assert reader.root() == cp.root
    # every tile of the tree, and the entries behind every level-0 tile
    leaves: list[bytes] = []
    for level, n, width in tiles_for(cp.size):
        data = fetch(tile_path(level, n, width))
        assert len(data) == 32 * width
        if level == 0:
            entries = decode_bundle(fetch(tile_path("entries", n, width)))
            reader.check_bundle(n, entries)
            leaves += [leaf_hash(e) for e in entries]
    assert root_from_leaf_hashes(leaves) == cp.root
    # proofs from tiles are the JSON API's
    for i in (0, 1, 255, 256, 300, 590, 591):
        api = srv.client.get(f"/api/v1/ledger/proof/inclusion?index={i}&tree_size={cp.size}").json()
        assert [b64u_decode(x) for x in api["audit_path"]] == reader.inclusion(i)
    for first in (1, 2, 256, 301, 302, 552):
        api = srv.client.get(f"/api/v1/ledger/proof/consistency?first={first}&second={cp.size}").json()
        assert [b64u_decode(x) for x in api["consistency"]] == reader.consistency(first)
    # an older tree size is read from the same full tiles and its own partial tiles
    old = TileReader(fetch, 302)
    assert old.root() == root_from_leaf_hashes(leaves[:302])


@pytest.mark.parametrize(
    ("path", "status"),
    [("tile/0/000.p/9", 404), ("tile/1/000", 404), ("tile/0/5", 404), ("tile/entries/001", 404), ("tile/0/000.p/3", 200)],
)
def test_tiles_beyond_the_tree_are_not_served(srv: Harness, path: str, status: int) -> None:
    _fill(srv, 4)  # size 5
    r = srv.client.get(f"/tlog/{path}")
    assert r.status_code == status, r.text


def test_an_entry_over_65535_bytes_is_served_in_simsas_format(srv: Harness) -> None:
    _fill(srv, 1, pad=70_000)
    _fill(srv, 1)
    r = srv.client.get("/tlog/tile/entries/000.p/3")
    assert r.status_code == 404
    assert "16-bit" in r.text and "/tlog/simsa-entries/000.p/3" in r.text
    lines = srv.client.get("/tlog/simsa-entries/000.p/3").content.split(b"\n")
    assert lines[-1] == b"" and len(lines) == 4
    level0 = srv.client.get("/tlog/tile/0/000.p/3").content
    assert b"".join(leaf_hash(e) for e in lines[:3]) == level0


def test_a_dead_witness_never_blocks_ingest(
    mini_event: EventFiles, db: tuple[str, str], ballots: Ballots
) -> None:
    """Pushing is a background thread: with the only witness unreachable, ballots go on the
    ledger at once, the checkpoint is served without cosignatures and the pusher keeps trying."""
    import time

    from fastapi.testclient import TestClient

    from server.app import create_app
    from shared.keys import SigningKey
    from shared.note import SIG_COSIGNATURE, Verifier
    from tests.server.conftest import make_settings
    from tests.support.live import free_port

    wv = Verifier("w.example/dead", SIG_COSIGNATURE, SigningKey(bytes([3]) * 32).public)
    app = create_app(make_settings(mini_event.dir, db[0], witnesses=(f"{wv.vkey}=http://127.0.0.1:{free_port()}",)))
    with TestClient(app) as client:
        t0 = time.monotonic()
        for rid in ballots.members()[:3]:
            assert client.post("/api/v1/ballots", json=ballots.approval(rid)).status_code == 201
        assert time.monotonic() - t0 < 10
        assert client.get("/tlog/checkpoint").text.count("\u2014") == 1  # the ledger's signature only
        assert client.get("/tlog/witnessed-checkpoint").status_code == 404
        pusher = app.state.ctx.pusher
        deadline = time.monotonic() + 10
        while pusher.targets[0].failures == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pusher.targets[0].failures >= 1 and pusher._thread.is_alive()


def test_a_bad_witness_setting_is_refused_by_name(mini_event: EventFiles) -> None:
    from server.settings import Settings

    with pytest.raises(ValueError, match="VKEY=URL"):
        Settings(event_dir=mini_event.dir, witnesses=("nonsense",))
    with pytest.raises(ValueError, match="type 0x04"):
        Settings(event_dir=mini_event.dir, witnesses=("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k=http://x",))
