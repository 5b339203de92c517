"""Interop with an independent C2SP implementation from PyPI (aics-tlog, Python ≥ 3.12, so it
runs in its own virtualenv ``.venv-interop`` that ``make interop`` makes): it reads a simsa
ledger's static tile folder, verifies the checkpoint with the ledger's vkey and the two
witness cosignatures, recomputes the root, audits every tile and entry bundle, and builds
proofs equal to the JSON API's; and simsa verifies a checkpoint and cosignature it made."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from audit.tlog_mirror import mirror_tiles
from server.api.tlog import tlog_of
from shared.checkpoint import check_witnessed, cosigners, ledger_verifier, open_checkpoint, witness_verifier
from shared.encoding import b64u, b64u_decode
from shared.keys import SigningKey
from shared.note import SIG_COSIGNATURE, Verifier, b64, parse_note, parse_signature_lines
from tests.server.conftest import Harness
from tests.server.test_tlog import _fill
from tests.server.test_tlog_mirror import ClientSource
from witness.core import Witness
from witness.state import StateDir

REPO = Path(__file__).resolve().parents[2]
INTEROP = REPO / ".venv-interop" / "bin" / "python"

pytestmark = pytest.mark.skipif(
    not INTEROP.exists(), reason="no .venv-interop (run `make interop`: needs python3.12 and aics-tlog from PyPI)"
)


def test_an_independent_tlog_client_reads_simsa_static_tiles(srv: Harness, tmp_path: Path) -> None:
    if srv.ctx.db.engine.dialect.name != "sqlite":
        pytest.skip("one backend is enough for interop")
    for batch in (300, 20):
        _fill(srv, batch)
    t = tlog_of(srv.ctx)
    log = ledger_verifier(t.origin, srv.ctx.manifest.ledger_key)
    wkeys = [SigningKey(bytes([i]) * 32) for i in (5, 6)]
    wvs = [Verifier(f"w{i}.example/x", SIG_COSIGNATURE, k.public) for i, k in enumerate(wkeys)]
    text = srv.client.get("/tlog/checkpoint").text
    cp, note = open_checkpoint(text, log)
    for i, k in enumerate(wkeys):  # two in-process witnesses cosign it; the server stores the cosignatures
        with StateDir(tmp_path / f"w{i}") as st:
            w = Witness(wvs[i].name, k, {log.name: log}, st, lambda: 1767000000)
            a = w.add_checkpoint(b"old 0\n\n" + text.encode())
            assert a.status == 200
            (sig,) = parse_signature_lines(a.body)
            with srv.ctx.db.write() as conn:
                t.store_cosignature(conn, cp.size, sig, 1767000000)
    out = tmp_path / "static"
    mirror_tiles(ClientSource(srv), out)  # type: ignore[arg-type]  # what `simsa ledger tiles` writes
    assert len(parse_note((out / "checkpoint").read_text()).signatures) == 3
    idx, firsts = [0, 255, 256, cp.size - 1], [1, 256, 300]
    want = {
        "inclusion": {
            str(i): [b64(b64u_decode(x)) for x in srv.client.get(f"/api/v1/ledger/proof/inclusion?index={i}&tree_size={cp.size}").json()["audit_path"]]
            for i in idx
        },
        "consistency": {
            str(m): [b64(b64u_decode(x)) for x in srv.client.get(f"/api/v1/ledger/proof/consistency?first={m}&second={cp.size}").json()["consistency"]]
            for m in firsts
        },
    }
    r = subprocess.run(
        [str(INTEROP), str(REPO / "tests" / "support" / "aics_interop.py"), str(out), log.vkey, "2", *(v.vkey for v in wvs)],
        input=json.dumps({"inclusion": list(want["inclusion"]), "consistency": list(want["consistency"])}),
        capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got["ok"] and got["size"] == cp.size
    assert got["root"] == got["tile_root"] == b64(cp.root)
    assert got["audit"] == {"tiles": 3, "bundles": 2}, got["audit"]  # tiles 0/000, 0/001.p/65, 1/000.p/1
    assert got["inclusion"] == want["inclusion"]
    assert got["consistency"] == want["consistency"]
    theirs = got["theirs"]
    their_log = Verifier.parse(theirs["log_vkey"])
    their_w = Verifier.parse(theirs["witness_vkey"])
    _, note = open_checkpoint(theirs["note"], their_log)
    assert cosigners(note, [their_w]) == {"aics.example/w": 1767000000}
    assert check_witnessed(theirs["note"], b64u(their_log.public), [(their_w.name, b64u(their_w.public))], 1)
    assert parse_note(theirs["note"]).text.startswith("aics.example/log\n5\n")
    assert witness_verifier(their_w.name, b64u(their_w.public)) == their_w
