"""Tally and selection (DESIGN §5), recomputable by anyone from the ledger alone.

- rubric total = 100 · Σ weight·score / Σ weight·max; a proposal's channel score is the
  mean of its effective totals (of per-reviewer z-scores when the manifest says zscore);
- approval: a proposal's channel score is its number of effective likes;
- ``quota``: the top ``quota.kiosk`` by the kiosk ranking, then the top ``quota.online``
  of the rest by the online ranking; ``mix``: rank by weights.kiosk·scaled kiosk score +
  weights.online·scaled online score and take the top ``select``;
- ties: more effective ballots first, then SHA-256(event ‖ proposal id) ascending.

Scores in the result are rounded to 6 decimals, so the results object — and its hash in
the ``close`` entry — is the same for every correct implementation.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .encoding import b64u, jcs, sha256
from .manifest import CHANNELS, Manifest
from .merge import Accepted, Key

DECIMALS = 6


@dataclass(frozen=True)
class ChannelScore:
    score: float | None
    ballots: int


def rubric_total(manifest: Manifest, scores: Mapping[str, int]) -> float:
    """A rubric ballot's total on 0–100."""
    crit = manifest.rubric
    top = sum(c.weight * c.max for c in crit)
    return 100.0 * math.fsum(c.weight * scores[c.id] for c in crit) / top


def tiebreak(event: str, proposal: str) -> bytes:
    """SHA-256(event ‖ proposal id), UTF-8; ascending wins a tie."""
    return sha256(event.encode() + proposal.encode())


def _zscores(values: dict[str, float]) -> dict[str, float]:
    if len(values) < 2:
        return {k: 0.0 for k in values}
    mean = math.fsum(values.values()) / len(values)
    var = math.fsum((v - mean) ** 2 for v in values.values()) / len(values)
    sd = math.sqrt(var)
    return {k: (v - mean) / sd if sd > 0 else 0.0 for k, v in values.items()}


@dataclass
class _Counted:
    """One channel's effective ballots as the tally reads them, gathered in one pass."""

    ballots: int = 0
    likes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    totals: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))


def _counted(manifest: Manifest, effective: Mapping[Key, Accepted]) -> dict[str, _Counted]:
    """Every channel's counts from one pass over the effective ballots (a million of them
    may be built one at a time from columns: :mod:`shared.columns`)."""
    counted = {ch: _Counted() for ch in CHANNELS}
    for a in effective.values():
        c = counted.get(a.channel)
        if c is None:
            continue
        c.ballots += 1
        form = manifest.forms[a.channel]
        if form == "approval" and a.form == "approval":
            for p in a.choices or ():
                c.likes[p] += 1
        elif form != "approval" and a.form == "rubric" and a.target is not None:
            # one effective ballot per (reviewer, target): nothing is overwritten
            c.totals[a.reviewer][a.target] = rubric_total(manifest, a.scores or {})
    return counted


def channel_scores(manifest: Manifest, counted: _Counted, channel: str) -> dict[str, ChannelScore]:
    """Each proposal's score and effective-ballot count on one channel."""
    if manifest.forms[channel] == "approval":
        likes = counted.likes
        return {
            p: ChannelScore(float(likes[p]) if likes.get(p) else None, likes.get(p, 0)) for p in manifest.proposals
        }
    per_reviewer = counted.totals
    if manifest.selection.normalize == "zscore":
        per_reviewer = {r: _zscores(v) for r, v in per_reviewer.items()}
    values: dict[str, list[float]] = defaultdict(list)
    for r in sorted(per_reviewer):
        for p, v in sorted(per_reviewer[r].items()):
            values[p].append(v)
    return {
        p: ChannelScore(math.fsum(values[p]) / len(values[p]) if values[p] else None, len(values[p]))
        for p in manifest.proposals
    }


def _ranking(manifest: Manifest, scores: Mapping[str, ChannelScore]) -> list[str]:
    scored = [p for p, s in scores.items() if s.score is not None]
    return sorted(
        scored,
        key=lambda p: (
            -round(scores[p].score or 0.0, DECIMALS),
            -scores[p].ballots,
            tiebreak(manifest.event, p),
        ),
    )


def _scaled(manifest: Manifest, scores: Mapping[str, ChannelScore], channel: str) -> dict[str, float]:
    vals = {p: s.score for p, s in scores.items() if s.score is not None}
    if not vals:
        return {}
    if manifest.forms[channel] == "approval":
        top = max(vals.values())
        return {p: 100.0 * v / top if top > 0 else 0.0 for p, v in vals.items()}
    if manifest.selection.normalize == "zscore":
        lo, hi = min(vals.values()), max(vals.values())
        return {p: 100.0 * (v - lo) / (hi - lo) if hi > lo else 50.0 for p, v in vals.items()}
    return dict(vals)


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, DECIMALS)


def tally(manifest: Manifest, effective: Mapping[Key, Accepted]) -> dict[str, Any]:
    """The results object: per-proposal channel scores, rankings and the selection."""
    sel = manifest.selection
    counted = _counted(manifest, effective)
    scores = {ch: channel_scores(manifest, counted[ch], ch) for ch in CHANNELS}
    ranks = {ch: _ranking(manifest, scores[ch]) for ch in CHANNELS}
    combined: dict[str, float] = {}
    selected: list[str] = []
    selected_by: dict[str, str] = {}
    if sel.mode == "quota":
        for p in ranks["kiosk"][: sel.quota_kiosk]:
            selected.append(p)
            selected_by[p] = "kiosk"
        rest = [p for p in ranks["online"] if p not in selected_by]
        for p in rest[: sel.quota_online]:
            selected.append(p)
            selected_by[p] = "online"
    else:
        sk, so = _scaled(manifest, scores["kiosk"], "kiosk"), _scaled(manifest, scores["online"], "online")
        for p in manifest.proposals:
            if p in sk or p in so:
                combined[p] = round(
                    sel.weight_kiosk * sk.get(p, 0.0) + sel.weight_online * so.get(p, 0.0), DECIMALS
                )
        order = sorted(
            combined,
            key=lambda p: (
                -combined[p],
                -(scores["kiosk"][p].ballots + scores["online"][p].ballots),
                tiebreak(manifest.event, p),
            ),
        )
        for p in order[: sel.select]:
            selected.append(p)
            selected_by[p] = "mix"
    rank_of = {ch: {p: i + 1 for i, p in enumerate(ranks[ch])} for ch in CHANNELS}
    proposals = []
    for pid in sorted(manifest.proposals):
        prop = manifest.proposals[pid]
        proposals.append(
            {
                "id": pid,
                "group": prop.group,
                "community": prop.community,
                "kiosk": {
                    "score": _r(scores["kiosk"][pid].score),
                    "ballots": scores["kiosk"][pid].ballots,
                    "rank": rank_of["kiosk"].get(pid),
                },
                "online": {
                    "score": _r(scores["online"][pid].score),
                    "ballots": scores["online"][pid].ballots,
                    "rank": rank_of["online"].get(pid),
                },
                "combined": combined.get(pid),
                "selected_by": selected_by.get(pid),
            }
        )
    return {
        "event": manifest.event,
        "mode": sel.mode,
        "normalize": sel.normalize,
        "effective_ballots": {ch: counted[ch].ballots for ch in CHANNELS},
        "proposals": proposals,
        "selected": selected,
    }


def results_hash(results: Mapping[str, Any]) -> str:
    """b64u(SHA-256(JCS(results))), as the ``close`` entry records it."""
    return b64u(sha256(jcs(dict(results))))
