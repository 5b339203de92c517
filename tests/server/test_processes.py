"""Real server processes: two on one PostgreSQL ingesting at once end with one ledger;
``kill -9`` in the middle of a batch loses the batch whole and nothing else."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from server.context import Context
from server.services.staff import add_staff, login
from server.settings import Settings
from shared.ledger import verify_sth
from shared.merkle import verify_consistency
from shared.replay import replay
from tests.server.kit import Ballots, Kiosk, _d, audit
from tests.support.events import EventFiles
from tests.support.live import copy_event, start_server
from tests.support.postgres import PgCluster

pytestmark = pytest.mark.slow


class Http:
    """``get``/``post`` on a base URL with timeouts, shaped like the test client."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.s = requests.Session()
        if token:
            self.s.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str) -> requests.Response:
        return self.s.get(self.base + path, timeout=60)

    def post(self, path: str, json: Any = None) -> requests.Response:
        return self.s.post(self.base + path, json=json, timeout=60)


def _staff_token(event_dir: Path, db_url: str | None) -> str:
    ctx = Context.open(Settings(event_dir=event_dir, db_url=db_url, verify_workers=0))
    try:
        add_staff(ctx.db, "carol", "carol-password")
        token = login(ctx.db, "carol", "carol-password", 1.0)
        assert token
        return token
    finally:
        ctx.close()


def _check_sths(http: Http, key: str, sths: list[dict[str, Any]]) -> None:
    final = verify_sth(http.get("/api/v1/ledger/sth").json(), key)
    for raw in sths:
        h = verify_sth(raw, key)
        c = http.get(f"/api/v1/ledger/proof/consistency?first={h.tree_size}&second={final.tree_size}").json()
        verify_consistency(h.tree_size, final.tree_size, h.root_hash, final.root_hash, [_d(x) for x in c["consistency"]])


@pytest.mark.postgres
def test_two_servers_on_one_postgresql_keep_one_ledger(
    mini_event: EventFiles, pg_cluster: PgCluster, ballots: Ballots, tmp_path: Path
) -> None:
    db_url = pg_cluster.url(pg_cluster.create_database())
    token = _staff_token(mini_event.dir, db_url)
    key = mini_event.ledger_key().public_b64u
    with start_server(mini_event.dir, db_url=db_url, log_path=tmp_path / "a.log") as a, \
            start_server(mini_event.dir, db_url=db_url, log_path=tmp_path / "b.log") as b:
        servers = [Http(a.url, token), Http(b.url, token)]
        kiosks = [Kiosk(f"k{i}") for i in range(4)]
        for i, k in enumerate(kiosks):
            srv = servers[i % 2]
            assert srv.post("/api/v1/kiosks", k.registration()).status_code == 202
            assert srv.post(f"/api/v1/staff/kiosks/{k.id}/approve").status_code == 200
            reps = ballots.reps()
            for j in range(60):
                rep = reps[(i * 7 + j) % len(reps)]
                k.add(ballots.rubric(rep, kiosk=k.id))
        sths: list[dict[str, Any]] = []
        errors: list[str] = []
        lock = threading.Lock()

        def kiosk_worker(i: int) -> None:
            k = kiosks[i]
            for start in range(1, 61, 20):
                if i == 3:  # the same batch to both servers at once: one takes it, one answers duplicates
                    out: list[requests.Response] = []
                    batch = k.batch(start, start + 19)

                    def send(s: Http, batch: dict[str, Any] = batch, out: list[requests.Response] = out) -> None:
                        out.append(s.post(f"/api/v1/kiosks/{k.id}/batches", batch))

                    ts = [threading.Thread(target=send, args=(s,)) for s in servers]
                    for t in ts:
                        t.start()
                    for t in ts:
                        t.join()
                    stat = sorted(tuple(sorted({x["status"] for x in r.json()["results"]})) for r in out if r.status_code == 200)
                    if stat != [("accepted",), ("duplicate",)] or any(r.status_code != 200 for r in out):
                        with lock:
                            errors.append(f"kiosk 3 batch {start}: {[r.status_code for r in out]} {stat}")
                    with lock:
                        sths.extend(r.json()["sth"] for r in out)
                    continue
                r = servers[(i + start) % 2].post(f"/api/v1/kiosks/{k.id}/batches", k.batch(start, start + 19))
                with lock:
                    if r.status_code != 200:
                        errors.append(r.text)
                    else:
                        sths.append(r.json()["sth"])

        def online_worker(w: int) -> None:
            for n, member in enumerate(ballots.members()[w::2]):
                r = servers[n % 2].post("/api/v1/ballots", ballots.approval(member))
                with lock:
                    if r.status_code != 201:
                        errors.append(r.text)
                    else:
                        sths.append(r.json()["sth"])

        threads = [threading.Thread(target=kiosk_worker, args=(i,)) for i in range(4)]
        threads += [threading.Thread(target=online_worker, args=(w,)) for w in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors[:3]
        assert servers[0].get("/api/v1/ledger/sth").json() == servers[1].get("/api/v1/ledger/sth").json()
        entries = audit(servers[1], key, all_pairs=False)
        _check_sths(servers[0], key, sths)
        state = replay(entries)
        assert {k: c.seq for k, c in state.kiosks.items()} == {k.id: 60 for k in kiosks}
        assert len(state.accepted) == 4 * 60 + len(ballots.members())
        assert len(entries) == 1 + 4 + 4 * 60 + len(ballots.members())


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_kill_9_in_the_middle_of_a_batch(
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
    k = Kiosk("k1")
    for rep in ballots.reps():
        k.add(ballots.rubric(rep, kiosk="k1"))
    sths = []
    srv = start_server(event_dir, db_url=db_url, pause=(paused, 2))  # the batch's group, not a lone ballot
    try:
        http = Http(srv.url, token)
        http.post("/api/v1/kiosks", k.registration())
        sths.append(http.post("/api/v1/staff/kiosks/k1/approve").json()["sth"])
        for member in ballots.members()[:5]:
            sths.append(http.post("/api/v1/ballots", ballots.approval(member)).json()["sth"])
        before = http.get("/api/v1/ledger/sth").json()
        box: list[Any] = []
        t = threading.Thread(target=lambda: box.append(_post_quietly(http, "/api/v1/kiosks/k1/batches", k.batch())), daemon=True)
        t.start()
        for _ in range(600):
            if paused.exists():
                break
            time.sleep(0.05)
        assert paused.exists(), srv.log()
        srv.kill()
        t.join(10)
    finally:
        srv.kill()
    with start_server(event_dir, db_url=db_url) as again:
        http = Http(again.url, token)
        assert http.get("/api/v1/ledger/sth").json()["tree_size"] == before["tree_size"]  # no partial batch
        assert http.get("/api/v1/kiosks/k1").json()["synced_seq"] == 0
        _check_sths(http, key, [*sths, before])
        r = http.post("/api/v1/kiosks/k1/batches", k.batch())
        assert r.status_code == 200 and {x["status"] for x in r.json()["results"]} == {"accepted"}
        _check_sths(http, key, [*sths, before])
        state = replay(audit(http, key, all_pairs=False))
        assert state.kiosks["k1"].seq == len(k.records)


def _post_quietly(http: Http, path: str, body: Any) -> Any:
    try:
        return http.post(path, body).status_code
    except requests.RequestException as exc:
        return exc
