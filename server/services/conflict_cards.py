"""Conflicts as staff decide them on the dashboard: each conflict of the replayed ledger
(:func:`server.services.views.conflict_list`, the one source) with its ballots' content,
the merge rule's default, the staff decision (who and why) and the ballot that counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from shared.ballot import SignedBallot

from ..context import Context
from ..db.schema import resolutions
from . import views


@dataclass(frozen=True)
class Content:
    """What a ballot says: a rubric's scores and comment, or an approval's choices."""

    form: str
    scores: dict[str, int] | None = None
    comment: str | None = None
    choices: tuple[str, ...] = ()

    @classmethod
    def of(cls, sb: SignedBallot) -> Content:
        b = sb.ballot
        if b.form == "rubric":
            return cls("rubric", scores=dict(b.scores or {}), comment=b.comment)
        return cls("approval", choices=tuple(b.choices or ()))


@dataclass(frozen=True)
class CardBallot(views.BallotRow):
    """A conflict's ballot with its content, and whether it is the rule's default and the
    one that counts."""

    content: Content
    default: bool
    effective: bool


@dataclass(frozen=True)
class Decision:
    staff: str
    reason: str
    index: int


@dataclass(frozen=True)
class ConflictCard:
    """A conflict as staff decide it: its ballots' content, the rule's default, the staff
    decision (who and why) when there is one."""

    reviewer: str
    target: str
    title: str | None
    ballots: list[CardBallot]
    default: str
    resolved: str | None
    decision: Decision | None


def conflict_cards(ctx: Context, *, reviewer: str | None = None) -> list[ConflictCard]:
    """Every conflict of the replayed ledger (:func:`views.conflict_list`) with its ballots'
    content and decision; open ones first."""
    m = ctx.manifest
    found = views.conflict_list(ctx, reviewer)
    with ctx.db.read() as conn:
        decided = {
            (r.reviewer, r.target): Decision(r.staff, r.reason, int(r.idx))
            for r in conn.execute(select(resolutions).order_by(resolutions.c.idx))
        }
    cards = []
    for c in found:
        target = c.key[1]
        rows = [
            CardBallot(a.id, a.index, a.channel, a.kiosk, a.seq, a.created_at, Content.of(a.signed),
                       default=a.id == c.default, effective=a.id == c.effective)
            for a in c.ballots
        ]
        cards.append(
            ConflictCard(
                reviewer=c.key[0],
                target=target,
                title=m.proposals[target].title if target in m.proposals else None,
                ballots=rows,
                default=c.default,
                resolved=c.resolved,
                decision=decided.get(c.key) if c.resolved else None,
            )
        )
    cards.sort(key=lambda x: (x.resolved is not None, x.reviewer, x.target))
    return cards


def effective_ids(ctx: Context) -> set[str]:
    with ctx.db.read() as conn:
        state = ctx.replayed.state(conn)
        return {a.id for a in state.merged().effective.values()}
