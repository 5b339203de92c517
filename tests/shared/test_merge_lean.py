"""shared.merge holds a group of one as the ballot itself (the auditor's memory at a
million ballots): the same :class:`Merged` as grouping every key in a dict, on random
ballots with repeats of one signed ballot, conflicts and resolutions (in and out of their
group) under every policy; and the auditor-form ballot's shared texts keep their values."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.merge import Accepted, Conflict, Key, Merged, default_choice, merge


def merge_by_dicts(ballots: Iterable[Accepted], policy: str, resolutions: Mapping[Key, str]) -> Merged:
    """merge as it was: one dict per (reviewer, target)."""
    groups: dict[Key, dict[str, Accepted]] = defaultdict(dict)
    for a in ballots:
        groups[a.key].setdefault(a.id, a)
    effective: dict[Key, Accepted] = {}
    conflicts: list[Conflict] = []
    for key in sorted(groups):
        members = groups[key]
        default = default_choice(members.values(), policy)
        resolved = resolutions.get(key)
        if resolved not in members:
            resolved = None
        effective[key] = members[resolved or default.id]
        if len(members) > 1:
            ordered = tuple(sorted(members.values(), key=lambda a: a.index))
            conflicts.append(Conflict(key, ordered, default.id, resolved))
    return Merged(effective, tuple(conflicts))


def _ballot(i: int, reviewer: int, group: int, ident: int, second: int, kiosk: bool) -> Accepted:
    fields = (f"r{reviewer}", f"g{group}", "kiosk" if kiosk else "online", "approval",
              f"2019-06-01T09:00:{second:02d}Z", None, (f"p{group}1", f"p{group}2"))
    return Accepted(f"id{ident}", i, None, "k1" if kiosk else None, i if kiosk else None, fields=fields, sb_jcs=b"")


ballot_specs = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 12), st.integers(0, 5), st.booleans()), max_size=40
)


@settings(max_examples=300, deadline=None)
@given(ballot_specs, st.sampled_from(["latest", "first", "onsite-first"]),
       st.dictionaries(st.tuples(st.sampled_from(["r0", "r1", "r9"]), st.sampled_from(["g0", "g1"])),
                       st.sampled_from(["id0", "id1", "id2", "id3", "nope"]), max_size=4))
def test_merge_is_the_same_as_one_dict_per_group(specs: list[tuple[int, int, int, int, bool]], policy: str,
                                                 resolutions: dict[Key, str]) -> None:
    ballots = [_ballot(i + 1, *spec) for i, spec in enumerate(specs)]
    new, old = merge(ballots, policy, resolutions), merge_by_dicts(ballots, policy, resolutions)
    assert list(new.effective.items()) == list(old.effective.items())  # the same order, too
    assert all(new.effective[k] is old.effective[k] for k in old.effective)
    assert new.conflicts == old.conflicts


def test_auditor_form_shares_texts_and_keeps_values() -> None:
    a = _ballot(1, 0, 0, 1, 5, True)
    b = _ballot(2, 1, 0, 2, 5, False)
    assert a.created_at == b.created_at == "2019-06-01T09:00:05Z" and a.created_at is b.created_at
    assert a.choices == b.choices == ("p01", "p02") and a.choices is b.choices
    odd = Accepted("x", 3, None, None, None, fields=("r", "g", "online", "approval", "2019-06-01T09:00:05Z", None,
                                                     ("p1", ["unhashable"])), sb_jcs=b"")
    assert odd.choices == ("p1", ["unhashable"])
