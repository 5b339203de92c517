"""The auditor's replay keeps no ballot's bytes (issue 13 part C): the same state, merge
and results as a replay that keeps them, and a clear error if a ballot is asked for."""

from __future__ import annotations

import pytest

from shared.replay import Replay
from tests.support.ledgers import LedgerBuilder


def _replayed(builder: LedgerBuilder, *, keep_bytes: bool) -> Replay:
    r = Replay(keep_signed=False, keep_bytes=keep_bytes)
    for e in builder.entries:
        r.add(e)
    return r


def test_same_results_without_the_bytes(mini_ledger: LedgerBuilder) -> None:
    full = _replayed(mini_ledger, keep_bytes=True).state
    lean = _replayed(mini_ledger, keep_bytes=False).state
    assert lean.accepted and lean.accepted == full.accepted
    assert [(a.key, a.channel, a.form, a.created_at, a.scores, a.choices) for a in lean.accepted] == [
        (a.key, a.channel, a.form, a.created_at, a.scores, a.choices) for a in full.accepted
    ]
    assert lean.merged() == full.merged()
    assert lean.results() == full.results()
    assert (lean.ids, lean.rejected, lean.close_index) == (full.ids, full.rejected, full.close_index)
    assert full.accepted[0].signed.ballot.reviewer == full.accepted[0].reviewer
    with pytest.raises(ValueError, match="without its bytes"):
        _ = lean.accepted[0].signed
