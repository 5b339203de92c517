"""An event plan: everything the manifest needs except keys, built without I/O.

A plan is made by :mod:`organiser.demo` or :mod:`organiser.importer`, then
:mod:`organiser.writer` draws keys, seals credentials and writes the event folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.timefmt import format_time


@dataclass(frozen=True)
class PlannedReviewer:
    id: str
    community: str
    role: str
    assigned: tuple[str, ...]


@dataclass
class EventPlan:
    event: str
    title_ko: str
    title_en: str
    communities: list[str]
    groups: dict[str, list[str]]
    proposals: list[dict[str, str]]
    rubric: list[dict[str, Any]]
    reviewers: list[PlannedReviewer]
    forms: dict[str, str]
    max_choices: int
    selection: dict[str, Any]
    start: datetime
    end: datetime
    kdf_min_logn: int = 15
    #: Digits of each reviewer's PIN: 8 for a real event (docs/SECURITY.md), 6 for a demo.
    pin_digits: int = 8
    #: False: ``kdf_min_logn`` is only a floor; ``simsa event init`` measures this machine
    #: and raises it to the cost that makes a guess take 0.25 s (organiser.kdf).
    kdf_fixed: bool = True
    clock_tolerance_s: int = 300
    merge_policy: str = "onsite-first"
    notes: list[str] = field(default_factory=list)
    #: ``{"threshold": k, "keys": [{"name", "key"}]}`` (DESIGN §4), or None for no witness policy.
    witnesses: dict[str, Any] | None = None
    #: ``merge.max_per_target`` (the flood limit), or None to leave the manifest's default (3).
    max_per_target: int | None = None

    def manifest(self, keys: dict[str, str], authority_key: str, ledger_key: str) -> dict[str, Any]:
        """The manifest object for this plan, given each reviewer's public key."""
        window = {"start": format_time(self.start), "end": format_time(self.end)}
        extra = {"witnesses": self.witnesses} if self.witnesses else {}
        return {
            **extra,
            "v": 1,
            "type": "manifest",
            "event": self.event,
            "title": {"ko": self.title_ko, "en": self.title_en},
            "authority_key": authority_key,
            "ledger_key": ledger_key,
            "kdf_min_logn": self.kdf_min_logn,
            "communities": [{"id": c} for c in self.communities],
            "groups": [{"id": g, "proposals": list(ps)} for g, ps in self.groups.items()],
            "proposals": self.proposals,
            "rubric": self.rubric,
            "reviewers": [
                {"id": r.id, "key": keys[r.id], "community": r.community, "role": r.role}
                for r in self.reviewers
            ],
            "forms": dict(self.forms),
            "approval": {"max_choices": self.max_choices},
            "assignments": {r.id: list(r.assigned) for r in self.reviewers},
            "windows": {
                "online": dict(window),
                "kiosk": dict(window),
                "clock_tolerance_s": self.clock_tolerance_s,
            },
            "merge": {"policy": self.merge_policy,
                      **({"max_per_target": self.max_per_target} if self.max_per_target is not None else {})},
            "selection": self.selection,
        }


def quota_selection(kiosk: int, online: int) -> dict[str, Any]:
    """Select ``kiosk`` proposals by their on-site scores and ``online`` by their online ones
    (equal weights, no normalisation): the 2017 rule."""
    return {
        "mode": "quota",
        "quota": {"kiosk": kiosk, "online": online},
        "weights": {"kiosk": 0.5, "online": 0.5},
        "select": kiosk + online,
        "normalize": "none",
    }


def default_window(now: datetime, days: int = 7) -> tuple[datetime, datetime]:
    """Open from a minute before ``now`` for ``days`` days, on whole seconds."""
    start = now.replace(microsecond=0) - timedelta(minutes=1)
    return start, start + timedelta(days=days)


DEFAULT_RUBRIC: list[dict[str, Any]] = [
    {"id": "benefit", "label": {"ko": "공익성", "en": "Public benefit"}, "max": 30, "weight": 1},
    {"id": "feasibility", "label": {"ko": "실현 가능성", "en": "Feasibility"}, "max": 30, "weight": 1},
    {"id": "sustainability", "label": {"ko": "지속 가능성", "en": "Sustainability"}, "max": 20, "weight": 1},
    {
        "id": "participation",
        "label": {"ko": "주민 참여", "en": "Community participation"},
        "max": 20,
        "weight": 1,
    },
]
