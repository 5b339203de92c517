"""The auditor's accepted ballots as columns: a million ballots in bounded memory (issue 13).

:class:`BallotColumns` holds what merge and tally read of each accepted ballot in arrays —
its receipt id as 32 bytes, its ledger index and kiosk seq as integers, and its reviewer,
target, kiosk, channel and form, created_at and choices / scores as codes into tables of
the distinct values: ~70 B a ballot instead of ~0.5 KB of objects. It is a read-only
``Sequence[Accepted]`` that builds a light :class:`Accepted` only when one is asked for.
Receipt ids are found through :class:`ReceiptIds`, and :meth:`BallotColumns.merged`
computes the :class:`Merged` of :func:`shared.merge.merge` from the columns: the rows
sorted by (reviewer, target) with two counting sorts, the effective ballots and the
conflicts kept as row numbers (:class:`Effective`, :class:`Conflicts`).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Hashable, ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from typing import Any, overload

from .ballot import SignedBallot
from .encoding import b64u, b64u_decode
from .errors import FormatError
from .merge import Accepted, BallotFields, Conflict, Key, Merged, default_choice


class _Table:
    """Distinct values in first-seen order, each with its code."""

    __slots__ = ("codes", "values")

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.codes: dict[Hashable, int] = {}

    def code(self, value: Any, key: Hashable = None) -> int:
        """The code of ``value`` (found by ``key``, the value itself when None)."""
        k = value if key is None else key
        c = self.codes.get(k)
        if c is None:
            c = self.codes[k] = len(self.values)
            self.values.append(value)
        return c

    def ranks(self) -> array[int]:
        """Each code's place among the values sorted."""
        out = array("I", bytes(4 * len(self.values)))
        for rank, code in enumerate(sorted(range(len(self.values)), key=self.values.__getitem__)):
            out[code] = rank
        return out


def _value_key(scores: dict[str, Any] | None, choices: tuple[Any, ...] | None) -> Hashable:
    """What ballots with the same choices and scores share; a value that could equal another
    of a different type (``1`` and ``True``) or is not hashable is shared with none."""
    if (choices is None or all(type(c) is str for c in choices)) and (
        scores is None or all(type(v) is int for v in scores.values())
    ):
        return (None if scores is None else tuple(scores.items()), choices)
    return object()


def _same_items(mine: Sequence[Any], other: object) -> bool:
    return isinstance(other, Sequence) and len(mine) == len(other) and all(a == b for a, b in zip(mine, other, strict=True))


