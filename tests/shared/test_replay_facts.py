"""The auditor's split replay — ballot facts judged apart, then applied in order — reaches the
same state and the same first error as the one-entry-at-a-time replay, on good and broken
ledgers; and the byte shortcuts it takes are the bytes RFC 8785 gives."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.chain import make_record, record_hash, record_hash_of
from shared.encoding import jcs, parse_canonical
from shared.facts import ballot_facts, signed_ballot_bytes
from shared.merge import Accepted
from shared.replay import LedgerError, Replay
from tests.support import tiny
from tests.support.events import EventFiles
from tests.support.ledgers import build_mini_ledger, reviewer_keys

ENTRIES = tiny.ledger_entries()


def _split_add(r: Replay, i: int, entry: Any) -> None:
    """As audit.checker and audit.verify do it: facts apart (in a worker), then applied."""
    if i > 0 and isinstance(entry, dict) and entry.get("type") in ("ballot", "rejected"):
        assert r.state.manifest is not None
        try:
            data = jcs(entry)
        except Exception:  # the plain replay meets the same entry
            data = None
        r.add_facts(ballot_facts(r.state.manifest, entry, keep_signed=False, entry_jcs=data))
    else:
        r.add(entry)


def outcome(entries: list[Any], split: bool, *, columns: bool = False) -> tuple[str | None, Any]:
    """``columns``: the auditor's replay, its accepted ballots held as columns."""
    r = Replay(keep_signed=False, keep_bytes=False) if columns else Replay()
    error = None
    for i, e in enumerate(entries):
        try:
            _split_add(r, i, e) if split else r.add(e)
        except LedgerError as exc:
            error = str(exc)
            break
    s = r.state
    summary = (
        s.size,
        [
            (a.id, a.index, a.key, a.channel, a.form, a.created_at, a.scores, a.choices, a.kiosk, a.seq)
            for a in s.accepted
        ],
        s.rejected,
        {k: (c.seq, c.hash, c.accepted, c.rejected) for k, c in s.kiosks.items()},
        s.revoked,
        s.close_index,
        dict(s.ids),
        s.merged() if error is None and s.manifest is not None else None,
        s.results() if error is None and s.manifest is not None else None,
    )
    return error, summary


def _set(i: int, path: tuple[Any, ...], value: Any) -> Callable[[list[Any]], None]:
    def go(es: list[Any]) -> None:
        t = es[i]
        for p in path[:-1]:
            t = t[p]
        t[path[-1]] = value

    return go


def _del(i: int) -> Callable[[list[Any]], None]:
    return lambda es: es.pop(i)


def _swap(i: int, j: int) -> Callable[[list[Any]], None]:
    def go(es: list[Any]) -> None:
        es[i], es[j] = es[j], es[i]

    return go


def _dup(i: int) -> Callable[[list[Any]], None]:
    return lambda es: es.insert(i + 1, copy.deepcopy(es[i]))


