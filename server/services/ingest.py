"""Taking ballots in. Online ballots one by one here (``POST /api/v1/ballots``); kiosk
batches, sync or USB bundle, in :mod:`server.services.batches` (re-exported as
:func:`submit_batch`).

An online ballot passes the stateless checks, then waits for the integrator
(:mod:`server.services.sequencer`), which applies revocation, closing and the window under
the ledger lock and appends it with the other submissions of its group under one STH; the
same signed ballot again gets the original receipt. Refusals are kept for staff and never logged on the ledger.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from anyio import to_thread
from sqlalchemy import Connection, func, select

from ..context import Context
from ..db.schema import ballots
from ..guards import guards_of, now_s
from ..throttle import Limited
from .batches import submit_batch
from .entries import ballot_entry_text
from .errors import RateLimited, Refused
from .precheck import EARLY_CODES, Prepared, final_code, on_time, prepare
from .refusals import keep_anonymous, revoked_among, store_rejection
from .sequencer import Committed, Group

#: Not a rule of DESIGN §5: the flood limit of ``merge.max_per_target`` (HTTP 422).
TOO_MANY = "too_many_ballots"

__all__ = ["OnlineTaken", "Receipt", "keep_refused_body", "store_rejection", "submit_batch", "submit_online", "submit_online_async"]


@dataclass(frozen=True)
class Receipt:
    """An online ballot's receipt: its ledger index and an STH that covers it."""

    id: str
    index: int
    sth: dict[str, Any]


@dataclass(frozen=True)
class OnlineTaken:
    """An online ballot taken: ``new`` is False when it was logged before and ``receipt``
    is its original one."""

    receipt: Receipt
    new: bool


@dataclass(frozen=True)
class _Appended:
    """Appended by the job's group (or earlier in it): the group's STH is added after."""

    id: str
    index: int
    new: bool


def _receipt(ctx: Context, conn: Connection, bid: str) -> Receipt | None:
    row = conn.execute(
        select(ballots.c.idx, ballots.c.sth_size)
        .where(ballots.c.id == bid, ballots.c.kiosk.is_(None))
        .order_by(ballots.c.idx)
        .limit(1)
    ).first()
    if row is None:
        return None
    sth = ctx.ledger.sth_at(conn, int(row.sth_size))
    assert sth is not None  # written in the transaction that logged the ballot
    return Receipt(bid, int(row.idx), sth)


@dataclass(frozen=True)
class _Refused:
    """A state rule (revoked, closed, window, flood limit) refused the ballot under the lock."""

    code: str
    detail: str


@dataclass
class OnlineBallot:
    """An online ballot past the stateless checks, waiting for the integrator."""

    ctx: Context
    p: Prepared
    size: int = 1

    def apply(self, g: Group) -> _Appended | Receipt | _Refused:
        """Revocation, closing, the window and the flood limit, in rule order, then the
        append; the original receipt of a ballot logged before, or the refusal."""
        p, app, conn = self.p, g.app, g.app.conn
        assert p.reviewer is not None and p.target is not None
        if "online" not in g.memo:
            _look_up(g)
        mine: dict[str, int] = g.memo["online"]
        if p.id in mine:
            return _Appended(p.id, mine[p.id], new=False)
        if p.id in g.memo["logged"]:
            old = _receipt(self.ctx, conn, p.id)
            assert old is not None
            return old
        code, detail = final_code(p, p.reviewer in g.memo["revoked"], app.closed_index is not None)
        received = app.received_at()
        if code is None:  # rule 11 by the server's clock, the last rule (DESIGN §5)
            code, detail = on_time(self.ctx.manifest, "online", p, received)
        limit = self.ctx.manifest.max_per_target
        if code is None and _sent_for(g, p) >= limit:
            code, detail = TOO_MANY, (
                f"{p.reviewer} has {limit} ballots for {p.target} already, the most this event takes (merge.max_per_target)"
            )
        if code is not None:
            return _Refused(code, detail)
        index = app.append_text("ballot", ballot_entry_text(p.sb_text, received, None, None))
        g.add_ballot({"idx": index, "id": p.id, "reviewer": p.reviewer, "target": p.target, "channel": "online",
                      "kiosk": None, "seq": None, "created_at": p.created_at})
        mine[p.id] = index
        return _Appended(p.id, index, new=True)


def admit_online(
    ctx: Context, signed_ballot: Any, raw_text: str | None = None, source: str = ""
) -> OnlineTaken | OnlineBallot:
    """Everything before the queue: the stateless checks and the per-reviewer flood limit.
    Returns the job — the integrator answers a re-sent ballot with its original receipt,
    from the look-up it makes for its whole group, so a new ballot costs no read here —
    or, past the flood limit, the receipt of a ballot already logged."""
    p = prepare(ctx.manifest, signed_ballot, "online", None, ctx.prechecker.keys)
    if p.code in EARLY_CODES:
        _reject_online(ctx, p, raw_text, source)
    limited = _over_limit(ctx, p)
    if limited is not None:
        return _answer_limited(ctx, p, limited)
    return OnlineBallot(ctx, p)


def _over_limit(ctx: Context, p: Prepared) -> Limited | None:
    """Count the ballot against its reviewer's minute (memory only); the limit it broke."""
    assert p.reviewer is not None
    try:
        guards_of(ctx).ballots.hit(p.reviewer, now_s(), "ballots")
    except Limited as exc:
        return exc
    return None


