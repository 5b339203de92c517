"""shared.encoding's fast paths must never change an answer: ``jcs`` through the C
``json`` encoder for plain JSON, and the bracket count before the depth scan."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import encoding
from shared.encoding import MAX_DEPTH, jcs, parse_json
from shared.errors import FormatError

_text = st.text(
    st.characters(blacklist_categories=(), min_codepoint=0, max_codepoint=0x10FFFF), max_size=12
) | st.sampled_from(["", "\x00", "\x1f\x7f", '"\\', "\u2028", "\ufb33", "\U0001f600", "\ud800", "é심사"])
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.sampled_from([2**53 - 1, -(2**53 - 1), 2**53, 0])
    | st.floats(allow_nan=True, allow_infinity=True)
    | _text
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_text, inner, max_size=5),
    max_leaves=25,
)


def _reference(value: Any) -> bytes | None:
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        return None


@settings(max_examples=600, deadline=None)
@given(_json)
def test_jcs_equals_the_reference_implementation(value: Any) -> None:
    expected = _reference(value)
    if expected is None:
        with pytest.raises(FormatError):
            jcs(value)
    else:
        assert jcs(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        {"b": [1, "x\ny"], "a": None, "é": True, "\ufb33": 1, "z": {"": 2**53 - 1}},
        ["\x00\x01\x1f\x7f", "\\", '"', "/"],
        {"signed_ballot": {"ballot": {"scores": {"a": 3}}, "sig": "AbC-_1"}, "seq": 7},
        {"".join(map(chr, range(0x20))): "\u2028\u2029\ufeff", "\uffff": 0, "\u00ff": [], "~": {}},
    ],
)
def test_plain_values_take_the_fast_path_and_match(value: Any) -> None:
    fast = encoding._plain_jcs(value)
    assert fast is not None and fast == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [1.5, {"w": 0.3}, 2**53, {1: 2}, {"k": "\U0001f600"}, {"\U0001f600": 1, "\ufb33": 2}, "\udc00", (True, 1.0)],
    ids=repr,
)
def test_anything_else_goes_to_the_reference_implementation(value: Any) -> None:
    assert encoding._plain_jcs(value) is None


@pytest.mark.parametrize(
    ("text", "too_deep"),
    [
        ("[" * MAX_DEPTH + "]" * MAX_DEPTH, False),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), True),
        ('["' + "[" * 40 + '"]', False),  # brackets inside a string do not count
        ('["\\"' + "[" * 40 + '"]', False),  # nor after an escaped quote
        ("[" * 10 + "]" * 10 + "{" * 10 + "}" * 10, False),  # many brackets, shallow
        ('["' + "[" * 40, False),  # an unterminated string: the exact scan decides
        ('["\\\\", ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "]", True),  # an escaped backslash ends no string
        ('["\\\\\\"' + "[" * 40 + '"]', False),  # an escaped backslash, then an escaped quote
        ('{"a":"}}}}","b":' + "{" * (MAX_DEPTH - 1) + "}" * (MAX_DEPTH - 1) + "}", False),
        ("[" * 17 + "}" * 17, True),  # the exact scan counts openings
    ],
)
def test_depth_shortcut_agrees_with_the_exact_scan(text: str, too_deep: bool) -> None:
    assert encoding._too_deep(text) is too_deep
    assert encoding._too_deep(text.encode("utf-8")) is too_deep
    assert (encoding._depth(text) > MAX_DEPTH) is too_deep


@settings(max_examples=300, deadline=None)
@given(_json)
def test_depth_shortcut_on_serialised_json(value: Any) -> None:
    try:
        text = json.dumps(value)
    except ValueError:
        return
    assert encoding._too_deep(text) == (encoding._depth(text) > MAX_DEPTH)
    if encoding._too_deep(text):
        with pytest.raises(FormatError, match="nested deeper"):
            parse_json(text)


def _naive_parse_canonical(data: bytes) -> Any | None:
    """The definition: the strict parse, taken only when it re-encodes to the same bytes."""
    try:
        value = parse_json(data)
        return value if jcs(value) == data else None
    except FormatError:
        return None


@settings(max_examples=600, deadline=None)
@given(_json, st.sampled_from(["jcs", "spaced", "unsorted", "ascii"]))
def test_parse_canonical_agrees_with_its_definition(value: Any, form: str) -> None:
    try:
        if form == "jcs":
            data = jcs(value)
        elif form == "spaced":
            data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass")
        elif form == "unsorted":
            data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
        else:
            data = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    except (FormatError, ValueError):
        return
    got, want = encoding.parse_canonical(data), _naive_parse_canonical(data)
    assert (got is None) == (want is None), data
    if want is not None:
        assert jcs(got) == jcs(want) == data


@pytest.mark.parametrize(
    "data",
    [b'{"a":1.0}', b'{"a":1.50}', b"[9007199254740992]", b"[1E+21]", b'{"b":1,"a":2}', b'{"a":"\\u0041"}',
     b'{"a":"\\ud800"}', b'["\xf0\x9f\x98\x80"]', b'{"\xef\xac\xb3":1,"\xf0\x9f\x98\x80":2}', b"[1e+21]", b"[0.5]"],
)
def test_parse_canonical_on_numbers_and_wide_characters(data: bytes) -> None:
    got, want = encoding.parse_canonical(data), _naive_parse_canonical(data)
    assert (got is None) == (want is None)


@pytest.mark.parametrize(
    "value",
    [
        {"reviewers": {f"r{i}": {"key": "k" * 8, "n": i} for i in range(50)}, "weights": {"kiosk": 0.5, "online": 1e21}},
        [{"a": 1}, 2.5, ["\U0001f600", {"\U0001f600": 1, "\ufb33": [0.1]}]],
        {"\ud800": 1.5, "a": [1, 2]},
    ],
    ids=["manifest-like", "mixed-list", "surrogate-key"],
)
def test_values_plain_in_parts_encode_as_the_reference(value: Any) -> None:
    expected = _reference(value)
    if expected is None:
        with pytest.raises(FormatError):
            jcs(value)
    else:
        assert jcs(value) == expected
