"""Engines for both backends with the transaction behaviour the ledger relies on.

- SQLite: WAL journal, ``synchronous=FULL`` (a commit survives power loss), a busy
  timeout, and explicit ``BEGIN IMMEDIATE`` for write transactions so two writers queue
  on the database lock instead of failing half-way.
- PostgreSQL (psycopg 3): READ COMMITTED; the ledger serialises appends with
  ``SELECT … FOR UPDATE`` on its one head row (see :mod:`server.ledger.store`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, make_url

#: SQLite connections kept open for reuse (anyio's worker threads, the integrator, pages).
SQLITE_POOL = 48


class Database:
    """An engine plus two ways in: :meth:`read` (a plain transaction) and :meth:`write`
    (on SQLite, one that takes the write lock at BEGIN)."""

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            owner_only(self.engine_path(url))
            # One pooled connection per request thread (anyio runs up to 40): past SQLAlchemy's
            # default of 5 (+10 overflow) every read of a rush opened and closed a connection
            # of its own, with its PRAGMAs — more time than the read itself.
            self.engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False},
                                        pool_size=max(pool_size, SQLITE_POOL), max_overflow=SQLITE_POOL)
            _sqlite_setup(self.engine)
        else:
            self.engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self._writer = self.engine.execution_options(simsa_write=True)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction (one consistent snapshot on SQLite)."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction, committed on normal exit and rolled back on an exception."""
        with self._writer.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()

    @staticmethod
    def engine_path(url: str) -> Path | None:
        """The file of a SQLite URL (None for an in-memory database)."""
        path = make_url(url).database
        return Path(path) if path and path != ":memory:" and not path.startswith("file:") else None


def owner_only(path: Path | None) -> None:
    """Create the SQLite file ``path`` readable by its owner only, or make it so: it holds
    staff key seeds. SQLite gives its -wal and -shm files the database file's mode."""
    if path is None:
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        if conn.get_execution_options().get("simsa_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with one driver-level ``executemany`` (the ledger's hot path: a batch
    of 500 ballots writes some 2,500 rows). Column names come from ``table``, never from input."""
    if not rows:
        return
    cols = [c.name for c in table.columns if c.name in rows[0]]
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
    row_of = itemgetter(*cols) if len(cols) > 1 else (lambda r: (r[cols[0]],))
    conn.exec_driver_sql(sql, list(map(row_of, rows)))
