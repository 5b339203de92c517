"""Kiosk enrolment and closing: registration (self-signed), status, the kiosk's closure,
and the staff actions that approve and close a kiosk (signed ledger statements)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from shared import schema as s
from shared.chain import GENESIS, verify_closure
from shared.credential import ID_RE
from shared.encoding import jcs
from shared.errors import FormatError, VerificationError
from shared.keys import public_key_from_b64u, verify_b64u
from shared.timefmt import format_time, parse_time

from ..context import Context
from ..db.schema import kiosks
from ..guards import guards_of, now_s
from ..throttle import Limited
from .batches import note_signed_head
from .errors import (
    BadSignature,
    ClosureMismatch,
    ClosureMissing,
    EventClosed,
    KioskKeyConflict,
    Malformed,
    NotFound,
    OverrideUnconfirmed,
    RateLimited,
    StateConflict,
    UnknownKiosk,
)
from .shape import OMIT_NONE, plain
from .staff import StaffMember, append_statement

log = logging.getLogger("simsa.server.kiosks")


@dataclass(frozen=True)
class KioskState:
    """A kiosk's enrolment: ``pending``, ``approved``, ``closed`` (or ``dismissed``)."""

    kiosk: str
    status: str


@dataclass(frozen=True)
class KioskSync:
    """What a kiosk asks before it syncs: its status and the head the server holds."""

    kiosk: str
    status: str  # unknown, pending, approved or closed
    synced_seq: int
    synced_hash: str


@dataclass(frozen=True)
class ClosureHeld:
    """A kiosk's closure, held (or, after staff closed the kiosk, kept as ``late``)."""

    kiosk: str
    status: str
    matches: bool
    synced_seq: int


@dataclass(frozen=True)
class Approved:
    """A kiosk enrolled by a ``kiosk`` statement at ``index`` (``sth`` when appended now)."""

    kiosk: str
    status: str
    index: int | None
    sth: dict[str, Any] | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True)
class AlreadyClosed:
    kiosk: str
    status: str
    index: int | None


@dataclass(frozen=True)
class KioskClosed:
    """A ``kiosk-close`` statement appended at ``index``."""

    kiosk: str
    status: str
    index: int
    closure_included: bool
    override: dict[str, Any] | None
    sth: dict[str, Any] | None


def check_registration(body: Any) -> dict[str, str]:
    """``{"kiosk","public_key","registered_at","sig"}`` signed by ``public_key`` over JCS
    without ``sig``; raise :class:`Malformed` or :class:`BadSignature`."""
    try:
        b = s.obj(body, "kiosk registration")
        s.keys(b, "kiosk registration", {"kiosk", "public_key", "registered_at", "sig"})
        if not isinstance(b["kiosk"], str) or not ID_RE.match(b["kiosk"]):
            raise FormatError("kiosk id must be 1-64 letters, digits, _ or -")
        public_key_from_b64u(s.string(b["public_key"], "public_key"), what="kiosk public_key")
        parse_time(b["registered_at"], what="registered_at")
        s.string(b["sig"], "sig")
    except FormatError as exc:
        raise Malformed(str(exc)) from exc
    unsigned = {k: v for k, v in b.items() if k != "sig"}
    try:
        verify_b64u(b["public_key"], jcs(unsigned), b["sig"], what="kiosk registration signature")
    except VerificationError as exc:
        raise BadSignature(str(exc)) from exc
    return {k: str(v) for k, v in b.items()}  # each checked to be text above, in the order sent


def require_enrolled(ctx: Context, kiosk: str) -> None:
    """``403 unknown_kiosk`` unless ``kiosk`` is approved (or closed): checked from the path
    before a batch's body is read."""
    with ctx.db.read() as conn:
        st = conn.execute(select(kiosks.c.status).where(kiosks.c.id == kiosk)).scalar_one_or_none()
    if st is None:
        raise UnknownKiosk(f"kiosk {kiosk} is not registered: register it and have staff approve it")
    if st == "pending":
        raise UnknownKiosk(f"kiosk {kiosk} is registered but staff have not approved it yet")


