"""Backups of the server's database, taken while ingest runs, and their restore.

A backup is one file beside a JSON note of what it holds:

- PostgreSQL: ``pg_dump --format=custom`` inside an exported snapshot, so the dump and
  the ledger head the note records are the same instant (a dump is never ahead of or
  forked from the head it names);
- SQLite: the online-backup API (a consistent copy while the server writes).

Both are written to a temporary name with mode 0600, fsynced, then renamed into place,
so a crash leaves either the whole backup or none. The note carries the file's SHA-256
(also written as ``NAME.sha256`` for ``sha256sum -c``) and the ledger's tree size and
root at the instant of the backup; :func:`restore_backup` checks the digest first and
only ever restores into an empty database.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from shared.encoding import b64u
from shared.errors import SimsaError

FORMAT = "simsa-backup/1"
_NAME = re.compile(r"^simsa-(?P<event>[A-Za-z0-9._-]+)-(?P<stamp>\d{8}T\d{6}Z)\.(?P<ext>pgdump|sqlite)$")


class BackupError(SimsaError):
    """A backup could not be made, checked or restored; the message says why."""


@dataclass(frozen=True)
class BackupNote:
    """What ``NAME.json`` says about the backup file ``NAME``."""

    format: str
    event: str
    database: str  # "postgresql" or "sqlite"
    file: str
    bytes: int
    sha256: str
    tree_size: int
    root_hash: str  # b64u, as in the signed tree heads
    made_at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _private_tmp(folder: Path, suffix: str) -> Iterator[tuple[int, Path]]:
    """A new 0600 file in ``folder`` (fd, path); removed unless the caller renamed it."""
    fd, name = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=folder)
    os.fchmod(fd, 0o600)
    path = Path(name)
    try:
        yield fd, path
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
        path.unlink(missing_ok=True)


def _write_private(path: Path, text: str) -> None:
    with _private_tmp(path.parent, ".txt") as (fd, tmp):
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
        os.replace(tmp, path)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _pg_env(url: URL) -> dict[str, str]:
    """libpq's environment for ``url``: the password never appears on a command line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value not in (None, ""):
            env[key] = str(value)
    return env


def _tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    if candidates:
        return str(candidates[-1])
    raise BackupError(f"{name} not found: install Debian's postgresql-client package")


def _psycopg_conninfo(url: URL) -> dict[str, Any]:
    info: dict[str, Any] = {"host": url.host, "port": url.port, "user": url.username,
                            "password": url.password, "dbname": url.database}
    return {k: v for k, v in info.items() if v not in (None, "")}


def _head_of(row: Any, where: str) -> tuple[int, str]:
    if row is None:
        raise BackupError(f"{where} holds no simsa ledger (no ledger_head row)")
    return int(row[0]), b64u(bytes(row[1]))


def make_backup(db_url: str, out_dir: Path, event: str, *, now: datetime | None = None) -> BackupNote:
    """Back up the database at ``db_url`` (SQLAlchemy URL) into ``out_dir``; return its note."""
    url = make_url(db_url)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    backend = url.get_backend_name()
    ext = "sqlite" if backend == "sqlite" else "pgdump"
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {backend} database: only sqlite and postgresql")
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    name = f"simsa-{event}-{stamp}.{ext}"
    final = out_dir / name
    if final.exists():
        raise BackupError(f"{final} exists already: one backup a second at most")
    with _private_tmp(out_dir, "." + ext) as (fd, tmp):
        if backend == "sqlite":
            size, root = _sqlite_backup(url, tmp)
        else:
            size, root = _pg_backup(url, fd)
        os.fsync(fd)
        digest = sha256_file(tmp)
        note = BackupNote(FORMAT, event, "sqlite" if ext == "sqlite" else "postgresql", name,
                          tmp.stat().st_size, digest, size, root, now.isoformat().replace("+00:00", "Z"))
        os.replace(tmp, final)
    _write_private(out_dir / f"{name}.sha256", f"{digest}  {name}\n")
    _write_private(out_dir / f"{name}.json", note.to_json())
    _fsync_dir(out_dir)
    return note


def _sqlite_backup(url: URL, tmp: Path) -> tuple[int, str]:
    src_path = Path(url.database or "")
    if not url.database or not src_path.is_file():
        raise BackupError(f"there is no SQLite database at {src_path}")
    src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True, timeout=60)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst)  # one step: a consistent copy even while the server writes
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        row = dst.execute("SELECT size, root_hash FROM ledger_head WHERE id = 1").fetchone()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup of {src_path} failed: {exc}") from exc
    finally:
        dst.close()
        src.close()
    return _head_of(row, str(src_path))


