"""shared.receipt: short codes in Crockford base32, read back forgivingly, and the receipt
queries the server and the auditor search with."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.ballot import ballot_id
from shared.ballot import short_code as ballot_short_code
from shared.encoding import b64u
from shared.errors import FormatError
from shared.receipt import (
    ALPHABET,
    b64u_prefix,
    decode_code,
    encode_code,
    normalise_code,
    parse_receipt,
    short_code,
)

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _naive(data: bytes) -> str:
    """Crockford base32 of 40 bits written out bit by bit (independent of the module)."""
    bits = "".join(f"{b:08b}" for b in data)
    chars = "".join(CROCKFORD[int(bits[i:i + 5], 2)] for i in range(0, 40, 5))
    return chars[:4] + "-" + chars[4:]


@pytest.mark.parametrize(("hexbytes", "code"), [
    ("0000000000", "0000-0000"),
    ("ffffffffff", "ZZZZ-ZZZZ"),
    ("0842108421", "1111-1111"),
    ("0123456789", "04HM-ASW9"),  # 00000 00100 10001 10100 01010 11001 11100 01001
])
def test_known_answers(hexbytes: str, code: str) -> None:
    assert encode_code(bytes.fromhex(hexbytes)) == code
    assert decode_code(code) == bytes.fromhex(hexbytes)


def test_short_code_of_a_real_id() -> None:
    bid = ballot_id({})
    assert bid == "RBNvo1WzZ4oRRq0W9-hknpT7T8If536DEMBg9hyq_4o"
    assert short_code(bid) == ballot_short_code(bid) == "8G9P-Z8TN"
    assert short_code(bid) == _naive(hashlib.sha256(b"{}").digest()[:5])


def test_alphabet_has_no_ambiguous_letters() -> None:
    assert ALPHABET == CROCKFORD and len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


@pytest.mark.parametrize("typed", ["8G9P-Z8TN", "8g9p-z8tn", "8G9PZ8TN", " 8g9p z8tn ", "8G9P\u2013Z8TN", "8-G-9-P-Z-8-T-N"])
def test_forgiving_input(typed: str) -> None:
    assert normalise_code(typed) == "8G9P-Z8TN"


def test_i_l_o_read_as_digits() -> None:
    assert decode_code("O1O1-IL0l") == decode_code("0101-1101")
    assert normalise_code("oooo-iiii") == "0000-1111"


@pytest.mark.parametrize(("typed", "says"), [
    ("", "empty"),
    ("  - ", "empty"),
    ("8G9P-Z8T", "has 7"),
    ("8G9P-Z8TNN", "has 9"),
    ("8G9P-Z8TU", "U is never used"),
    ("AbC1-x9_Z", "'_'"),
    ("8G9P*Z8TN", "'*'"),
])
def test_malformed_codes_say_what_is_wrong(typed: str, says: str) -> None:
    with pytest.raises(FormatError, match="receipt code") as err:
        decode_code(typed)
    assert says in str(err.value)


def test_encode_refuses_other_lengths() -> None:
    with pytest.raises(FormatError):
        encode_code(b"1234")
    with pytest.raises(FormatError, match="receipt id"):
        short_code("not-an-id")


@given(st.binary(min_size=5, max_size=5))
def test_round_trip(data: bytes) -> None:
    code = encode_code(data)
    assert code == _naive(data)
    assert decode_code(code) == data
    assert decode_code(code.lower().replace("-", " ")) == data


@given(st.binary(min_size=32, max_size=32))
def test_every_id_matches_its_own_code(digest: bytes) -> None:
    bid = b64u(digest)
    q = parse_receipt(short_code(bid))
    assert q.code == digest[:5] and not q.exact
    assert bid.startswith(q.prefix) and len(q.prefix) == 6
    assert q.matches(bid)
    assert q.text == short_code(bid)
    full = parse_receipt(f"  {bid} ")
    assert full.exact and full.matches(bid) and full.prefix == bid == full.text


@given(st.binary(min_size=32, max_size=32), st.integers(min_value=0, max_value=39))
def test_a_flipped_bit_in_the_first_40_does_not_match(digest: bytes, bit: int) -> None:
    other = bytearray(digest)
    other[bit // 8] ^= 0x80 >> (bit % 8)
    assert not parse_receipt(short_code(b64u(digest))).matches(b64u(bytes(other)))


def test_the_prefix_covers_36_bits() -> None:
    # bits 36..39 are the top of the 7th base64url character: codes differing there share the prefix
    a, b = bytes.fromhex("0000000000"), bytes.fromhex("000000000f")
    assert b64u_prefix(a) == b64u_prefix(b) == "AAAAAA"
    qa = parse_receipt(encode_code(a))
    assert qa.matches(b64u(a + bytes(27))) and not qa.matches(b64u(b + bytes(27)))


@pytest.mark.parametrize(("text", "says"), [
    ("x" * 44, "43-character id"),
    ("RBNvo1WzZ4oRRq0W9-hknpT7T8If536DEMBg9hyq_4p", "canonical"),  # 43 characters, wrong tail bits
    ("hello", "has 5"),
])
def test_parse_receipt_refuses(text: str, says: str) -> None:
    with pytest.raises(FormatError) as err:
        parse_receipt(text)
    assert says in str(err.value)
