"""Every file holding a secret is created readable by its owner only (0600) and the event
folder is 0700: the key files, credentials.csv, pins.csv, the server's simsa.sqlite (staff
key seeds) with its -wal, and each kiosk's kiosk.sqlite (kiosk seed, staff PIN hash)."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

from kiosk.store import KioskStore
from server.db.engine import Database
from tests.support.events import make_mini_event


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secret_files_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, which left them 0644
    try:
        event = make_mini_event(tmp_path / "event", now=datetime.now(UTC))
        assert mode(event.dir) == 0o700
        for name in ("authority.key", "ledger.key", "credentials.csv", "pins.csv"):
            assert mode(event.dir / name) == 0o600, name

        db = Database(f"sqlite:///{tmp_path / 'simsa.sqlite'}")
        with db.write() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert mode(tmp_path / "simsa.sqlite") == 0o600
        assert mode(tmp_path / "simsa.sqlite-wal") == 0o600
        db.dispose()

        store = KioskStore(tmp_path / "kiosk" / "kiosk.sqlite")
        assert mode(tmp_path / "kiosk" / "kiosk.sqlite") == 0o600
        assert mode(tmp_path / "kiosk") == 0o700
        assert all(mode(p) == 0o600 for p in (tmp_path / "kiosk").iterdir())
        store.close()
    finally:
        os.umask(old)


def test_an_older_database_file_is_made_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "simsa.sqlite"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    Database(f"sqlite:///{path}").dispose()
    assert mode(path) == 0o600
