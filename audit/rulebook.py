"""What the auditor's workers need of the manifest, and no more (issue 13, part C).

A worker judges each ballot alone (:func:`shared.facts.ballot_facts`): the rules read the
manifest's event, forms, windows, proposals, groups and rubric (small), and for the
ballot's reviewer only their key, role, community and assignments. The parsed city
manifest (200,000 reviewers) is ~277 MiB in each process; :class:`ReviewerTable` holds the
reviewers by index instead — an id → index dict, the 32-byte keys in one buffer, the
role and community as one-byte / two-byte codes, the assignments as an index into the
distinct assignment sets — and ships to a worker as ~10 MB of pickle.

:func:`worker_manifest` is the verified :class:`Manifest` with its raw JSON dropped and
``reviewers`` / ``assignments`` read through the table — in the workers and, since it is
all the verifier needs, in the main process too (:func:`audit.verify.verify_ledger`). The
table is a read-only :class:`Mapping` (``get``, ``[]``, ``in``, ``len``, iteration);
nothing reads ``Manifest.raw`` after the signature is checked.
"""

from __future__ import annotations

import pickle
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, cast

from shared.encoding import b64u, b64u_decode
from shared.manifest import ROLES, Manifest, Reviewer

#: Code of a reviewer who has no entry in ``assignments``.
_NONE = -1


class ReviewerTable(Mapping[str, Reviewer]):
    """The manifest's reviewers by index (see the module docstring)."""

    __slots__ = ("_assigned", "_communities", "_community", "_index", "_keys", "_roles", "_sets")

    def __init__(
        self,
        ids: str,
        keys: bytes,
        roles: bytes,
        communities: tuple[str, ...],
        community: bytes,
        sets: tuple[frozenset[str], ...],
        assigned: bytes,
    ) -> None:
        """``ids``: the reviewer ids joined by newlines, in index order (ids never hold a
        newline); the other arguments hold one item per reviewer in the same order."""
        self._index = {rid: i for i, rid in enumerate(ids.split("\n"))} if ids else {}
        self._keys = keys
        self._roles = roles
        self._communities = communities
        self._community = array("H", community)
        self._sets = sets
        self._assigned = array("i", assigned)

    @classmethod
    def of(cls, m: Manifest) -> ReviewerTable:
        communities = tuple(sorted(m.communities))
        cidx = {c: i for i, c in enumerate(communities)}
        sets: dict[frozenset[str], int] = {}
        keys = bytearray()
        roles = bytearray()
        community = array("H")
        assigned = array("i")
        for rid, r in m.reviewers.items():
            keys += b64u_decode(r.key, length=32)
            roles.append(ROLES.index(r.role))
            community.append(cidx[r.community])
            a = m.assignments.get(rid)
            assigned.append(_NONE if a is None else sets.setdefault(a, len(sets)))
        return cls(
            "\n".join(m.reviewers), bytes(keys), bytes(roles), communities, community.tobytes(),
            tuple(sets), assigned.tobytes(),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            ReviewerTable,
            ("\n".join(self._index), self._keys, self._roles, self._communities, self._community.tobytes(),
             self._sets, self._assigned.tobytes()),
        )

    def key(self, rid: str) -> bytes:
        """The reviewer's raw 32-byte public key; KeyError for an unknown id."""
        i = self._index[rid]
        return self._keys[32 * i : 32 * i + 32]

    def assignments(self, rid: str) -> frozenset[str] | None:
        i = self._index.get(rid)
        if i is None or self._assigned[i] == _NONE:
            return None
        return self._sets[self._assigned[i]]

    def __getitem__(self, rid: str) -> Reviewer:
        i = self._index[rid]
        return Reviewer(
            rid, b64u(self._keys[32 * i : 32 * i + 32]), self._communities[self._community[i]], ROLES[self._roles[i]]
        )

    def get(self, rid: str, default: Any = None) -> Any:
        return self[rid] if rid in self._index else default

    def __contains__(self, rid: object) -> bool:
        return rid in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


class _Assignments(Mapping[str, frozenset[str]]):
    """``Manifest.assignments`` read through a :class:`ReviewerTable`."""

    __slots__ = ("_table",)

    def __init__(self, table: ReviewerTable) -> None:
        self._table = table

    def __getitem__(self, rid: str) -> frozenset[str]:
        a = self._table.assignments(rid)
        if a is None:
            raise KeyError(rid)
        return a

    def get(self, rid: str, default: Any = None) -> Any:
        a = self._table.assignments(rid)
        return default if a is None else a

    def __iter__(self) -> Iterator[str]:
        return (rid for rid in self._table if self._table.assignments(rid) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Assignments, (self._table,))


def worker_manifest(m: Manifest) -> Manifest:
    """The manifest as the workers hold it: no raw JSON, reviewers and assignments read
    through one :class:`ReviewerTable` (see the module docstring)."""
    table = ReviewerTable.of(m)
    return replace(
        m,
        raw={},
        reviewers=cast(dict[str, Reviewer], table),
        assignments=cast(dict[str, frozenset[str]], _Assignments(table)),
    )


def table_of(m: Manifest) -> ReviewerTable:
    """The :class:`ReviewerTable` of a :func:`worker_manifest`."""
    table = cast(object, m.reviewers)
    assert isinstance(table, ReviewerTable), "a worker_manifest"
    return table


def packed(m: Manifest) -> bytes:
    """``m`` as a :func:`worker_manifest` (it may be one already), in the bytes handed to
    each worker."""
    lean = m if isinstance(cast(object, m.reviewers), ReviewerTable) else worker_manifest(m)
    return pickle.dumps(lean, protocol=pickle.HIGHEST_PROTOCOL)
