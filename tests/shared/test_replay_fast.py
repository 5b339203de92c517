"""The shortcuts the auditor relies on change no answer of the replay: a record's hash from
JCS(signed ballot) in hand, and a replay told which signatures were already checked."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.chain import GENESIS, make_record, record_hash, record_hash_of
from shared.encoding import jcs
from shared.replay import Replay
from tests.support.events import EventFiles
from tests.support.ledgers import build_mini_ledger, reviewer_keys

_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 2**40), st.sampled_from([GENESIS, "AbC-_" * 8 + "xyz"]), st.dictionaries(st.text(max_size=8), _values, max_size=4))
def test_record_hash_of_is_record_hash(seq: int, prev: str, sb: dict[str, Any]) -> None:
    assert record_hash_of(seq, prev, jcs(sb)) == record_hash(make_record(seq, prev, sb))


def test_a_replay_with_signatures_checked_elsewhere_reaches_the_same_state(mini_event: EventFiles) -> None:
    ledger = build_mini_ledger(mini_event, reviewer_keys(mini_event))
    full, trusted = Replay(), Replay()
    for e in ledger.entries:
        full.add(e)
        trusted.add(e, signature_checked=e["type"] == "ballot")
    a, b = full.state, trusted.state
    assert [x.id for x in a.accepted] == [x.id for x in b.accepted]
    assert a.rejected == b.rejected and a.close == b.close
    assert {k: (c.seq, c.hash) for k, c in a.kiosks.items()} == {k: (c.seq, c.hash) for k, c in b.kiosks.items()}
    assert a.results() == b.results()


def test_a_lean_replay_from_leaf_data_reaches_the_same_state(mini_event: EventFiles) -> None:
    """The server's replay: ballots not re-judged, signed ballots not kept, the signed
    ballot's bytes cut from the leaf data — same chains, merge and results."""
    ledger = build_mini_ledger(mini_event, reviewer_keys(mini_event))
    full, lean = Replay(), Replay(check_ballots=False, keep_signed=False)
    for e in ledger.entries:
        full.add(e)
        lean.add(e, entry_jcs=jcs(e))
    a, b = full.state, lean.state
    assert [x.id for x in a.accepted] == [x.id for x in b.accepted]
    assert all(x._signed is None for x in b.accepted)  # only fields and bytes are held
    assert [x.signed for x in a.accepted] == [x.signed for x in b.accepted]  # rebuilt on demand
    assert a.rejected == b.rejected and a.close == b.close
    assert {k: (c.seq, c.hash) for k, c in a.kiosks.items()} == {k: (c.seq, c.hash) for k, c in b.kiosks.items()}
    assert a.merged().conflicts == b.merged().conflicts
    assert a.results() == b.results()
