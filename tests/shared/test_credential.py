"""shared.credential: the SIMSA1 QR credential (scrypt + AES-256-GCM), DESIGN §4."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shared.credential as credential
from shared.credential import (
    Credential,
    check_pin_format,
    open_seed,
    parse,
    seal,
    unlock,
)
from shared.encoding import b64u
from shared.errors import (
    CredentialError,
    CredentialFormatError,
    CredentialMismatch,
    FormatError,
    WeakCredential,
    WrongPin,
)
from shared.keys import SigningKey

#: Demo cost: fast enough for tests. Real events use 15.
LOGN = 10
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
SALT = bytes(range(16))
NONCE = bytes(range(100, 112))
PIN = "482913"
EVENT, REVIEWER = "gg2017", "r00001"


@functools.cache
def _sealed(event: str = EVENT, reviewer: str = REVIEWER, logn: int = LOGN) -> Credential:
    return seal(event=event, reviewer=reviewer, seed=SEED, pin=PIN, logn=logn, salt=SALT, nonce=NONCE)


def _text(**parts: str) -> str:
    """The good credential text with some of its parts replaced."""
    names = ("prefix", "event", "reviewer", "logn", "salt", "nonce", "box")
    fields = dict(zip(names, _sealed().to_text().split("."), strict=True))
    fields.update(parts)
    return ".".join(fields[n] for n in names)


def _flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


# --- round trip -------------------------------------------------------------------------

_IDS = st.from_regex(r"[A-Za-z0-9_-]{1,18}", fullmatch=True)
_PINS = st.from_regex(r"[0-9]{4,12}", fullmatch=True)


@settings(max_examples=25, deadline=None)
@given(
    event=_IDS,
    reviewer=_IDS,
    pin=_PINS,
    seed=st.binary(min_size=32, max_size=32),
    salt=st.binary(min_size=16, max_size=16),
    nonce=st.binary(min_size=12, max_size=12),
)
def test_seal_parse_open_round_trip(
    event: str, reviewer: str, pin: str, seed: bytes, salt: bytes, nonce: bytes
) -> None:
    cred = seal(event=event, reviewer=reviewer, seed=seed, pin=pin, logn=LOGN, salt=salt, nonce=nonce)
    text = cred.to_text()
    parsed = parse(text)
    assert parsed == cred
    assert parsed.to_text() == text
    assert open_seed(parsed, pin, min_logn=LOGN) == seed
    key = unlock(parsed, pin, SigningKey(seed).public_b64u, min_logn=LOGN)
    assert key.seed == seed


def test_text_layout() -> None:
    cred = _sealed()
    parts = cred.to_text().split(".")
    assert parts[:4] == ["SIMSA1", EVENT, REVIEWER, "10"]
    assert parts[4:6] == [b64u(SALT), b64u(NONCE)]
    assert len(cred.box) == 48  # 32-byte seed + 16-byte GCM tag
    assert parts[6] == b64u(cred.box)
    assert cred.aad == b"gg2017.r00001"


def test_surrounding_whitespace_from_a_scanner_is_tolerated() -> None:
    assert parse(" " + _sealed().to_text() + "\r\n") == _sealed()


def test_the_seed_is_not_in_the_text() -> None:
    text = _sealed().to_text()
    assert b64u(SEED) not in text
    assert SEED not in _sealed().box


# --- opening ----------------------------------------------------------------------------


def test_right_pin_opens() -> None:
    assert open_seed(_sealed(), PIN) == SEED


@pytest.mark.parametrize("pin", ["482914", "000000", "4829", "4829130", "482913482913"])
def test_wrong_pin_raises_wrong_pin(pin: str) -> None:
    with pytest.raises(WrongPin, match="PIN does not open"):
        open_seed(_sealed(), pin)


def test_damaged_card_raises_wrong_pin() -> None:
    cred = _sealed()
    for field in ("box", "nonce", "salt"):
        value: bytes = getattr(cred, field)
        damaged = Credential(**{**cred.__dict__, field: _flip(value, len(value) - 1)})
        with pytest.raises(WrongPin):
            open_seed(damaged, PIN)


def test_card_moved_to_another_reviewer_does_not_open() -> None:
    # The ids are GCM associated data: relabelling a card breaks the tag.
    for moved in (_text(reviewer="r00002"), _text(event="gg2018")):
        with pytest.raises(WrongPin):
            open_seed(parse(moved), PIN)


@pytest.mark.parametrize("pin", ["", "123", "1234567890123", "12a4", "4829 13", "482913\n", "١٢٣٤"])
def test_malformed_pin_is_a_format_error(pin: str) -> None:
    with pytest.raises(CredentialFormatError, match="4 to 12 digits"):
        check_pin_format(pin)
    with pytest.raises(CredentialFormatError):
        open_seed(_sealed(), pin)


def test_weak_credential_is_refused_before_any_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_scrypt(pin: str, salt: bytes, logn: int) -> bytes:
        raise AssertionError("scrypt ran")

    monkeypatch.setattr(credential, "_kdf", no_scrypt)
    with pytest.raises(WeakCredential, match=r"2\^10 is below the event's minimum 2\^15"):
        open_seed(_sealed(), PIN, min_logn=15)
    with pytest.raises(WeakCredential):
        open_seed(_sealed(), PIN, min_logn=11)
    with pytest.raises(WeakCredential):  # even before the PIN is looked at
        open_seed(_sealed(), "not a pin", min_logn=11)
    with pytest.raises(WeakCredential):
        unlock(_sealed(), PIN, SigningKey(SEED).public_b64u, min_logn=15)
    # The patch is live: at an acceptable cost the key derivation does run.
    with pytest.raises(AssertionError, match="scrypt ran"):
        open_seed(_sealed(), PIN, min_logn=LOGN)


def test_unlock_checks_the_key_against_the_manifest() -> None:
    public = SigningKey(SEED).public_b64u
    key = unlock(_sealed(), PIN, public, min_logn=LOGN)
    assert key.seed == SEED
    assert key.public_b64u == public
    other = SigningKey(bytes(32)).public_b64u
    with pytest.raises(CredentialMismatch, match="key the event does not know"):
        unlock(_sealed(), PIN, other, min_logn=LOGN)
    with pytest.raises(WrongPin):
        unlock(_sealed(), "111111", public, min_logn=LOGN)


def test_error_families() -> None:
    assert issubclass(WrongPin, CredentialError)
    assert issubclass(WeakCredential, CredentialError)
    assert issubclass(CredentialMismatch, CredentialError)
    assert issubclass(CredentialFormatError, FormatError)


# --- sealing arguments ------------------------------------------------------------------

BAD_SEAL_ARGS: list[tuple[str, dict[str, Any]]] = [
    ("dot in event", {"event": "gg.2017"}),
    ("space in reviewer", {"reviewer": "r 1"}),
    ("newline after reviewer", {"reviewer": "r00001\n"}),
    ("empty event", {"event": ""}),
    ("long reviewer", {"reviewer": "r" * 65}),
    ("short PIN", {"pin": "123"}),
    ("letters in PIN", {"pin": "12ab"}),
    ("logn 9", {"logn": 9}),
    ("logn 21", {"logn": 21}),
    ("salt 15 bytes", {"salt": bytes(15)}),
    ("nonce 16 bytes", {"nonce": bytes(16)}),
    ("seed 64 bytes", {"seed": bytes(64)}),
]


@pytest.mark.parametrize(("name", "change"), BAD_SEAL_ARGS, ids=[n for n, _ in BAD_SEAL_ARGS])
def test_seal_refuses(name: str, change: dict[str, Any]) -> None:
    args: dict[str, Any] = {
        "event": EVENT,
        "reviewer": REVIEWER,
        "seed": SEED,
        "pin": PIN,
        "logn": LOGN,
        "salt": SALT,
        "nonce": NONCE,
    } | change
    with pytest.raises(CredentialFormatError):
        seal(**args)


# --- parsing ----------------------------------------------------------------------------

_GOOD = _text()
_SALT_TEXT = b64u(SALT)

MALFORMED: list[tuple[str, Any]] = [
    ("wrong prefix", "SIMSA2" + _GOOD[6:]),
    ("lowercase prefix", "simsa1" + _GOOD[6:]),
    ("no prefix", _GOOD[7:]),
    ("empty", ""),
    ("only the prefix", "SIMSA1"),
    ("6 parts", _GOOD.rsplit(".", 1)[0]),
    ("8 parts", _GOOD + ".AAAA"),
    ("dot in event id", _text(event="gg.2017")),
    ("dot in reviewer id", _text(reviewer="r.00001")),
    ("space in event id", _text(event="gg 2017")),
    ("space in reviewer id", _text(reviewer="r 00001")),
    ("newline in event id", _text(event="gg2017\n")),
    ("newline in reviewer id", _text(reviewer="r00001\n")),
    ("empty event id", _text(event="")),
    ("empty reviewer id", _text(reviewer="")),
    ("event id of 65 chars", _text(event="e" * 65)),
    ("slash in event id", _text(event="gg/2017")),
    ("non-ASCII reviewer id", _text(reviewer="심사위원")),
    ("logn 09", _text(logn="09")),
    ("logn 9", _text(logn="9")),
    ("logn 21", _text(logn="21")),
    ("logn abc", _text(logn="abc")),
    ("logn empty", _text(logn="")),
    ("logn +15", _text(logn="+15")),
    ("logn with space", _text(logn=" 15")),
    ("logn 1e1", _text(logn="1e1")),
    ("logn 100", _text(logn="100")),
    ("logn -10", _text(logn="-10")),
    ("logn in Arabic-Indic digits", _text(logn="١٥")),
    ("padded salt", _text(salt=_SALT_TEXT + "==")),
    ("standard-alphabet box", _text(box="+" + _text().split(".")[6][1:])),
    ("salt of 15 bytes", _text(salt=b64u(bytes(15)))),
    ("salt of 17 bytes", _text(salt=b64u(bytes(17)))),
    ("empty salt", _text(salt="")),
    ("non-canonical salt", _text(salt="A" * 21 + "B")),
    ("nonce of 11 bytes", _text(nonce=b64u(bytes(11)))),
    ("nonce of 16 bytes", _text(nonce=b64u(bytes(16)))),
    ("box of 47 bytes", _text(box=b64u(bytes(47)))),
    ("box of 49 bytes", _text(box=b64u(bytes(49)))),
    ("box of 32 bytes (no tag)", _text(box=b64u(SEED))),
    ("over-long text", _text(box=b64u(bytes(48)) + "A" * 400)),
    ("bytes", _GOOD.encode()),
    ("None", None),
    ("int", 42),
    ("list", _GOOD.split(".")),
]


@pytest.mark.parametrize(("name", "text"), MALFORMED, ids=[n for n, _ in MALFORMED])
def test_parse_refuses(name: str, text: Any) -> None:
    with pytest.raises(CredentialFormatError) as info:
        parse(text)
    assert len(str(info.value)) > 10


def test_parse_messages_say_what_is_wrong() -> None:
    cases = {
        "SIMSA2" + _GOOD[6:]: "must start with SIMSA1",
        _GOOD + ".x": "7 dot-separated parts, got 8",
        _text(reviewer="r 1"): "reviewer id 'r 1' is not valid",
        _text(logn="09"): "'09' is not a decimal number",
        _text(logn="21"): "outside 10..20",
        _text(salt=b64u(bytes(15))): "salt must be 16 bytes, got 15",
        _text(box=b64u(bytes(47))): "box must be 48 bytes",
        _text(nonce=b64u(NONCE) + "=="): "nonce is not unpadded base64url",
        "x" * 401: "too long",
    }
    for text, words in cases.items():
        with pytest.raises(CredentialFormatError, match=words):
            parse(text)


def test_parse_accepts_the_cost_bounds() -> None:
    assert parse(_text(logn="10")).logn == 10
    assert parse(_text(logn="20")).logn == 20


# --- QR code size -----------------------------------------------------------------------


def _qr_version(text: str) -> int:
    qrcode = pytest.importorskip("qrcode")
    qr = qrcode.QRCode(version=None, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    version: int = qr.version
    return version


def test_real_credential_fits_qr_version_8_at_level_m() -> None:
    cred = _sealed(logn=15)  # the cost of a real event
    text = cred.to_text()
    assert text.startswith("SIMSA1.gg2017.r00001.15.")
    assert _qr_version(text) <= 8


def test_ids_of_36_characters_together_still_fit_version_8() -> None:
    # 116 fixed characters + ids; version 8-M holds 152 bytes.
    cred = Credential("e" * 18, "r" * 18, 15, SALT, NONCE, bytes(48))
    assert len(cred.to_text()) == 152
    assert _qr_version(cred.to_text()) <= 8


def test_seal_refuses_ids_too_long_for_version_8() -> None:
    with pytest.raises(CredentialFormatError, match="version 8"):
        seal(event="e" * 18, reviewer="r" * 19, seed=bytes(32), pin="1234", logn=10, salt=SALT, nonce=NONCE)
    # with a box of real-looking bytes (no long runs the encoder could pack) 37 characters of
    # ids no longer fit: the limit is the real one, not an arbitrary cap
    cred = Credential("e" * 18, "r" * 19, 15, SALT, NONCE, bytes(range(101, 149)))
    assert _qr_version(cred.to_text()) > 8
