"""shared.ballot: ballot shapes, signed ballots and receipt ids (DESIGN §4)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, TypedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.ballot import (
    MAX_COMMENT,
    Ballot,
    SignedBallot,
    approval_ballot,
    ballot_id,
    rubric_ballot,
    short_code,
    sign_ballot,
)
from shared.encoding import b64u, b64u_decode, jcs, parse_json
from shared.errors import FormatError, VerificationError
from shared.keys import verify
from tests.support import tiny


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = dict(base)
    for k, v in changes.items():
        if v is _DROP:
            del out[k]
        else:
            out[k] = v
    return out


_DROP = object()
R = tiny.rubric()
A = tiny.approval()

#: (name, ballot object, the FormatError message must match)
INVALID_BALLOTS: list[tuple[str, Any, str]] = [
    ("a list", [], "ballot must be a JSON object"),
    ("no form", _with(R, form=_DROP), "form must be rubric or approval"),
    ("form ranked", _with(R, form="ranked"), "form must be rubric or approval"),
    ("rubric without scores", _with(R, scores=_DROP), "rubric ballot is missing scores"),
    ("rubric with choices", _with(R, choices=[]), "rubric ballot has unexpected field.*choices"),
    ("approval with a comment", _with(A, comment="좋아요"), "approval ballot has unexpected field.*comment"),
    ("approval without group", _with(A, group=_DROP), "approval ballot is missing group"),
    ("missing nonce", _with(R, nonce=_DROP), "missing nonce"),
    ("missing kiosk", _with(R, kiosk=_DROP), "missing kiosk"),
    ("v 2", _with(R, v=2), "ballot v"),
    ("v true", _with(R, v=True), "ballot v"),
    ("v 1.0", _with(R, v=1.0), "ballot v"),
    ("type manifest", _with(R, type="manifest"), "ballot type"),
    ("channel usb", _with(R, channel="usb"), "ballot channel must be one of"),
    ("kiosk ballot with kiosk null", _with(R, kiosk=None), "ballot kiosk must be a string"),
    ("kiosk ballot with empty kiosk", _with(R, kiosk=""), "ballot kiosk must not be empty"),
    ("online ballot with a kiosk", _with(A, kiosk="k1"), "online ballot has kiosk null"),
    (
        "created_at without Z",
        _with(R, created_at="2017-02-23T10:15:00"),
        "created_at must be an RFC 3339 UTC",
    ),
    (
        "created_at with offset",
        _with(R, created_at="2017-02-23T10:15:00+00:00"),
        "created_at must be an RFC 3339 UTC",
    ),
    (
        "created_at trailing newline",
        _with(R, created_at="2017-02-23T10:15:00Z\n"),
        "created_at must be an RFC 3339 UTC",
    ),
    ("created_at 25 o'clock", _with(R, created_at="2017-02-23T25:15:00Z"), "not a real date"),
    ("created_at a number", _with(R, created_at=1487844900), "created_at must be an RFC 3339"),
    ("nonce upper case", _with(R, nonce=tiny.nonce(0xABCDEF).upper()), "nonce must be a lower-case UUID"),
    ("nonce without dashes", _with(R, nonce="0" * 32), "nonce must be a lower-case UUID"),
    ("nonce with newline", _with(R, nonce=tiny.nonce(99)[:35] + "\n"), "nonce must be a lower-case UUID"),
    ("nonce too long", _with(R, nonce=tiny.nonce(99) + "0"), "nonce is longer than 36"),
    ("event not text", _with(R, event=1), "ballot event must be a string"),
    ("reviewer empty", _with(R, reviewer=""), "ballot reviewer must not be empty"),
    ("reviewer too long", _with(R, reviewer="r" * 65), "ballot reviewer is longer than 64"),
    ("proposal null", _with(R, proposal=None), "ballot proposal must be a string"),
    ("scores a list", _with(R, scores=[1, 2]), "ballot scores must be a JSON object"),
    ("51 criteria", _with(R, scores={f"c{i}": 1 for i in range(51)}), "too many criteria"),
    ("comment null", _with(R, comment=None), "ballot comment must be a string"),
    ("comment too long", _with(R, comment="x" * (MAX_COMMENT + 1)), "comment is longer than 500"),
    ("choices an object", _with(A, choices={"p2": True}), "ballot choices must be a JSON array"),
    ("choice a number", _with(A, choices=[2]), "ballot choice must be a string"),
    ("choice empty", _with(A, choices=[""]), "ballot choice must not be empty"),
    ("1001 choices", _with(A, choices=["p"] * 1001), "ballot choices has more than 1000"),
    ("group a list", _with(A, group=["g1"]), "ballot group must be a string"),
]


@pytest.mark.parametrize(("name", "raw", "message"), INVALID_BALLOTS, ids=[n for n, _, _ in INVALID_BALLOTS])
def test_invalid_ballot(name: str, raw: Any, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        Ballot.from_json(raw)


GOOD_SIG = tiny.signed(R)["sig"]

#: (name, signed ballot object, message)
INVALID_SIGNED: list[tuple[str, Any, str]] = [
    ("a string", "x", "signed ballot must be a JSON object"),
    ("no sig", {"ballot": R}, "signed ballot is missing sig"),
    ("no ballot", {"sig": GOOD_SIG}, "signed ballot is missing ballot"),
    ("receipt id inside", {"ballot": R, "sig": GOOD_SIG, "id": "x"}, "unexpected field.*id"),
    ("sig a number", {"ballot": R, "sig": 1}, "ballot sig must be a string"),
    ("sig 63 bytes", {"ballot": R, "sig": b64u(bytes(63))}, "ballot sig must be 64 bytes"),
    ("sig with padding", {"ballot": R, "sig": GOOD_SIG + "=="}, "ballot sig is not unpadded base64url"),
    (
        "sig in standard base64",
        {"ballot": R, "sig": "+/" + GOOD_SIG[2:]},
        "ballot sig is not unpadded base64url",
    ),
    ("sig too long text", {"ballot": R, "sig": "A" * 101}, "ballot sig is longer than 100"),
    ("ballot invalid", {"ballot": _with(R, v=2), "sig": GOOD_SIG}, "ballot v"),
    (
        "more than 8192 bytes",
        {"ballot": _with(A, choices=[f"p{i:060d}" for i in range(150)]), "sig": GOOD_SIG},
        "at most 8192 bytes",
    ),
]


@pytest.mark.parametrize(("name", "raw", "message"), INVALID_SIGNED, ids=[n for n, _, _ in INVALID_SIGNED])
def test_invalid_signed_ballot(name: str, raw: Any, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        SignedBallot.from_json(raw)


def test_builders_make_exactly_the_normative_fields() -> None:
    assert set(R) == {
        "v",
        "type",
        "event",
        "reviewer",
        "channel",
        "kiosk",
        "created_at",
        "nonce",
        "form",
        "proposal",
        "scores",
    }
    assert set(A) == {
        "v",
        "type",
        "event",
        "reviewer",
        "channel",
        "kiosk",
        "created_at",
        "nonce",
        "form",
        "group",
        "choices",
    }
    with_comment = rubric_ballot(
        event="t1", reviewer="rep1", channel="kiosk", kiosk="k1", created_at=tiny.T_IN,
        nonce=tiny.nonce(1), proposal="p2", scores={"a": 1, "b": 1}, comment="발표가 좋았습니다",
    )  # fmt: skip
    assert with_comment["comment"] == "발표가 좋았습니다"
    assert Ballot.from_json(with_comment).comment == "발표가 좋았습니다"
    with pytest.raises(FormatError):
        approval_ballot(
            event="t1", reviewer="mem1", channel="online", kiosk="k1", created_at=tiny.T_IN,
            nonce=tiny.nonce(1), group="g1", choices=[],
        )  # fmt: skip


def test_parsed_fields() -> None:
    r, a = Ballot.from_json(R), Ballot.from_json(A)
    assert (r.form, r.target, r.channel, r.kiosk, r.scores) == (
        "rubric",
        "p2",
        "kiosk",
        "k1",
        {"a": 7, "b": 3},
    )
    assert (a.form, a.target, a.channel, a.kiosk, a.choices) == (
        "approval",
        "g1",
        "online",
        None,
        ("p2", "p3"),
    )
    assert r.raw is R  # the exact object that is signed


def test_signature_is_ed25519_over_jcs_of_the_ballot() -> None:
    sb = sign_ballot(R, tiny.key("rep1"))
    verify(tiny.key("rep1").public, jcs(R), b64u_decode(sb.sig))
    sb.verify(tiny.key("rep1").public_b64u)
    with pytest.raises(VerificationError, match="ballot signature does not verify"):
        sb.verify(tiny.key("rep4").public_b64u)


def test_receipt_id_is_sha256_of_jcs_of_the_signed_ballot() -> None:
    sb = sign_ballot(R, tiny.key("rep1"))
    raw = sb.to_json()
    expected = b64u(hashlib.sha256(jcs(raw)).digest())
    assert sb.id == ballot_id(raw) == expected
    assert len(sb.id) == 43
    # JCS: key order and whitespace of the wire text do not change the id
    wire = json.dumps({"sig": raw["sig"], "ballot": dict(reversed(list(R.items())))}, indent=3)
    assert SignedBallot.from_json(parse_json(wire)).id == expected
    # any change does
    assert ballot_id({**raw, "sig": tiny.key("x").sign_b64u(jcs(R))}) != expected


def test_short_code() -> None:
    """The receipt's short code: its hash's first 40 bits in Crockford base32 (shared.receipt)."""
    bid = sign_ballot(R, tiny.key("rep1")).id
    code = short_code(bid)
    bits = "".join(f"{b:08b}" for b in b64u_decode(bid, length=32)[:5])
    chars = "".join("0123456789ABCDEFGHJKMNPQRSTVWXYZ"[int(bits[i:i + 5], 2)] for i in range(0, 40, 5))
    assert code == f"{chars[:4]}-{chars[4:]}"
    with pytest.raises(FormatError):
        short_code("AbC1-x9_ZrestOfTheId")  # not a receipt id


# --- round trips ----------------------------------------------------------------------------

ids = st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z")
times = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))
nonces = st.uuids().map(str)
# storable text: Hypothesis's text never holds a lone surrogate, but may hold U+0000, which no
# ballot may (shared/text.py; refused with its path — tests/shared/test_text.py)
texts = st.text(alphabet=st.characters(exclude_characters="\x00"), max_size=MAX_COMMENT)


class Common(TypedDict):
    """The arguments that ``rubric_ballot`` and ``approval_ballot`` share."""

    event: str
    reviewer: str
    channel: str
    kiosk: str | None
    created_at: str
    nonce: str


@st.composite
def ballots(draw: st.DrawFn) -> dict[str, Any]:
    channel = draw(st.sampled_from(["kiosk", "online"]))
    common: Common = {
        "event": draw(ids),
        "reviewer": draw(ids),
        "channel": channel,
        "kiosk": draw(ids) if channel == "kiosk" else None,
        "created_at": draw(times),
        "nonce": draw(nonces),
    }
    if draw(st.booleans()):
        return rubric_ballot(
            **common,
            proposal=draw(ids),
            scores=draw(st.dictionaries(ids, st.integers(-(2**53) + 1, 2**53 - 1), max_size=8)),
            comment=draw(st.none() | texts),
        )
    return approval_ballot(**common, group=draw(ids), choices=draw(st.lists(ids, max_size=10)))


@settings(max_examples=60, deadline=None)
@given(ballots())
def test_ballot_round_trip(raw: dict[str, Any]) -> None:
    """Any built ballot survives JCS → strict parse → from_json unchanged, and its signed
    form keeps its id through the wire."""
    wire = jcs(raw)
    again = parse_json(wire)
    assert again == raw
    parsed = Ballot.from_json(again)
    assert parsed.raw == raw and jcs(parsed.raw) == wire
    sb = sign_ballot(raw, tiny.key("rt"))
    back = SignedBallot.from_json(parse_json(jcs(sb.to_json())))
    assert back.id == sb.id
    back.verify(tiny.key("rt").public_b64u)
