"""Taking ballots in. Online ballots one by one here (``POST /api/v1/ballots``); kiosk
batches, sync or USB bundle, in :mod:`server.services.batches` (re-exported as
:func:`submit_batch`).

An online ballot passes the stateless checks, then — under the ledger lock — revocation
and closing, and is appended with its own STH; the same signed ballot again gets the
original receipt. Refusals are kept for staff and never logged on the ledger.
"""

from __future__ import annotations

from typing import Any, NoReturn

from sqlalchemy import Connection, func, insert, select

from ..context import Context
from ..db.schema import ballots
from ..guards import guards_of, now_s
from ..problems import Problem
from ..throttle import Limited
from .batches import submit_batch
from .entries import ballot_entry_text
from .precheck import EARLY_CODES, Prepared, final_code, on_time, prepare
from .refusals import keep_anonymous, revoked_among, status_for, store_rejection

#: Not a rule of DESIGN §5: the flood limit of ``merge.max_per_target`` (HTTP 422).
TOO_MANY = "too_many_ballots"

__all__ = ["keep_refused_body", "status_for", "store_rejection", "submit_batch", "submit_online"]


def _receipt(ctx: Context, conn: Connection, bid: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(ballots.c.idx, ballots.c.sth_size)
        .where(ballots.c.id == bid, ballots.c.kiosk.is_(None))
        .order_by(ballots.c.idx)
        .limit(1)
    ).first()
    if row is None:
        return None
    return {"id": bid, "index": int(row.idx), "sth": ctx.ledger.sth_at(conn, int(row.sth_size))}


def submit_online(
    ctx: Context, signed_ballot: Any, raw_text: str | None = None, source: str = ""
) -> tuple[int, dict[str, Any]]:
    """``POST /api/v1/ballots``: ``(201, receipt)``, ``(200, the original receipt)`` for a
    ballot already logged, or :class:`Problem` with the first failing rule's code — or a
    flood limit's: ``429 rate_limited`` past ``ballots_per_reviewer_minute`` new ballots a
    minute, ``422 too_many_ballots`` past ``merge.max_per_target`` for one target.
    ``source`` is the client address, for the refusals of unsigned input."""
    p = prepare(ctx.manifest, signed_ballot, "online", None, ctx.prechecker.keys)
    if p.code not in EARLY_CODES:
        with ctx.db.read() as conn:
            old = _receipt(ctx, conn, p.id)
        if old is not None:
            return 200, old
    if p.code in EARLY_CODES:
        _reject_online(ctx, p, raw_text, source)
    assert p.reviewer is not None
    try:
        guards_of(ctx).ballots.hit(p.reviewer, now_s(), "ballots")
    except Limited as exc:
        detail = f"{p.reviewer} sent more than {ctx.settings.ballots_per_reviewer_minute} ballots in a minute"
        keep_anonymous(ctx, f"reviewer {p.reviewer}", channel="online", reviewer=p.reviewer, code="rate_limited",
                       detail=detail, ballot_id=p.id)
        raise Problem(429, "rate_limited", f"{detail}; retry in {exc.retry_after} s", retry_after=exc.retry_after) from None
    code: str | None = None
    detail = ""
    out: dict[str, Any] | None = None
    with ctx.ledger.appending() as app:
        old = _receipt(ctx, app.conn, p.id)
        if old is not None:
            return 200, old
        assert p.reviewer is not None
        code, detail = final_code(p, bool(revoked_among(app.conn, {p.reviewer})), app.closed_index is not None)
        received = app.received_at()
        if code is None:  # rule 11 by the server's clock, the last rule (DESIGN §5)
            code, detail = on_time(ctx.manifest, "online", p, received)
        if code is None and _sent_for(app.conn, p) >= ctx.manifest.max_per_target:
            code, detail = TOO_MANY, (
                f"{p.reviewer} has {ctx.manifest.max_per_target} ballots for {p.target} already, "
                "the most this event takes (merge.max_per_target)"
            )
        if code is None:
            index = app.append_text("ballot", ballot_entry_text(p.sb_text, received, None, None))
            app.conn.execute(
                insert(ballots).values(
                    idx=index,
                    id=p.id,
                    reviewer=p.reviewer,
                    target=p.target,
                    channel="online",
                    kiosk=None,
                    seq=None,
                    created_at=p.created_at,
                    sth_size=app.next_index,
                )
            )
            out = {"id": p.id, "index": index}
    if code is not None:
        _reject_online(ctx, Prepared(code, detail, p.sb_text, p.id, p.reviewer, p.target, p.created_at), raw_text, source)
    assert out is not None and app.sth is not None
    out["sth"] = app.sth
    return 201, out


def _sent_for(conn: Connection, p: Prepared) -> int:
    """Distinct ballots of this reviewer for this target on the ledger (any channel)."""
    q = select(func.count()).select_from(ballots).where(ballots.c.reviewer == p.reviewer, ballots.c.target == p.target)
    return int(conn.execute(q).scalar_one())


def _reject_online(ctx: Context, p: Prepared, raw_text: str | None, source: str = "") -> NoReturn:
    assert p.code is not None
    row: dict[str, Any] = {"channel": "online", "reviewer": p.reviewer, "code": p.code, "detail": p.detail, "ballot_id": p.id,
           "body": raw_text if raw_text is not None else p.sb_text}
    if p.code in EARLY_CODES:  # signed by nobody we know: anyone could send it, again and again
        keep_anonymous(ctx, source, **row)
    else:
        store_rejection(ctx, **row)
    raise Problem(422 if p.code == TOO_MANY else status_for(p.code), p.code, p.detail, id=p.id)


def keep_refused_body(ctx: Context, problem: Problem, raw_text: str | None, source: str = "") -> None:
    """An online body that did not even parse: keep its code, hash and prefix for staff."""
    keep_anonymous(ctx, source, channel="online", code=problem.code, detail=problem.detail, body=raw_text)