# ENTRIES: 0 manifest, 1 kiosk, 2 ballot k1#1, 3 rejected k1#2, 4 online, 5 online,
# 6 resolution, 7 revocation, 8 kiosk-close, 9 close
BREAKS: dict[str, Callable[[list[Any]], None]] = {
    "untouched": lambda es: None,
    "score changed": _set(2, ("signed_ballot", "ballot", "scores", "a"), 0),
    "rejected code changed": _set(3, ("code",), "bad_scores"),
    "rejected code unknown": _set(3, ("code",), "nope"),
    "kiosk record seq changed": _set(2, ("seq",), 5),
    "kiosk record of another kiosk": _set(2, ("kiosk",), "k9"),
    "online ballot given a seq": _set(4, ("seq",), 3),
    "online ballot becomes rejected": _set(4, ("type",), "rejected"),
    "received_at not a time": _set(4, ("received_at",), "yesterday"),
    "signed ballot not an object": _set(4, ("signed_ballot",), "x"),
    "signed ballot with an extra key": _set(4, ("signed_ballot", "x"), 1),
    "signature of zeros": _set(5, ("signed_ballot", "sig"), "A" * 86),
    "float in a ballot": _set(2, ("signed_ballot", "ballot", "scores", "a"), 7.5),
    "extra entry key": _set(5, ("extra",), True),
    "ballot first": _swap(0, 2),
    "kiosk records swapped": _swap(2, 3),
    "kiosk enrolled late": _swap(1, 2),
    "online ballot dropped": _del(4),
    "online ballot twice": _dup(4),
    "kiosk record twice": _dup(2),
    "revocation before the votes": lambda es: es.insert(2, es.pop(7)),
    "ballot after the close": lambda es: es.append(copy.deepcopy(es[4])),
    "ballot after its kiosk closed": lambda es: es.insert(9, copy.deepcopy(es[2])),
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_split_replay_answers_like_the_plain_one(name: str) -> None:
    entries = copy.deepcopy(ENTRIES)
    BREAKS[name](entries)
    plain = outcome(entries, split=False)
    assert outcome(entries, split=True) == plain
    if name in ("untouched", "revocation before the votes"):  # rep4 cast no ballot
        assert plain[0] is None
    else:
        assert plain[0] is not None and plain[0].startswith("entry ")


def test_split_replay_of_the_mini_ledger(mini_event: EventFiles) -> None:
    entries = build_mini_ledger(mini_event, reviewer_keys(mini_event)).entries
    plain, split = outcome(entries, split=False), outcome(entries, split=True)
    assert plain[0] is None and split == plain
    assert outcome(entries, split=True, columns=True) == plain


@pytest.mark.parametrize("name", list(BREAKS))
def test_the_auditors_columns_answer_like_the_objects(name: str) -> None:
    """The same state (accepted ballots, receipt ids, rejected, chains, merge, results) and
    the same first error — a duplicate receipt included — with the ballots as columns."""
    entries = copy.deepcopy(ENTRIES)
    BREAKS[name](entries)
    plain = outcome(entries, split=False)
    assert outcome(entries, split=True, columns=True) == plain
    assert outcome(entries, split=False, columns=True) == plain


def test_an_accepted_ballot_kept_as_bytes_gives_back_its_signed_ballot() -> None:
    r = Replay()
    for i, e in enumerate(ENTRIES):
        _split_add(r, i, e)
    for a in r.state.accepted:
        sb = ENTRIES[a.index]["signed_ballot"]
        assert a.signed.to_json() == sb and a.signed.id == a.id
        assert a == Accepted(a.id, a.index, a.signed, a.kiosk, a.seq)
    assert r.state.accepted[0] != r.state.accepted[1]


def test_results_are_not_shared_with_the_caller() -> None:
    r = Replay()
    for e in ENTRIES:
        r.add(e)
    first = r.state.results()
    first["selected"].append("tampered")
    assert r.state.results() != first
    assert r.state.merged() is r.state.merged()


_text = st.lists(
    st.sampled_from(
        [
            '"',
            "\\",
            ",",
            ":",
            "{",
            "}",
            "a",
            "가",
            "\n",
            "signed_ballot",
            '"signed_ballot":{',
            ',"type":"ballot"}',
        ]
    ),
    max_size=4,
).map("".join)
_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["ballot", "rejected"]),
    st.one_of(st.none(), _text),
    st.one_of(st.none(), st.integers(1, 2**53 - 1)),
    _text,
    _values,
)
def test_the_signed_ballot_cut_out_of_the_entry_is_its_rfc8785_form(
    kind: str, kiosk: str | None, seq: int | None, received: str, sb: Any
) -> None:
    entry: dict[str, Any] = {
        "type": kind,
        "received_at": received,
        "signed_ballot": sb,
        "kiosk": kiosk,
        "seq": seq,
    }
    if kind == "rejected":
        entry["code"] = "bad_scores"
    assert signed_ballot_bytes(jcs(entry), kind) == jcs(sb)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**60), st.text(max_size=50), st.dictionaries(st.text(max_size=5), _values, max_size=3))
def test_record_hash_of_with_any_prev_and_seq(seq: int, prev: str, sb: dict[str, Any]) -> None:
    try:
        want = record_hash(make_record(seq, prev, sb))
    except Exception as exc:  # both must refuse alike
        with pytest.raises(type(exc)):
            record_hash_of(seq, prev, jcs(sb))
        return
    assert record_hash_of(seq, prev, jcs(sb)) == want


@pytest.mark.parametrize(
    "text",
    [
        b'{"a": 1}',  # whitespace
        b'{"b":1,"a":2}',  # key order
        b'{"a":1,"a":1}',  # duplicate key
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'{"a":1.0}',  # not the shortest number
        b'{"a":1e400}',
        b'{"a":9007199254740993}',  # beyond 2**53
        b'{"a":"\\u0041"}',  # a needless escape
        b'{"a":"\\ud800"}',  # a lone surrogate
        b'{"a":"\xff"}',  # not UTF-8
        b"[" * 17 + b"]" * 17,  # deeper than MAX_DEPTH
        b'{"a":1',
        b"",
    ],
)
def test_parse_canonical_takes_only_rfc8785_text(text: bytes) -> None:
    assert parse_canonical(text) is None


def test_parse_canonical_reads_rfc8785_text() -> None:
    value = {"b": [1, "가", None, True, {"c": "\n\u001f"}], "a": -3, "f": 1.5}
    assert parse_canonical(jcs(value)) == value
    deep: list[Any] = []
    for _ in range(15):
        deep = [deep]
    assert parse_canonical(b"[" * 16 + b"]" * 16) == deep
    assert parse_canonical(jcs(value), max_bytes=10) is None
