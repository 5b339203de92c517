"""Ledger entries, signed statements and signed tree heads (DESIGN §4, normative).

Leaf data is ``JCS(entry)``. Staff and authority actions are *statements*: the entry
carries the statement, who signed it and the Ed25519 signature over ``JCS(statement)``,
so an auditor can check each action without trusting the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import schema as s
from . import wire
from .encoding import b64u, b64u_decode, jcs
from .errors import BALLOT_CODES, RECORD_CODES, FormatError
from .keys import SigningKey, public_key_from_b64u, verify_b64u
from .merkle import leaf_hash
from .timefmt import parse_time

ENTRY_TYPES = ("manifest", "kiosk", "ballot", "revocation", "rejected", "resolution", "kiosk-close", "close")
STATEMENT_TYPES = ("kiosk", "revocation", "resolution", "kiosk-close", "close")
SIGNER_ROLES = ("staff", "authority")


#: Fields of each statement body beyond ``type`` and ``event``: name → JSON type(s).
#: ``staff`` is present exactly when a staff member signed; ``reason`` is free text and
#: ``at`` the RFC 3339 time the statement was made. Other fields are allowed (they are
#: signed, e.g. the server's ``server_counts``) and ignored by replay.
STATEMENT_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "kiosk": {"kiosk": (str,), "key": (str,)},
    "revocation": {"reviewer": (str,)},
    "resolution": {"reviewer": (str,), "target": (str,), "ballot": (str,)},
    "kiosk-close": {"kiosk": (str,), "closure": (dict, type(None))},
    "close": {"results_hash": (str,)},
}


def statement(kind: str, event: str, staff: str | None = None, **fields: Any) -> dict[str, Any]:
    """A statement body ``{"type": kind, "event": event, …fields, "staff"?}`` (checked)."""
    body: dict[str, Any] = {"type": kind, "event": event, **fields}
    if staff is not None:
        body["staff"] = staff
    check_statement_body(body)
    return body


def check_statement_body(body: Any) -> dict[str, Any]:
    """Check a statement body has its type's fields, each of the right JSON type."""
    if wire.read_statement(body) is not None:  # the compiled reader accepts
        return dict(body)
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


def check_override(value: Any, kind: str) -> dict[str, Any]:
    """The ``override`` of a ``kiosk-close`` or ``close`` statement: staff closed although
    records were known to be missing (or no closure matched). ``reason`` (typed by staff,
    1–500 characters) is required; ``missing`` is ``{"first", "last"}`` or null."""
    if kind not in ("kiosk-close", "close"):
        raise FormatError(f"a {kind} statement has no override")
    o = s.obj(value, f"{kind} override")
    reason = s.string(o.get("reason"), f"{kind} override reason", max_len=500)
    if not reason.strip():
        raise FormatError(f"a {kind} override needs a reason")
    if o.get("missing") is not None:
        check_range(o["missing"], f"{kind} override missing")
    for k in s.array(o.get("kiosks", []), f"{kind} override kiosks", max_len=10_000):
        s.obj(k, f"{kind} override kiosk")
        if k.get("missing") is not None:
            check_range(k["missing"], f"{kind} override kiosk missing")
    return dict(o)


def check_range(value: Any, what: str) -> tuple[int, int]:
    """``{"first": a, "last": b}`` with 1 ≤ a ≤ b."""
    r = s.obj(value, what)
    s.keys(r, what, {"first", "last"})
    first, last = s.integer(r["first"], f"{what} first", lo=1), s.integer(r["last"], f"{what} last", lo=1)
    if first > last:
        raise FormatError(f"{what}: first {first} is after last {last}")
    return first, last


def check_ballot_entry(entry: Any) -> dict[str, Any]:
    """Shape of a ``ballot`` or ``rejected`` entry (the ballot itself is judged by the rules)."""
    if wire.read_ballot_entry(entry) is not None:  # the compiled reader accepts
        return dict(entry)
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


def entry_leaf_hash(entry: dict[str, Any]) -> bytes:
    """SHA-256(0x00 ‖ JCS(entry))."""
    return leaf_hash(jcs(entry))


def manifest_entry(signed_manifest: dict[str, Any], received_at: str) -> dict[str, Any]:
    return {"type": "manifest", "received_at": received_at, "signed_manifest": signed_manifest}


def ballot_entry(
    signed_ballot: dict[str, Any], received_at: str, kiosk: str | None, seq: int | None
) -> dict[str, Any]:
    return {
        "type": "ballot",
        "received_at": received_at,
        "signed_ballot": signed_ballot,
        "kiosk": kiosk,
        "seq": seq,
    }


