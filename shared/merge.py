"""Merge (DESIGN §5): one effective ballot per reviewer and proposal (or group).

Several valid ballots by one reviewer for one target form a *conflict*. The effective
ballot is the one a staff resolution names; else the manifest's policy decides. Every
conflict stays listed, decided or not; nothing is overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from sys import intern
from typing import Any

from .ballot import SignedBallot
from .timefmt import parse_time

Key = tuple[str, str]  # (reviewer, proposal or group)


class Accepted:
    """A ballot on the ledger: its receipt id, ledger index and how it arrived.

    Merge and tally read only the few fields kept here. Built from a parsed signed
    ballot, or — the auditor's way, a million at a time — from those fields and the
    signed ballot's RFC 8785 bytes, parsed again only when :attr:`signed` is asked for."""

    __slots__ = (
        "_sb_jcs",
        "_signed",
        "channel",
        "choices",
        "created_at",
        "form",
        "id",
        "index",
        "kiosk",
        "reviewer",
        "scores",
        "seq",
        "target",
    )

    def __init__(
        self,
        id: str,
        index: int,
        signed: SignedBallot | None,
        kiosk: str | None,
        seq: int | None,
        *,
        fields: BallotFields | None = None,
        sb_jcs: bytes | None = None,
    ) -> None:
        self.id, self.index, self.kiosk, self.seq = id, index, kiosk, seq
        self._signed, self._sb_jcs = signed, sb_jcs
        if signed is not None:
            fields = ballot_fields(signed)
        elif fields is None or sb_jcs is None:
            raise ValueError("an accepted ballot needs its signed ballot, or its fields and RFC 8785 bytes")
        self.reviewer, self.target, self.channel, self.form, self.created_at, self.scores, self.choices = (
            fields
        )
        if signed is None:  # a million of them: share the few distinct texts
            self.target, self.channel, self.form = (
                intern(self.target),
                intern(self.channel),
                intern(self.form),
            )
            # ... and the reviewer's id (a few ballots each), the kiosk's, the choices'
            self.reviewer = intern(self.reviewer)
            if kiosk is not None:
                self.kiosk = intern(kiosk)
            self.created_at = intern(self.created_at)  # ballots of one second share it
            if self.choices is not None:
                self.choices = _shared_choices(tuple(intern(c) if type(c) is str else c for c in self.choices))

    @classmethod
    def light(
        cls, id: str, index: int, kiosk: str | None, seq: int | None, fields: BallotFields
    ) -> Accepted:
        """An auditor-form ballot from values already shared (:mod:`shared.columns`
        builds one only when it is asked for): no bytes, nothing interned again."""
        a = cls.__new__(cls)
        a.id, a.index, a.kiosk, a.seq, a._signed, a._sb_jcs = id, index, kiosk, seq, None, b""
        a.reviewer, a.target, a.channel, a.form, a.created_at, a.scores, a.choices = fields
        return a

    @property
    def signed(self) -> SignedBallot:
        if self._signed is None:
            assert self._sb_jcs is not None
            if not self._sb_jcs:
                raise ValueError(f"ballot {self.id} was replayed without its bytes (Replay(keep_bytes=False))")
            return SignedBallot.from_json(json.loads(self._sb_jcs))
        return self._signed

    @property
    def key(self) -> Key:
        return (self.reviewer, self.target)

    @property
    def created(self) -> datetime:
        return parse_time(self.created_at)

    def _ident(self) -> tuple[str, int, str | None, int | None]:
        return (self.id, self.index, self.kiosk, self.seq)

    def __eq__(self, other: object) -> bool:
        # The id is the hash of the signed ballot's bytes: equal ids, equal ballots.
        return isinstance(other, Accepted) and self._ident() == other._ident()

    def __hash__(self) -> int:
        return hash(self._ident())

    def __repr__(self) -> str:
        return f"Accepted(id={self.id!r}, index={self.index}, key={self.key!r}, kiosk={self.kiosk!r}, seq={self.seq!r})"


#: Distinct choice lists of the auditor-form ballots, shared (most approval ballots repeat
#: one of a few thousand). Bounded: past the bound a list is simply kept as it is.
_CHOICES: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_CHOICES_BOUND = 200_000


def _shared_choices(choices: tuple[Any, ...]) -> tuple[Any, ...]:
    try:
        found = _CHOICES.get(choices)
    except TypeError:  # a choice that is not hashable (rule 1 refuses it later)
        return choices
    if found is not None:
        return found
    if len(_CHOICES) < _CHOICES_BOUND:
        _CHOICES[choices] = choices
    return choices


#: What merge and tally read of a ballot: reviewer, target (proposal or group), channel,
#: form, created_at, scores (rubric) and choices (approval).
BallotFields = tuple[str, str, str, str, str, "dict[str, Any] | None", "tuple[Any, ...] | None"]


def ballot_fields(sb: SignedBallot) -> BallotFields:
    b = sb.ballot
    return (b.reviewer, b.target, b.channel, b.form, b.created_at, b.scores, b.choices)


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
    """The effective ballot of every (reviewer, target), in key order, and the conflicts
    in key order: a dict and a tuple from :func:`merge`, read-only views over columns
    from :meth:`shared.columns.BallotColumns.merged` (equal when they hold the same)."""

    effective: Mapping[Key, Accepted]
    conflicts: Sequence[Conflict]


def _rank(a: Accepted, policy: str) -> tuple[object, ...]:
    kiosk = a.channel == "kiosk"
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
    # A group of one (almost every group) is held as the ballot itself, not a dict: a
    # million groups of one dict each cost ~200 MiB more at the auditor's peak.
    groups: dict[Key, Accepted | dict[str, Accepted]] = {}
    for a in ballots:
        key = a.key
        held = groups.get(key)
        if held is None:
            groups[key] = a
        elif isinstance(held, dict):
            held.setdefault(a.id, a)
        elif held.id != a.id:
            groups[key] = {held.id: held, a.id: a}
    effective: dict[Key, Accepted] = {}
    conflicts: list[Conflict] = []
    for key in sorted(groups):
        held = groups[key]
        if not isinstance(held, dict):
            effective[key] = held  # the policy's choice, and the only one a resolution can name
            continue
        members = held
        default = default_choice(members.values(), policy)
        resolved = resolutions.get(key)
        if resolved not in members:
            resolved = None
        effective[key] = members[resolved or default.id]
        if len(members) > 1:
            ordered = tuple(sorted(members.values(), key=lambda a: a.index))
            conflicts.append(Conflict(key, ordered, default.id, resolved))
    return Merged(effective, tuple(conflicts))


class AcceptedList(list[Accepted]):
    """The accepted ballots as objects in ledger order — the server's store, each with its
    signed ballot or its bytes (:class:`shared.columns.BallotColumns` is the auditor's).
    ``ids``: each receipt id's first ledger index."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, int] = {}

    def add(
        self, id: str, index: int, signed: SignedBallot | None, kiosk: str | None, seq: int | None,
        fields: BallotFields | None, sb_jcs: bytes | None,
    ) -> None:
        self.ids.setdefault(id, index)
        self.append(Accepted(id, index, signed, kiosk, seq, fields=fields, sb_jcs=sb_jcs))

    def merged(self, policy: str, resolutions: Mapping[Key, str]) -> Merged:
        return merge(self, policy, resolutions)
