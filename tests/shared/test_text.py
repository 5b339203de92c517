"""shared.text: the one rule for text every store can keep (no NUL, no lone surrogate)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.text import bad_char, find_unstorable, storable

BATCH_BALLOTS = frozenset({"$.records[*].signed_ballot"})


@pytest.mark.parametrize(("value", "found"), [
    ({"a": ["ok", "한국어", "\u2028", "\U0001f600"]}, None),  # U+2028 and non-BMP are fine
    ({"a": "x\x00"}, "a NUL character (U+0000) at $.a"),
    ({"a": [1, {"b": "\ud800"}]}, "a lone surrogate (U+D800) at $.a[1].b"),
    ({"k\x00": 1}, "a NUL character (U+0000) at $ (a key)"),
    ({"\udfff": 1}, "a lone surrogate (U+DFFF) at $ (a key)"),
    (["\U0001f600", "a\udc00b"], "a lone surrogate (U+DC00) at $[1]"),
    (None, None),
    (12, None),
])
def test_find_unstorable(value: Any, found: str | None) -> None:
    assert find_unstorable(value) == found


def test_a_nul_inside_a_batch_record_is_left_to_the_rules_but_not_a_surrogate() -> None:
    ballot: dict[str, Any] = {"comment": "a\x00"}
    batch: dict[str, Any] = {"kiosk": "k1", "records": [{"seq": 1, "signed_ballot": {"ballot": ballot}}]}
    assert find_unstorable(batch, nul_ok_under=BATCH_BALLOTS) is None
    ballot["comment"] = "\ud800\x00"
    assert find_unstorable(batch, nul_ok_under=BATCH_BALLOTS) == (
        "a lone surrogate (U+D800) at $.records[0].signed_ballot.ballot.comment"
    )
    batch["kiosk"] = "k\x00"  # outside the records: refused
    ballot["comment"] = "fine"
    assert find_unstorable(batch, nul_ok_under=BATCH_BALLOTS) == "a NUL character (U+0000) at $.kiosk"


def test_storable_escapes_only_what_cannot_be_stored() -> None:
    assert storable("a\x00b\ud800c\u2028한\U0001f600") == "a\\u0000b\\ud800c\u2028한\U0001f600"
    assert bad_char(storable("\x00\udfff")) is None
