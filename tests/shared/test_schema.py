"""shared.schema: the small shape checks every parser uses; each names the field."""

from __future__ import annotations

from typing import Any

import pytest

from shared import schema as s
from shared.errors import FormatError


def test_keys() -> None:
    s.keys({"a": 1, "b": 2}, "thing", {"a"}, {"b"})
    with pytest.raises(FormatError, match="thing is missing a"):
        s.keys({"b": 1}, "thing", {"a"})
    with pytest.raises(FormatError, match=r"thing has unexpected field\(s\) c, d"):
        s.keys({"a": 1, "d": 1, "c": 1}, "thing", {"a"})


BAD: list[tuple[str, Any, str]] = [
    ("obj of a list", lambda: s.obj([], "x"), "x must be a JSON object"),
    ("string of a number", lambda: s.string(1, "x"), "x must be a string"),
    ("empty string", lambda: s.string("", "x"), "x must not be empty"),
    ("long string", lambda: s.string("abc", "x", max_len=2), "x is longer than 2"),
    ("integer of a bool", lambda: s.integer(True, "x"), "x must be a whole number"),
    ("integer of a float", lambda: s.integer(1.0, "x"), "x must be a whole number"),
    ("integer too small", lambda: s.integer(0, "x", lo=1), "x must be at least 1, got 0"),
    ("integer too big", lambda: s.integer(3, "x", hi=2), "x must be at most 2, got 3"),
    ("number of a bool", lambda: s.number(False, "x"), "x must be a number"),
    ("number of text", lambda: s.number("1", "x"), "x must be a number"),
    ("number too small", lambda: s.number(-0.5, "x", lo=0), "x must be at least 0"),
    ("array of an object", lambda: s.array({}, "x"), "x must be a JSON array"),
    ("array too long", lambda: s.array([1, 2], "x", max_len=1), "x has more than 1 items"),
    ("choice", lambda: s.choice("c", "x", ("a", "b")), "x must be one of a, b, got 'c'"),
    ("const of true for 1", lambda: s.const(True, "v", 1), "v must be 1, got True"),
    ("const of 1.0 for 1", lambda: s.const(1.0, "v", 1), "v must be 1, got 1.0"),
    ("const of another string", lambda: s.const("vote", "type", "ballot"), "type must be 'ballot'"),
]


@pytest.mark.parametrize(("name", "call", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad(name: str, call: Any, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        call()


def test_good() -> None:
    assert s.string("", "x", empty=True) == ""
    assert s.integer(5, "x", lo=0, hi=5) == 5
    assert s.number(2, "x") == 2.0 and isinstance(s.number(2, "x"), float)
    assert s.choice("a", "x", ("a",)) == "a"
    s.const(1, "v", 1)
    s.const("ballot", "type", "ballot")
