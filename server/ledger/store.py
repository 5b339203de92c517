"""Sequencing, Merkle nodes and signed tree heads in the database.

Every append runs in one write transaction that first locks the single ``ledger_head``
row (``SELECT … FOR UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` already holds SQLite's
write lock), so any number of API processes on one database produce one sequence. The
tree's right edge (its peaks) is read from ``merkle_nodes``; each new leaf stores the
perfect subtrees it completes (:class:`shared.merkle.CompactRange`), so an append, an STH
and a proof each cost O(log n) node reads — the tree is never rebuilt.

The STH of a batch is signed inside the batch's transaction after a check that the
stored tree still folds to the head the last STH signed, and becomes visible only when
the transaction commits: the server never publishes an STH inconsistent with an earlier one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from shared.encoding import b64u, jcs
from shared.errors import SimsaError
from shared.keys import SigningKey
from shared.ledger import sign_sth
from shared.merkle import EMPTY_ROOT, CompactRange, consistency_path, inclusion_path, leaf_hash, range_hash
from shared.timefmt import format_time, to_millis

from ..db.engine import Database, bulk_insert
from ..db.schema import ledger_entries, ledger_head, merkle_nodes, sths

Clock = Callable[[], datetime]


class LedgerCorrupt(SimsaError):
    """The stored tree does not match the head the last STH signed: refuse to go on."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class _NodeCache:
    """Committed perfect-subtree hashes never change, so a process may keep them."""

    def __init__(self, limit: int = 200_000) -> None:
        self._d: dict[tuple[int, int], bytes] = {}
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int]) -> bytes | None:
        return self._d.get(key)

    def put_many(self, items: dict[tuple[int, int], bytes]) -> None:
        with self._lock:
            if len(self._d) + len(items) > self._limit:
                self._d.clear()
            self._d.update(items)


def fetch_nodes(conn: Connection, keys: Sequence[tuple[int, int]], cache: _NodeCache | None = None) -> dict[tuple[int, int], bytes]:
    """Hashes of the perfect subtrees ``(level, index)``, in one query for the ones not cached."""
    out: dict[tuple[int, int], bytes] = {}
    missing = []
    for k in dict.fromkeys(keys):
        h = cache.get(k) if cache else None
        if h is None:
            missing.append(k)
        else:
            out[k] = h
    for start in range(0, len(missing), 200):
        chunk = missing[start : start + 200]
        # An OR of (level, idx) pairs: both backends answer it from the primary key
        # (SQLite scans the table for a row-value IN list).
        rows = conn.execute(
            select(merkle_nodes.c.level, merkle_nodes.c.idx, merkle_nodes.c.hash).where(
                or_(*(and_(merkle_nodes.c.level == lv, merkle_nodes.c.idx == i) for lv, i in chunk))
            )
        )
        got = {(r.level, r.idx): bytes(r.hash) for r in rows}
        if len(got) != len(chunk):
            absent = sorted(set(chunk) - got.keys())[:3]
            raise LedgerCorrupt(f"Merkle nodes {absent} are missing from the database")
        out.update(got)
        if cache:
            cache.put_many(got)
    return out


def _planned(fn: Callable[[Callable[[int, int], bytes]], Any]) -> list[tuple[int, int]]:
    """Run a proof computation once with a recording oracle to learn which nodes it needs
    (the shape of a proof never depends on hash values)."""
    wanted: list[tuple[int, int]] = []

    def record(level: int, i: int) -> bytes:
        wanted.append((level, i))
        return bytes(32)

    fn(record)
    return wanted


