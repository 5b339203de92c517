"""Merge (DESIGN §5): one effective ballot per reviewer and proposal (or group).

Several valid ballots by one reviewer for one target form a *conflict*. The effective
ballot is the one a staff resolution names; else the manifest's policy decides. Every
conflict stays listed, decided or not; nothing is overwritten.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from .ballot import SignedBallot
from .timefmt import parse_time

Key = tuple[str, str]  # (reviewer, proposal or group)


@dataclass(frozen=True)
class Accepted:
    """A ballot on the ledger: its receipt id, ledger index and how it arrived."""

    id: str
    index: int
    signed: SignedBallot
    kiosk: str | None
    seq: int | None

    @property
    def key(self) -> Key:
        return (self.signed.ballot.reviewer, self.signed.ballot.target)

    @property
    def created(self) -> datetime:
        return parse_time(self.signed.ballot.created_at)


@dataclass(frozen=True)
class Conflict:
    key: Key
    ballots: tuple[Accepted, ...]
    default: str
    resolved: str | None

    @property
    def effective(self) -> str:
        return self.resolved or self.default


@dataclass(frozen=True)
class Merged:
    effective: dict[Key, Accepted]
    conflicts: tuple[Conflict, ...]


def _rank(a: Accepted, policy: str) -> tuple[object, ...]:
    kiosk = a.signed.ballot.channel == "kiosk"
    seq = a.seq or 0
    if policy == "onsite-first":
        return (kiosk, a.created, seq, a.id)
    if policy == "latest":
        return (a.created, kiosk, seq, a.id)
    # "first": the earliest wins; so invert time by ranking on the negated timestamp
    return (-a.created.timestamp(), kiosk, -seq, a.id)


def default_choice(ballots: Iterable[Accepted], policy: str) -> Accepted:
    """The ballot the policy picks when no staff resolution says otherwise."""
    return max(ballots, key=lambda a: _rank(a, policy))


def merge(ballots: Iterable[Accepted], policy: str, resolutions: Mapping[Key, str]) -> Merged:
    """Group accepted ballots by (reviewer, target) and decide each group.

    A resolution that names a ballot outside its group is ignored (the auditor reports it).
    Ballots with the same id (one signed ballot logged twice) count once.
    """
    groups: dict[Key, dict[str, Accepted]] = defaultdict(dict)
    for a in ballots:
        groups[a.key].setdefault(a.id, a)
    effective: dict[Key, Accepted] = {}
    conflicts: list[Conflict] = []
    for key in sorted(groups):
        members = groups[key]
        default = default_choice(members.values(), policy)
        resolved = resolutions.get(key)
        if resolved not in members:
            resolved = None
        effective[key] = members[resolved or default.id]
        if len(members) > 1:
            ordered = tuple(sorted(members.values(), key=lambda a: a.index))
            conflicts.append(Conflict(key, ordered, default.id, resolved))
    return Merged(effective, tuple(conflicts))
