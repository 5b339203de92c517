"""Staff actions on the event, each a signed statement on the ledger: revocations (made by
staff, or imported when the organiser signed them with the authority key), conflict
resolutions, and closing the event with the hash of its results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select

from shared import schema as s
from shared.encoding import jcs
from shared.errors import FormatError, VerificationError
from shared.keys import verify_b64u
from shared.ledger import verify_statement_entry
from shared.tally import results_hash
from shared.timefmt import parse_time

from ..context import Context
from ..db.schema import ballots, kiosks, resolutions, revocations
from ..ledger.store import Appender
from .errors import BadSignature, EventClosed, KiosksUnreconciled, Malformed, NotFound
from .kiosks import KioskStake, at_stake, check_override
from .shape import OMIT_NONE, plain
from .staff import StaffMember, append_statement

MAX_REASON = 500


@dataclass(frozen=True)
class Revocation:
    """A reviewer's revocation at ``index``: ``new`` when appended now (with its ``sth``)."""

    reviewer: str
    index: int
    new: bool
    sth: dict[str, Any] | None = field(default=None, metadata=OMIT_NONE)


@dataclass(frozen=True)
class Resolution:
    """A conflict decided by the ``resolution`` statement at ``index``."""

    reviewer: str
    target: str
    ballot: str
    index: int
    sth: dict[str, Any] | None


@dataclass(frozen=True)
class EventClose:
    """The ``close`` statement at ``index`` and the results it fixed; ``open_kiosks``:
    approved kiosks left open (their later records are logged, never counted)."""

    index: int
    results_hash: str
    sth: dict[str, Any] | None
    open_kiosks: list[str]


def _reason(value: Any) -> str:
    try:
        return s.string(value, "reason", max_len=MAX_REASON)
    except FormatError as exc:
        raise Malformed(str(exc)) from exc


def _open(app: Appender) -> None:
    if app.closed_index is not None:
        raise EventClosed("the event is closed; the ledger takes no more entries")


def revoke(ctx: Context, who: StaffMember, reviewer: Any, reason: Any) -> Revocation:
    """Revoke a reviewer's credential: a staff-signed ``revocation`` statement."""
    if not isinstance(reviewer, str) or reviewer not in ctx.manifest.reviewers:
        raise NotFound(f"no reviewer {reviewer!r} in the manifest")
    why = _reason(reason)
    with ctx.ledger.appending() as app:
        old = app.conn.execute(select(revocations.c.idx).where(revocations.c.reviewer == reviewer)).first()
        if old is not None:
            return Revocation(reviewer, int(old.idx), new=False)
        _open(app)
        at = app.received_at()
        body = {"type": "revocation", "event": ctx.manifest.event, "reviewer": reviewer, "reason": why, "at": at, "staff": who.name}
        index = append_statement(app, who, body, at)
        app.conn.execute(insert(revocations).values(reviewer=reviewer, idx=index, signer=who.name, reason=why))
    return Revocation(reviewer, index, new=True, sth=app.sth)


def import_revocation(ctx: Context, who: StaffMember, signed: Any) -> Revocation:
    """Put an organiser's revocation on the ledger: ``{"statement": {"type": "revocation",
    "event", "reviewer", "reason", "at"}, "sig"}`` signed with the authority key."""
    m = ctx.manifest
    try:
        env = s.obj(signed, "signed revocation")
        s.keys(env, "signed revocation", {"statement", "sig"})
        st = s.obj(env["statement"], "revocation statement")
        s.keys(st, "revocation statement", {"type", "event", "reviewer", "reason", "at"})
        if st["type"] != "revocation":
            raise FormatError("the statement is not a revocation")
        if st["event"] != m.event:
            raise FormatError(f"the revocation is for event {st['event']!r}")
        parse_time(st["at"], what="revocation at")
        _reason(st["reason"])
        verify_b64u(m.authority_key, jcs(st), s.string(env["sig"], "sig"), what="authority revocation signature")
    except FormatError as exc:
        raise Malformed(str(exc)) from exc
    except VerificationError as exc:
        raise BadSignature(str(exc)) from exc
    reviewer = st["reviewer"]
    if reviewer not in m.reviewers:
        raise NotFound(f"no reviewer {reviewer!r} in the manifest")
    with ctx.ledger.appending() as app:
        old = app.conn.execute(select(revocations.c.idx).where(revocations.c.reviewer == reviewer)).first()
        if old is not None:
            return Revocation(reviewer, int(old.idx), new=False)
        _open(app)
        entry = {
            "type": "revocation",
            "received_at": app.received_at(),
            "statement": dict(st),
            "signer": {"role": "authority", "id": None, "key": m.authority_key},
            "sig": env["sig"],
        }
        verify_statement_entry(entry, event=m.event, authority_key=m.authority_key)
        index = app.append(entry)
        app.conn.execute(
            insert(revocations).values(reviewer=reviewer, idx=index, signer=f"authority (imported by {who.name})", reason=st["reason"])
        )
    return Revocation(reviewer, index, new=True, sth=app.sth)


