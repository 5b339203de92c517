"""Service results become the documented JSON at the adapter (``server.services.shape``):
field order is key order, an ``OMIT_NONE`` field is absent while None, tuples are lists."""

from __future__ import annotations

import json

from server.services.actions import Revocation
from server.services.kiosks import AlreadyClosed, Approved, KioskSync
from server.services.shape import plain
from server.services.views import BallotRow, ConflictView


def test_an_action_that_appended_nothing_has_no_sth() -> None:
    assert json.dumps(plain(Revocation("rep-1", 7, new=False))) == '{"reviewer": "rep-1", "index": 7, "new": false}'
    sth = {"tree_size": 8}
    assert plain(Revocation("rep-1", 7, new=True, sth=sth)) == {"reviewer": "rep-1", "index": 7, "new": True, "sth": sth}
    assert list(plain(Approved("k1", "approved", 3))) == ["kiosk", "status", "index"]
    assert list(plain(Approved("k1", "approved", 3, sth))) == ["kiosk", "status", "index", "sth"]


def test_a_none_that_is_part_of_the_shape_stays() -> None:
    assert plain(AlreadyClosed("k1", "closed", None)) == {"kiosk": "k1", "status": "closed", "index": None}
    assert list(plain(KioskSync("k1", "unknown", 0, "h"))) == ["kiosk", "status", "synced_seq", "synced_hash"]


def test_nested_results_and_tuples() -> None:
    row = BallotRow("b1", 4, "kiosk", "k1", 2, "2026-12-02T10:00:00Z")
    view = ConflictView("rep-1", "p1", (row, row), "b1", None, "b1")
    got = plain(view)
    assert got["ballots"] == [
        {"id": "b1", "index": 4, "channel": "kiosk", "kiosk": "k1", "seq": 2, "created_at": "2026-12-02T10:00:00Z"}
    ] * 2
    assert list(got) == ["reviewer", "target", "ballots", "default", "resolved", "effective"]
