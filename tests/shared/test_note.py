"""Signed notes and checkpoints against the C2SP specifications' own worked examples."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from shared.checkpoint import (
    Checkpoint,
    cosign,
    cosigned_message,
    cosigners,
    ledger_verifier,
    open_checkpoint,
    parse_checkpoint_text,
    require_cosigned,
    sign_checkpoint,
    verify_cosignature,
    witness_verifier,
)
from shared.encoding import b64u, sha256
from shared.errors import FormatError, VerificationError
from shared.keys import SigningKey
from shared.note import (
    SIG_COSIGNATURE,
    SIG_ED25519,
    Verifier,
    b64,
    key_id,
    parse_note,
    parse_signature_lines,
    sign_note,
    verify_note,
)

VECTORS: dict[str, Any] = json.loads((Path(__file__).parents[1] / "vectors" / "c2sp.json").read_text("utf-8"))


def test_signed_note_example_verifies_with_its_vkey() -> None:
    v = Verifier.parse(VECTORS["signed_note"]["vkey"])
    assert (v.name, v.sig_type, v.key_id.hex()) == ("example.com/foo", SIG_ED25519, "530d903a")
    assert v.vkey == VECTORS["signed_note"]["vkey"]
    note = parse_note(VECTORS["signed_note"]["note"])
    assert note.text == "This is an example message.\n"
    verify_note(note, v)
    assert note.render() == VECTORS["signed_note"]["note"]


def test_signed_note_example_fails_when_the_text_changes() -> None:
    v = Verifier.parse(VECTORS["signed_note"]["vkey"])
    note = parse_note(VECTORS["signed_note"]["note"].replace("example message", "example massage"))
    with pytest.raises(VerificationError, match="does not verify"):
        verify_note(note, v)


def test_text_is_cut_at_the_last_blank_line() -> None:
    note = parse_note(VECTORS["signed_note_unkeyed"]["note"])
    assert note.text == VECTORS["signed_note_unkeyed"]["text"]
    assert [s.name for s in note.signatures] == ["quasimodo.example/salvatore"]


def test_unknown_keys_are_ignored_and_none_known_is_rejected() -> None:
    note = parse_note(VECTORS["checkpoint"]["note"])
    other = Verifier("example.com/foo", SIG_ED25519, bytes(32))
    with pytest.raises(VerificationError, match=r"no signature by example\.com/foo"):
        verify_note(note, other)


def test_checkpoint_example_parses() -> None:
    c = VECTORS["checkpoint"]
    note = parse_note(c["note"])
    cp = parse_checkpoint_text(note.text)
    assert (cp.origin, cp.size, b64(cp.root)) == (c["origin"], c["size"], c["root_b64"])
    assert cp.text() == note.text
    wit = note.signatures[1]
    assert wit.name == "witness.example.com/w1" and len(wit.sig) == 72
    assert struct.unpack(">Q", wit.sig[:8])[0] == c["cosignature_timestamp"]
    assert cosigned_message(note.text, c["cosignature_timestamp"]).decode() == c["cosigned_message"]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "leading zeroes"),
        ("o\n1\n", "three non-empty"),
        ("o\n1\nAAAA\n", "not 32"),
        ("o\n0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "empty tree"),
        ("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", "newline"),
    ],
)
def test_bad_checkpoint_text_is_named(text: str, why: str) -> None:
    with pytest.raises(FormatError, match=why):
        parse_checkpoint_text(text)


@pytest.mark.parametrize(
    ("note", "why"),
    [
        ("text\n\n- name AAAAAAAA\n", "starts with"),
        ("text\n— name AAAAAAAA\n", "blank line"),
        ("text\n\n— na me AAAAAAAA\n", "<name> <base64>"),
        ("text\n\n— name !!!!\n", "base64"),
        ("te\x07xt\n\n— name AAAAAAAA\n", "control"),
        ("text\n\n", "at least one"),
    ],
)
def test_malformed_notes_are_refused(note: str, why: str) -> None:
    with pytest.raises(FormatError, match=why):
        parse_note(note)


def test_key_id_is_the_spec_hash() -> None:
    pub = bytes(range(32))
    assert key_id("a.example/x", SIG_COSIGNATURE, pub) == sha256(b"a.example/x\n\x04" + pub)[:4]
    with pytest.raises(FormatError, match="without spaces"):
        key_id("a b", SIG_ED25519, pub)
    with pytest.raises(FormatError, match="does not match"):
        Verifier.parse("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")


def test_ledger_checkpoint_round_trip_and_wrong_origin() -> None:
    key = SigningKey(bytes([7]) * 32)
    cp = Checkpoint("example.org/simsa/ev", 5, sha256(b"x"))
    text = sign_checkpoint(cp, key).render()
    got, _note = open_checkpoint(text, ledger_verifier("example.org/simsa/ev", key.public_b64u))
    assert got == cp
    with pytest.raises(VerificationError, match="origin"):
        open_checkpoint(text, ledger_verifier("example.org/simsa/other", key.public_b64u))
    with pytest.raises(VerificationError):
        open_checkpoint(text, ledger_verifier("example.org/simsa/ev", SigningKey(bytes(32)).public_b64u))
    assert sign_note("x\n", "n", key).signatures[0].key_id == key_id("n", SIG_ED25519, key.public)


def test_cosignatures_count_distinct_known_witnesses() -> None:
    log = SigningKey(bytes([1]) * 32)
    w1, w2, w3 = (SigningKey(bytes([i]) * 32) for i in (2, 3, 4))
    note = sign_checkpoint(Checkpoint("o.example/l", 1, sha256(b"leaf")), log)
    s1 = cosign(note.text, "w.example/1", w1, 1700000000)
    s2 = cosign(note.text, "w.example/2", w2, 1700000001)
    stray = cosign(note.text, "w.example/3", w3, 1700000002)
    full = parse_note(note.render() + s1.line() + s1.line() + s2.line() + stray.line())
    vs = [witness_verifier("w.example/1", b64u(w1.public)), witness_verifier("w.example/2", b64u(w2.public))]
    assert cosigners(full, vs) == {"w.example/1": 1700000000, "w.example/2": 1700000001}
    require_cosigned(full, vs, 2)
    only_one = parse_note(note.render() + s1.line() + stray.line())
    with pytest.raises(VerificationError, match="1 of the 2 witness cosignatures"):
        require_cosigned(only_one, vs, 2)
    assert verify_cosignature(note.text, s2, vs[1]) == 1700000001
    forged = parse_note(note.render() + s1.line().replace(s1.line().split()[-1], b64(s1.key_id + bytes(72))))
    with pytest.raises(VerificationError, match="does not verify"):
        cosigners(forged, vs)
    with pytest.raises(FormatError, match="timestamp"):
        cosign(note.text, "w.example/1", w1, 0)
    assert parse_signature_lines(s1.line() + s2.line())[1] == s2


def test_vkeys_whose_base64_holds_a_plus_round_trip() -> None:
    for i in range(200):
        v = Verifier("w.example/x", SIG_COSIGNATURE, SigningKey(bytes([i]) * 32).public)
        if "+" in v.vkey.split("+", 2)[2]:
            assert Verifier.parse(v.vkey) == v
            return
    raise AssertionError("no key with '+' in its base64 among 200")
