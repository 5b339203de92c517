"""Compiled readers of the wire shapes (DESIGN §4): signed ballot, ballot, kiosk record,
batch, ballot entry and statement.

Each shape is a :mod:`msgspec` ``Struct`` — exact keys (``forbid_unknown_fields``), JSON
types (a ``true`` is never the number 1, ``1.0`` never an integer) and the length, range
and pattern constraints of DESIGN §4 — checked by msgspec's compiled validator, plus the
few conditions a struct cannot say (a kiosk ballot names its kiosk, an online one none; a
real date; no NUL). A reader here only *accepts*: it returns the checked value, or None
when anything is wrong. The parsers in :mod:`shared.ballot`, :mod:`shared.chain` and
:mod:`shared.ledger` then run their field-by-field checks, which name the first fault in
the documented order — so the codes and messages are exactly those of the checks alone,
and the common case (a well-formed value) never walks its fields in Python.
``tests/shared/test_wire.py`` holds every reader against the former checks on random valid
and broken values: the same verdict and the same message.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from .encoding import jcs
from .errors import BALLOT_CODES, RECORD_CODES, FormatError
from .text import find_unstorable
from .timefmt import parse_time

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _b64u_pattern(nbytes: int) -> str:
    """Canonical unpadded base64url of exactly ``nbytes`` bytes (the unused low bits of the
    last character zero), as :func:`shared.encoding.b64u_decode` accepts it."""
    chars, rest = divmod(nbytes * 8, 6)
    if not rest:
        return rf"\A[A-Za-z0-9_-]{{{chars}}}\Z"
    step = 1 << (6 - rest)
    tail = "".join(_ALPHABET[i] for i in range(0, 64, step)).replace("-", r"\-")
    return rf"\A[A-Za-z0-9_-]{{{chars}}}[{tail}]\Z"


def _converted(table: dict[str, Any], raw: dict[str, Any], tag: str) -> Any:
    """``raw`` read by the struct its ``tag`` field names (the tag is looked up first: msgspec's
    own tagged-union path from a dict cost more than the checks); None for an unknown tag or
    anything the struct refuses."""
    value = raw.get(tag)
    kind = table.get(value) if type(value) is str else None
    if kind is None:
        return None
    try:
        return msgspec.convert(raw, kind)
    except (ValueError, TypeError):  # msgspec.ValidationError, or a lone surrogate in its message
        return None


Name = Annotated[str, Meta(min_length=1, max_length=64)]
Key32 = Annotated[str, Meta(pattern=_b64u_pattern(32))]
Sig64 = Annotated[str, Meta(pattern=_b64u_pattern(64))]
Uuid = Annotated[str, Meta(pattern=r"\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")]
Seq = Annotated[int, Meta(ge=1)]
_ENTRY_CODES = frozenset(BALLOT_CODES + RECORD_CODES)
_NUL = b"\\u0000"  # how RFC 8785 writes U+0000; a lone surrogate has no RFC 8785 form at all
MAX_SIGNED_BALLOT_BYTES = 8192


class _BallotWire(Struct, forbid_unknown_fields=True, tag_field="form"):
    v: Literal[1]
    type: Literal["ballot"]
    event: Name
    reviewer: Name
    channel: Literal["kiosk", "online"]
    kiosk: Name | None
    created_at: str
    nonce: Uuid


class RubricWire(_BallotWire, tag="rubric"):
    proposal: Name
    scores: Annotated[dict[str, Any], Meta(max_length=50)]
    comment: Annotated[str, Meta(max_length=500)] | UnsetType = UNSET


class ApprovalWire(_BallotWire, tag="approval"):
    group: Name
    choices: Annotated[list[Name], Meta(max_length=1000)]


BallotWire = RubricWire | ApprovalWire
#: msgspec's own tagged-union dispatch from a dict costs more than the checks of a struct;
#: the tag is looked up here instead.
_BALLOT_FORMS: dict[str, type[RubricWire] | type[ApprovalWire]] = {"rubric": RubricWire, "approval": ApprovalWire}
_SIG = re.compile(_b64u_pattern(64))


class SignedBallotWire(NamedTuple):
    ballot: BallotWire
    sig: str


def _ballot_holds(raw: dict[str, Any], b: BallotWire) -> bool:
    """What the struct cannot say: a kiosk ballot names its kiosk, an online one none,
    ``created_at`` is a real RFC 3339 UTC time (parsed once per distinct text), and the
    containers are JSON's own (msgspec would take a tuple for an array)."""
    if (b.kiosk is None) != (b.channel == "online"):
        return False
    rubric = isinstance(b, RubricWire)
    if type(raw.get("scores" if rubric else "choices")) is not (dict if rubric else list):
        return False
    try:
        parse_time(b.created_at)
    except FormatError:
        return False
    return True


def read_ballot(raw: Any) -> BallotWire | None:
    """A ballot (DESIGN §4) whose every field holds, or None."""
    if type(raw) is not dict:
        return None
    b = _ballot_of(raw)
    if b is None or find_unstorable(raw) is not None:
        return None
    return b


def _ballot_of(raw: dict[str, Any]) -> BallotWire | None:
    """The compiled reading of a ballot dict by its form, and the conditions a struct
    cannot say; None if anything does not hold."""
    b: BallotWire | None = _converted(_BALLOT_FORMS, raw, "form")
    return b if b is not None and _ballot_holds(raw, b) else None


