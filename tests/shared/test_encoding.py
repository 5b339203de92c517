"""shared.encoding: RFC 8785 canonical JSON, unpadded base64url, SHA-256, strict JSON parsing."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.encoding import MAX_DEPTH, b64u, b64u_decode, jcs, parse_json, sha256
from shared.errors import FormatError

RFC8785: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "rfc8785.json").read_text("ascii")
)


def _double(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


# --- RFC 8785 known answers -------------------------------------------------------------


@pytest.mark.parametrize("case", RFC8785["examples"], ids=lambda c: c["name"])
def test_rfc8785_examples(case: dict[str, str]) -> None:
    expected = bytes.fromhex(case["expected_hex"])
    assert jcs(parse_json(case["input_json"])) == expected
    # The canonical form is a fixed point.
    assert jcs(parse_json(expected)) == expected


@pytest.mark.parametrize("case", RFC8785["appendix_b"], ids=lambda c: c["ieee754"])
def test_rfc8785_appendix_b_numbers(case: dict[str, Any]) -> None:
    value = _double(case["ieee754"])
    if case["expected"] is None:
        with pytest.raises(FormatError, match="canonicalised"):
            jcs(value)
        with pytest.raises(FormatError):
            jcs({"n": [value]})
    else:
        assert jcs(value) == case["expected"].encode()
        assert jcs({"n": [value]}) == b'{"n":[' + case["expected"].encode() + b"]}"


@pytest.mark.parametrize("case", RFC8785["number_literals"], ids=lambda c: c["json"])
def test_number_literals_take_their_ecmascript_form(case: dict[str, str]) -> None:
    assert jcs(parse_json(case["json"])) == case["expected"].encode()


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    # U+1F600 is a surrogate pair D83D DE00 in UTF-16, which sorts before U+FB33.
    assert jcs({"\ufb33": 1, "\U0001f600": 2}) == '{"\U0001f600":2,"\ufb33":1}'.encode()
    assert jcs({"b": 1, "a": {"d": 1, "c": 2}, "": 0}) == b'{"":0,"a":{"c":2,"d":1},"b":1}'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("\x00\x1f", b'"\\u0000\\u001f"'),
        ("\b\t\n\f\r", b'"\\b\\t\\n\\f\\r"'),
        ('"\\', b'"\\"\\\\"'),
        ("/\x7f", b'"/\x7f"'),
        ("é심사\u2028", '"é심사\u2028"'.encode()),
    ],
)
def test_string_escaping(value: str, expected: bytes) -> None:
    assert jcs(value) == expected


def test_array_order_is_kept_and_literals() -> None:
    assert jcs([3, 1, 2, None, True, False, [], {}]) == b"[3,1,2,null,true,false,[],{}]"


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        [float("-inf")],
        2**53,  # beyond the integers an IEEE double holds exactly (I-JSON)
        -(2**53),
        {1: "non-string key"},
        b"bytes",
        {"a": {1, 2}},
        "\ud800",  # a lone surrogate has no UTF-8 form
        object(),
    ],
    ids=lambda v: repr(v).split(" at 0x")[0],  # the same id in every process (pytest-xdist)
)
def test_jcs_refuses_what_has_no_canonical_form(value: Any) -> None:
    with pytest.raises(FormatError, match="cannot be canonicalised"):
        jcs(value)


def test_sha256_known_answers() -> None:
    # FIPS 180-2 "abc" and the empty string.
    assert sha256(b"abc").hex() == ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    assert sha256(b"").hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


# --- base64url --------------------------------------------------------------------------

RFC4648 = [  # RFC 4648 §10, base64url without padding
    (b"", ""),
    (b"f", "Zg"),
    (b"fo", "Zm8"),
    (b"foo", "Zm9v"),
    (b"foob", "Zm9vYg"),
    (b"fooba", "Zm9vYmE"),
    (b"foobar", "Zm9vYmFy"),
    (b"\xfb\xff\xbf", "-_-_"),  # the URL-safe alphabet, never + and /
]


@pytest.mark.parametrize(("raw", "text"), RFC4648)
def test_b64u_known_answers(raw: bytes, text: str) -> None:
    assert b64u(raw) == text
    assert b64u_decode(text) == raw


@pytest.mark.parametrize(
    "text",
    [
        "Zg==",  # padding
        "Zg=",
        "Zm9vYg==",
        "+/+/",  # standard alphabet
        "Zm9v\n",
        "Zm9\n",
        "Zg\n",
        " Zm9v",
        "Zm 9v",
        "Z",  # no byte string has this length
        "Zm9vY",
        "Zh",  # non-canonical: unused low bits set (decodes to b"f" like "Zg")
        "Zm9",  # non-canonical too ("Zm8" is b"fo")
        "Zm9vYmF=",
        "é",
        "Zg\x00",
    ],
)
def test_b64u_decode_refuses(text: str) -> None:
    with pytest.raises(FormatError, match="salt"):
        b64u_decode(text, what="salt")


@pytest.mark.parametrize("value", [b"Zg", None, 42, ["Zg"]], ids=repr)
def test_b64u_decode_refuses_non_text(value: Any) -> None:
    with pytest.raises(FormatError):
        b64u_decode(value)


def test_b64u_decode_checks_length() -> None:
    assert b64u_decode("Zm9v", length=3) == b"foo"
    with pytest.raises(FormatError, match="nonce must be 4 bytes, got 3"):
        b64u_decode("Zm9v", length=4, what="nonce")


@given(st.binary(max_size=100))
def test_b64u_round_trip(raw: bytes) -> None:
    text = b64u(raw)
    assert "=" not in text
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert b64u_decode(text, length=len(raw)) == raw


# --- strict JSON parsing ----------------------------------------------------------------

NESTED_TOO_DEEP = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
OBJECT_TOO_DEEP = '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)

INVALID_JSON: list[tuple[str, str | bytes]] = [
    ("duplicate key", '{"a":1,"a":2}'),
    ("duplicate key, same value", '{"a":1,"a":1}'),
    ("duplicate nested key", '{"x":[{"k":true,"k":false}]}'),
    ("duplicate key after unescaping", '{"a":1,"\\u0061":2}'),
    ("NaN", "[NaN]"),
    ("Infinity", '{"x":Infinity}'),
    ("-Infinity", "-Infinity"),
    ("number overflowing to infinity", "1e400"),
    ("negative number overflowing", "[-1.5e999]"),
    ("integer with too many digits", "1" * 5000),
    ("array nested too deep", NESTED_TOO_DEEP),
    ("object nested too deep", OBJECT_TOO_DEEP),
    ("truncated object", '{"a":'),
    ("truncated key", '{"a'),
    ("truncated array", "[1,2"),
    ("truncated string", '"abc'),
    ("truncated literal", "tru"),
    ("truncated escape", '"\\u12'),
    ("empty", ""),
    ("only whitespace", " \n"),
    ("trailing garbage", "{} x"),
    ("two values", "1 2"),
    ("trailing comma", "[1,]"),
    ("single quotes", "{'a':1}"),
    ("unquoted key", "{a:1}"),
    ("comment", "[1 /* note */]"),
    ("raw control character in a string", '"a\x01b"'),
    ("invalid escape", '"\\x41"'),
    ("leading zero", "01"),
    ("invalid UTF-8 byte", b'"\xff"'),
    ("overlong UTF-8", b'"\xc0\xaf"'),
    ("UTF-8 encoded surrogate", b'"\xed\xa0\x80"'),
    ("truncated UTF-8 sequence", b'"\xe2\x82"'),
    ("Latin-1 bytes", '"caf\xe9"'.encode("latin-1")),
    ("oversize bytes", b"[" + b" " * (1 << 20) + b"]"),
    ("oversize text", "[" + " " * (1 << 20) + "]"),
]


@pytest.mark.parametrize(("name", "data"), INVALID_JSON, ids=[n for n, _ in INVALID_JSON])
def test_parse_json_refuses(name: str, data: str | bytes) -> None:
    with pytest.raises(FormatError) as info:
        parse_json(data, what="ballot")
    assert type(info.value) is FormatError
    assert str(info.value)


def test_parse_json_size_limit_is_a_parameter() -> None:
    assert parse_json(b"[1,2,3]", max_bytes=7) == [1, 2, 3]
    with pytest.raises(FormatError, match="ballot is 7 bytes, more than 6"):
        parse_json(b"[1,2,3]", max_bytes=6, what="ballot")
    with pytest.raises(FormatError, match="longer than 6"):
        parse_json("[1,2,3]", max_bytes=6)


def test_parse_json_names_what_it_parsed() -> None:
    with pytest.raises(FormatError, match=r"^batch is not valid JSON"):
        parse_json("[", what="batch")
    with pytest.raises(FormatError, match=r"^batch is nested deeper than 16"):
        parse_json(NESTED_TOO_DEEP, what="batch")
    with pytest.raises(FormatError, match=r"^batch is not UTF-8"):
        parse_json(b"\xff", what="batch")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"' + "[" * 100 + '"', "[" * 100),  # brackets inside strings are not nesting
        ('["\\"' + "[" * 40 + '"]', ['"' + "[" * 40]),  # nor after an escaped quote
        ('{"k":"\\\\"}', {"k": "\\"}),  # an escaped backslash ends before the quote
        ('"\\ud83d\\ude00"', "\U0001f600"),
        ("1e308", 1e308),
        ("-0", 0),
        (b'\t{"a" : [1, 2.5, "x"]}\n', {"a": [1, 2.5, "x"]}),
        ('"심사"'.encode(), "심사"),
    ],
)
def test_parse_json_accepts(text: str | bytes, expected: Any) -> None:
    assert parse_json(text) == expected


def test_parse_json_accepts_exactly_max_depth() -> None:
    value: Any = []
    for _ in range(MAX_DEPTH - 1):
        value = [value]
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) == value
    assert parse_json(json.dumps(value)) == value


# --- round trip -------------------------------------------------------------------------

_SCALARS: st.SearchStrategy[Any] = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    # Integral floats from 2**53 up print as integers that jcs then refuses (I-JSON), so the
    # round trip is only promised strictly inside the safe integer range.
    | st.floats(min_value=-(2.0**53) + 1, max_value=2.0**53 - 1, allow_nan=False)
    | st.text(max_size=12)
)


def _json_values(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return _SCALARS
    inner = _json_values(depth - 1)
    return _SCALARS | st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)


@given(_json_values(5))
def test_jcs_output_parses_back_to_an_equal_value(value: Any) -> None:
    canonical = jcs(value)
    back = parse_json(canonical)
    assert back == value
    assert jcs(back) == canonical
    # Canonical bytes are also plain JSON for any other parser.
    assert json.loads(canonical) == value


@given(st.dictionaries(st.text(max_size=6), st.integers(-1000, 1000), max_size=8))
def test_jcs_ignores_insertion_order(value: dict[str, int]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert jcs(reordered) == jcs(value)
    assert hashlib.sha256(jcs(reordered)).digest() == sha256(jcs(value))


@pytest.mark.parametrize("stem", ["", "Zm9v", "AAAA", "____"])
@pytest.mark.parametrize("middle", ["", "A", "Zm", "_-"])
def test_b64u_decode_agrees_with_a_naive_oracle_on_every_last_character(stem: str, middle: str) -> None:
    """The canonical-tail check against decoding with the base64 module and encoding back."""
    import base64

    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for last in alphabet:
        text = stem + middle + last
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            expected = raw if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == text else None
        except ValueError:
            expected = None
        try:
            got = b64u_decode(text)
        except FormatError:
            got = None
        assert got == expected, text
