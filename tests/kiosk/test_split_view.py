"""A split view is caught: one event, one ledger key, two real servers showing two
histories. Two real witnesses (a 2-of-2 policy in the manifest) cosign the first history
and refuse the second, so the kiosk that is shown the second finds no witnessed head, and
``simsa verify`` says the same; a liar who copies the honest cosignatures is caught too."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import requests

from client import LedgerClient
from kiosk.store import Meta
from kiosk.sync import Syncer, SyncReport
from kiosk.witnessed import WitnessAlarm, check_head_witnessed
from shared.checkpoint import ledger_verifier
from shared.ledger import TreeHead, verify_sth
from shared.manifest import Manifest, verify_signed_manifest
from shared.note import parse_note
from simsa.cli import main
from tests.kiosk.conftest import make_station
from tests.server.kit import Ballots, reviewer_keys
from tests.support import forked
from tests.support.events import load_event_files
from tests.support.live import REPO, SIMSA, LiveServer, _env, copy_event, free_port, start_server
from tests.support.witnesses import LiveWitness, keygen


def _cosigned(url: str, size: int, n: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = requests.get(url + "/tlog/checkpoint", timeout=10).text
        if text.split("\n")[1] == str(size) and len(parse_note(text).signatures) == 1 + n:
            return
        time.sleep(0.2)
    raise AssertionError(f"no checkpoint of size {size} with {n} cosignatures")


def _head(client: LedgerClient, m: Manifest) -> TreeHead:
    return verify_sth(client.sth(), m.ledger_key, event=m.event)


def _verify(url: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    return forked.run(["verify", url, "--json", "--workers", "1", "--state", str(tmp)], timeout=120)


def test_a_server_showing_two_histories_is_caught(tmp_path: Path) -> None:
    v1 = keygen(tmp_path / "w1.key", "w1.example/simsa")
    v2 = keygen(tmp_path / "w2.key", "w2.example/simsa")
    base = tmp_path / "event"
    assert main(["event", "init", str(base), "--demo", "mini", "--witness", v1.vkey, "--witness", v2.vkey]) == 0
    m = verify_signed_manifest(json.loads((base / "manifest.json").read_text()))
    assert m.witnesses is not None and m.witnesses.threshold == 2
    ballots = Ballots(m, reviewer_keys(load_event_files(base), m))
    log = ledger_verifier(f"localhost/simsa/{m.event}", m.ledger_key)
    w1 = LiveWitness(tmp_path / "w1.key", tmp_path / "w1", [log.vkey], free_port())
    w2 = LiveWitness(tmp_path / "w2.key", tmp_path / "w2", [log.vkey], free_port())
    env = {"SIMSA_WITNESSES": json.dumps([f"{v1.vkey}={w1.url}", f"{v2.vkey}={w2.url}"])}
    servers: list[LiveServer] = []
    w1.start()
    w2.start()
    try:
        honest = start_server(copy_event(base, tmp_path / "a"), env=env)
        servers.append(honest)
        members = ballots.members()
        r = requests.post(honest.url + "/api/v1/ballots", json=ballots.approval(members[0]), timeout=10)
        assert r.status_code == 201, r.text
        _cosigned(honest.url, 2, 2)
        liar = start_server(copy_event(base, tmp_path / "b"), env=env)  # same key, another history
        servers.append(liar)
        r = requests.post(liar.url + "/api/v1/ballots", json=ballots.approval(members[1]), timeout=10)
        assert r.status_code == 201, r.text
        deadline = time.monotonic() + 30  # both witnesses refuse the liar's head as inconsistent
        while liar.log().count("answered 422") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert liar.log().count("answered 422") >= 2, liar.log()

        # two real kiosks (their stores and Syncer), each shown one of the histories
        files = load_event_files(base)
        stations = [make_station(files, tmp_path / f"kiosk-{n}", kiosk_id=f"k-{n}") for n in "ab"]
        syncers = [
            Syncer(st.kiosk, st.store, LedgerClient.for_url(url))
            for st, url in zip(stations, (honest.url, liar.url), strict=True)
        ]
        seen = [SyncReport(), SyncReport()]
        for syncer, report in zip(syncers, seen, strict=True):
            syncer.check_sth(report)
        assert (seen[0].alarms, seen[0].witnessed_size) == ([], 2)
        assert (seen[1].alarms, seen[1].witnessed_size) == (["not_witnessed"], None)
        assert syncers[0].store.get_json(Meta.LAST_WITNESSED)["cosigners"] == sorted([v1.name, v2.name])

        kiosk_a, kiosk_b = LedgerClient.for_url(honest.url), LedgerClient.for_url(liar.url)
        w = check_head_witnessed(kiosk_a, m, _head(kiosk_a, m), None)
        assert w.checkpoint.size == 2 and set(w.cosigners) == {v1.name, v2.name}
        try:
            check_head_witnessed(kiosk_b, m, _head(kiosk_b, m), None)
            raise AssertionError("the liar's history was accepted")
        except WitnessAlarm as exc:
            assert exc.code == "not_witnessed", exc
        assert "cosignature" not in requests.get(liar.url + "/tlog/checkpoint", timeout=10).text.split("\n\n", 1)[1]

        ok = _verify(honest.url, tmp_path / "state-a")
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert any(line.startswith("witnessed:") for line in json.loads(ok.stdout)["passed"])
        export = tmp_path / "export-a"
        ex = subprocess.run([*SIMSA, "ledger", "export", "--url", honest.url, str(export)],
                            cwd=REPO, env=_env(None), capture_output=True, text=True, timeout=120)
        assert ex.returncode == 0 and (export / "witnessed-checkpoint").is_file(), ex.stdout + ex.stderr
        offline = _verify(str(export), tmp_path / "state-x")
        assert offline.returncode == 0, offline.stdout + offline.stderr
        assert any(line.startswith("witnessed:") for line in json.loads(offline.stdout)["passed"])
        bad = _verify(liar.url, tmp_path / "state-b")
        assert bad.returncode == 1, bad.stdout + bad.stderr
        assert "tree head not witnessed" in bad.stdout

        # the liar copies the honest witnesses' cosignatures of size 2 onto its own head
        rows = sqlite3.connect(tmp_path / "a" / "simsa.sqlite").execute("SELECT * FROM cosignatures").fetchall()
        with sqlite3.connect(tmp_path / "b" / "simsa.sqlite") as db:
            db.executemany("INSERT INTO cosignatures VALUES (?, ?, ?, ?)", rows)
        try:
            check_head_witnessed(kiosk_b, m, _head(kiosk_b, m), None)
            raise AssertionError("copied cosignatures were accepted")
        except WitnessAlarm as exc:
            assert exc.code == "witness_invalid" and "does not verify" in exc.detail, exc
    finally:
        for s in servers:
            s.stop()
        w1.kill()
        w2.kill()
