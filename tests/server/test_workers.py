"""``simsa server --workers 2`` on one PostgreSQL: two API processes, each with its own
integrator, under concurrent online and kiosk load end with one ledger that ``simsa
verify`` accepts; and ``kill -9`` during a group loses that group whole and nothing else."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.replay import replay
from tests.server.kit import Ballots, Kiosk, audit
from tests.server.test_processes import Http, _check_sths, _staff_token
from tests.support.events import EventFiles
from tests.support.live import REPO, SIMSA, _env, copy_event, start_server
from tests.support.postgres import PgCluster

pytestmark = pytest.mark.slow


def _verify(url: str, tmp_path: Path) -> dict[str, Any]:
    r = subprocess.run([*SIMSA, "verify", url, "--no-state", "--json", "--workers", "1"], cwd=REPO, env=_env(None),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    verdict = dict(json.loads(r.stdout))
    assert verdict["ok"] and not verdict["problems"], verdict
    return verdict


@pytest.mark.postgres
def test_two_api_processes_on_postgresql_keep_one_ledger_that_verifies(
    mini_event: EventFiles, pg_cluster: PgCluster, ballots: Ballots, tmp_path: Path
) -> None:
    db_url = pg_cluster.url(pg_cluster.create_database())
    token = _staff_token(mini_event.dir, db_url)
    key = mini_event.ledger_key().public_b64u
    with start_server(mini_event.dir, db_url=db_url, workers=2, log_path=tmp_path / "w.log") as srv:
        kiosks = [Kiosk(f"k{i}") for i in range(3)]
        staff = Http(srv.url, token)
        for i, k in enumerate(kiosks):
            assert staff.post("/api/v1/kiosks", k.registration()).status_code == 202
            assert staff.post(f"/api/v1/staff/kiosks/{k.id}/approve").status_code == 200
            reps = ballots.reps()
            for j in range(40):
                k.add(ballots.rubric(reps[(i * 5 + j) % len(reps)], kiosk=k.id))
        sths: list[dict[str, Any]] = []
        errors: list[str] = []
        lock = threading.Lock()

        def keep(r: requests.Response, ok: int) -> None:
            with lock:
                if r.status_code != ok:
                    errors.append(f"{r.status_code} {r.text[:200]}")
                else:
                    sths.append(r.json()["sth"])

        def kiosk_worker(k: Kiosk) -> None:
            http = Http(srv.url)  # a connection of its own: the kernel spreads them over the workers
            for start in range(1, 41, 10):
                keep(http.post(f"/api/v1/kiosks/{k.id}/batches", k.batch(start, start + 9)), 200)

        def online_worker(w: int) -> None:
            for member in ballots.members()[w::6]:
                http = Http(srv.url)  # a new connection each time, to reach both processes
                keep(http.post("/api/v1/ballots", ballots.approval(member)), 201)

        threads = [threading.Thread(target=kiosk_worker, args=(k,)) for k in kiosks]
        threads += [threading.Thread(target=online_worker, args=(w,)) for w in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        assert not any(t.is_alive() for t in threads)
        assert not errors, errors[:3]
        entries = audit(staff, key, all_pairs=False)
        _check_sths(staff, key, sths)
        state = replay(entries)
        assert {k: c.seq for k, c in state.kiosks.items()} == {k.id: 40 for k in kiosks}
        assert len(entries) == 1 + 3 + 3 * 40 + len(ballots.members())
        verdict = _verify(srv.url, tmp_path)
        assert verdict["tree_size"] == len(entries)
        log = srv.log()
    # Two API processes answered (uvicorn names each worker's start).
    assert log.count("Started server process") >= 2, log[-2000:]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_kill_9_during_a_group_loses_that_group_whole_and_no_receipt(
    backend: str, mini_event: EventFiles, ballots: Ballots, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    event_dir = copy_event(mini_event.dir, tmp_path / "event")
    db_url = None
    if backend == "postgres":
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        db_url = cluster.url(cluster.create_database())
    token = _staff_token(event_dir, db_url)
    key = mini_event.ledger_key().public_b64u
    paused = tmp_path / "paused"
    members = ballots.members()
    signed = [ballots.approval(m) for m in members]
    receipts: list[dict[str, Any]] = []
    failures: list[Any] = []
    lock = threading.Lock()
    # Pause in the first group of at least 3 entries: the ballots below, sent 8 at a time.
    srv = start_server(event_dir, db_url=db_url, pause=(paused, 3), env={"SIMSA_GROUP_LINGER_MS": "20"})
    try:
        url = srv.url
        before = Http(url).get("/api/v1/ledger/sth").json()

        def send(sb: dict[str, Any]) -> None:
            try:
                r = requests.post(url + "/api/v1/ballots", json=sb, timeout=60)
                with lock:
                    if r.status_code == 201:
                        receipts.append(r.json())
                    else:
                        failures.append(r.status_code)
            except requests.RequestException as exc:
                with lock:
                    failures.append(exc)

        threads = [threading.Thread(target=send, args=(sb,), daemon=True) for sb in signed[:8]]
        for t in threads:
            t.start()
        for _ in range(600):
            if paused.exists():
                break
            time.sleep(0.05)
        assert paused.exists(), srv.log()
        srv.kill()
        for t in threads:
            t.join(10)
    finally:
        srv.kill()
    assert failures  # the paused group's requests got no receipt
    with start_server(event_dir, db_url=db_url) as again:
        http = Http(again.url, token)
        after = http.get("/api/v1/ledger/sth").json()
        given = before["tree_size"] + len(receipts)
        assert after["tree_size"] == given  # no partial group: only what was receipted
        _check_sths(http, key, [before, *(r["sth"] for r in receipts)])
        entries = audit(http, key, all_pairs=False)
        for r in receipts:  # every receipt given is on the ledger
            assert entries[r["index"]]["type"] == "ballot"
        # Every ballot sent again is taken once: those of the lost group anew.
        for sb in signed[:8]:
            resp = requests.post(again.url + "/api/v1/ballots", json=sb, timeout=60)
            assert resp.status_code in (200, 201), resp.text
        assert http.get("/api/v1/ledger/sth").json()["tree_size"] == before["tree_size"] + 8
        _check_sths(http, key, [before, after, *(r["sth"] for r in receipts)])
        _verify(again.url, tmp_path)