def rejected_entry(signed_ballot: Any, received_at: str, kiosk: str, seq: int, code: str) -> dict[str, Any]:
    return {
        "type": "rejected",
        "received_at": received_at,
        "signed_ballot": signed_ballot,
        "kiosk": kiosk,
        "seq": seq,
        "code": code,
    }


def statement_entry(
    statement: dict[str, Any], signer_role: str, signer_id: str | None, key: SigningKey, received_at: str
) -> dict[str, Any]:
    """Sign a statement and wrap it as a ledger entry of the statement's type."""
    if statement.get("type") not in STATEMENT_TYPES:
        raise FormatError(f"not a statement type: {statement.get('type')!r}")
    return {
        "type": statement["type"],
        "received_at": received_at,
        "statement": statement,
        "signer": {"role": signer_role, "id": signer_id, "key": key.public_b64u},
        "sig": key.sign_b64u(jcs(statement)),
    }


@dataclass(frozen=True)
class Statement:
    type: str
    body: dict[str, Any]
    signer_role: str
    signer_id: str | None
    signer_key: str


def verify_statement_entry(entry: Any, *, event: str, authority_key: str) -> Statement:
    """Check a statement entry's shape and signature. An authority statement must be
    signed by the manifest's authority key. Raise :class:`FormatError` or
    :class:`VerificationError`."""
    e = s.obj(entry, "statement entry")
    s.keys(e, "statement entry", {"type", "received_at", "statement", "signer", "sig"})
    parse_time(e["received_at"], what=f"{e['type']} entry received_at")
    body = check_statement_body(e["statement"])
    if body["type"] != e["type"]:
        raise FormatError("the statement's type does not match its entry")
    if body["event"] != event:
        raise FormatError(f"the statement is for event {body.get('event')!r}")
    signer = s.obj(e["signer"], "signer")
    s.keys(signer, "signer", {"role", "id", "key"})
    role = s.choice(signer["role"], "signer role", SIGNER_ROLES)
    if role == "authority" and signer["key"] != authority_key:
        raise FormatError("an authority statement signed by a key that is not the authority's")
    public_key_from_b64u(s.string(signer["key"], "signer key"), what="signer key")
    if role == "staff":
        s.string(signer["id"], "staff id", max_len=64)
        if body.get("staff") != signer["id"]:
            raise FormatError("the statement names another staff member than its signer")
    verify_b64u(
        signer["key"], jcs(body), s.string(e["sig"], "statement sig"), what=f"{e['type']} statement signature"
    )
    return Statement(e["type"], dict(body), role, signer["id"], signer["key"])


# --- Signed tree heads ------------------------------------------------------------------


def sth_body(event: str, tree_size: int, root_hash: bytes, timestamp_ms: int) -> dict[str, Any]:
    return {"event": event, "tree_size": tree_size, "root_hash": b64u(root_hash), "timestamp": timestamp_ms}


def sign_sth(
    event: str, tree_size: int, root_hash: bytes, timestamp_ms: int, key: SigningKey
) -> dict[str, Any]:
    """``{"event","tree_size","root_hash","timestamp","sig"}`` signed over JCS without sig."""
    body = sth_body(event, tree_size, root_hash, timestamp_ms)
    return {**body, "sig": key.sign_b64u(jcs(body))}


@dataclass(frozen=True)
class TreeHead:
    event: str
    tree_size: int
    root_hash: bytes
    timestamp: int
    sig: str

    def to_json(self) -> dict[str, Any]:
        return {**sth_body(self.event, self.tree_size, self.root_hash, self.timestamp), "sig": self.sig}


def verify_sth(sth: Any, ledger_key: str, *, event: str | None = None) -> TreeHead:
    """Parse and check a signed tree head against the ledger key."""
    h = s.obj(sth, "STH")
    s.keys(h, "STH", {"event", "tree_size", "root_hash", "timestamp", "sig"})
    size = s.integer(h["tree_size"], "STH tree_size", lo=0)
    root = b64u_decode(s.string(h["root_hash"], "STH root_hash"), length=32, what="STH root_hash")
    ts = s.integer(h["timestamp"], "STH timestamp", lo=0)
    ev = s.string(h["event"], "STH event", max_len=64)
    if event is not None and ev != event:
        raise FormatError(f"the STH is for event {ev!r}, not {event!r}")
    body = sth_body(ev, size, root, ts)
    verify_b64u(ledger_key, jcs(body), s.string(h["sig"], "STH sig"), what="STH signature")
    return TreeHead(ev, size, root, ts, h["sig"])
