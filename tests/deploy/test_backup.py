"""``simsa backup``: a consistent, private, checksummed backup taken while the server runs,
and a restore that a fresh server serves and ``simsa verify`` accepts — on SQLite and on
PostgreSQL, with the real CLI, a real server and real kiosks (the simulator) over HTTP."""

from __future__ import annotations

import json
import stat
import subprocess
import threading
from pathlib import Path

import pytest
import requests

from client import LedgerClient
from kiosk.sim import run as run_sim
from shared.encoding import b64u_decode
from shared.merkle import verify_consistency
from tests.support import forked
from tests.support.events import EventFiles
from tests.support.live import (
    STAFF_NAME,
    STAFF_PASSWORD,
    LiveServer,
    add_staff,
    copy_event,
    start_server,
)
from tests.support.postgres import PgCluster


def simsa(*args: str) -> subprocess.CompletedProcess[str]:
    return forked.run(list(args))


def ingest(srv: LiveServer, data: Path, *, seed: int, ballots: int = 12) -> None:
    result = run_sim(srv.event_dir, srv.url, kiosks=2, ballots=ballots, data_dir=data,
                     staff=(STAFF_NAME, STAFF_PASSWORD), online_ballots=3, seed=seed, timeout_s=120)
    assert not result.problems


def sth(url: str) -> dict[str, object]:
    out = requests.get(f"{url}/api/v1/ledger/sth", timeout=10).json()
    assert isinstance(out, dict)
    return out


def assert_prefix_of(note: dict[str, object], url: str) -> None:
    """The backup's head is a prefix of the head the live server publishes now."""
    now = sth(url)
    first, second = int(str(note["tree_size"])), int(str(now["tree_size"]))
    assert first <= second
    proof = LedgerClient.for_url(url).consistency(first, second) if first < second else []
    verify_consistency(first, second, b64u_decode(str(note["root_hash"])), b64u_decode(str(now["root_hash"])), proof)


def test_sqlite_backup_while_serving_then_restore_and_verify(live_server: LiveServer, tmp_path: Path) -> None:
    ingest(live_server, tmp_path / "kiosks", seed=11)
    out = tmp_path / "backups"
    made = simsa("backup", "--event", str(live_server.event_dir), "--out", str(out), "--json")
    assert made.returncode == 0, made.stderr
    note = json.loads(made.stdout)
    data = out / note["file"]
    # private, complete, checksummed
    assert stat.S_IMODE(data.stat().st_mode) == 0o600
    assert stat.S_IMODE((out / f"{note['file']}.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert not list(out.glob(".tmp-*"))
    assert subprocess.run(["sha256sum", "-c", f"{note['file']}.sha256"], cwd=out, capture_output=True).returncode == 0
    assert note["tree_size"] == sth(live_server.url)["tree_size"]
    assert note["root_hash"] == sth(live_server.url)["root_hash"]

    # more ballots arrive after the backup: the backup stays a prefix of what is published
    ingest(live_server, tmp_path / "kiosks2", seed=12)
    assert_prefix_of(note, live_server.url)

    checked = simsa("backup", "--check", str(data))
    assert checked.returncode == 0 and "intact" in checked.stdout

    target = tmp_path / "restored" / "simsa.sqlite"
    target.parent.mkdir()
    restored = simsa("backup", "--restore", str(out), "--db", f"sqlite:///{target}")
    assert restored.returncode == 0, restored.stderr
    again = simsa("backup", "--restore", str(out), "--db", f"sqlite:///{target}")
    assert again.returncode == 1 and "restore only into a new file" in again.stderr

    event = copy_event(live_server.event_dir, tmp_path / "restored-event")
    with start_server(event, db_url=f"sqlite:///{target}") as srv:
        head = sth(srv.url)
        assert (head["tree_size"], head["root_hash"]) == (note["tree_size"], note["root_hash"])
        verified = simsa("verify", srv.url, "--no-state")
        assert verified.returncode == 0, verified.stdout + verified.stderr


def test_damaged_backup_is_refused(live_server: LiveServer, tmp_path: Path) -> None:
    out = tmp_path / "backups"
    made = simsa("backup", "--event", str(live_server.event_dir), "--out", str(out), "--json")
    assert made.returncode == 0, made.stderr
    data = out / json.loads(made.stdout)["file"]
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 1
    data.write_bytes(bytes(raw))
    checked = simsa("backup", "--check", str(data))
    assert checked.returncode == 1 and "does not match its checksum" in checked.stderr
    target = tmp_path / "new.sqlite"
    restored = simsa("backup", "--restore", str(data), "--db", f"sqlite:///{target}")
    assert restored.returncode == 1 and not target.exists()


def test_backup_options_are_checked(tmp_path: Path) -> None:
    both = simsa("backup", "--out", str(tmp_path), "--check", str(tmp_path / "x"))
    assert both.returncode == 2 and "exactly one of" in both.stderr
    missing = simsa("backup", "--check", str(tmp_path / "nothing.pgdump"))
    assert missing.returncode == 1 and "note" in missing.stderr


@pytest.mark.postgres
def test_postgres_backup_during_ingest_restores_a_published_prefix(
    pg_cluster: PgCluster, mini_event: EventFiles, tmp_path: Path
) -> None:
    db = pg_cluster.url(pg_cluster.create_database())
    event = copy_event(mini_event.dir, tmp_path / "event")
    add_staff(event, db, STAFF_NAME, STAFF_PASSWORD)
    out = tmp_path / "backups"
    with start_server(event, db_url=db) as srv:
        ingest(srv, tmp_path / "k1", seed=21, ballots=6)
        notes: list[dict[str, object]] = []
        errors: list[str] = []
        stop = threading.Event()

        def back_up() -> None:
            while not stop.is_set() and len(notes) < 5:
                made = simsa("backup", "--event", str(event), "--db", db, "--out", str(out), "--keep", "3", "--json")
                if made.returncode != 0:
                    errors.append(made.stderr)
                    return
                notes.append(json.loads(made.stdout))
                stop.wait(1.05)  # names are per second

        worker = threading.Thread(target=back_up)
        worker.start()
        try:
            ingest(srv, tmp_path / "k2", seed=22, ballots=20)
        finally:
            stop.set()
            worker.join(120)
        assert not errors, errors
        assert notes
        for note in notes:
            assert_prefix_of(note, srv.url)
        assert len(list(out.glob("simsa-*.pgdump"))) <= 3
        latest = notes[-1]

        fresh = pg_cluster.url(pg_cluster.create_database())
        restored = simsa("backup", "--restore", str(out), "--db", fresh, "--json")
        assert restored.returncode == 0, restored.stderr
        assert json.loads(restored.stdout)["file"] == latest["file"]
        twice = simsa("backup", "--restore", str(out), "--db", fresh)
        assert twice.returncode == 1 and "holds a ledger already" in twice.stderr

        event2 = copy_event(mini_event.dir, tmp_path / "event2")
        with start_server(event2, db_url=fresh) as srv2:
            head = sth(srv2.url)
            assert (head["tree_size"], head["root_hash"]) == (latest["tree_size"], latest["root_hash"])
            verified = simsa("verify", srv2.url, "--no-state")
            assert verified.returncode == 0, verified.stdout + verified.stderr
