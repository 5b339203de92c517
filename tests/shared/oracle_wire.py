"""The wire-shape checks as they were before :mod:`shared.wire` (the field-by-field
Python readers of shared/ballot.py, chain.py and ledger.py at c65d4a6), kept verbatim as
the oracle the compiled readers are held against in ``test_wire.py``. Each returns what
the production reader returns, or raises :class:`FormatError` with the same message."""

from __future__ import annotations

import re
from typing import Any

from shared import schema as s
from shared.chain import record_hash_of
from shared.encoding import b64u_decode, jcs
from shared.errors import BALLOT_CODES, RECORD_CODES, FormatError
from shared.ledger import STATEMENT_FIELDS, STATEMENT_TYPES, check_override
from shared.text import find_unstorable
from shared.timefmt import parse_time

MAX_COMMENT = 500
MAX_SIGNED_BALLOT_BYTES = 8192
_UUID = re.compile(r"\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_COMMON = frozenset({"v", "type", "event", "reviewer", "channel", "kiosk", "created_at", "nonce", "form"})
_RUBRIC_KEYS, _RUBRIC_OPTIONAL = set(_COMMON | {"proposal", "scores"}), {"comment"}
_APPROVAL_KEYS = set(_COMMON | {"group", "choices"})


def ballot(raw: Any) -> dict[str, Any]:
    """Ballot.from_json: the parsed fields (as a dict) of a ballot."""
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
    common: dict[str, Any] = dict(
        raw=b,
        event=s.string(b["event"], "ballot event", max_len=64),
        reviewer=s.string(b["reviewer"], "ballot reviewer", max_len=64),
        channel=channel,
        kiosk=kiosk,
        created_at=b["created_at"],
        nonce=nonce,
        form=form,
        proposal=None, scores=None, comment=None, group=None, choices=None,
    )
    if form == "rubric":
        scores = s.obj(b["scores"], "ballot scores")
        if len(scores) > 50:
            raise FormatError("ballot scores have too many criteria")
        comment = None
        if "comment" in b:  # optional, but never null
            comment = s.string(b["comment"], "ballot comment", max_len=MAX_COMMENT, empty=True)
        return {**common, "proposal": s.string(b["proposal"], "ballot proposal", max_len=64),
                "scores": dict(scores), "comment": comment}
    choices = s.array(b["choices"], "ballot choices", max_len=1000)
    for c in choices:
        s.string(c, "ballot choice", max_len=64)
    return {**common, "group": s.string(b["group"], "ballot group", max_len=64), "choices": tuple(choices)}


def signed_ballot(raw: Any, *, canonical: bytes | None = None) -> tuple[dict[str, Any], str]:
    """SignedBallot.from_json: (the ballot's fields, sig)."""
    env = s.obj(raw, "signed ballot")
    s.keys(env, "signed ballot", {"ballot", "sig"})
    sig = s.string(env["sig"], "ballot sig", max_len=100)
    b64u_decode(sig, length=64, what="ballot sig")
    if len(jcs(env) if canonical is None else canonical) > MAX_SIGNED_BALLOT_BYTES:
        raise FormatError(f"a signed ballot is at most {MAX_SIGNED_BALLOT_BYTES} bytes")
    return ballot(env["ballot"]), sig


def record_shape(raw: Any, what: str = "record") -> dict[str, Any]:
    """chain.check_record_shape."""
    r = s.obj(raw, what)
    s.keys(r, what, {"seq", "prev", "signed_ballot"})
    s.integer(r["seq"], f"{what} seq", lo=1)
    b64u_decode(s.string(r["prev"], f"{what} prev"), length=32, what=f"{what} prev")
    s.obj(r["signed_ballot"], f"{what} signed_ballot")
    return dict(r)


def batch(raw: Any, *, max_records: int = 500) -> tuple[str, tuple[dict[str, Any], ...], dict[str, Any], tuple[bytes, ...], tuple[str, ...]]:
    """Batch.from_json: (kiosk, records, head, signed_jcs, hashes)."""
    b = s.obj(raw, "batch")
    s.keys(b, "batch", {"kiosk", "records", "head"})
    kiosk = s.string(b["kiosk"], "batch kiosk", max_len=64)
    records = [
        record_shape(r, f"record {i}")
        for i, r in enumerate(s.array(b["records"], "batch records", max_len=max_records))
    ]
    head = s.obj(b["head"], "batch head")
    s.keys(head, "batch head", {"kiosk", "seq", "hash", "sig"})
    if head["kiosk"] != kiosk:
        raise FormatError("the batch head names another kiosk")
    seq = s.integer(head["seq"], "head seq", lo=0)
    b64u_decode(s.string(head["hash"], "head hash"), length=32, what="head hash")
    b64u_decode(s.string(head["sig"], "head sig"), length=64, what="head sig")
    signed = tuple(jcs(r["signed_ballot"]) for r in records)
    hashes = [record_hash_of(r["seq"], r["prev"], sbj) for r, sbj in zip(records, signed, strict=True)]
    for i in range(1, len(records)):
        a, c = records[i - 1], records[i]
        if c["seq"] != a["seq"] + 1:
            raise FormatError(f"records jump from seq {a['seq']} to {c['seq']}")
        if c["prev"] != hashes[i - 1]:
            raise FormatError(f"record {c['seq']} does not link to record {a['seq']}")
    if records and (seq != records[-1]["seq"] or head["hash"] != hashes[-1]):
        raise FormatError("the batch head does not name its last record")
    return kiosk, tuple(records), dict(head), signed, tuple(hashes)


def ballot_entry(entry: Any) -> dict[str, Any]:
    """ledger.check_ballot_entry."""
    e = s.obj(entry, "ballot entry")
    kind = s.choice(e.get("type"), "entry type", ("ballot", "rejected"))
    base = {"type", "received_at", "signed_ballot", "kiosk", "seq"}
    s.keys(e, f"{kind} entry", base | {"code"} if kind == "rejected" else base)
    parse_time(e["received_at"], what=f"{kind} entry received_at")
    if e["kiosk"] is None:
        if e["seq"] is not None or kind == "rejected":
            raise FormatError("an online ballot entry has kiosk null and seq null (and is never rejected)")
    else:
        s.string(e["kiosk"], f"{kind} entry kiosk", max_len=64)
        s.integer(e["seq"], f"{kind} entry seq", lo=1)
    if kind == "rejected":
        s.choice(e["code"], "rejected entry code", BALLOT_CODES + RECORD_CODES)
    return dict(e)


def statement_body(body: Any) -> dict[str, Any]:
    """ledger.check_statement_body."""
    b = s.obj(body, "statement")
    kind = s.choice(b.get("type"), "statement type", STATEMENT_TYPES)
    s.string(b.get("event"), f"{kind} statement event", max_len=64)
    for name, types in STATEMENT_FIELDS[kind].items():
        if name not in b:
            raise FormatError(f"a {kind} statement needs {name}")
        if isinstance(b[name], bool) or not isinstance(b[name], types):
            raise FormatError(f"{kind} statement {name} has the wrong type")
    if kind == "kiosk":
        s.string(b["kiosk"], "kiosk statement kiosk", max_len=64)
        b64u_decode(b["key"], length=32, what="kiosk statement key")
    if "staff" in b:
        s.string(b["staff"], f"{kind} statement staff", max_len=64)
    if "reason" in b:
        s.string(b["reason"], f"{kind} statement reason", max_len=500, empty=True)
    if "at" in b:
        parse_time(b["at"], what=f"{kind} statement at")
    if "override" in b:
        check_override(b["override"], kind)
    return dict(b)
