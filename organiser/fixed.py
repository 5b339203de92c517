"""Fixed events: tiny events written out by hand, with keys from fixed seeds.

Everything is given — reviewers, proposals, rubric, the day (23 February 2017, open
09:00–18:00 UTC) — and every key is ``SigningKey(sha256(seed_tag + name))``, so the same
manifest, keys and ballots come out on every machine. Two are built with this module:

- the worked examples of docs/PROTOCOL.md (``docs/examples/generate.py``), which the
  tests under tests/docs compare with the page;
- the tiny event of the shared core's table tests (``tests/support/tiny.py``).

The manifest comes from :class:`organiser.plan.EventPlan`, like every other event's.

NEVER derive real keys like this: a real event draws them at random (``simsa event init``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.ballot import SignedBallot, approval_ballot, rubric_ballot, sign_ballot
from shared.encoding import sha256
from shared.keys import SigningKey
from shared.manifest import sign_manifest

from .plan import EventPlan, PlannedReviewer, quota_selection

#: The day of every fixed event; both channels are open 09:00–18:00 UTC.
DAY = "2017-02-23"
_OPEN, _CLOSE = datetime(2017, 2, 23, 9, tzinfo=UTC), datetime(2017, 2, 23, 18, tzinfo=UTC)


def at(hhmm: str) -> str:
    """A time on the day, ``"10:15"`` → ``"2017-02-23T10:15:00Z"``."""
    return f"{DAY}T{hhmm}:00Z"


@dataclass(frozen=True)
class FixedEvent:
    """A small event: kiosks score with the rubric, online reviewers approve up to two
    proposals of a group, ``quota`` selected per channel (:func:`~organiser.plan.quota_selection`),
    onsite-first merging, scrypt cost ``2^logn``.

    Communities are those of the proposals, then those of the reviewers, in order of first
    mention; groups hold their proposals in the order given.
    """

    event: str
    #: Every key of the event is ``sha256(seed_tag + name)``: reviewers by id, and
    #: ``"authority"`` and ``"ledger"``; others (kiosks, staff) by the caller's names.
    seed_tag: bytes
    title_ko: str
    title_en: str
    #: proposal id → (title, community, group)
    proposals: dict[str, tuple[str, str, str]]
    #: reviewer id → (community, role, assigned proposals or groups)
    reviewers: dict[str, tuple[str, str, list[str]]]
    rubric: list[dict[str, Any]]
    #: proposals selected by the on-site scores and by the online ones
    quota: tuple[int, int]
    kiosk: str = "k1"
    logn: int = 10

    def key(self, name: str) -> SigningKey:
        """The key named ``name`` (never do this for a real event)."""
        return SigningKey(sha256(self.seed_tag + name.encode()))

    @property
    def authority(self) -> SigningKey:
        return self.key("authority")

    @property
    def ledger(self) -> SigningKey:
        return self.key("ledger")

    def plan(self) -> EventPlan:
        groups: dict[str, list[str]] = {}
        for p, (_, _, g) in self.proposals.items():
            groups.setdefault(g, []).append(p)
        mentioned = [c for _, c, _ in self.proposals.values()] + [c for c, _, _ in self.reviewers.values()]
        return EventPlan(
            event=self.event,
            title_ko=self.title_ko,
            title_en=self.title_en,
            communities=list(dict.fromkeys(mentioned)),
            groups=groups,
            proposals=[
                {"id": p, "title": title, "community": c, "group": g}
                for p, (title, c, g) in self.proposals.items()
            ],
            rubric=copy.deepcopy(self.rubric),
            reviewers=[PlannedReviewer(r, c, role, tuple(to)) for r, (c, role, to) in self.reviewers.items()],
            forms={"kiosk": "rubric", "online": "approval"},
            max_choices=2,
            selection=quota_selection(*self.quota),
            start=_OPEN,
            end=_CLOSE,
            kdf_min_logn=self.logn,
        )

    def manifest_object(self) -> dict[str, Any]:
        """A fresh copy of the manifest object (not signed)."""
        keys = {r: self.key(r).public_b64u for r in self.reviewers}
        return self.plan().manifest(keys, self.authority.public_b64u, self.ledger.public_b64u)

    def signed_manifest(self) -> dict[str, Any]:
        return sign_manifest(self.manifest_object(), self.authority)

    def rubric_ballot(
        self,
        reviewer: str,
        proposal: str,
        scores: dict[str, int],
        *,
        created_at: str,
        nonce: str,
        channel: str = "kiosk",
        comment: str | None = None,
    ) -> dict[str, Any]:
        """A rubric ballot object of this event (cast at :attr:`kiosk` when on site)."""
        return rubric_ballot(
            event=self.event,
            reviewer=reviewer,
            channel=channel,
            kiosk=self.kiosk if channel == "kiosk" else None,
            created_at=created_at,
            nonce=nonce,
            proposal=proposal,
            scores=scores,
            comment=comment,
        )

    def approval_ballot(
        self,
        reviewer: str,
        group: str,
        choices: list[str],
        *,
        created_at: str,
        nonce: str,
        channel: str = "online",
    ) -> dict[str, Any]:
        """An approval ballot object of this event (cast at :attr:`kiosk` when on site)."""
        return approval_ballot(
            event=self.event,
            reviewer=reviewer,
            channel=channel,
            kiosk=self.kiosk if channel == "kiosk" else None,
            created_at=created_at,
            nonce=nonce,
            group=group,
            choices=choices,
        )

    def sign(self, ballot: dict[str, Any], signer: str | None = None) -> SignedBallot:
        """``ballot`` signed with the key of ``signer`` (default: the ballot's reviewer)."""
        return sign_ballot(ballot, self.key(signer or str(ballot["reviewer"])))
