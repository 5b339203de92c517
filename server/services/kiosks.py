"""Kiosk enrolment and closing: registration (self-signed), status, the kiosk's closure,
and the staff actions that approve and close a kiosk (signed ledger statements)."""

from __future__ import annotations

import json
import logging
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
from ..problems import Problem
from ..throttle import Limited
from .staff import StaffMember, append_statement

log = logging.getLogger("simsa.server.kiosks")


def check_registration(body: Any) -> dict[str, Any]:
    """``{"kiosk","public_key","registered_at","sig"}`` signed by ``public_key`` over JCS
    without ``sig``; raise :class:`Problem`."""
    try:
        b = s.obj(body, "kiosk registration")
        s.keys(b, "kiosk registration", {"kiosk", "public_key", "registered_at", "sig"})
        if not isinstance(b["kiosk"], str) or not ID_RE.match(b["kiosk"]):
            raise FormatError("kiosk id must be 1-64 letters, digits, _ or -")
        public_key_from_b64u(s.string(b["public_key"], "public_key"), what="kiosk public_key")
        parse_time(b["registered_at"], what="registered_at")
        s.string(b["sig"], "sig")
    except FormatError as exc:
        raise Problem(400, "malformed", str(exc)) from exc
    unsigned = {k: v for k, v in b.items() if k != "sig"}
    try:
        verify_b64u(b["public_key"], jcs(unsigned), b["sig"], what="kiosk registration signature")
    except VerificationError as exc:
        raise Problem(400, "bad_signature", str(exc)) from exc
    return dict(b)


def require_enrolled(ctx: Context, kiosk: str) -> None:
    """``403 unknown_kiosk`` unless ``kiosk`` is approved (or closed): checked from the path
    before a batch's body is read."""
    with ctx.db.read() as conn:
        st = conn.execute(select(kiosks.c.status).where(kiosks.c.id == kiosk)).scalar_one_or_none()
    if st is None:
        raise Problem(403, "unknown_kiosk", f"kiosk {kiosk} is not registered: register it and have staff approve it")
    if st == "pending":
        raise Problem(403, "unknown_kiosk", f"kiosk {kiosk} is registered but staff have not approved it yet")


def _expire_pending(ctx: Context, conn: Connection) -> None:
    """Drop registrations left pending longer than ``pending_kiosk_hours``."""
    cutoff = (ctx.clock() - timedelta(hours=ctx.settings.pending_kiosk_hours)).replace(microsecond=0)
    conn.execute(delete(kiosks).where(kiosks.c.status == "pending", kiosks.c.requested_at < format_time(cutoff)))


def register(ctx: Context, body: Any, *, source: str | None = None) -> tuple[int, dict[str, Any]]:
    """Register a kiosk's key: ``202 pending`` until staff approve it, then ``200``.
    A new registration from ``source`` (the client address) counts against
    ``registrations_per_address_hour``, and at most ``max_pending_kiosks`` wait at once
    (``429 rate_limited``); a registration pending longer than ``pending_kiosk_hours`` is dropped."""
    reg = check_registration(body)
    kid = reg["kiosk"]
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
                        )
                    )
                except IntegrityError:
                    continue  # registered at the same moment by another process: look again
                return 202, {"kiosk": kid, "status": "pending"}
        if row.public_key != reg["public_key"]:
            raise Problem(409, "kiosk_key_conflict", f"kiosk {kid} is registered with another key; choose a new kiosk id")
        return (202 if row.status == "pending" else 200), {"kiosk": kid, "status": row.status}
    raise Problem(409, "conflict", "the registration raced with another; send it again")


def _pending_room(ctx: Context, conn: Connection, source: str | None) -> None:
    waiting = conn.execute(select(func.count()).select_from(kiosks).where(kiosks.c.status == "pending")).scalar_one()
    if waiting >= ctx.settings.max_pending_kiosks:
        raise Problem(429, "rate_limited", f"{waiting} kiosks are waiting for staff approval already, the most "
                      "this server holds: ask staff to approve or dismiss some", retry_after=60)
    if source is not None:
        try:
            guards_of(ctx).registrations.hit(source, now_s(), "kiosk registrations")
        except Limited as exc:
            raise Problem(429, "rate_limited", f"more than {ctx.settings.registrations_per_address_hour} kiosk "
                          f"registrations from this address in an hour; retry in {exc.retry_after} s",
                          retry_after=exc.retry_after) from None


def dismiss(ctx: Context, who: StaffMember, kiosk: str) -> dict[str, Any]:
    """Drop a pending registration (nothing is on the ledger for it yet); the kiosk may
    register again. An approved or closed kiosk cannot be dismissed."""
    with ctx.db.write() as conn:
        row = conn.execute(select(kiosks.c.status).where(kiosks.c.id == kiosk)).first()
        if row is None:
            raise Problem(404, "not_found", f"no kiosk {kiosk} has registered")
        if row.status != "pending":
            raise Problem(409, "conflict", f"kiosk {kiosk} is {row.status}, not pending: close it instead")
        conn.execute(delete(kiosks).where(kiosks.c.id == kiosk, kiosks.c.status == "pending"))
    log.info("pending kiosk %s dismissed by %s", kiosk, who.name)
    return {"kiosk": kiosk, "status": "dismissed"}


