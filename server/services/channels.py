"""Whose ballots arrive by more than one way: a stolen key shows itself.

A reviewer votes at one kiosk, or online — the manifest's forms keep each role to one
channel. A reviewer whose accepted ballots come through two channels, or through two
kiosks, may be someone with a photographed card and a cracked PIN voting beside the real
reviewer; the dashboard raises an alarm naming them (DESIGN §3; docs/SECURITY.md).

The ``ballots`` table is read incrementally (rows after the last ledger index seen), so
a refresh of the dashboard costs only the ballots that arrived since the last one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import select

from shared.ballot import short_code

from ..context import Context
from ..db.schema import ballots
from .errors import NotFound

ONLINE = "online"


@dataclass
class SourceWatch:
    """Each reviewer's sources (``"online"`` or a kiosk id) so far."""

    last_idx: int = -1
    sources: dict[str, set[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def update(self, ctx: Context) -> None:
        with self.lock, ctx.db.read() as conn:
            q = select(ballots.c.idx, ballots.c.reviewer, ballots.c.kiosk).where(ballots.c.idx > self.last_idx)
            for idx, reviewer, kiosk in conn.execute(q.order_by(ballots.c.idx)):
                self.sources.setdefault(reviewer, set()).add(kiosk if kiosk is not None else ONLINE)
                self.last_idx = max(self.last_idx, int(idx))

    def split(self) -> dict[str, list[str]]:
        """Reviewers with more than one source, and those sources (online first)."""
        with self.lock:
            return {r: sorted(s, key=lambda x: (x != ONLINE, x)) for r, s in sorted(self.sources.items()) if len(s) > 1}


#: At most this many ballots are listed for one reviewer (a reviewer casts a few dozen).
MAX_LISTED = 1000


@dataclass(frozen=True)
class NamedBallot:
    """An accepted ballot in a reviewer's name, with the short code the kiosk showed."""

    index: int
    id: str
    short_code: str
    target: str
    channel: str
    kiosk: str | None
    seq: int | None
    created_at: str


@dataclass(frozen=True)
class BallotsInName:
    """A reviewer's ballots, their sources (online first) and whether there are several."""

    reviewer: str
    ballots: list[NamedBallot]
    sources: list[str]
    split: bool


def ballots_in_name(ctx: Context, reviewer: str) -> BallotsInName:
    """Every accepted ballot cast in ``reviewer``'s name, in ledger order: what the
    reviewer checks on the receipt page, so one cast with a stolen key does not go unseen.
    The ledger is public, so this tells no one anything the ledger does not."""
    if reviewer not in ctx.manifest.reviewers:
        raise NotFound(f"no reviewer {reviewer!r} in the manifest")
    with ctx.db.read() as conn:
        rows = conn.execute(
            select(ballots.c.idx, ballots.c.id, ballots.c.target, ballots.c.kiosk, ballots.c.seq, ballots.c.created_at)
            .where(ballots.c.reviewer == reviewer)
            .order_by(ballots.c.idx)
            .limit(MAX_LISTED)
        ).all()
    listed = [
        NamedBallot(int(r.idx), r.id, short_code(r.id), r.target, "kiosk" if r.kiosk is not None else ONLINE, r.kiosk,
                    r.seq, r.created_at)
        for r in rows
    ]
    sources = sorted({b.kiosk or ONLINE for b in listed}, key=lambda x: (x != ONLINE, x))
    return BallotsInName(reviewer, listed, sources, len(sources) > 1)


def split_reviewers(ctx: Context) -> dict[str, list[str]]:
    """Reviewers whose accepted ballots came through two channels or two kiosks."""
    watch = ctx.source_watch
    if watch is None:
        watch = ctx.source_watch = SourceWatch()
    watch.update(ctx)
    return watch.split()
