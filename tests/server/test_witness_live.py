"""A live event witnessed end to end: a real server pushes each checkpoint to two real
``simsa witness`` processes and serves them cosigned; ``simsa ledger tiles`` writes the
tiled log out, and a client reading only those static files verifies it."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import requests

from shared.checkpoint import ledger_verifier, open_checkpoint, require_cosigned, witness_verifier
from shared.encoding import b64u
from shared.manifest import Manifest
from shared.note import parse_note
from shared.tiles import TileReader, decode_bundle, tile_path, tiles_for
from tests.server.kit import Ballots
from tests.support.events import EventFiles
from tests.support.live import REPO, SIMSA, _env, copy_event, start_server
from tests.support.witnesses import make_witness


def _wait_cosigned(url: str, size: int, n: int, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = requests.get(url + "/tlog/checkpoint", timeout=10).text
        note = parse_note(text)
        if text.split("\n")[1] == str(size) and len(note.signatures) == 1 + n:
            return text
        time.sleep(0.2)
    raise AssertionError(f"no checkpoint of size {size} with {n} cosignatures in {timeout} s; last:\n{text}")


def test_two_witnesses_cosign_a_live_event_and_static_tiles_verify(
    mini_event: EventFiles, mini_manifest: Manifest, ballots: Ballots, tmp_path: Path
) -> None:
    origin = f"localhost/simsa/{mini_manifest.event}"
    log = ledger_verifier(origin, mini_manifest.ledger_key)
    w1, v1 = make_witness(tmp_path / "w1", "w1.example/simsa", [log.vkey])
    w2, v2 = make_witness(tmp_path / "w2", "w2.example/simsa", [log.vkey])
    event = copy_event(mini_event.dir, tmp_path / "event")
    witnesses = json.dumps([f"{v1.vkey}={w1.url}", f"{v2.vkey}={w2.url}"])
    w1.start()
    w2.start()
    try:
        with start_server(event, env={"SIMSA_WITNESSES": witnesses}) as srv:
            assert requests.get(srv.url + "/tlog/vkey", timeout=10).text.strip() == log.vkey
            _wait_cosigned(srv.url, 1, 2)
            for rid in ballots.members()[:5]:
                r = requests.post(srv.url + "/api/v1/ballots", json=ballots.approval(rid), timeout=10)
                assert r.status_code == 201, r.text
            size = requests.get(srv.url + "/api/v1/ledger/sth", timeout=10).json()["tree_size"]
            assert size == 6
            text = _wait_cosigned(srv.url, size, 2)
            cp, note = open_checkpoint(text, log)
            wv = [witness_verifier(v.name, b64u(v.public)) for v in (v1, v2)]
            assert set(require_cosigned(note, wv, 2)) == {v1.name, v2.name}
            witnessed = requests.get(srv.url + "/tlog/witnessed-checkpoint", timeout=10).text
            assert witnessed == text

            out = tmp_path / "static"
            r2 = subprocess.run(
                [*SIMSA, "ledger", "tiles", "--url", srv.url, "--out", str(out)],
                cwd=REPO, env=_env(None), capture_output=True, text=True, timeout=120,
            )
            assert r2.returncode == 0, r2.stdout + r2.stderr
    finally:
        w1.kill()
        w2.kill()
    # A stranger with the ledger key and the witness keys, reading only the files
    static = tmp_path / "static"
    cp, note = open_checkpoint((static / "checkpoint").read_bytes(), log)
    require_cosigned(note, wv, 2)
    reader = TileReader(lambda p: (static / p).read_bytes(), cp.size)
    assert reader.root() == cp.root
    for level, n, width in tiles_for(cp.size):
        if level == 0:
            reader.check_bundle(n, decode_bundle((static / tile_path("entries", n, width)).read_bytes()))
    assert (static / "vkey").read_text().strip() == log.vkey
