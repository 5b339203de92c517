"""What a reviewer has to judge, and what they already did (pure: manifest + saved ballots).

Rubric reviewers judge proposals (assigned one by one or by group); approval reviewers
like proposals of assigned groups. Their own community's proposals are never offered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.manifest import Manifest

from .store import LocalBallot


@dataclass(frozen=True)
class Item:
    """One line of the reviewer's list: a proposal to score or a group to like in."""

    target: str
    form: str
    title: str
    group: str
    offered: tuple[str, ...]  # approval: the proposals that may be liked
    done: int  # ballots saved here for this target
    previous: dict[str, Any] | None  # the last one's scores, or {"choices": [...]}
    refused: int = 0  # online ballots the server refused: not done, shown as such


def rubric_targets(manifest: Manifest, reviewer: str) -> list[str]:
    """Proposals the reviewer scores, in id order, own community excluded."""
    own = manifest.reviewers[reviewer].community
    out: set[str] = set()
    for t in manifest.assignments.get(reviewer, ()):
        ids = manifest.groups.get(t, (t,))
        out.update(p for p in ids if manifest.proposals[p].community != own)
    return sorted(out)


def approval_groups(manifest: Manifest, reviewer: str) -> list[str]:
    return sorted(t for t in manifest.assignments.get(reviewer, ()) if t in manifest.groups)


def offered(manifest: Manifest, reviewer: str, group: str) -> tuple[str, ...]:
    """The group's proposals a reviewer may like: all but their own community's."""
    own = manifest.reviewers[reviewer].community
    return tuple(p for p in manifest.groups[group] if manifest.proposals[p].community != own)


def items_for(manifest: Manifest, reviewer: str, form: str, ballots: Sequence[LocalBallot]) -> list[Item]:
    """The reviewer's list with progress from the ballots saved here."""
    by_target: dict[str, list[LocalBallot]] = {}
    refused: dict[str, int] = {}
    for b in ballots:
        if b.status == "refused":  # the server refused it: it counts for nothing
            refused[b.target] = refused.get(b.target, 0) + 1
            continue
        by_target.setdefault(b.target, []).append(b)

    def previous(target: str) -> dict[str, Any] | None:
        saved = by_target.get(target)
        if not saved:
            return None
        last = saved[-1].signed_ballot["ballot"]
        return dict(last["scores"]) if form == "rubric" else {"choices": list(last["choices"])}

    if form == "rubric":
        return [
            Item(p, "rubric", manifest.proposals[p].title, manifest.proposals[p].group, (),
                 len(by_target.get(p, [])), previous(p), refused.get(p, 0))
            for p in rubric_targets(manifest, reviewer)
        ]
    return [
        Item(g, "approval", g, g, offered(manifest, reviewer, g), len(by_target.get(g, [])), previous(g),
             refused.get(g, 0))
        for g in approval_groups(manifest, reviewer)
    ]