def _expire_pending(ctx: Context, conn: Connection) -> None:
    """Drop registrations left pending longer than ``pending_kiosk_hours``."""
    cutoff = (ctx.clock() - timedelta(hours=ctx.settings.pending_kiosk_hours)).replace(microsecond=0)
    conn.execute(delete(kiosks).where(kiosks.c.status == "pending", kiosks.c.requested_at < format_time(cutoff)))


def register(ctx: Context, body: Any, *, source: str | None = None) -> KioskState:
    """Register a kiosk's key: ``pending`` until staff approve it.
    A new registration from ``source`` (the client address) counts against
    ``registrations_per_address_hour``, at most ``pending_kiosks_per_address`` from one
    address and ``max_pending_kiosks`` in all wait at once (``429 rate_limited``); a registration pending longer than ``pending_kiosk_hours`` is dropped."""
    reg = check_registration(body)
    kid = reg["kiosk"]
    source = None if source is None else source[:64]  # as the kiosks table keeps it
    for _ in range(2):
        with ctx.db.write() as conn:
            row = conn.execute(select(kiosks.c.public_key, kiosks.c.status).where(kiosks.c.id == kid)).first()
            if row is None:
                _expire_pending(ctx, conn)
                _pending_room(ctx, conn, source)
                try:
                    conn.execute(
                        insert(kiosks).values(
                            id=kid,
                            public_key=reg["public_key"],
                            status="pending",
                            registration=json.dumps(reg),
                            requested_at=ctx.ledger.received_at(),
                            synced_seq=0,
                            synced_hash=GENESIS,
                            reported_seq=0,
                            accepted=0,
                            rejected=0,
                            source=source,
                        )
                    )
                except IntegrityError:
                    continue  # registered at the same moment by another process: look again
                return KioskState(kid, "pending")
        if row.public_key != reg["public_key"]:
            raise KioskKeyConflict(f"kiosk {kid} is registered with another key; choose a new kiosk id")
        return KioskState(kid, row.status)
    raise StateConflict("the registration raced with another; send it again")


def _pending_room(ctx: Context, conn: Connection, source: str | None) -> None:
    waiting = conn.execute(select(func.count()).select_from(kiosks).where(kiosks.c.status == "pending")).scalar_one()
    if waiting >= ctx.settings.max_pending_kiosks:
        raise RateLimited(f"{waiting} kiosks are waiting for staff approval already, the most "
                      "this server holds: ask staff to approve or dismiss some", retry_after=60)
    if source is not None:
        mine = conn.execute(select(func.count()).select_from(kiosks).where(
            kiosks.c.status == "pending", kiosks.c.source == source)).scalar_one()
        if mine >= ctx.settings.pending_kiosks_per_address:
            raise RateLimited(f"{mine} kiosk registrations from this address are waiting for staff "
                          "approval already, the most per address (pending_kiosks_per_address): ask staff to "
                          "approve or dismiss some", retry_after=60)
        try:
            guards_of(ctx).registrations.hit(source, now_s(), "kiosk registrations")
        except Limited as exc:
            raise RateLimited(f"more than {ctx.settings.registrations_per_address_hour} kiosk "
                          f"registrations from this address in an hour; retry in {exc.retry_after} s",
                          retry_after=exc.retry_after) from None


def dismiss(ctx: Context, who: StaffMember, kiosk: str) -> KioskState:
    """Drop a pending registration (nothing is on the ledger for it yet); the kiosk may
    register again. An approved or closed kiosk cannot be dismissed."""
    with ctx.db.write() as conn:
        row = conn.execute(select(kiosks.c.status).where(kiosks.c.id == kiosk)).first()
        if row is None:
            raise NotFound(f"no kiosk {kiosk} has registered")
        if row.status != "pending":
            raise StateConflict(f"kiosk {kiosk} is {row.status}, not pending: close it instead")
        conn.execute(delete(kiosks).where(kiosks.c.id == kiosk, kiosks.c.status == "pending"))
    log.info("pending kiosk %s dismissed by %s", kiosk, who.name)
    return KioskState(kiosk, "dismissed")


