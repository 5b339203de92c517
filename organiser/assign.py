"""Assignment generation: balanced load, never a reviewer's own community (pure)."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence


def rubric_targets(
    group_proposals: Sequence[str], community_of: Mapping[str, str], community: str
) -> tuple[str, ...]:
    """The proposals of a group a rubric reviewer of ``community`` may score."""
    return tuple(p for p in group_proposals if community_of[p] != community)


def least_loaded(groups: Sequence[str], load: dict[str, int], rng: random.Random) -> str:
    """The group with the fewest reviewers so far; ties broken by ``rng``."""
    low = min(load.get(g, 0) for g in groups)
    choice = rng.choice([g for g in groups if load.get(g, 0) == low])
    load[choice] = load.get(choice, 0) + 1
    return choice


def split_groups(proposals: Sequence[str], size: int) -> list[list[str]]:
    """Split proposals into ``ceil(n/size)`` groups whose sizes differ by at most one."""
    n = len(proposals)
    if n == 0:
        return []
    k = -(-n // size)
    base, extra = divmod(n, k)
    out, pos = [], 0
    for i in range(k):
        take = base + (1 if i < extra else 0)
        out.append(list(proposals[pos : pos + take]))
        pos += take
    return out