@dataclass
class Appender:
    """One write transaction on the ledger: append entries, then :meth:`finish` signs the STH."""

    conn: Connection
    ledger: Ledger
    size: int
    root: bytes
    sth_timestamp: int
    closed_index: int | None
    _range: CompactRange | None = None
    _entries: list[dict[str, Any]] = field(default_factory=list)
    _nodes: list[dict[str, Any]] = field(default_factory=list)
    sth: dict[str, Any] | None = None

    def received_at(self) -> str:
        """The time to stamp on entries of this transaction: now, but never before the time
        of the last signed tree head, so ``received_at`` never goes back along the ledger."""
        now = self.ledger.clock()
        last = datetime.fromtimestamp(self.sth_timestamp / 1000, UTC)
        return format_time(max(now, last).replace(microsecond=0))

    @property
    def next_index(self) -> int:
        return self.size + len(self._entries)

    def _compact(self) -> CompactRange:
        if self._range is None:
            positions = CompactRange.peak_positions(self.size)
            nodes = fetch_nodes(self.conn, positions, self.ledger.cache)
            cr = CompactRange(self.size, [nodes[p] for p in positions])
            if cr.root() != self.root:
                raise LedgerCorrupt(
                    f"the stored Merkle nodes fold to {b64u(cr.root())}, not to the signed head "
                    f"{b64u(self.root)} of size {self.size}: the database was changed behind the server"
                )
            last = self.conn.execute(
                select(sths.c.tree_size, sths.c.root_hash).order_by(sths.c.tree_size.desc()).limit(1)
            ).first()
            if (last is None and self.size) or (last is not None and (last.tree_size, bytes(last.root_hash)) != (self.size, self.root)):
                raise LedgerCorrupt(
                    f"the ledger head (size {self.size}) is not the last signed tree head "
                    f"(size {None if last is None else last.tree_size}): the database was changed behind the server"
                )
            self._range = cr
        return self._range

    def check(self) -> None:
        """Check that the stored nodes fold to the head's root (raises :class:`LedgerCorrupt`)."""
        self._compact()

    def append(self, entry: dict[str, Any]) -> int:
        """Append one entry object; return its index."""
        return self.append_text(str(entry["type"]), jcs(entry).decode("utf-8"))

    def append_text(self, type_: str, text: str) -> int:
        """Append an entry given as its JCS text (the caller guarantees it is canonical)."""
        index = self.next_index
        leaf = leaf_hash(text.encode("utf-8"))
        for level, i, h in self._compact().append(leaf):
            self._nodes.append({"level": level, "idx": i, "hash": h})
        self._entries.append({"idx": index, "type": type_, "leaf_hash": leaf, "data": text})
        return index

    def finish(self) -> dict[str, Any] | None:
        """Write the new entries and nodes, move the head and sign the STH (still uncommitted)."""
        if not self._entries:
            return None
        cr = self._compact()
        bulk_insert(self.conn, ledger_entries, self._entries)
        bulk_insert(self.conn, merkle_nodes, self._nodes)
        root = cr.root()
        ts = max(to_millis(self.ledger.clock()), self.sth_timestamp)
        sth = sign_sth(self.ledger.event, cr.size, root, ts, self.ledger.key)
        self.conn.execute(
            update(ledger_head).where(ledger_head.c.id == 1).values(size=cr.size, root_hash=root, sth_timestamp=ts)
        )
        self.conn.execute(
            sths.insert().values(tree_size=cr.size, root_hash=root, timestamp=ts, data=json.dumps(sth))
        )
        self.size, self.root, self.sth_timestamp = cr.size, root, ts
        self._entries, self._nodes = [], []
        self.sth = sth
        return sth

    def set_closed(self, index: int, results_hash: str) -> None:
        self.conn.execute(
            update(ledger_head).where(ledger_head.c.id == 1).values(closed_index=index, results_hash=results_hash)
        )
        self.closed_index = index