def read_signed_ballot(raw: Any, canonical: bytes | None) -> SignedBallotWire | None:
    """A signed ballot whose every field holds and whose RFC 8785 form (``canonical``, or
    computed here) is at most 8,192 bytes and has no NUL, or None."""
    if type(raw) is not dict or len(raw) != 2:
        return None
    ballot, sig = raw.get("ballot"), raw.get("sig")
    if type(ballot) is not dict or type(sig) is not str or not _SIG.match(sig):
        return None
    b = _ballot_of(ballot)
    if b is None:
        return None
    if canonical is None:
        try:
            canonical = jcs(raw)
        except FormatError:
            return None
    if len(canonical) > MAX_SIGNED_BALLOT_BYTES or _NUL in canonical:
        return None
    return SignedBallotWire(b, sig)


class RecordWire(Struct, forbid_unknown_fields=True):
    seq: Seq
    prev: Key32
    signed_ballot: dict[str, Any]


class HeadWire(Struct, forbid_unknown_fields=True):
    kiosk: Any
    seq: Annotated[int, Meta(ge=0)]
    hash: Key32
    sig: Sig64


class BatchWire(Struct, forbid_unknown_fields=True):
    kiosk: Name
    records: list[RecordWire]
    head: HeadWire


def read_record(raw: Any) -> bool:
    """``raw`` is a kiosk record of the right shape."""
    if type(raw) is not dict or type(raw.get("signed_ballot")) is not dict:
        return False
    try:
        msgspec.convert(raw, RecordWire)
    except (ValueError, TypeError):  # msgspec.ValidationError, or a lone surrogate in its message
        return False
    return True


def read_batch(raw: Any, max_records: int) -> BatchWire | None:
    """A batch whose shape holds (its linkage is the caller's to check), or None."""
    if type(raw) is not dict or type(raw.get("head")) is not dict or type(raw.get("records")) is not list:
        return None
    if not all(type(r) is dict and type(r.get("signed_ballot")) is dict for r in raw["records"]):
        return None
    try:
        b = msgspec.convert(raw, BatchWire)
    except (ValueError, TypeError):  # msgspec.ValidationError, or a lone surrogate in its message
        return None
    if len(b.records) > max_records or b.head.kiosk != b.kiosk:
        return None
    return b


class _EntryWire(Struct, forbid_unknown_fields=True, tag_field="type"):
    received_at: str
    signed_ballot: Any
    kiosk: Name | None
    seq: Seq | None


class BallotEntryWire(_EntryWire, tag="ballot"):
    pass


class RejectedEntryWire(_EntryWire, tag="rejected"):
    code: str


EntryWire = BallotEntryWire | RejectedEntryWire
_ENTRY_KINDS: dict[str, type[BallotEntryWire] | type[RejectedEntryWire]] = {"ballot": BallotEntryWire, "rejected": RejectedEntryWire}


def read_ballot_entry(raw: Any) -> EntryWire | None:
    """A ``ballot`` or ``rejected`` entry of the right shape, or None."""
    e: EntryWire | None = _converted(_ENTRY_KINDS, raw, "type") if type(raw) is dict else None
    if e is None:
        return None
    if e.kiosk is None:
        if e.seq is not None or isinstance(e, RejectedEntryWire):
            return None
    elif e.seq is None:
        return None
    if isinstance(e, RejectedEntryWire) and e.code not in _ENTRY_CODES:
        return None
    try:
        parse_time(e.received_at)
    except FormatError:
        return None
    return e


class _StatementWire(Struct, tag_field="type"):
    """Other fields are allowed in a statement (they are signed, and replay ignores them)."""

    event: Name
    staff: Name | UnsetType = UNSET
    reason: Annotated[str, Meta(max_length=500)] | UnsetType = UNSET
    at: str | UnsetType = UNSET
    override: Any = UNSET


class KioskStatement(_StatementWire, tag="kiosk", kw_only=True):
    kiosk: Name
    key: Key32


class RevocationStatement(_StatementWire, tag="revocation", kw_only=True):
    reviewer: str


class ResolutionStatement(_StatementWire, tag="resolution", kw_only=True):
    reviewer: str
    target: str
    ballot: str


class KioskCloseStatement(_StatementWire, tag="kiosk-close", kw_only=True):
    kiosk: str
    closure: dict[str, Any] | None


class CloseStatement(_StatementWire, tag="close", kw_only=True):
    results_hash: str


StatementWire = KioskStatement | RevocationStatement | ResolutionStatement | KioskCloseStatement | CloseStatement
_STATEMENT_KINDS: dict[str, type[StatementWire]] = {
    "kiosk": KioskStatement, "revocation": RevocationStatement, "resolution": ResolutionStatement,
    "kiosk-close": KioskCloseStatement, "close": CloseStatement,
}


def read_statement(raw: Any) -> StatementWire | None:
    """A statement body whose known fields hold and that has no ``override`` (an override
    is read field by field by :func:`shared.ledger.check_override`), or None."""
    if type(raw) is not dict or type(raw.get("closure", {})) not in (dict, type(None)):
        return None
    st: StatementWire | None = _converted(_STATEMENT_KINDS, raw, "type")
    if st is None:
        return None
    if st.override is not UNSET:
        return None
    if isinstance(st.at, str):
        try:
            parse_time(st.at)
        except FormatError:
            return None
    return st
