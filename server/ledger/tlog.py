"""The ledger in the transparency ecosystem's formats: C2SP checkpoints, tiles, entry bundles
and the witnesses' cosignatures, all read from what the store already keeps.

Every signed tree head in ``sths`` is also a checkpoint: the same size and root as a
note signed by the ledger key under the origin. Ed25519 signatures are deterministic, so
a checkpoint is signed when first asked for and cached; it is the same bytes every time.
Hash tiles are rows of ``merkle_nodes`` (tile level L = Merkle level 8L); entry bundles
are rows of ``ledger_entries``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from shared.checkpoint import Checkpoint, default_origin, sign_checkpoint
from shared.note import Note, Signature
from shared.tiles import TILE_HEIGHT, TILE_WIDTH, encode_bundle, hashes_at

from ..db.schema import cosignatures, ledger_entries, merkle_nodes, sths
from .store import Ledger

LOOPBACK = ("0.0.0.0", "::", "127.0.0.1", "::1", "")


def origin_for(tlog_origin: str | None, host: str, event: str) -> str:
    """The configured origin, or ``<host>/simsa/<event>`` (``localhost`` for a wildcard host)."""
    if tlog_origin:
        return tlog_origin
    return default_origin("localhost" if host in LOOPBACK else host, event)


class NotServed(Exception):
    """The resource does not exist (yet) for the current tree."""


@dataclass
class Tlog:
    ledger: Ledger
    origin: str

    def __post_init__(self) -> None:
        self._signed: dict[int, Note] = {}
        self._lock = threading.Lock()

    # --- checkpoints ------------------------------------------------------------------

    def latest_size(self, conn: Connection) -> int:
        row = conn.execute(select(func.max(sths.c.tree_size))).scalar()
        return int(row or 0)

    def checkpoint(self, conn: Connection, size: int | None = None) -> Note | None:
        """The ledger-signed checkpoint of the STH of ``size`` (default: the latest)."""
        q = select(sths.c.tree_size, sths.c.root_hash)
        q = q.order_by(sths.c.tree_size.desc()).limit(1) if size is None else q.where(sths.c.tree_size == size)
        row = conn.execute(q).first()
        if row is None:
            return None
        n = int(row.tree_size)
        with self._lock:
            note = self._signed.get(n)
            if note is None:
                note = sign_checkpoint(Checkpoint(self.origin, n, bytes(row.root_hash)), self.ledger.key)
                if len(self._signed) > 10_000:
                    self._signed.clear()
                self._signed[n] = note
        return note

    def cosigned(self, conn: Connection, note: Note, witnesses: tuple[str, ...] | None = None) -> str:
        """The checkpoint note with the cosignature lines stored for its size."""
        size = int(note.text.split("\n")[1])
        q = select(cosignatures.c.witness, cosignatures.c.line).where(cosignatures.c.tree_size == size)
        lines = [r.line for r in conn.execute(q.order_by(cosignatures.c.witness)) if witnesses is None or r.witness in witnesses]
        return note.render() + "".join(lines)

    def witnessed_size(self, conn: Connection, names: tuple[str, ...], threshold: int) -> int | None:
        """The largest tree size with at least ``threshold`` stored cosignatures from ``names``."""
        q = (
            select(cosignatures.c.tree_size)
            .where(cosignatures.c.witness.in_(names))
            .group_by(cosignatures.c.tree_size)
            .having(func.count() >= max(threshold, 1))
            .order_by(cosignatures.c.tree_size.desc())
            .limit(1)
        )
        got = conn.execute(q).scalar()
        return None if got is None else int(got)

    def store_cosignature(self, conn: Connection, size: int, sig: Signature, timestamp: int) -> None:
        try:
            with conn.begin_nested():
                conn.execute(
                    cosignatures.insert().values(tree_size=size, witness=sig.name, timestamp=timestamp, line=sig.line())
                )
        except IntegrityError:
            pass  # another process stored this witness's cosignature of this size first

    # --- tiles ------------------------------------------------------------------------

    def tile(self, conn: Connection, level: int, n: int, width: int) -> bytes:
        """Hash tile ``level``/``n`` of ``width`` hashes, or :class:`NotServed`."""
        size = self.latest_size(conn)
        start = n * TILE_WIDTH
        if start + width > hashes_at(level, size):
            raise NotServed(f"tile {level}/{n} of width {width} is beyond the tree of size {size}")
        rows = conn.execute(
            select(merkle_nodes.c.idx, merkle_nodes.c.hash)
            .where(
                merkle_nodes.c.level == TILE_HEIGHT * level,
                merkle_nodes.c.idx >= start,
                merkle_nodes.c.idx < start + width,
            )
            .order_by(merkle_nodes.c.idx)
        ).all()
        if len(rows) != width:
            raise NotServed(f"the stored Merkle nodes of tile {level}/{n} are incomplete")
        return b"".join(bytes(r.hash) for r in rows)

    def entries(self, conn: Connection, n: int, width: int) -> list[bytes]:
        size = self.latest_size(conn)
        start = n * TILE_WIDTH
        if start + width > size:
            raise NotServed(f"entry bundle {n} of width {width} is beyond the tree of size {size}")
        rows = conn.execute(
            select(ledger_entries.c.data)
            .where(ledger_entries.c.idx >= start, ledger_entries.c.idx < start + width)
            .order_by(ledger_entries.c.idx)
        ).all()
        return [str(r.data).encode("utf-8") for r in rows]

    def bundle(self, conn: Connection, n: int, width: int) -> bytes:
        """The tlog-tiles entry bundle (raises FormatError when an entry exceeds 65535 bytes)."""
        return encode_bundle(self.entries(conn, n, width))

    def simsa_bundle(self, conn: Connection, n: int, width: int) -> bytes:
        """The same entries in simsa's format: each entry's JCS bytes and a newline."""
        return b"".join(e + b"\n" for e in self.entries(conn, n, width))
