"""Ballots, signed ballots and receipts (DESIGN §4, normative).

``Ballot`` → ``SignedBallot``: a ballot is a JSON object, a signed ballot wraps it with
the reviewer's Ed25519 signature over ``JCS(ballot)``, and its id — the reviewer's
receipt — is ``b64u(SHA-256(JCS(signed ballot)))``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

from . import receipt, wire
from . import schema as s
from .encoding import b64u, b64u_decode, jcs, sha256
from .errors import FormatError
from .keys import SigningKey, verify_b64u
from .text import find_unstorable
from .timefmt import parse_time

MAX_COMMENT = 500
MAX_SIGNED_BALLOT_BYTES = wire.MAX_SIGNED_BALLOT_BYTES
_UUID = re.compile(r"\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_COMMON = frozenset({"v", "type", "event", "reviewer", "channel", "kiosk", "created_at", "nonce", "form"})
_RUBRIC_KEYS, _RUBRIC_OPTIONAL = set(_COMMON | {"proposal", "scores"}), {"comment"}
_APPROVAL_KEYS = set(_COMMON | {"group", "choices"})


@dataclass(frozen=True)
class Ballot:
    """A parsed ballot; ``raw`` is the exact object that is signed."""

    raw: dict[str, Any] = field(repr=False)
    event: str
    reviewer: str
    channel: str
    kiosk: str | None
    created_at: str
    nonce: str
    form: str
    proposal: str | None = None
    scores: dict[str, Any] | None = None
    comment: str | None = None
    group: str | None = None
    choices: tuple[Any, ...] | None = None

    @property
    def target(self) -> str:
        """What the ballot judges: the proposal (rubric) or the group (approval)."""
        return self.proposal if self.form == "rubric" else self.group  # type: ignore[return-value]

    @classmethod
    def from_json(cls, raw: Any) -> Ballot:
        """Check the shape of a ballot; raise :class:`FormatError` naming what is wrong.
        The compiled reader (:mod:`shared.wire`) accepts; the checks below name a fault."""
        checked = wire.read_ballot(raw)
        if checked is not None:
            return cls.of_wire(raw, checked)
        return cls._explained(raw)

    @classmethod
    def of_wire(cls, raw: dict[str, Any], w: wire.BallotWire) -> Ballot:
        """The ballot ``raw`` that :mod:`shared.wire` has read as ``w``. (The fields are
        set as a frozen dataclass's ``__init__`` would, without its per-field cost.)"""
        b = cls.__new__(cls)
        if isinstance(w, wire.RubricWire):
            form, proposal, scores, comment, group, choices = (
                "rubric", w.proposal, w.scores, None if w.comment is msgspec.UNSET else w.comment, None, None
            )
        else:
            form, proposal, scores, comment, group, choices = "approval", None, None, None, w.group, tuple(w.choices)
        b.__dict__.update(
            raw=raw, event=w.event, reviewer=w.reviewer, channel=w.channel, kiosk=w.kiosk,
            created_at=w.created_at, nonce=w.nonce, form=form, proposal=proposal, scores=scores,
            comment=comment, group=group, choices=choices,
        )
        return b

    @classmethod
    def _explained(cls, raw: Any) -> Ballot:
        """The field-by-field checks, in the documented order: the first fault is named."""
        b = s.obj(raw, "ballot")
        unstorable = find_unstorable(b, "ballot")
        if unstorable is not None:
            raise FormatError(f"the ballot holds {unstorable}")
        form = b.get("form")
        if form == "rubric":
            s.keys(b, "rubric ballot", _RUBRIC_KEYS, _RUBRIC_OPTIONAL)
        elif form == "approval":
            s.keys(b, "approval ballot", _APPROVAL_KEYS)
        else:
            raise FormatError(f"ballot form must be rubric or approval, got {form!r}")
        s.const(b["v"], "ballot v", 1)
        s.const(b["type"], "ballot type", "ballot")
        channel = s.choice(b["channel"], "ballot channel", ("kiosk", "online"))
        kiosk = b["kiosk"]
        if channel == "kiosk":
            s.string(kiosk, "ballot kiosk", max_len=64)
        elif kiosk is not None:
            raise FormatError("an online ballot has kiosk null")
        parse_time(b["created_at"], what="ballot created_at")
        nonce = s.string(b["nonce"], "ballot nonce", max_len=36)
        if not _UUID.match(nonce):
            raise FormatError("ballot nonce must be a lower-case UUID")
        common = dict(
            raw=b,
            event=s.string(b["event"], "ballot event", max_len=64),
            reviewer=s.string(b["reviewer"], "ballot reviewer", max_len=64),
            channel=channel,
            kiosk=kiosk,
            created_at=b["created_at"],
            nonce=nonce,
            form=form,
        )
        if form == "rubric":
            scores = s.obj(b["scores"], "ballot scores")
            if len(scores) > 50:
                raise FormatError("ballot scores have too many criteria")
            comment = None
            if "comment" in b:  # optional, but never null
                comment = s.string(b["comment"], "ballot comment", max_len=MAX_COMMENT, empty=True)
            return cls(
                **common,
                proposal=s.string(b["proposal"], "ballot proposal", max_len=64),
                scores=dict(scores),
                comment=comment,
            )
        choices = s.array(b["choices"], "ballot choices", max_len=1000)
        for c in choices:
            s.string(c, "ballot choice", max_len=64)
        return cls(**common, group=s.string(b["group"], "ballot group", max_len=64), choices=tuple(choices))


@dataclass(frozen=True)
class SignedBallot:
    """``{"ballot": B, "sig": …}`` with its receipt id."""

    ballot: Ballot
    sig: str

    def to_json(self) -> dict[str, Any]:
        return {"ballot": self.ballot.raw, "sig": self.sig}

    @property
    def id(self) -> str:
        """The receipt: b64u(SHA-256(JCS(signed ballot)))."""
        return ballot_id(self.to_json())

    def verify(self, public_b64u: str) -> None:
        """Check the reviewer's signature; raise :class:`VerificationError`."""
        verify_b64u(public_b64u, jcs(self.ballot.raw), self.sig, what="ballot signature")

    @classmethod
    def from_json(cls, raw: Any, *, canonical: bytes | None = None) -> SignedBallot:
        """``canonical``: JCS(raw), when the caller already has it (saves encoding again)."""
        checked = wire.read_signed_ballot(raw, canonical)
        if checked is not None:
            return cls(Ballot.of_wire(raw["ballot"], checked.ballot), checked.sig)
        env = s.obj(raw, "signed ballot")
        s.keys(env, "signed ballot", {"ballot", "sig"})
        sig = s.string(env["sig"], "ballot sig", max_len=100)
        b64u_decode(sig, length=64, what="ballot sig")
        if len(jcs(env) if canonical is None else canonical) > MAX_SIGNED_BALLOT_BYTES:
            raise FormatError(f"a signed ballot is at most {MAX_SIGNED_BALLOT_BYTES} bytes")
        return cls(Ballot._explained(env["ballot"]), sig)


def ballot_id(signed_ballot: Any) -> str:
    """b64u(SHA-256(JCS(signed ballot))) of any JSON value."""
    return b64u(sha256(jcs(signed_ballot)))


def short_code(ballot_id_text: str) -> str:
    """The receipt's short code to read aloud: the first 40 bits of the id's hash in
    Crockford base32, ``XXXX-XXXX`` (see :mod:`shared.receipt`)."""
    return receipt.short_code(ballot_id_text)


def rubric_ballot(
    *,
    event: str,
    reviewer: str,
    channel: str,
    kiosk: str | None,
    created_at: str,
    nonce: str,
    proposal: str,
    scores: dict[str, int],
    comment: str | None = None,
) -> dict[str, Any]:
    """Build a rubric ballot object (not yet signed)."""
    b: dict[str, Any] = {
        "v": 1,
        "type": "ballot",
        "event": event,
        "reviewer": reviewer,
        "channel": channel,
        "kiosk": kiosk,
        "created_at": created_at,
        "nonce": nonce,
        "form": "rubric",
        "proposal": proposal,
        "scores": dict(scores),
    }
    if comment:
        b["comment"] = comment
    Ballot.from_json(b)
    return b


def approval_ballot(
    *,
    event: str,
    reviewer: str,
    channel: str,
    kiosk: str | None,
    created_at: str,
    nonce: str,
    group: str,
    choices: list[str],
) -> dict[str, Any]:
    """Build an approval ballot object (not yet signed)."""
    b: dict[str, Any] = {
        "v": 1,
        "type": "ballot",
        "event": event,
        "reviewer": reviewer,
        "channel": channel,
        "kiosk": kiosk,
        "created_at": created_at,
        "nonce": nonce,
        "form": "approval",
        "group": group,
        "choices": list(choices),
    }
    Ballot.from_json(b)
    return b


def sign_ballot(ballot: dict[str, Any], key: SigningKey) -> SignedBallot:
    """Sign a ballot object with the reviewer's key."""
    return SignedBallot(Ballot.from_json(ballot), key.sign_b64u(jcs(ballot)))
