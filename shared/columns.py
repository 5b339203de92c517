"""The auditor's accepted ballots as columns: a million ballots in bounded memory (issue 13).

:class:`BallotColumns` holds what merge and tally read of each accepted ballot in arrays —
its receipt id as 32 bytes, its ledger index and kiosk seq as integers, and its reviewer,
target, kiosk, channel and form, created_at and choices / scores as codes into tables of
the distinct values: ~70 B a ballot instead of ~0.5 KB of objects. It is a read-only
``Sequence[Accepted]`` that builds a light :class:`Accepted` only when one is asked for.
Receipt ids are found through :class:`shared.receipt_ids.ReceiptIds`, and :meth:`BallotColumns.merged`
computes the :class:`Merged` of :func:`shared.merge.merge` from the columns: the rows
sorted by (reviewer, target) with two counting sorts, the effective ballots and the
conflicts kept as row numbers (:class:`Effective`, :class:`Conflicts`).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Hashable, ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from typing import Any, TypeVar, overload

from .ballot import SignedBallot
from .encoding import b64u
from .merge import Accepted, BallotFields, Conflict, Key, Merged, default_choice
from .receipt_ids import ReceiptIds

T = TypeVar("T")


class _Table(dict[Hashable, int]):
    """Distinct values in first-seen order (:attr:`distinct`): ``table[value]`` is the
    value's code, a new one for a value not seen before (a dict look-up in C for most)."""

    def __init__(self) -> None:
        super().__init__()
        self.distinct: list[Any] = []

    def __missing__(self, value: Hashable) -> int:
        return self.code(value, value)

    def code(self, value: Any, key: Hashable) -> int:
        """The code of ``value``, found by ``key``."""
        c = self.get(key)
        if c is None:
            c = self[key] = len(self.distinct)
            self.distinct.append(value)
        return c

    def ranks(self) -> array[int]:
        """Each code's place among the values sorted."""
        out = array("I", bytes(4 * len(self.distinct)))
        for rank, code in enumerate(sorted(range(len(self.distinct)), key=self.distinct.__getitem__)):
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


class _Built(Sequence[T]):
    """A read-only sequence whose items are built when asked for (:meth:`_item`), equal to
    any sequence of equal items."""

    def _item(self, i: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        n = len(self)
        if isinstance(i, slice):
            return [self._item(k) for k in range(*i.indices(n))]
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("sequence index out of range")
        return self._item(i)

    def __iter__(self) -> Iterator[T]:
        return map(self._item, range(len(self)))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Sequence) and len(self) == len(other)
            and all(a == b for a, b in zip(self, other, strict=True))
        )

    __hash__ = None  # type: ignore[assignment]


class BallotColumns(_Built[Accepted]):
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
        self.ids = ReceiptIds(self._digest, self._index)

    def add(
        self, id: str, index: int, signed: SignedBallot | None, kiosk: str | None, seq: int | None,
        fields: BallotFields | None, sb_jcs: bytes | None,
    ) -> None:
        """Append an accepted ballot: only its fields (no signed ballot, no bytes)."""
        if signed is not None or sb_jcs or fields is None:
            raise ValueError("ballot columns keep the fields merge and tally read, not the ballot")
        reviewer, target, channel, form, created_at, scores, choices = fields
        row, digest = len(self._index), self.ids.digest(id)
        self._digest += digest
        self.ids.insert(row, digest)
        self._index.append(index)
        self._seq.append(-1 if seq is None else seq)
        self._reviewer.append(self._reviewers[reviewer])
        self._target.append(self._targets[target])
        self._kiosk.append(self._kiosks[kiosk])
        self._kind.append(self._kinds[channel, form])
        self._created.append(self._times[created_at])
        self._value.append(self._values.code((scores, choices), _value_key(scores, choices)))

    def digest(self, row: int) -> bytes:
        return bytes(self._digest[32 * row : 32 * row + 32])

    def key(self, row: int) -> Key:
        return (self._reviewers.distinct[self._reviewer[row]], self._targets.distinct[self._target[row]])

    def ballot(self, row: int) -> Accepted:
        """The row as a light :class:`Accepted` (no bytes: ``signed`` raises)."""
        channel, form = self._kinds.distinct[self._kind[row]]
        scores, choices = self._values.distinct[self._value[row]]
        seq = self._seq[row]
        fields = (*self.key(row), channel, form, self._times.distinct[self._created[row]], scores, choices)
        return Accepted.light(
            b64u(self.digest(row)), self._index[row], self._kiosks.distinct[self._kiosk[row]],
            None if seq < 0 else seq, fields,
        )

    def __len__(self) -> int:
        return len(self._index)

    def _item(self, i: int) -> Accepted:
        return self.ballot(i)

    def merged(self, policy: str, resolutions: Mapping[Key, str]) -> Merged:
        """:func:`shared.merge.merge` of these ballots, computed on the columns."""
        n = len(self)
        by_reviewer = array("I", map(self._reviewers.ranks().__getitem__, self._reviewer))
        by_target = array("I", map(self._targets.ranks().__getitem__, self._target))
        order = _counting_sort(by_reviewer, len(self._reviewers.distinct),
                               _counting_sort(by_target, len(self._targets.distinct), range(n)))
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
                effective.append(row)  # a group of one ballot
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


class Conflicts(_Built[Conflict]):
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

    def _item(self, i: int) -> Conflict:
        cols = self._cols
        ballots = tuple(map(cols.ballot, self._rows[self._ends[i - 1] if i else 0 : self._ends[i]]))
        resolved = self._resolved[i]
        return Conflict(
            ballots[0].key, ballots, b64u(cols.digest(self._default[i])),
            None if resolved == 0 else b64u(cols.digest(resolved - 1)),
        )
