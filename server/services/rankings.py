"""The results staff and the public see laid out: provisional (staff only, before the
close) and published (after it), and the rankings as the selection works."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.tally import results_hash

from ..context import Context
from . import views

#: Rows of a ranking shown past its selection line (the full table and CSV hold the rest).
RANKING_TAIL = 15


def provisional_results(ctx: Context) -> views.Results:
    """The results as they would be if the event closed now (staff only, never published);
    computed once per tree size."""
    with ctx.db.read() as conn:
        state = ctx.replayed.state(conn)
        cached = ctx.provisional
        if cached is not None and cached[0] == state.size:
            return cached[1]
        size = state.size
        res = state.results()
    out = views.Results(ctx.manifest.event, None, results_hash(res), res)
    ctx.provisional = (size, out)
    return out


def published_results(ctx: Context) -> views.Results:
    """:func:`views.results` (:class:`NotClosed` before close); the closed ledger never
    changes, so once."""
    cached = ctx.published
    if cached is None:
        cached = ctx.published = views.results(ctx)
    return cached


@dataclass(frozen=True)
class RankTable:
    """One ranking: its rows (results' proposals with their titles) up to ``RANKING_TAIL``
    past the selection ``line``; ``more`` rows left to the full table."""

    key: str
    channel: str
    rows: list[dict[str, Any]]
    line: int
    more: int


@dataclass(frozen=True)
class Ranking:
    mode: str
    selected: int
    tables: list[RankTable]
    all: list[dict[str, Any]]  # every proposal, by id


def ranking(ctx: Context, results: dict[str, Any]) -> Ranking:
    """The results laid out as the selection works: for ``quota``, the on-site ranking with
    its line, then the online ranking of the rest with its line; for ``mix``, one ranking."""
    m = ctx.manifest
    sel = m.selection
    by_id = {p["id"]: {**p, "title": m.proposals[p["id"]].title} for p in results["proposals"]}
    out: dict[str, Any] = {"tables": []}
    if sel.mode == "quota":
        k_rank = sorted((p for p in by_id.values() if p["kiosk"]["rank"]), key=lambda p: p["kiosk"]["rank"])
        k_sel = {p["id"] for p in k_rank[: sel.quota_kiosk]}
        o_rank = sorted(
            (p for p in by_id.values() if p["online"]["rank"] and p["id"] not in k_sel), key=lambda p: p["online"]["rank"]
        )
        out["tables"] = [
            {"key": "res.rank.kiosk", "channel": "kiosk", "rows": k_rank, "line": min(sel.quota_kiosk, len(k_rank))},
            {"key": "res.rank.online", "channel": "online", "rows": o_rank, "line": min(sel.quota_online, len(o_rank))},
        ]
    else:
        mix = sorted((p for p in by_id.values() if p["combined"] is not None), key=lambda p: -p["combined"])
        picked = [by_id[i] for i in results["selected"]]
        rest = [p for p in mix if p["id"] not in set(results["selected"])]
        out["tables"] = [{"key": "res.rank.mix", "channel": "mix", "rows": picked + rest, "line": len(picked)}]
    tables = []
    for tb in out["tables"]:
        keep = tb["line"] + RANKING_TAIL
        tables.append(RankTable(tb["key"], tb["channel"], tb["rows"][:keep], tb["line"], max(0, len(tb["rows"]) - keep)))
    return Ranking(sel.mode, len(results["selected"]), tables, sorted(by_id.values(), key=lambda p: p["id"]))