class BallotColumns(Sequence[Accepted]):
    """The accepted ballots in ledger order, as columns (see the module docstring)."""

    def __init__(self) -> None:
        self._digest = bytearray()  # 32 bytes a row: SHA-256 of the signed ballot, the receipt id
        self._index = array("q")
        self._seq = array("q")  # -1: none (an online ballot)
        self._reviewer, self._target, self._kiosk = array("I"), array("I"), array("I")
        self._kind, self._created, self._value = array("I"), array("I"), array("I")
        self._reviewers, self._targets, self._kiosks = _Table(), _Table(), _Table()
        self._kinds, self._times, self._values = _Table(), _Table(), _Table()
        #: each receipt id's first ledger index
        self.ids = ReceiptIds(self)

    def add(
        self, id: str, index: int, signed: SignedBallot | None, kiosk: str | None, seq: int | None,
        fields: BallotFields | None, sb_jcs: bytes | None,
    ) -> None:
        """Append an accepted ballot: only its fields (no signed ballot, no bytes)."""
        if signed is not None or sb_jcs or fields is None:
            raise ValueError("ballot columns keep the fields merge and tally read, not the ballot")
        reviewer, target, channel, form, created_at, scores, choices = fields
        row = len(self._index)
        self._digest += self.ids.digest(id)
        self.ids.insert(row)
        self._index.append(index)
        self._seq.append(-1 if seq is None else seq)
        self._reviewer.append(self._reviewers.code(reviewer))
        self._target.append(self._targets.code(target))
        self._kiosk.append(self._kiosks.code(kiosk))
        self._kind.append(self._kinds.code((channel, form)))
        self._created.append(self._times.code(created_at))
        self._value.append(self._values.code((scores, choices), _value_key(scores, choices)))

    def digest(self, row: int) -> bytes:
        return bytes(self._digest[32 * row : 32 * row + 32])

    def key(self, row: int) -> Key:
        return (self._reviewers.values[self._reviewer[row]], self._targets.values[self._target[row]])

    def ballot(self, row: int) -> Accepted:
        """The row as a light :class:`Accepted` (no bytes: ``signed`` raises)."""
        channel, form = self._kinds.values[self._kind[row]]
        scores, choices = self._values.values[self._value[row]]
        seq = self._seq[row]
        fields = (*self.key(row), channel, form, self._times.values[self._created[row]], scores, choices)
        return Accepted.light(
            b64u(self.digest(row)), self._index[row], self._kiosks.values[self._kiosk[row]],
            None if seq < 0 else seq, fields,
        )

    def __len__(self) -> int:
        return len(self._index)

    @overload
    def __getitem__(self, i: int) -> Accepted: ...

    @overload
    def __getitem__(self, i: slice) -> list[Accepted]: ...

    def __getitem__(self, i: int | slice) -> Accepted | list[Accepted]:
        if isinstance(i, slice):
            return [self.ballot(r) for r in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("no such accepted ballot")
        return self.ballot(i)

    def __iter__(self) -> Iterator[Accepted]:
        return map(self.ballot, range(len(self)))

    def __eq__(self, other: object) -> bool:
        return _same_items(self, other)

    __hash__ = None  # type: ignore[assignment]

    def merged(self, policy: str, resolutions: Mapping[Key, str]) -> Merged:
        """:func:`shared.merge.merge` of these ballots, computed on the columns."""
        n = len(self)
        by_reviewer = array("I", map(self._reviewers.ranks().__getitem__, self._reviewer))
        by_target = array("I", map(self._targets.ranks().__getitem__, self._target))
        order = _counting_sort(by_reviewer, len(self._reviewers.values),
                               _counting_sort(by_target, len(self._targets.values), range(n)))
        del by_reviewer
        effective, conflicts = array("I"), Conflicts(self)
        pos = 0
        while pos < n:
            row = order[pos]
            end = pos + 1
            while end < n and by_target[order[end]] == by_target[row] and self._reviewer[order[end]] == (
                self._reviewer[row]
            ):
                end += 1
            if end == pos + 1:
                effective.append(row)  # a group of one: almost every group
            else:
                effective.append(conflicts.decide(order[pos:end], policy, resolutions))
            pos = end
        return Merged(Effective(self, effective), conflicts)


def _counting_sort(keys: array[int], nkeys: int, rows: Iterable[int]) -> array[int]:
    """``rows`` stably sorted by ``keys[row]`` (each key in ``range(nkeys)``)."""
    start = array("q", bytes(8 * (nkeys + 1)))
    for k in keys:
        start[k + 1] += 1
    for k in range(nkeys):
        start[k + 1] += start[k]
    out = array("I", bytes(4 * len(keys)))
    for row in rows:
        k = keys[row]
        out[start[k]] = row
        start[k] += 1
    return out


class ReceiptIds(Mapping[str, int]):
    """Each receipt id of a :class:`BallotColumns` and its first ledger index, found through
    an open-addressing table of row numbers (4 bytes a slot, at most half full) keyed by
    Python's salted hash of the 32-byte id — a ledger cannot be made to collide."""

    __slots__ = ("_cols", "_count", "_last", "_slots")

    def __init__(self, cols: BallotColumns) -> None:
        self._cols = cols
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
        slots, data = self._slots, self._cols._digest
        mask = len(slots) - 1
        h = hash(digest) & mask
        while True:
            r = slots[h]
            if r == 0 or data[32 * r - 32 : 32 * r] == digest:
                return h, r
            h = (h + 1) & mask

    def insert(self, row: int) -> None:
        """Index the row just appended, unless its id is there already."""
        h, r = self._find(self._cols.digest(row))
        if r:
            return
        self._slots[h] = row + 1
        self._count += 1
        if 2 * self._count > len(self._slots):
            old, self._slots = self._slots, array("I", bytes(8 * len(self._slots)))
            for r in old:
                if r:
                    self._slots[self._find(self._cols.digest(r - 1))[0]] = r

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
        return self._cols._index[r]

    def __contains__(self, id: object) -> bool:
        return self.row(id) is not None

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        cols = self._cols
        for row in range(len(cols)):
            if self._find(cols.digest(row))[1] == row + 1:
                yield b64u(cols.digest(row))


class Effective(Mapping[Key, Accepted]):
    """The effective ballot of each (reviewer, target), in key order, as rows of columns."""

    def __init__(self, cols: BallotColumns, rows: array[int]) -> None:
        self._cols, self._rows = cols, rows

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Key]:
        return map(self._cols.key, self._rows)

    def __getitem__(self, key: Key) -> Accepted:
        at = bisect_left(self._rows, key, key=self._cols.key)
        if at == len(self._rows) or self._cols.key(self._rows[at]) != key:
            raise KeyError(key)
        return self._cols.ballot(self._rows[at])

    def values(self) -> ValuesView[Accepted]:
        return _Values(self)

    def items(self) -> ItemsView[Key, Accepted]:
        return _Items(self)

    def ballots(self) -> Iterator[Accepted]:
        """The effective ballots one at a time, in key order."""
        return map(self._cols.ballot, self._rows)