def status(ctx: Context, kiosk: str) -> KioskSync:
    """The kiosk's status and the head of its chain the server holds (``unknown``: none)."""
    with ctx.db.read() as conn:
        row = conn.execute(select(kiosks).where(kiosks.c.id == kiosk)).first()
    if row is None:
        return KioskSync(kiosk, "unknown", 0, GENESIS)
    return KioskSync(kiosk, row.status, int(row.synced_seq), row.synced_hash)


def submit_closure(ctx: Context, kiosk: str, body: Any) -> ClosureHeld:
    """Hold a kiosk's signed closure until staff close the kiosk; say whether it matches.
    Its head counts as the kiosk's latest signed head. A closure that arrives after staff
    closed the kiosk is kept all the same (``status`` ``late``), for staff to see."""
    with ctx.db.write() as conn:
        row = conn.execute(select(kiosks).where(kiosks.c.id == kiosk)).first()
        if row is None or row.status == "pending":
            raise UnknownKiosk(f"kiosk {kiosk} is not an approved kiosk")
        try:
            closure = verify_closure(body, row.public_key)
        except FormatError as exc:
            raise Malformed(str(exc)) from exc
        except VerificationError as exc:
            raise BadSignature(str(exc)) from exc
        if closure["kiosk"] != kiosk:
            raise Malformed(f"the closure names kiosk {closure['kiosk']!r}")
        conn.execute(update(kiosks).where(kiosks.c.id == kiosk).values(closure=json.dumps(closure)))
        note_signed_head(conn, kiosk, int(closure["seq"]), ctx.ledger.received_at())
    matches = (closure["seq"], closure["hash"]) == (int(row.synced_seq), row.synced_hash)
    held = "late" if row.status == "closed" else "held"
    return ClosureHeld(kiosk, held, matches, int(row.synced_seq))


@dataclass(frozen=True)
class KioskStake:
    """What closing a kiosk now would leave behind (it goes on the ledger, through
    :func:`shape.plain`, in an override)."""

    kiosk: str
    status: str
    signed_seq: int  # its latest signed head
    synced_seq: int  # the chain the server holds
    head_known: bool
    missing: dict[str, int] | None  # {"first", "last"} seq signed but not on the server
    last_contact: str | None
    closure: str  # matches, mismatch or none


def at_stake(row: Any) -> KioskStake:
    """What closing this kiosk now would leave behind: its latest signed head (a sync, a
    refused batch, a bundle or its closure) against the chain the server holds, the missing
    seq range, its last contact, and whether its closure matches."""
    closure = json.loads(row.closure) if row.closure else None
    signed = max(int(row.reported_seq), int(closure["seq"]) if closure else 0)
    synced = int(row.synced_seq)
    contacts = [t for t in (row.last_sync_at, row.reported_at) if t]
    matches = closure is not None and (closure["seq"], closure["hash"]) == (synced, row.synced_hash) and signed <= synced
    return KioskStake(
        kiosk=row.id,
        status=row.status,
        signed_seq=signed,
        synced_seq=synced,
        head_known=row.reported_at is not None or closure is not None,
        missing={"first": synced + 1, "last": signed} if signed > synced else None,
        last_contact=max(contacts) if contacts else None,
        closure="matches" if matches else ("none" if closure is None else "mismatch"),
    )


def check_override(confirm: Any, expected: str, reason: Any) -> str | None:
    """The typed override of a close: None when none was given, else its reason; raise
    :class:`OverrideUnconfirmed` when the confirmation or the reason is wrong."""
    if confirm in (None, "") and reason in (None, ""):
        return None
    if confirm != expected:
        raise OverrideUnconfirmed(f"type {expected} to confirm the override")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise OverrideUnconfirmed("give the reason for the override (1-500 characters); it goes on the ledger")
    return reason.strip()