class Ledger:
    """The event's ledger in ``db``, signing tree heads with ``key``."""

    def __init__(self, db: Database, event: str, key: SigningKey, clock: Clock = utc_now) -> None:
        self.db = db
        self.event = event
        self.key = key
        self.clock = clock
        self.cache = _NodeCache()
        # Within one process, appends queue here rather than on the database lock.
        self._local = threading.Lock()

    def received_at(self) -> str:
        return format_time(self.clock().replace(microsecond=0))

    @contextmanager
    def appending(self) -> Iterator[Appender]:
        """A locked write transaction. On normal exit the entries, nodes and STH are written
        and committed together; an exception rolls everything back."""
        with self._local, self.db.write() as conn:
            head = conn.execute(
                select(
                    ledger_head.c.size,
                    ledger_head.c.root_hash,
                    ledger_head.c.sth_timestamp,
                    ledger_head.c.closed_index,
                )
                .where(ledger_head.c.id == 1)
                .with_for_update()
            ).one()
            app = Appender(conn, self, head.size, bytes(head.root_hash), head.sth_timestamp, head.closed_index)
            yield app
            app.finish()

    # --- reading ---------------------------------------------------------------------

    def head_size(self) -> int:
        with self.db.read() as conn:
            return self.head(conn)[0]

    def head(self, conn: Connection) -> tuple[int, int | None]:
        row = conn.execute(select(ledger_head.c.size, ledger_head.c.closed_index).where(ledger_head.c.id == 1)).one()
        return int(row.size), row.closed_index

    def latest_sth(self, conn: Connection) -> dict[str, Any] | None:
        row = conn.execute(select(sths.c.data).order_by(sths.c.tree_size.desc()).limit(1)).first()
        return None if row is None else dict(json.loads(row.data))

    def sth_at(self, conn: Connection, size: int) -> dict[str, Any] | None:
        row = conn.execute(select(sths.c.data).where(sths.c.tree_size == size)).first()
        return None if row is None else dict(json.loads(row.data))

    def entries_text(self, conn: Connection, start: int, end: int) -> list[tuple[int, str]]:
        rows = conn.execute(
            select(ledger_entries.c.idx, ledger_entries.c.data)
            .where(ledger_entries.c.idx >= start, ledger_entries.c.idx < end)
            .order_by(ledger_entries.c.idx)
        )
        return [(int(r.idx), str(r.data)) for r in rows]

    def leaf_hash_at(self, conn: Connection, index: int) -> bytes | None:
        row = conn.execute(select(ledger_entries.c.leaf_hash).where(ledger_entries.c.idx == index)).first()
        return None if row is None else bytes(row.leaf_hash)

    def index_of_leaf(self, conn: Connection, leaf: bytes) -> int | None:
        row = conn.execute(
            select(ledger_entries.c.idx).where(ledger_entries.c.leaf_hash == leaf).order_by(ledger_entries.c.idx).limit(1)
        ).first()
        return None if row is None else int(row.idx)

    def _with_nodes(self, conn: Connection, fn: Callable[[Callable[[int, int], bytes]], Any]) -> Any:
        wanted = _planned(fn)
        nodes = fetch_nodes(conn, wanted, self.cache)
        return fn(lambda level, i: nodes[(level, i)])

    def root_at(self, conn: Connection, size: int) -> bytes:
        """MTH of the first ``size`` leaves from stored nodes."""
        if size == 0:
            return EMPTY_ROOT
        result: bytes = self._with_nodes(conn, lambda node: range_hash(node, 0, size))
        return result

    def inclusion(self, conn: Connection, index: int, size: int) -> list[bytes]:
        """RFC 9162 audit path of leaf ``index`` in the tree of ``size``."""
        path: list[bytes] = self._with_nodes(
            conn, lambda node: inclusion_path(index, size, lambda a, b: range_hash(node, a, b))
        )
        return path

    def consistency(self, conn: Connection, first: int, second: int) -> list[bytes]:
        """RFC 9162 consistency proof from size ``first`` to size ``second``."""
        if first == 0 or first == second:
            return []
        proof: list[bytes] = self._with_nodes(
            conn, lambda node: consistency_path(first, second, lambda a, b: range_hash(node, a, b))
        )
        return proof
