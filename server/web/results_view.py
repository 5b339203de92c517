"""The results laid out for a page: rankings with their selection lines and the charts."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from markupsafe import Markup

from ..context import Context
from ..services import rankings
from ..services.rankings import RankTable
from ..services.views import Results
from . import charts, i18n

#: Rows of the full table per page, and of a ranking shown above its selection line.
PAGE_ROWS = 50
RANK_HEAD = 10
RANK_BEFORE_LINE = 3


def _fold(table: RankTable) -> dict[str, Any]:
    """Keep a long ranking readable: its first rows and the rows around the selection line;
    ``folded`` says how many ranks in between are left to the full table and the CSV."""
    tb = {f.name: getattr(table, f.name) for f in fields(table)}
    start = max(RANK_HEAD, table.line - RANK_BEFORE_LINE)
    tb["folded"] = max(0, start - RANK_HEAD)
    tb["head"] = table.rows[:RANK_HEAD] if tb["folded"] else table.rows
    tb["tail"] = table.rows[start:] if tb["folded"] else []
    tb["tail_from"] = start + 1
    return tb


def page_of(rows: list[Any], page_no: int, size: int = PAGE_ROWS) -> tuple[list[Any], int, int]:
    """Rows of page ``page_no`` (1-based, clamped), that page and the number of pages."""
    pages = max(1, -(-len(rows) // size))
    page_no = min(max(1, page_no), pages)
    return rows[(page_no - 1) * size : page_no * size], page_no, pages


def view(ctx: Context, lang: str, results: Results, page_no: int = 1) -> dict[str, Any]:
    """``rk`` (rankings, long ones folded; the full table one page at a time) and
    ``charts`` (inline SVG) for ``templates/_results.html``."""
    t = i18n.translator(lang)
    res = results.results
    ranked = rankings.ranking(ctx, res)
    rk: dict[str, Any] = {"mode": ranked.mode, "selected": ranked.selected, "tables": [_fold(tb) for tb in ranked.tables]}
    rk["all_total"] = len(ranked.all)
    rk["all"], rk["page"], rk["pages"] = page_of(ranked.all, page_no)
    rk["all_first"] = (rk["page"] - 1) * PAGE_ROWS + 1
    kiosk_scores = [p["kiosk"]["score"] for p in res["proposals"] if p["kiosk"]["score"] is not None]
    online_scores = [p["online"]["score"] for p in res["proposals"] if p["online"]["score"] is not None]
    kiosk_form = ctx.manifest.forms["kiosk"]
    online_form = ctx.manifest.forms["online"]

    def axis(form: str) -> str:
        return t("res.axis.score") if form == "rubric" else t("res.axis.likes")

    def edges(values: list[float], form: str) -> list[float]:
        return charts.score_edges(values, top=100.0) if form == "rubric" else charts.score_edges(values)

    points = [
        charts.Point(
            f"{p['id']} ({p['group']})",
            p["kiosk"]["score"],
            p["online"]["score"],
            p["selected_by"] or "none",
        )
        for p in res["proposals"]
        if p["kiosk"]["score"] is not None and p["online"]["score"] is not None
    ]
    figures: dict[str, Markup] = {
        "dist_kiosk": charts.histogram(
            kiosk_scores, edges(kiosk_scores, kiosk_form), label=t("res.dist.kiosk"),
            x_label=axis(kiosk_form), y_label=t("res.axis.proposals"), kind="kiosk",
        ),
        "dist_online": charts.histogram(
            online_scores, edges(online_scores, online_form), label=t("res.dist.online"),
            x_label=axis(online_form), y_label=t("res.axis.proposals"), kind="online",
        ),
        "scatter": charts.scatter(
            points, label=t("res.scatter"), x_label=f"{t('channel.kiosk')} · {axis(kiosk_form)}",
            y_label=f"{t('channel.online')} · {axis(online_form)}",
            x_top=100.0 if kiosk_form == "rubric" else None,
        ),
    }
    return {"rk": rk, "charts": figures}
