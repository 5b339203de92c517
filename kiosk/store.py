"""The kiosk's durable store: one SQLite file in WAL mode with ``synchronous=FULL``.

It holds the kiosk's identity and the verified manifest, the kiosk chain of DESIGN §4
(records ``{seq, prev, signed_ballot}``), what the server answered for each record, the
online outbox, PIN failures per card, revocations, the last signed tree head and alarms.

:meth:`KioskStore.append` returns only after the record is committed and the WAL is on
disk, so a caller that shows "saved" after it never shows it for a ballot a power cut can
lose. Each thread gets its own connection; writers serialise on SQLite's lock
(``BEGIN IMMEDIATE``), so the UI's saver and the sync worker never see half a record.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from shared.ballot import ballot_id
from shared.chain import GENESIS, make_record, record_hash
from shared.encoding import jcs
from shared.errors import FormatError, SimsaError


class Meta(StrEnum):
    """Every key of the store's ``meta`` table (the stored strings never change: a kiosk's
    data folder outlives a software update)."""

    KIOSK_ID = "kiosk_id"
    KIOSK_SEED = "kiosk_seed"  # the kiosk's Ed25519 seed (b64u)
    CHANNEL = "channel"  # kiosk or online
    SERVER = "server"
    AUTHORITY = "authority"  # the organiser's key pinned at setup
    SIGNED_MANIFEST = "signed_manifest"
    STAFF_PIN = "staff_pin"  # its hash
    STAFF_FAILURES = "staff_failures"
    STAFF_LOCKED_UNTIL = "staff_locked_until"  # POSIX seconds on the session's clock
    ENROLMENT = "enrolment"  # pending, approved, closed, refused
    REGISTRATION = "registration"
    LAST_ERROR = "last_error"
    LAST_SYNC_AT = "last_sync_at"
    LAST_STH = "last_sth"
    LAST_WITNESSED = "last_witnessed"
    CLOSURE = "closure"
    CLOSURE_SENT = "closure_sent"
    CLOSED_AT = "closed_at"
    SYNCED_SEQ = "synced_seq"
    #: The server refused a record because it holds this kiosk, or the event, as closed.
    SERVER_CLOSED_KIOSK = "kiosk_closed"
    SERVER_CLOSED_EVENT = "event_closed"


#: The server's refusal codes that mean "closed", and the key each is remembered under.
CLOSED_BY_SERVER: dict[str, Meta] = {"kiosk_closed": Meta.SERVER_CLOSED_KIOSK, "event_closed": Meta.SERVER_CLOSED_EVENT}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    ballot_id TEXT NOT NULL UNIQUE,
    reviewer TEXT NOT NULL,
    target TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sync_status TEXT,
    sync_code TEXT,
    ledger_index INTEGER
);
CREATE INDEX IF NOT EXISTS records_reviewer ON records (reviewer, target);
CREATE TABLE IF NOT EXISTS outbox (
    ballot_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    target TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    code TEXT,
    ledger_index INTEGER,
    tries INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_reviewer ON outbox (reviewer, target);
CREATE TABLE IF NOT EXISTS pin_failures (
    reviewer TEXT PRIMARY KEY, failures INTEGER NOT NULL, locked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS opens (id INTEGER PRIMARY KEY AUTOINCREMENT, reviewer TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS revoked (reviewer TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS alarms (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, code TEXT NOT NULL, detail TEXT NOT NULL
);
"""


class StoreError(SimsaError):
    """The kiosk's data folder cannot be used (not set up, or set up for another event)."""


@dataclass(frozen=True)
class Saved:
    """A committed record: its place in the chain and the ballot's receipt id."""

    seq: int
    hash: str
    ballot_id: str


@dataclass(frozen=True)
class LocalBallot:
    """A ballot this kiosk (or this online client) saved for a reviewer."""

    ballot_id: str
    target: str
    created_at: str
    signed_ballot: dict[str, Any]
    seq: int | None
    status: str | None


@dataclass(frozen=True)
class SyncState:
    """What the staff screen shows about the chain and the link to the server."""

    head_seq: int
    synced_seq: int
    accepted: int
    duplicate: int
    rejected: int
    outbox_queued: int
    opened: int