def _pg_backup(url: URL, fd: int) -> tuple[int, str]:
    import psycopg

    try:
        conn = psycopg.connect(**_psycopg_conninfo(url))
    except psycopg.Error as exc:
        raise BackupError(f"cannot connect to {url.render_as_string(hide_password=True)}: {exc}") from exc
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()
            try:
                row = conn.execute("SELECT size, root_hash FROM ledger_head WHERE id = 1").fetchone()
            except psycopg.errors.UndefinedTable:
                row = None
            head = _head_of(row, url.render_as_string(hide_password=True))
            assert snapshot is not None
            # pg_dump reads in the snapshot this transaction holds open: the same instant as `head`
            proc = subprocess.run(
                [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                 f"--snapshot={snapshot[0]}"],
                stdout=fd, stderr=subprocess.PIPE, env=_pg_env(url), timeout=3600, check=False,
            )
            if proc.returncode != 0:
                raise BackupError(f"pg_dump failed: {proc.stderr.decode(errors='replace').strip()}")
    except psycopg.Error as exc:
        raise BackupError(f"backup of {url.render_as_string(hide_password=True)} failed: {exc}") from exc
    finally:
        conn.close()
    return head


def read_note(path: Path) -> BackupNote:
    """The note of the backup file ``path`` (or of ``path`` itself when it is the note)."""
    note_path = path if path.name.endswith(".json") else path.with_name(path.name + ".json")
    try:
        raw = json.loads(note_path.read_text(encoding="utf-8"))
        note = BackupNote(**raw)
    except FileNotFoundError:
        raise BackupError(f"{note_path} is missing: every backup file has its .json note") from None
    except (ValueError, TypeError) as exc:
        raise BackupError(f"{note_path} is not a backup note: {exc}") from exc
    if note.format != FORMAT:
        raise BackupError(f"{note_path}: unknown format {note.format!r} (expected {FORMAT})")
    return note


def check_backup(path: Path) -> BackupNote:
    """Check the file's size and SHA-256 against its note; return the note."""
    note = read_note(path)
    data = (path if not path.name.endswith(".json") else path.with_name(note.file))
    if not data.is_file():
        raise BackupError(f"{data} is missing")
    if data.stat().st_size != note.bytes or sha256_file(data) != note.sha256:
        raise BackupError(f"{data} does not match its checksum: the file is damaged; use an older backup")
    return note


def latest_backup(folder: Path, event: str | None = None) -> Path:
    """The newest complete backup file in ``folder`` (one with its note)."""
    found = sorted(
        (p for p in folder.glob("simsa-*") if (m := _NAME.match(p.name)) and (event is None or m["event"] == event)
         and p.with_name(p.name + ".json").is_file()),
        key=lambda p: (_NAME.match(p.name) or _never()).group("stamp"),
    )
    if not found:
        raise BackupError(f"no backup in {folder}")
    return found[-1]


def _never() -> re.Match[str]:
    raise AssertionError("unreachable")


def prune(folder: Path, keep: int, event: str) -> list[Path]:
    """Delete all but the newest ``keep`` backups of ``event``; return the files removed."""
    backups = sorted(
        (p for p in folder.glob(f"simsa-{event}-*") if (m := _NAME.match(p.name)) and m["event"] == event),
        key=lambda p: p.name,
    )
    removed: list[Path] = []
    for old in backups[: max(0, len(backups) - keep)]:
        for p in (old, old.with_name(old.name + ".json"), old.with_name(old.name + ".sha256")):
            if p.exists():
                p.unlink()
                removed.append(p)
    return removed


def restore_backup(path: Path, db_url: str) -> BackupNote:
    """Restore a checked backup into ``db_url``, which must hold no ledger yet."""
    note = check_backup(path)
    data = path if not path.name.endswith(".json") else path.with_name(note.file)
    url = make_url(db_url)
    backend = url.get_backend_name()
    if backend != note.database:
        raise BackupError(f"{data.name} is a {note.database} backup; it cannot be restored into {backend}")
    if backend == "sqlite":
        target = Path(url.database or "")
        if not url.database:
            raise BackupError("give the SQLite file to restore into")
        if target.exists():
            raise BackupError(f"{target} exists: restore only into a new file (move the old one aside)")
        with _private_tmp(target.parent, ".sqlite") as (fd, tmp):
            with open(data, "rb") as src, os.fdopen(os.dup(fd), "wb") as dst:
                shutil.copyfileobj(src, dst)
                dst.flush()
            os.fsync(fd)
            os.replace(tmp, target)
        _fsync_dir(target.parent)
        return note
    import psycopg

    try:
        with psycopg.connect(**_psycopg_conninfo(url)) as conn:
            present = conn.execute("SELECT to_regclass('ledger_head') IS NOT NULL").fetchone()
    except psycopg.Error as exc:
        raise BackupError(f"cannot connect to {url.render_as_string(hide_password=True)}: {exc}") from exc
    if present and present[0]:
        raise BackupError(f"{url.render_as_string(hide_password=True)} holds a ledger already: "
                          "restore only into a new, empty database")
    proc = subprocess.run(
        [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         f"--dbname={url.database}", str(data)],
        capture_output=True, env=_pg_env(url), timeout=3600, check=False,
    )
    if proc.returncode != 0:
        raise BackupError(f"pg_restore failed: {proc.stderr.decode(errors='replace').strip()}")
    return note
