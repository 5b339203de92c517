"""The receipt ids of the auditor's ballot columns (:mod:`shared.columns`): each id's
first ledger index, for duplicate receipts and the ballots resolutions name.

The ids are the columns' 32-byte digests; :class:`ReceiptIds` finds them through an
open-addressing table of row numbers — 4 bytes a slot, at most half full, 8 MB for a
million ballots where a dict of id texts took ~200 B a ballot — probed from Python's
salted hash of the digest, so a ledger cannot be made to collide.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping

from .encoding import b64u, b64u_decode
from .errors import FormatError


class ReceiptIds(Mapping[str, int]):
    """Each receipt id of ballot columns and its first ledger index (see the module
    docstring); ``digests`` holds 32 bytes a row, ``index`` each row's ledger index."""

    __slots__ = ("_count", "_digests", "_index", "_last", "_slots")

    def __init__(self, digests: bytearray, index: array[int]) -> None:
        self._digests, self._index = digests, index
        self._slots = array("I", bytes(4 * 1024))  # row + 1; 0: empty
        self._count = 0
        self._last: tuple[str, bytes] = ("", b"")

    def digest(self, id: str) -> bytes:
        """The 32 bytes of a receipt id (FormatError for anything else)."""
        if self._last[0] != id:  # the replay looks an id up, then adds it
            self._last = (id, b64u_decode(id, length=32, what="receipt id"))
        return self._last[1]

    def _find(self, digest: bytes) -> tuple[int, int]:
        """(slot, row + 1) of ``digest``; (its empty slot, 0) when it is not there."""
        slots, data = self._slots, self._digests
        mask = len(slots) - 1
        h = hash(digest) & mask
        while True:
            r = slots[h]
            if r == 0 or data[32 * r - 32 : 32 * r] == digest:
                return h, r
            h = (h + 1) & mask

    def insert(self, row: int, digest: bytes) -> None:
        """Index the row just appended (its id's ``digest``), unless the id is there already."""
        slots, data = self._slots, self._digests
        mask = len(slots) - 1
        h = hash(digest) & mask
        while r := slots[h]:
            if data[32 * r - 32 : 32 * r] == digest:
                return
            h = (h + 1) & mask
        slots[h] = row + 1
        self._count += 1
        if 2 * self._count > len(slots):
            self._grow()

    def _grow(self) -> None:
        """Twice the slots, every id placed again (none equal: no comparing)."""
        slots, data = array("I", bytes(8 * len(self._slots))), self._digests
        mask = len(slots) - 1
        for r in self._slots:
            if r:
                h = hash(bytes(data[32 * r - 32 : 32 * r])) & mask
                while slots[h]:
                    h = (h + 1) & mask
                slots[h] = r
        self._slots = slots

    def row(self, id: object) -> int | None:
        """The first row holding ``id``, None when none does."""
        try:
            r = self._find(self.digest(id))[1] if isinstance(id, str) else 0
        except FormatError:
            return None
        return r - 1 if r else None

    def __getitem__(self, id: str) -> int:
        r = self.row(id)
        if r is None:
            raise KeyError(id)
        return self._index[r]

    def __contains__(self, id: object) -> bool:
        return self.row(id) is not None

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        for row in range(len(self._index)):
            digest = self._digest_at(row)
            if self._find(digest)[1] == row + 1:
                yield b64u(digest)

    def _digest_at(self, row: int) -> bytes:
        return bytes(self._digests[32 * row : 32 * row + 32])