class KioskStore:
    """The durable store of one kiosk (or one online client) in ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # the kiosk's key seed and the staff PIN hash live here: owner only (SQLite gives
        # its -wal and -shm files the same mode)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        os.chmod(self.path, 0o600)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._conn().executescript(SCHEMA)

    # --- connections ---------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``); rolled back on error."""
        c = self._conn()
        c.execute("BEGIN IMMEDIATE")
        try:
            yield c
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")

    def read(self) -> sqlite3.Connection:
        return self._conn()

    def close(self) -> None:
        with self._lock:
            for c in self._all:
                c.close()
            self._all.clear()
        self._local = threading.local()

    # --- meta ----------------------------------------------------------------------------

    def get(self, key: Meta, default: str | None = None) -> str | None:
        row = self.read().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    def get_json(self, key: Meta) -> Any:
        text = self.get(key)
        return None if text is None else json.loads(text)

    def set(self, values: Mapping[Meta, str | None]) -> None:
        """Write (or, for None, delete) each key in one transaction."""
        with self.write() as c:
            for k, v in values.items():
                if v is None:
                    c.execute("DELETE FROM meta WHERE key = ?", (k,))
                else:
                    c.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                              "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (k, v))

    def set_json(self, key: Meta, value: Any) -> None:
        self.set({key: json.dumps(value, ensure_ascii=False)})

    # --- the chain -----------------------------------------------------------------------

    def head(self) -> tuple[int, str]:
        """The last record's seq and hash (0 and the genesis hash for an empty chain)."""
        row = self.read().execute("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def append(self, signed_ballot: dict[str, Any], *, reviewer: str, target: str, created_at: str) -> Saved:
        """Add the next record of the chain and commit it durably before returning."""
        bid = ballot_id(signed_ballot)
        with self.write() as c:
            row = c.execute("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (int(row[0]) + 1, str(row[1])) if row else (1, GENESIS)
            record = make_record(seq, prev, signed_ballot)
            h = record_hash(record)
            c.execute(
                "INSERT INTO records (seq, prev, hash, body, ballot_id, reviewer, target, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, prev, h, jcs(record).decode("utf-8"), bid, reviewer, target, created_at),
            )
        return Saved(seq, h, bid)

    def records(self, after_seq: int = 0, limit: int = 500) -> list[dict[str, Any]]:
        """Records with seq > ``after_seq``, in order, at most ``limit``."""
        rows = self.read().execute(
            "SELECT body FROM records WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def hash_at(self, seq: int) -> str | None:
        if seq == 0:
            return GENESIS
        row = self.read().execute("SELECT hash FROM records WHERE seq = ?", (seq,)).fetchone()
        return str(row[0]) if row else None

    def synced_seq(self) -> int:
        return int(self.get(Meta.SYNCED_SEQ) or 0)

    def record_results(self, results: Sequence[dict[str, Any]], synced_seq: int) -> None:
        """Keep the server's answer for each record and how far it holds the chain."""
        with self.write() as c:
            for r in results:
                c.execute(
                    "UPDATE records SET sync_status = ?, sync_code = ?, ledger_index = ? WHERE seq = ?",
                    (r.get("status"), r.get("code"), r.get("index"), r.get("seq")),
                )
            c.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (Meta.SYNCED_SEQ.value, str(synced_seq)),
            )

    def sync_state(self) -> SyncState:
        c = self.read()
        counts = dict(c.execute("SELECT sync_status, COUNT(*) FROM records GROUP BY sync_status").fetchall())
        head, _ = self.head()
        queued = c.execute("SELECT COUNT(*) FROM outbox WHERE status = 'queued'").fetchone()[0]
        opened = c.execute("SELECT COUNT(*) FROM opens").fetchone()[0]
        return SyncState(
            head_seq=head,
            synced_seq=self.synced_seq(),
            accepted=int(counts.get("accepted", 0)),
            duplicate=int(counts.get("duplicate", 0)),
            rejected=int(counts.get("rejected", 0)),
            outbox_queued=int(queued),
            opened=int(opened),
        )

    def rejected_records(self, limit: int = 20) -> list[tuple[int, str, str]]:
        """(seq, reviewer, code) of records the server rejected, newest first."""
        rows = self.read().execute(
            "SELECT seq, reviewer, sync_code FROM records WHERE sync_status = 'rejected' ORDER BY seq DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [(int(a), str(b), str(c)) for a, b, c in rows]

    # --- online outbox -------------------------------------------------------------------

    def queue_online(self, signed_ballot: dict[str, Any], *, reviewer: str, target: str, created_at: str) -> str:
        """Keep an online ballot durably until the server has it; return its id."""
        bid = ballot_id(signed_ballot)
        with self.write() as c:
            c.execute(
                "INSERT OR IGNORE INTO outbox (ballot_id, body, reviewer, target, created_at) VALUES (?, ?, ?, ?, ?)",
                (bid, jcs(signed_ballot).decode("utf-8"), reviewer, target, created_at),
            )
        return bid

    def queued_online(self, limit: int = 100) -> list[tuple[str, dict[str, Any]]]:
        rows = self.read().execute(
            "SELECT ballot_id, body FROM outbox WHERE status = 'queued' ORDER BY rowid LIMIT ?", (limit,)
        ).fetchall()
        return [(str(a), json.loads(b)) for a, b in rows]

    def online_result(self, bid: str, status: str, *, code: str | None = None, index: int | None = None) -> None:
        with self.write() as c:
            c.execute(
                "UPDATE outbox SET status = ?, code = ?, ledger_index = ?, tries = tries + 1 WHERE ballot_id = ?",
                (status, code, index, bid),
            )

    def online_status(self, bid: str) -> tuple[str, str | None, int | None] | None:
        row = self.read().execute(
            "SELECT status, code, ledger_index FROM outbox WHERE ballot_id = ?", (bid,)
        ).fetchone()
        return (str(row[0]), row[1], row[2]) if row else None

    # --- reviewers -----------------------------------------------------------------------

    def ballots_of(self, reviewer: str) -> list[LocalBallot]:
        """Everything saved here for ``reviewer``, oldest first (kiosk chain and outbox)."""
        c = self.read()
        out = [
            LocalBallot(bid, target, created, json.loads(body)["signed_ballot"], int(seq), status)
            for bid, target, created, body, seq, status in c.execute(
                "SELECT ballot_id, target, created_at, body, seq, sync_status FROM records "
                "WHERE reviewer = ? ORDER BY seq",
                (reviewer,),
            )
        ]
        out += [
            LocalBallot(bid, target, created, json.loads(body), None, status)
            for bid, target, created, body, status in c.execute(
                "SELECT ballot_id, target, created_at, body, status FROM outbox WHERE reviewer = ? ORDER BY rowid",
                (reviewer,),
            )
        ]
        return out

    def pin_state(self, reviewer: str) -> tuple[int, bool]:
        row = self.read().execute(
            "SELECT failures, locked FROM pin_failures WHERE reviewer = ?", (reviewer,)
        ).fetchone()
        return (int(row[0]), bool(row[1])) if row else (0, False)

    def pin_failed(self, reviewer: str, max_attempts: int) -> tuple[int, bool]:
        """Count a wrong PIN for this card; lock it on this kiosk at ``max_attempts``.
        Returns (failures, locked)."""
        with self.write() as c:
            row = c.execute("SELECT failures FROM pin_failures WHERE reviewer = ?", (reviewer,)).fetchone()
            failures = (int(row[0]) if row else 0) + 1
            locked = failures >= max_attempts
            c.execute(
                "INSERT INTO pin_failures (reviewer, failures, locked) VALUES (?, ?, ?) "
                "ON CONFLICT (reviewer) DO UPDATE SET failures = excluded.failures, locked = excluded.locked",
                (reviewer, failures, int(locked)),
            )
        return failures, locked

    def opened(self, reviewer: str, at: str) -> None:
        """A card was opened with its PIN: clear its failures, count the opening."""
        with self.write() as c:
            c.execute("DELETE FROM pin_failures WHERE reviewer = ? AND locked = 0", (reviewer,))
            c.execute("INSERT INTO opens (reviewer, at) VALUES (?, ?)", (reviewer, at))

    def locked_cards(self) -> list[str]:
        return [str(r[0]) for r in self.read().execute("SELECT reviewer FROM pin_failures WHERE locked = 1")]

    def unlock_card(self, reviewer: str) -> None:
        with self.write() as c:
            c.execute("DELETE FROM pin_failures WHERE reviewer = ?", (reviewer,))

    # --- revocations, STH, alarms --------------------------------------------------------

    def set_revoked(self, reviewers: Sequence[str]) -> None:
        with self.write() as c:
            c.executemany("INSERT OR IGNORE INTO revoked (reviewer) VALUES (?)", [(r,) for r in reviewers])

    def is_revoked(self, reviewer: str) -> bool:
        return self.read().execute("SELECT 1 FROM revoked WHERE reviewer = ?", (reviewer,)).fetchone() is not None

    def revoked(self) -> frozenset[str]:
        return frozenset(str(r[0]) for r in self.read().execute("SELECT reviewer FROM revoked"))

    def alarm(self, at: str, code: str, detail: str) -> None:
        """Record an alarm for staff, once per distinct (code, detail) in a row."""
        with self.write() as c:
            last = c.execute("SELECT code, detail FROM alarms ORDER BY id DESC LIMIT 1").fetchone()
            if last is None or (last[0], last[1]) != (code, detail):
                c.execute("INSERT INTO alarms (at, code, detail) VALUES (?, ?, ?)", (at, code, detail))

    def alarms(self, limit: int = 20) -> list[tuple[str, str, str]]:
        rows = self.read().execute("SELECT at, code, detail FROM alarms ORDER BY id DESC LIMIT ?", (limit,))
        return [(str(a), str(b), str(c)) for a, b, c in rows]


def check_chain(store: KioskStore) -> int:
    """Re-read the whole chain and check every link and stored hash; return its length.
    Raise :class:`FormatError` at the first broken record."""
    prev, expect = GENESIS, 1
    for seq, p, h, body in store.read().execute("SELECT seq, prev, hash, body FROM records ORDER BY seq"):
        record = json.loads(body)
        if seq != expect or record["seq"] != seq:
            raise FormatError(f"expected seq {expect}, found {seq}")
        if p != prev or record["prev"] != prev:
            raise FormatError(f"record {seq} does not link to record {seq - 1}")
        if record_hash(record) != h:
            raise FormatError(f"record {seq} does not match its stored hash")
        prev, expect = h, expect + 1
    return expect - 1
