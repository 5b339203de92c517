"""shared.columns — the auditor's accepted ballots as columns — gives exactly what the
objects give: the same ballots back, the same receipt ids, the same :class:`Merged`
(effective ballots in the same key order, the same conflicts with their defaults and
resolutions under every policy) and the same results, on random ballots with repeats of
one signed ballot, conflicts and resolutions in and out of their group."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.columns import BallotColumns
from shared.encoding import b64u, sha256
from shared.manifest import Manifest
from shared.merge import Accepted, AcceptedList, BallotFields, Key
from shared.tally import tally
from tests.support import tiny


def receipt(ident: int) -> str:
    return b64u(sha256(f"ballot {ident}".encode()))


def _fields(reviewer: int, target: int, ident: int, second: int, kiosk: bool) -> BallotFields:
    """A kiosk rubric ballot for a proposal, or an online approval ballot for a group;
    what it says follows from its id (one signed ballot logged twice says the same)."""
    created = f"2019-06-01T10:{second % 60:02d}:{second // 60:02d}Z"
    if kiosk:
        scores = {"a": ident % 11, "b": ident % 6}
        return (f"r{reviewer}", f"p{1 + target}", "kiosk", "rubric", created, scores, None)
    group = 1 + target % 2
    pick = [p for p, g in (("p1", 1), ("p2", 1), ("p3", 1), ("p4", 2), ("p5", 2)) if g == group]
    return (f"r{reviewer}", f"g{group}", "online", "approval", created, None, tuple(pick[: 1 + ident % 2]))


def both(specs: list[tuple[int, int, int, int, bool]]) -> tuple[AcceptedList, BallotColumns]:
    objects, columns = AcceptedList(), BallotColumns()
    for i, (reviewer, target, ident, second, kiosk) in enumerate(specs):
        fields = _fields(reviewer, target, ident, second, kiosk)
        for store in (objects, columns):
            store.add(receipt(ident), 2 * i + 1, None, "k1" if kiosk else None, i + 1 if kiosk else None,
                      fields, b"")
    return objects, columns


def everything(a: Accepted) -> tuple[Any, ...]:
    return (a.id, a.index, a.kiosk, a.seq, a.reviewer, a.target, a.channel, a.form, a.created_at, a.scores,
            a.choices)


MANIFESTS: list[Manifest] = [
    tiny.manifest(),
    tiny.manifest(selection={**tiny.manifest_raw()["selection"], "normalize": "zscore"}),
    tiny.manifest(selection={**tiny.manifest_raw()["selection"], "mode": "mix", "select": 2}),
]

ballot_specs = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 14), st.integers(0, 200), st.booleans()),
    max_size=50,
)
some_resolutions = st.dictionaries(
    st.tuples(st.sampled_from(["r0", "r1", "r9"]), st.sampled_from(["p1", "p2", "g1", "g2"])),
    st.sampled_from([receipt(k) for k in range(6)] + ["nope"]),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(ballot_specs, st.sampled_from(["latest", "first", "onsite-first"]), some_resolutions,
       st.sampled_from(range(len(MANIFESTS))))
def test_columns_merge_and_tally_like_the_objects(specs: list[tuple[int, int, int, int, bool]], policy: str,
                                                  resolutions: dict[Key, str], which: int) -> None:
    objects, columns = both(specs)
    assert len(columns) == len(objects)
    assert [everything(a) for a in columns] == [everything(a) for a in objects]
    assert columns == objects and objects == columns
    assert dict(columns.ids) == objects.ids and list(columns.ids) == list(objects.ids)

    new, old = columns.merged(policy, resolutions), objects.merged(policy, resolutions)
    assert list(new.effective) == list(old.effective)  # the same keys in the same order
    assert [everything(a) for a in new.effective.values()] == [everything(a) for a in old.effective.values()]
    assert [(k, everything(a)) for k, a in new.effective.items()] == [
        (k, everything(a)) for k, a in old.effective.items()
    ]
    for k in old.effective:
        assert everything(new.effective[k]) == everything(old.effective[k])
    assert ("r9", "g9") not in new.effective
    assert len(new.conflicts) == len(old.conflicts)
    assert list(new.conflicts) == list(old.conflicts) and new.conflicts == old.conflicts
    for c, d in zip(new.conflicts, old.conflicts, strict=True):
        assert (c.key, c.default, c.resolved, c.effective) == (d.key, d.default, d.resolved, d.effective)
        assert [everything(a) for a in c.ballots] == [everything(a) for a in d.ballots]
    assert new == old

    m = MANIFESTS[which]
    assert tally(m, new.effective) == tally(m, old.effective)


def test_receipt_ids_table() -> None:
    """Each id's first ledger index; a kiosk record logged again keeps the first; ids of no
    accepted ballot, and texts that are no id at all, are not there."""
    columns = BallotColumns()
    rows = [(1, 10, "k1", 1), (2, 11, None, None), (1, 12, "k1", 2), (3, 13, None, None)]
    for ident, index, kiosk, seq in rows:
        columns.add(receipt(ident), index, None, kiosk, seq, _fields(0, ident, ident, 0, kiosk is not None), b"")
    cases: list[tuple[object, int | None]] = [
        (receipt(1), 10), (receipt(2), 11), (receipt(3), 13), (receipt(4), None),
        ("", None), ("not an id", None), (receipt(1)[:-1], None), (receipt(1) + "A", None), (7, None),
    ]
    for text, first in cases:
        assert (text in columns.ids) is (first is not None), text
        assert columns.ids.get(text) == first  # type: ignore[call-overload]
    assert len(columns.ids) == 3 and list(columns.ids) == [receipt(1), receipt(2), receipt(3)]


def test_many_receipt_ids_grow_the_table() -> None:
    objects, columns = AcceptedList(), BallotColumns()
    for k in range(5000):
        for store in (objects, columns):
            store.add(receipt(k % 3000), k, None, "k1", k + 1, _fields(k % 7, k % 4, k, 0, True), b"")
    assert dict(columns.ids) == objects.ids and len(columns.ids) == 3000


def test_a_column_ballot_has_no_bytes_and_the_store_takes_none() -> None:
    columns = BallotColumns()
    fields = _fields(0, 0, 1, 0, False)
    columns.add(receipt(1), 4, None, None, None, fields, b"")
    assert columns[-1] == columns[0] and columns[0:1] == [columns[0]]
    with pytest.raises(IndexError):
        _ = columns[1]
    with pytest.raises(ValueError, match="without its bytes"):
        _ = columns[0].signed
    with pytest.raises(ValueError, match="not the ballot"):
        columns.add(receipt(2), 5, None, None, None, fields, b"{}")
    assert len(columns) == 1
