"""Figures that reconcile at a glance: the ledger broken down by entry type, ballot
rejections apart from batch refusals (repeats collapsed), and accepted against counted
ballots with the reason for every difference.

Every number here can be checked against another one on the same page: the entry types
add up to the ledger size; accepted = counted + conflict losers per channel; a kiosk's
records on the ledger = accepted + rejected (late records included).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from ..context import Context
from ..db.schema import ledger_entries, rejections

#: Kiosk records refused for where they arrived, not for what they are: on the ledger as
#: ``rejected`` entries that never count (``shared.replay.LedgerState.late``).
LATE_CODES = ("kiosk_closed", "event_closed")


def ledger_breakdown(ctx: Context, conn: Connection) -> dict[str, int]:
    """Entries on the ledger by type (they add up to the tree size). Counted once and then
    only for the entries appended since (the ledger only grows)."""
    size, _ = ctx.ledger.head(conn)
    done, counts = ctx.ledger_types
    if done > size:  # another database behind the same context (tests): start again
        done, counts = 0, {}
    if done < size:
        counts = dict(counts)
        q = (
            select(ledger_entries.c.type, func.count().label("n"))
            .where(ledger_entries.c.idx >= done, ledger_entries.c.idx < size)
            .group_by(ledger_entries.c.type)
        )
        for r in conn.execute(q):
            counts[r.type] = counts.get(r.type, 0) + int(r.n)
        ctx.ledger_types = (size, counts)
    return dict(sorted(counts.items()))


@dataclass(frozen=True)
class BatchRefusal:
    """A kiosk batch refused whole, as often as it came (``id``: the latest row's)."""

    kiosk: str | None
    code: str
    seq: int | None
    times: int
    first_at: str
    last_at: str
    id: int


@dataclass(frozen=True)
class RejectionCounts:
    """Per channel and code the ballot rejections (late records apart, per code); per
    code the batch refusals, ``distinct`` (kiosk, seq) and ``received``."""

    ballots: dict[str, dict[str, int]]
    late: dict[str, int]
    batches: dict[str, dict[str, int]]


@dataclass(frozen=True)
class ChannelCount:
    """Accepted = counted + lost to the merge rule + lost to a staff decision."""

    accepted: int
    counted: int
    lost_rule: int
    lost_staff: int


@dataclass(frozen=True)
class Counted:
    channels: dict[str, ChannelCount]
    late: int
    size: int


def batch_refusals(conn: Connection, kiosk: str | None = None) -> list[BatchRefusal]:
    """Kiosk batches refused whole (gap, fork, bad head, unknown kiosk), one row per
    (kiosk, code, seq) with how many times it came and when first and last: a kiosk that
    retries the same refused batch ten times is one problem, not ten."""
    q = (
        select(
            rejections.c.kiosk, rejections.c.code, rejections.c.seq, func.count().label("times"),
            func.min(rejections.c.at).label("first_at"), func.max(rejections.c.at).label("last_at"),
            func.max(rejections.c.id).label("last_id"),
        )
        .where(rejections.c.channel == "kiosk", rejections.c.ledger_index.is_(None))
        .group_by(rejections.c.kiosk, rejections.c.code, rejections.c.seq)
        .order_by(func.max(rejections.c.id).desc())
        .limit(500)
    )
    if kiosk is not None:
        q = q.where(rejections.c.kiosk == kiosk)
    return [BatchRefusal(r.kiosk, r.code, r.seq, int(r.times), r.first_at, r.last_at, int(r.last_id)) for r in conn.execute(q)]


def rejection_counts(conn: Connection) -> RejectionCounts:
    """Ballot rejections (online refusals and kiosk records logged ``rejected``, late ones
    apart) and batch refusals (distinct, and as received), each by code."""
    ballots: dict[str, dict[str, int]] = {}
    late: dict[str, int] = {}
    q = select(rejections.c.channel, rejections.c.code, (rejections.c.ledger_index.is_(None)).label("unlogged"),
               func.count().label("n")).group_by(rejections.c.channel, rejections.c.code, "unlogged")
    for r in conn.execute(q):
        if r.channel == "kiosk" and r.unlogged:
            continue  # a batch refusal, counted below
        if r.channel == "kiosk" and r.code in LATE_CODES:
            late[r.code] = late.get(r.code, 0) + int(r.n)
        else:
            ballots.setdefault(r.channel, {})[r.code] = ballots.get(r.channel, {}).get(r.code, 0) + int(r.n)
    refusals: dict[str, dict[str, int]] = {}
    for b in batch_refusals(conn):
        c = refusals.setdefault(b.code, {"distinct": 0, "received": 0})
        c["distinct"] += 1
        c["received"] += b.times
    return RejectionCounts(ballots, late, refusals)


def counted(ctx: Context) -> Counted:
    """Per channel: ballots accepted on the ledger, ballots counted in the results, and
    why they differ (each conflict's losers: decided by a staff resolution or by the
    manifest's merge rule)."""
    with ctx.db.read() as conn:
        state = ctx.replayed.state(conn)
        cached = ctx.counted
        if cached is not None and cached[0] == state.size:  # once per ledger size
            return cached[1]
        merged = state.merged()
    out = {ch: {"accepted": 0, "counted": 0, "lost_rule": 0, "lost_staff": 0} for ch in ("kiosk", "online")}
    for a in state.accepted:
        out["kiosk" if a.kiosk is not None else "online"]["accepted"] += 1
    for a in merged.effective.values():
        out["kiosk" if a.kiosk is not None else "online"]["counted"] += 1
    for c in merged.conflicts:
        for a in c.ballots:
            if a.id != c.effective:
                out["kiosk" if a.kiosk is not None else "online"]["lost_staff" if c.resolved else "lost_rule"] += 1
    got = Counted({ch: ChannelCount(**n) for ch, n in out.items()}, len(state.late), state.size)
    ctx.counted = (state.size, got)
    return got