def _stake_text(st: KioskStake) -> str:
    m = st.missing
    lost = f"seq {m['first']}-{m['last']} ({m['last'] - m['first'] + 1} records) signed but not on the server" if m else "no records known to be missing"
    head = f"last signed head seq {st.signed_seq}" if st.head_known else "no signed head since approval (what it holds is unknown)"
    return f"{head}, synced to {st.synced_seq}: {lost}; last contact {st.last_contact or 'never'}"


def approve(ctx: Context, who: StaffMember, kiosk: str) -> Approved:
    """Enrol a registered kiosk: a signed ``kiosk`` statement on the ledger."""
    with ctx.ledger.appending() as app:
        row = app.conn.execute(select(kiosks).where(kiosks.c.id == kiosk)).first()
        if row is None:
            raise NotFound(f"no kiosk {kiosk} has registered")
        if row.status != "pending":
            return Approved(kiosk, row.status, row.approved_index)
        if app.closed_index is not None:
            raise EventClosed("the event is closed")
        at = app.received_at()
        body = {"type": "kiosk", "event": ctx.manifest.event, "kiosk": kiosk, "key": row.public_key, "staff": who.name, "at": at}
        index = append_statement(app, who, body, at)
        app.conn.execute(
            update(kiosks).where(kiosks.c.id == kiosk).values(status="approved", approved_index=index, approved_by=who.name)
        )
    return Approved(kiosk, "approved", index, app.sth)


def close_kiosk(
    ctx: Context, who: StaffMember, kiosk: str, *, confirm: Any = None, reason: Any = None
) -> KioskClosed | AlreadyClosed:
    """Close an approved kiosk with a signed ``kiosk-close`` statement. It needs the kiosk's
    own closure matching the chain the server holds (it then goes in the statement).
    Without one, staff must override: type the kiosk id (``confirm``) and a ``reason``;
    the statement then carries ``override`` with the reason and what is at stake (the
    known-missing seq range). Records that arrive afterwards are still logged, as
    ``rejected`` ``kiosk_closed``."""
    why = check_override(confirm, kiosk, reason)
    with ctx.ledger.appending() as app:
        row = app.conn.execute(select(kiosks).where(kiosks.c.id == kiosk)).first()
        if row is None or row.status == "pending":
            raise NotFound(f"no approved kiosk {kiosk}")
        if row.status == "closed":
            return AlreadyClosed(kiosk, "closed", row.closed_index)
        if app.closed_index is not None:
            raise EventClosed("the event is closed")
        stake = at_stake(row)
        closure = json.loads(row.closure) if stake.closure == "matches" else None
        override: dict[str, Any] | None = None
        if closure is None:
            if why is None:
                code = "closure_mismatch" if stake.closure == "mismatch" else "closure_missing"
                first = "its closure does not match the server" if code == "closure_mismatch" else "it has sent no closure"
                refused = ClosureMismatch if code == "closure_mismatch" else ClosureMissing
                raise refused(
                    f"kiosk {kiosk}: {first}; {_stake_text(stake)}. Sync it or import its USB bundle and closure; "
                    f"or override: type the kiosk id and a reason (it goes on the ledger)",
                    stake=plain(stake),
                )
            held = plain(stake)
            override = {"reason": why, **{k: held[k] for k in ("signed_seq", "synced_seq", "missing", "last_contact", "closure")}}
        at = app.received_at()
        counts = {"synced_seq": int(row.synced_seq), "accepted": int(row.accepted), "rejected": int(row.rejected)}
        body = {
            "type": "kiosk-close",
            "event": ctx.manifest.event,
            "kiosk": kiosk,
            "closure": closure,
            "server_counts": counts,
            "staff": who.name,
            "at": at,
        }
        if override is not None:
            body["override"] = override
        index = append_statement(app, who, body, at)
        app.conn.execute(update(kiosks).where(kiosks.c.id == kiosk).values(status="closed", closed_index=index))
    return KioskClosed(kiosk, "closed", index, closure is not None, override, app.sth)