class _Values(ValuesView[Accepted]):
    _mapping: Effective

    def __iter__(self) -> Iterator[Accepted]:
        return self._mapping.ballots()


class _Items(ItemsView[Key, Accepted]):
    _mapping: Effective

    def __iter__(self) -> Iterator[tuple[Key, Accepted]]:
        return ((a.key, a) for a in self._mapping.ballots())


class Conflicts(Sequence[Conflict]):
    """The conflicts of a merge on columns, in key order: each its ballots' rows (in ledger
    order), its default and the ballot a staff resolution names, if one does."""

    def __init__(self, cols: BallotColumns) -> None:
        self._cols = cols
        self._rows, self._ends = array("I"), array("I")
        self._default, self._resolved = array("I"), array("I")  # row; row + 1 (0: none)

    def decide(self, rows: Iterable[int], policy: str, resolutions: Mapping[Key, str]) -> int:
        """The effective row of a (reviewer, target) group; a conflict when its rows hold
        more than one ballot (a signed ballot logged twice counts once)."""
        cols = self._cols
        first: dict[bytes, int] = {}
        for r in rows:
            first.setdefault(cols.digest(r), r)
        members = list(first.values())
        if len(members) == 1:
            return members[0]
        ballots = [cols.ballot(r) for r in members]
        default = members[ballots.index(default_choice(ballots, policy))]
        named = resolutions.get(ballots[0].key)
        resolved = next((r for r, a in zip(members, ballots, strict=True) if a.id == named), None)
        self._rows.extend(members)
        self._ends.append(len(self._rows))
        self._default.append(default)
        self._resolved.append(0 if resolved is None else resolved + 1)
        return default if resolved is None else resolved

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, i: int) -> Conflict: ...

    @overload
    def __getitem__(self, i: slice) -> list[Conflict]: ...

    def __getitem__(self, i: int | slice) -> Conflict | list[Conflict]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("no such conflict")
        cols = self._cols
        ballots = tuple(map(cols.ballot, self._rows[self._ends[i - 1] if i else 0 : self._ends[i]]))
        resolved = self._resolved[i]
        return Conflict(
            ballots[0].key, ballots, b64u(cols.digest(self._default[i])),
            None if resolved == 0 else b64u(cols.digest(resolved - 1)),
        )

    def __eq__(self, other: object) -> bool:
        return _same_items(self, other)

    __hash__ = None  # type: ignore[assignment]