def resolve(ctx: Context, who: StaffMember, reviewer: Any, target: Any, ballot: Any, reason: Any) -> Resolution:
    """Decide a conflict: a staff-signed ``resolution`` naming the effective ballot."""
    why = _reason(reason)
    if not all(isinstance(x, str) for x in (reviewer, target, ballot)):
        raise Malformed("reviewer, target and ballot must be strings")
    with ctx.ledger.appending() as app:
        _open(app)
        row = app.conn.execute(
            select(ballots.c.idx).where(ballots.c.id == ballot, ballots.c.reviewer == reviewer, ballots.c.target == target)
        ).first()
        if row is None:
            raise NotFound(f"no accepted ballot {ballot} by {reviewer} for {target}")
        at = app.received_at()
        body = {
            "type": "resolution",
            "event": ctx.manifest.event,
            "reviewer": reviewer,
            "target": target,
            "ballot": ballot,
            "reason": why,
            "staff": who.name,
            "at": at,
        }
        index = append_statement(app, who, body, at)
        app.conn.execute(
            insert(resolutions).values(idx=index, reviewer=reviewer, target=target, ballot=ballot, staff=who.name, reason=why)
        )
    return Resolution(reviewer, target, ballot, index, app.sth)


def unreconciled(conn: Connection) -> list[KioskStake]:
    """Kiosks that closing the event now would leave behind: not closed (pending or
    approved), or with signed records the server does not hold (:func:`kiosks.at_stake`)."""
    out = []
    for row in conn.execute(select(kiosks).order_by(kiosks.c.id)):
        st = at_stake(row)
        if row.status != "closed" or st.missing is not None:
            out.append(st)
    return out


def close_event(ctx: Context, who: StaffMember, *, reason: Any = None) -> EventClose:
    """Close the event: recompute the results from the ledger and append a signed ``close``
    statement with their hash. Only kiosk records can be added afterwards, and only as
    ``rejected`` ``event_closed`` entries that never count. While a kiosk is open or behind
    staff must give a ``reason`` (the override goes in the statement with those kiosks)."""
    why = check_override(ctx.manifest.event if reason not in (None, "") else None, ctx.manifest.event, reason)
    with ctx.ledger.appending() as app:
        if app.closed_index is not None:
            raise EventClosed("the event is closed already")
        left = unreconciled(app.conn)
        if left and why is None:
            names = ", ".join(
                f"{k.kiosk} ({k.status}{', missing ' + str(k.missing['first']) + '-' + str(k.missing['last']) if k.missing else ''})"
                for k in left[:20]
            )
            raise KiosksUnreconciled(
                f"{len(left)} kiosk(s) are open or behind: {names}. Close each kiosk first, "
                f"or override with a reason (it goes on the ledger)", kiosks=plain(left))
        state = ctx.replayed.state(app.conn, app.size)
        results = state.results()
        digest = results_hash(results)
        at = app.received_at()
        body: dict[str, Any] = {"type": "close", "event": ctx.manifest.event, "results_hash": digest, "staff": who.name, "at": at}
        if left:
            assert why is not None
            body["override"] = {"reason": why, "kiosks": plain(left)}
        index = append_statement(app, who, body, at)
        app.set_closed(index, digest)
        still_open = sorted(r.id for r in app.conn.execute(select(kiosks.c.id).where(kiosks.c.status == "approved")))
    return EventClose(index, digest, app.sth, still_open)
