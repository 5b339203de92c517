"""The results laid out for a page: rankings with their selection lines and the charts."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ..context import Context
from ..services import dashboard
from . import charts, i18n


def view(ctx: Context, lang: str, results: dict[str, Any]) -> dict[str, Any]:
    """``rk`` (rankings) and ``charts`` (inline SVG) for ``templates/_results.html``."""
    t = i18n.translator(lang)
    res = results["results"]
    rk = dashboard.ranking(ctx, res)
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