def status(ctx: Context, kiosk: str) -> dict[str, Any]:
    with ctx.db.read() as conn:
        row = conn.execute(select(kiosks).where(kiosks.c.id == kiosk)).first()
    if row is None:
        return {"kiosk": kiosk, "status": "unknown", "synced_seq": 0, "synced_hash": GENESIS}
    return {"kiosk": kiosk, "status": row.status, "synced_seq": int(row.synced_seq), "synced_hash": row.synced_hash}


def submit_closure(ctx: Context, kiosk: str, body: Any) -> dict[str, Any]:
    """Hold a kiosk's signed closure until staff close the kiosk; say whether it matches."""
    with ctx.db.write() as conn:
        row = conn.execute(select(kiosks).where(kiosks.c.id == kiosk)).first()
        if row is None or row.status == "pending":
            raise Problem(403, "unknown_kiosk", f"kiosk {kiosk} is not an approved kiosk")
        try:
            closure = verify_closure(body, row.public_key)
        except FormatError as exc:
            raise Problem(400, "malformed", str(exc)) from exc
        except VerificationError as exc:
            raise Problem(400, "bad_signature", str(exc)) from exc
        if closure["kiosk"] != kiosk:
            raise Problem(400, "malformed", f"the closure names kiosk {closure['kiosk']!r}")
        if row.status == "closed":
            raise Problem(409, "kiosk_closed", f"kiosk {kiosk} is closed already")
        conn.execute(update(kiosks).where(kiosks.c.id == kiosk).values(closure=json.dumps(closure)))
    matches = (closure["seq"], closure["hash"]) == (int(row.synced_seq), row.synced_hash)
    return {"kiosk": kiosk, "status": "held", "matches": matches, "synced_seq": int(row.synced_seq)}


def approve(ctx: Context, who: StaffMember, kiosk: str) -> dict[str, Any]:
    """Enrol a registered kiosk: a signed ``kiosk`` statement on the ledger."""
    with ctx.ledger.appending() as app:
        row = app.conn.execute(select(kiosks).where(kiosks.c.id == kiosk)).first()
        if row is None:
            raise Problem(404, "not_found", f"no kiosk {kiosk} has registered")
        if row.status != "pending":
            return {"kiosk": kiosk, "status": row.status, "index": row.approved_index}
        if app.closed_index is not None:
            raise Problem(409, "event_closed", "the event is closed")
        at = app.received_at()
        body = {"type": "kiosk", "event": ctx.manifest.event, "kiosk": kiosk, "key": row.public_key, "staff": who.name, "at": at}
        index = append_statement(app, who, body, at)
        app.conn.execute(
            update(kiosks).where(kiosks.c.id == kiosk).values(status="approved", approved_index=index, approved_by=who.name)
        )
    return {"kiosk": kiosk, "status": "approved", "index": index, "sth": app.sth}


def close_kiosk(ctx: Context, who: StaffMember, kiosk: str, *, force: bool = False) -> dict[str, Any]:
    """Close an approved kiosk with a signed ``kiosk-close`` statement. The kiosk's own
    closure goes in when it matches what the server holds; a mismatch is refused unless
    ``force`` (then the closure is left out and the difference stays visible to staff)."""
    with ctx.ledger.appending() as app:
        row = app.conn.execute(select(kiosks).where(kiosks.c.id == kiosk)).first()
        if row is None or row.status == "pending":
            raise Problem(404, "not_found", f"no approved kiosk {kiosk}")
        if row.status == "closed":
            return {"kiosk": kiosk, "status": "closed", "index": row.closed_index}
        if app.closed_index is not None:
            raise Problem(409, "event_closed", "the event is closed")
        closure = json.loads(row.closure) if row.closure else None
        if closure is not None and (closure["seq"], closure["hash"]) != (int(row.synced_seq), row.synced_hash):
            if not force:
                raise Problem(
                    409,
                    "closure_mismatch",
                    f"kiosk {kiosk} closed at seq {closure['seq']} but the server holds its chain to "
                    f"{row.synced_seq}: import its bundle first, or close with force",
                    kiosk_seq=closure["seq"],
                    synced_seq=int(row.synced_seq),
                )
            closure = None
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
        index = append_statement(app, who, body, at)
        app.conn.execute(update(kiosks).where(kiosks.c.id == kiosk).values(status="closed", closed_index=index))
    return {"kiosk": kiosk, "status": "closed", "index": index, "closure_included": closure is not None, "sth": app.sth}
