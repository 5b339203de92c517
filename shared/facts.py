"""What a ballot or rejected entry of the ledger says on its own (DESIGN §4, §5).

:func:`ballot_facts` judges everything that needs no ledger state — the entry's shape,
the signed ballot's canonical bytes and receipt id, rules 1–4 and 7–11 — into a small
:class:`BallotFacts` that can travel between processes; :meth:`shared.replay.Replay.add_facts`
applies the rest in index order.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .ballot import SignedBallot
from .encoding import b64u, jcs, sha256
from .errors import FormatError
from .ledger import check_ballot_entry
from .manifest import Manifest
from .merge import BallotFields, ballot_fields
from .rules import StatelessVerdict, check_stateless
from .timefmt import parse_time


class BallotFacts(NamedTuple):
    """What a ballot or rejected entry says on its own, before the ledger's state is
    applied (:meth:`Replay.add_facts`): small enough to send between processes.

    ``error`` is the entry's shape problem (then nothing else is known); ``verdict`` the
    stateless rules' answer (None when ballots are not checked); ``fields`` and ``id``
    what merge and tally need of an accepted ballot (None with ``parse_error`` when the
    signed ballot does not parse); ``signed`` the parsed signed ballot when it is kept."""

    kind: str
    error: str | None
    received_at: str
    kiosk: str | None
    seq: int | None
    code: str | None
    sb_jcs: bytes
    verdict: StatelessVerdict | None
    id: str
    fields: BallotFields | None
    parse_error: str | None
    signed: SignedBallot | None

    @property
    def signature_ok(self) -> bool:
        """The ballot's signature verified with its reviewer's manifest key."""
        return self.verdict is not None and self.verdict.early is None


def ballot_facts(
    m: Manifest,
    entry: dict[str, Any],
    *,
    check: bool = True,
    signature_checked: bool = False,
    keep_signed: bool = True,
    entry_jcs: bytes | None = None,
) -> BallotFacts:
    """Judge a ``ballot`` or ``rejected`` entry as far as it can be judged alone: its shape,
    the canonical bytes of its signed ballot, and (``check``) rules 1–4 and 7–11.
    ``signature_checked``: the caller verified the signature (see :func:`check_ballot`).
    ``keep_signed=False`` leaves the parsed signed ballot out (it is rebuilt on demand
    from its bytes), as the auditor's workers do. ``entry_jcs``: JCS(entry), when the
    caller has it (the signed ballot's bytes are then cut out of it)."""
    kind = str(entry.get("type"))
    received = entry.get("received_at")
    received = received if isinstance(received, str) else ""
    try:
        check_ballot_entry(entry)
        sb = entry["signed_ballot"]
        # once: the chain record's hash and the receipt id both hash it
        cut = signed_ballot_bytes(entry_jcs, kind) if entry_jcs is not None else None
        sb_jcs = cut if cut is not None else jcs(sb)
    except FormatError as exc:
        return BallotFacts(kind, str(exc), received, None, None, None, b"", None, "", None, None, None)
    kiosk, seq, code = entry["kiosk"], entry["seq"], entry.get("code")
    channel = "kiosk" if kiosk is not None else "online"
    verdict = None
    parsed: SignedBallot | None = None
    parse_error = None
    if check:
        verdict = check_stateless(
            m, sb, channel=channel, kiosk=kiosk, signature_checked=signature_checked, canonical=sb_jcs,
            received_at=parse_time(received),  # check_ballot_entry parsed it already
        )
        parsed = verdict.signed
    elif kind == "ballot":
        try:
            parsed = SignedBallot.from_json(sb, canonical=sb_jcs)
        except FormatError as exc:
            parse_error = str(exc)
    fields = ballot_fields(parsed) if parsed is not None else None
    bid = b64u(sha256(sb_jcs)) if kind == "ballot" else ""  # ballot_id(sb)
    if verdict is not None and not keep_signed:
        verdict = verdict._replace(signed=None)
    return BallotFacts(
        kind,
        None,
        received,
        kiosk,
        seq,
        code,
        sb_jcs,
        verdict,
        bid,
        fields,
        parse_error,
        parsed if keep_signed else None,
    )


def signed_ballot_bytes(entry_jcs: bytes, kind: str) -> bytes | None:
    """JCS(signed ballot) cut out of JCS(entry) of a ballot or rejected entry whose shape
    holds (:func:`check_ballot_entry`): its members sort code, kiosk, received_at, seq,
    signed_ballot, type; JCS writes each value as its own JCS bytes, and the values before
    ``signed_ballot`` are strings (never an unescaped quote), integers or null. None when
    the bytes do not look like that."""
    tail = b',"type":"' + kind.encode() + b'"}'
    start = entry_jcs.find(b',"signed_ballot":')
    if start < 0 or not entry_jcs.startswith(b"{") or not entry_jcs.endswith(tail):
        return None
    return entry_jcs[start + 17 : len(entry_jcs) - len(tail)]