def _answer_limited(ctx: Context, p: Prepared, exc: Limited) -> OnlineTaken:
    """Past the flood limit: the original receipt of a ballot sent again (a re-send is
    never limited), else the refusal, kept for staff and raised."""
    with ctx.db.read() as conn:
        old = _receipt(ctx, conn, p.id)
    if old is not None:
        return OnlineTaken(old, new=False)
    detail = f"{p.reviewer} sent more than {ctx.settings.ballots_per_reviewer_minute} ballots in a minute"
    keep_anonymous(ctx, f"reviewer {p.reviewer}", channel="online", reviewer=p.reviewer, code="rate_limited",
                   detail=detail, ballot_id=p.id)
    raise RateLimited(f"{detail}; retry in {exc.retry_after} s", retry_after=exc.retry_after) from None


def settle_online(job: OnlineBallot, done: Committed, raw_text: str | None = None, source: str = "") -> OnlineTaken:
    """The answer once the job's group committed: the receipt with the group's STH, or the
    refusal kept for staff and raised."""
    if isinstance(done.outcome, _Refused):
        p = job.p
        _reject_online(job.ctx, replace(p, code=done.outcome.code, detail=done.outcome.detail), raw_text, source)
    out = done.outcome
    if isinstance(out, Receipt):
        return OnlineTaken(out, new=False)
    assert isinstance(out, _Appended) and done.sth is not None  # the group appended this ballot
    return OnlineTaken(Receipt(out.id, out.index, done.sth), out.new)


def submit_online(
    ctx: Context, signed_ballot: Any, raw_text: str | None = None, source: str = ""
) -> OnlineTaken:
    """``POST /api/v1/ballots``: the receipt (``new`` False: the original one of a ballot
    already logged), or :class:`Refused` with the first failing rule's code — or a flood
    limit's: :class:`RateLimited` past ``ballots_per_reviewer_minute`` new ballots a
    minute, ``too_many_ballots`` past ``merge.max_per_target`` for one target, ``Busy`` /
    ``NotCommitted`` (with ``retry_after``) from the sequencer.
    ``source`` is the client address, for the refusals of unsigned input."""
    job = admit_online(ctx, signed_ballot, raw_text, source)
    if not isinstance(job, OnlineBallot):
        return job
    return settle_online(job, ctx.sequencer.run(job), raw_text, source)


async def submit_online_async(
    ctx: Context, signed_ballot: Any, raw_text: str | None = None, source: str = ""
) -> OnlineTaken:
    """:func:`submit_online` for the event loop: the checks on a worker thread, the wait
    for the group on none (hundreds of clients may wait on one group)."""
    job = await to_thread.run_sync(admit_online, ctx, signed_ballot, raw_text, source)
    if not isinstance(job, OnlineBallot):
        return job
    done = await asyncio.wrap_future(ctx.sequencer.submit(job))
    if isinstance(done.outcome, _Refused):  # writes the refusal for staff
        return await to_thread.run_sync(settle_online, job, done, raw_text, source)
    return settle_online(job, done, raw_text, source)


def _look_up(g: Group) -> None:
    """For every online ballot of the group at once (three queries, not three a ballot):
    which are logged already, which reviewers are revoked, and how many ballots each
    (reviewer, target) has on the ledger."""
    mine = [j.p for j in g.jobs if isinstance(j, OnlineBallot)]
    conn = g.app.conn
    logged: set[str] = set()
    revoked: set[str] = set()
    sent: dict[tuple[str, str], int] = {}
    reviewers = sorted({str(p.reviewer) for p in mine})
    for i in range(0, len(mine), 500):
        ids = [p.id for p in mine[i : i + 500]]
        q = select(ballots.c.id).where(ballots.c.id.in_(ids), ballots.c.kiosk.is_(None))
        logged.update(r.id for r in conn.execute(q))
    for i in range(0, len(reviewers), 500):
        part = reviewers[i : i + 500]
        revoked |= revoked_among(conn, set(part))
        q2 = (select(ballots.c.reviewer, ballots.c.target, func.count())
              .where(ballots.c.reviewer.in_(part)).group_by(ballots.c.reviewer, ballots.c.target))
        sent.update({(r[0], r[1]): int(r[2]) for r in conn.execute(q2)})
    g.memo.update(online={}, logged=logged, revoked=revoked, sent=sent)


def _sent_for(g: Group, p: Prepared) -> int:
    """Distinct ballots of this reviewer for this target on the ledger (any channel),
    those of this group included."""
    pair = (str(p.reviewer), str(p.target))
    return int(g.memo["sent"].get(pair, 0)) + g.pending[pair]


def _reject_online(ctx: Context, p: Prepared, raw_text: str | None, source: str = "") -> NoReturn:
    assert p.code is not None
    row: dict[str, Any] = {"channel": "online", "reviewer": p.reviewer, "code": p.code, "detail": p.detail, "ballot_id": p.id,
           "body": raw_text if raw_text is not None else p.sb_text}
    if p.code in EARLY_CODES:  # signed by nobody we know: anyone could send it, again and again
        keep_anonymous(ctx, source, **row)
    else:
        store_rejection(ctx, **row)
    raise Refused(p.code, p.detail, id=p.id)


def keep_refused_body(ctx: Context, code: str, detail: str, raw_text: str | None, source: str = "") -> None:
    """An online body that did not even parse: keep its code, hash and prefix for staff."""
    keep_anonymous(ctx, source, channel="online", code=code, detail=detail, body=raw_text)
