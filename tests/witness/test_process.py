"""A real ``simsa witness`` process: it answers over HTTP, and after ``kill -9`` it still
refuses to cosign a head inconsistent with one it answered for before the kill."""

from __future__ import annotations

import hashlib
from pathlib import Path

import requests

from shared.checkpoint import ledger_verifier, verify_cosignature
from shared.encoding import b64u
from shared.note import parse_note, parse_signature_lines
from tests.support.witnesses import make_witness
from tests.witness.test_core import FORK, LEAVES, LOG, ORIGIN, body, cp_text


def test_a_killed_witness_never_cosigns_a_fork(tmp_path: Path) -> None:
    w, v = make_witness(tmp_path / "w1", "w.example/killed", [ledger_verifier(ORIGIN, b64u(LOG.public)).vkey])
    w.start()
    try:
        r = w.add(body(0, 10))
        assert r.status_code == 200, r.text
        (sig,) = parse_signature_lines(r.text)
        verify_cosignature(parse_note(cp_text(10)).text, sig, v)
        w.kill()  # right after the answer: the state must already be on disk
        w.start()
        fork = w.add(body(10, 15, FORK, proof=[]))
        assert fork.status_code == 422
        fresh = w.add(body(0, 15, FORK))  # pretend to be new: it remembers size 10
        assert (fresh.status_code, fresh.text, fresh.headers["content-type"]) == (409, "10\n", "text/x.tlog.size")
        assert w.add(body(10, 15)).status_code == 200
        mon = requests.get(f"{w.url}/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint", timeout=10)
        assert mon.status_code == 200 and mon.text.startswith(f"{ORIGIN}\n15\n")
    finally:
        w.kill()


def test_kill_9_at_random_moments_never_yields_cosignatures_on_two_branches(tmp_path: Path) -> None:
    """A log that pushes two branches of one origin to a witness killed at random moments
    (possibly between writing its state and answering): every 200 it ever gets is on
    the branch the witness cosigned first."""
    import random
    import threading

    rng = random.Random(15)
    w, _ = make_witness(tmp_path / "w", "w.example/chaos", [ledger_verifier(ORIGIN, b64u(LOG.public)).vkey])
    cosigned: list[tuple[str, int]] = []
    known = 0
    try:
        for round_ in range(12):
            w.start()
            branch = rng.choice(["honest", "fork"])
            leaves = LEAVES if branch == "honest" else FORK
            size = min(20, known + 1 + rng.randrange(3))
            killer = threading.Timer(rng.random() * 0.02, w.kill) if round_ % 2 else None
            if killer:
                killer.start()
            try:
                r = w.add(body(known, size, leaves))
                if r.status_code == 200:
                    cosigned.append((branch, size))
                    known = size
                elif r.status_code == 409:
                    known = int(r.text)
            except requests.RequestException:
                pass  # killed before it answered
            if killer:
                killer.join()
            w.kill()
    finally:
        w.kill()
    assert cosigned, "the witness never answered"
    assert len({b for b, _ in cosigned}) == 1, cosigned
    w.start()
    try:  # whatever it persisted is on that branch, too
        mon = requests.get(f"{w.url}/{hashlib.sha256(ORIGIN.encode()).hexdigest()}/checkpoint", timeout=10)
        size = int(mon.text.split("\n")[1])
        leaves = LEAVES if cosigned[0][0] == "honest" else FORK
        assert mon.text.startswith(cp_text(size, leaves).split("\n\n")[0])
    finally:
        w.kill()
