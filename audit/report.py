"""The results report, from a verified ledger alone: ``results.html`` (charts as inline
SVG, no script, no network), ``results.csv`` and ``results.json``.

``results.json`` has the shape the server publishes at ``/api/v1/results``
(``{"event", "close_index", "results_hash", "results"}``) and ``results.csv`` its
columns, so a reader can compare the auditor's files with the published ones byte for
byte.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from shared.tally import results_hash

from . import charts
from .charts import KIOSK, MUTED, ONLINE, SELECTED, Bar
from .verdict import Verdict

CSV_FIELDS = (
    "proposal", "title", "group", "community", "kiosk_score", "kiosk_ballots", "kiosk_rank",
    "online_score", "online_ballots", "online_rank", "combined", "selected_by",
)  # fmt: skip
#: Rows shown in a ranking chart (the table lists every proposal).
CHART_ROWS = 36


def results_document(v: Verdict) -> dict[str, Any]:
    """What ``/api/v1/results`` publishes, recomputed from the ledger."""
    assert v.state is not None and v.results is not None and v.state.manifest is not None
    st = v.state
    return {
        "event": st.manifest.event,  # type: ignore[union-attr]
        "close_index": st.close_index,
        "results_hash": st.close["results_hash"] if st.close else results_hash(v.results),
        "results": v.results,
    }


def results_csv(results: dict[str, Any], titles: dict[str, str] | None = None) -> str:
    """The server's ``/api/v1/results.csv``, byte for byte (``titles``: proposal → title)."""
    titles = titles or {}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for p in results["proposals"]:
        k, o = p["kiosk"], p["online"]
        w.writerow(
            [
                p["id"], titles.get(p["id"], ""), p["group"], p["community"],
                "" if k["score"] is None else k["score"], k["ballots"], k["rank"] or "",
                "" if o["score"] is None else o["score"], o["ballots"], o["rank"] or "",
                "" if p["combined"] is None else p["combined"], p["selected_by"] or "",
            ]
        )  # fmt: skip
    return buf.getvalue()


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_report(v: Verdict, out: Path, *, generated: datetime | None = None) -> list[Path]:
    """Write the three files into ``out``; the verdict must be a yes."""
    if not v.ok or v.results is None:
        raise ValueError("a results report is written only from a ledger that verified")
    out.mkdir(parents=True, exist_ok=True)
    doc = results_document(v)
    paths = [out / "results.json", out / "results.csv", out / "results.html"]
    _write(paths[0], json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    titles = {pid: prop.title for pid, prop in v.state.manifest.proposals.items()} if v.state and v.state.manifest else {}
    _write(paths[1], results_csv(v.results, titles))
    _write(paths[2], render_html(v, doc, generated or datetime.now(UTC)))
    return paths


# --- HTML ------------------------------------------------------------------------------------


def _score(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def _ranking_chart(v: Verdict, channel: str, quota: int | None, *, exclude: frozenset[str] = frozenset()) -> str:
    """A channel's ranking: the top rows, and — when the selection line falls further down
    — the rows around that line. ``exclude``: proposals already taken by another channel."""
    m, r = v.state.manifest, v.results  # type: ignore[union-attr]
    assert m is not None and r is not None
    ranked = sorted(
        (p for p in r["proposals"] if p[channel]["rank"] is not None and p["id"] not in exclude),
        key=lambda p: p[channel]["rank"],
    )
    rows: list[dict[str, Any] | None]
    if quota is not None and quota + 6 > CHART_ROWS and len(ranked) > CHART_ROWS:
        rows = [*ranked[:16], None, *ranked[max(16, quota - 8) : quota + 8]]
    else:
        rows = list(ranked[:CHART_ROWS])
    base = KIOSK if channel == "kiosk" else ONLINE
    bars: list[Bar | None] = []
    for n, p in enumerate(rows):
        if p is None:
            bars.append(None)
            continue
        place = ranked.index(p) + 1 if exclude else p[channel]["rank"]
        picked = p["selected_by"] in (channel, "mix")
        color = SELECTED if picked else (base if not p["selected_by"] else MUTED)
        note = "✓" if picked else ("(" + p["selected_by"] + ")" if p["selected_by"] else "")
        title = m.proposals[p["id"]].title
        bars.append(
            Bar(
                f"{place}. {p['id']}",
                p[channel]["score"] or 0.0,
                color,
                note,
                f"{p['id']} {title}: {_score(p[channel]['score'])} ({p[channel]['ballots']} ballots)",
            )
        )
        del n
    unit = "" if m.forms[channel] == "rubric" else " ♥"
    form = "rubric score 0–100" if m.forms[channel] == "rubric" else "likes"
    if channel == "kiosk":
        title = "현장 순위 · kiosk (on-site) ranking"
    elif exclude:
        title = "온라인 순위 (현장 선정 제외) · online ranking of the rest"
    else:
        title = "온라인 순위 · online ranking"
    shown = sum(1 for b in bars if b is not None)
    sub = f"{form}; {shown} of {len(ranked)} shown" + (f"; quota {quota} (✓ selected)" if quota is not None else "")
    vmax = 100.0 if m.forms[channel] == "rubric" else None
    return charts.hbars(bars, title=title, subtitle=sub, unit=unit, vmax=vmax, width=500)


def _mix_chart(v: Verdict) -> str:
    r = v.results
    assert r is not None
    ranked = sorted((p for p in r["proposals"] if p["combined"] is not None), key=lambda p: -p["combined"])
    sel = set(r["selected"])
    shown = ranked[: min(CHART_ROWS, len(r["selected"]) + 8)]
    bars = [
        Bar(p["id"], p["combined"], SELECTED if p["id"] in sel else MUTED, "✓" if p["id"] in sel else "")
        for p in shown
    ]
    return charts.hbars(
        bars,
        title="종합 점수 · combined score",
        subtitle=f"weighted, each channel scaled 0–100; {len(bars)} of {len(ranked)} shown",
        vmax=100.0,
    )


def _distribution(v: Verdict, channel: str) -> str:
    m, r = v.state.manifest, v.results  # type: ignore[union-attr]
    assert m is not None and r is not None
    vals = [p[channel]["score"] for p in r["proposals"] if p[channel]["score"] is not None]
    color = KIOSK if channel == "kiosk" else ONLINE
    if m.forms[channel] == "rubric":
        return charts.histogram(vals, title=f"{channel} scores · 점수 분포", lo=0, hi=100, bins=20, color=color, unit="score")
    top = int(max(vals, default=1.0))
    step = max(1, -(-(top + 1) // 20))
    bins = -(-(top + 1) // step)
    return charts.histogram(
        vals, title=f"{channel} likes · 좋아요 분포", lo=0, hi=bins * step, bins=bins, color=color, unit="likes"
    )


def _per_group(v: Verdict) -> str:
    st, m = v.state, v.state.manifest  # type: ignore[union-attr]
    assert st is not None and m is not None
    counts: Counter[tuple[str, str]] = Counter()
    for a in (v.merged or st.merged()).effective.values():
        # a.target is the proposal of a rubric ballot, the group of an approval ballot
        prop = m.proposals.get(a.target or "") if a.form == "rubric" else None
        group = prop.group if prop is not None else (a.target if a.form != "rubric" else None)
        counts[(str(group), a.channel)] += 1
    groups = [(g, float(counts[(g, "kiosk")]), float(counts[(g, "online")])) for g in m.groups]
    return charts.columns(groups, title="조별 유효 투표 · effective ballots per group", legend=("kiosk 현장", "online 온라인"))


def _table(v: Verdict) -> str:
    m, r = v.state.manifest, v.results  # type: ignore[union-attr]
    assert m is not None and r is not None
    order = {p: i for i, p in enumerate(r["selected"])}
    mix = r["mode"] == "mix"

    def key(p: dict[str, Any]) -> tuple[int, int, str]:
        if p["id"] in order:
            return (0, order[p["id"]], p["id"])
        best = min(x for x in (p["kiosk"]["rank"], p["online"]["rank"], 10**9) if x is not None)
        return (1, best, p["id"])

    rows = []
    for p in sorted(r["proposals"], key=key):
        sel = p["id"] in order
        rows.append(
            f'<tr class="{"sel" if sel else ""}"><td class="n">{order[p["id"]] + 1 if sel else ""}</td>'
            f"<td><b>{escape(p['id'])}</b></td><td>{escape(m.proposals[p['id']].title)}</td>"
            f"<td>{escape(p['group'])}</td>"
            f'<td class="n">{_score(p["kiosk"]["score"])}</td><td class="n">{p["kiosk"]["rank"] or "–"}</td>'
            f'<td class="n">{p["kiosk"]["ballots"]}</td>'
            f'<td class="n">{_score(p["online"]["score"], 0 if m.forms["online"] == "approval" else 1)}</td>'
            f'<td class="n">{p["online"]["rank"] or "–"}</td><td class="n">{p["online"]["ballots"]}</td>'
            + (f'<td class="n">{_score(p["combined"])}</td>' if mix else "")
            + f"<td>{escape(p['selected_by'] or '')}</td></tr>"
        )
    head = (
        "<tr><th>#</th><th>제안<br>proposal</th><th>제목<br>title</th><th>조<br>group</th>"
        "<th>현장 점수<br>kiosk score</th><th>순위<br>rank</th><th>표<br>ballots</th>"
        "<th>온라인<br>online</th><th>순위<br>rank</th><th>표<br>ballots</th>"
        + ("<th>종합<br>combined</th>" if mix else "")
        + "<th>선정<br>selected by</th></tr>"
    )
    return f'<table><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _cards(v: Verdict) -> str:
    st, r = v.state, v.results
    assert st is not None and r is not None and st.manifest is not None
    merged = v.merged or st.merged()
    items = [
        (f"{len(r['selected'])} / {len(r['proposals'])}", "선정 / 제안", "selected of proposals"),
        (f"{r['effective_ballots']['kiosk']:,}", "현장 유효 투표", "effective kiosk ballots"),
        (f"{r['effective_ballots']['online']:,}", "온라인 유효 투표", "effective online ballots"),
        (f"{len(st.accepted):,}", "접수된 투표", "ballots on the ledger"),
        (f"{len(st.rejected):,}", "거부된 기록", "rejected kiosk records"),
        (f"{len(merged.conflicts):,}", "중복 투표", "conflicts merged"),
        (f"{len(st.kiosks):,}", "키오스크", "kiosks"),
    ]
    return "".join(
        f'<div class="card"><div class="big">{escape(a)}</div><div>{escape(b)}</div><div class="en">{escape(c)}</div></div>'
        for a, b, c in items
    )


def _picked(r: dict[str, Any]) -> str:
    sel = r["selected"]
    if len(sel) <= 60:
        return '<p class="picked">' + " ".join(f'<span class="chip">{escape(p)}</span>' for p in sel) + "</p>"
    by = Counter(p["selected_by"] for p in r["proposals"] if p["selected_by"])
    parts = " + ".join(f"{n} {escape(k)}" for k, n in sorted(by.items()))
    return (
        f'<p class="picked"><span class="chip">{len(sel)} 선정 · selected</span> {parts} — '
        "전체 목록은 아래 표에 (초록색 행) · every one is in the table below (green rows)</p>"
    )


def render_html(v: Verdict, doc: dict[str, Any], generated: datetime) -> str:
    st, head, r = v.state, v.head, v.results
    assert st is not None and head is not None and r is not None and st.manifest is not None
    m = st.manifest
    sel = m.selection
    if r["mode"] == "quota":
        rule = (
            f"현장 순위 상위 {sel.quota_kiosk}개, 이어서 나머지 중 온라인 순위 상위 {sel.quota_online}개 · "
            f"top {sel.quota_kiosk} by the kiosk ranking, then the top {sel.quota_online} of the rest by the online ranking"
        )
        by_kiosk = frozenset(p["id"] for p in r["proposals"] if p["selected_by"] == "kiosk")
        rankings = _ranking_chart(v, "kiosk", sel.quota_kiosk) + _ranking_chart(
            v, "online", sel.quota_online, exclude=by_kiosk
        )
    else:
        rule = (
            f"종합 점수 상위 {sel.select}개 (현장 {sel.weight_kiosk:g} · 온라인 {sel.weight_online:g}) · "
            f"top {sel.select} by {sel.weight_kiosk:g}·kiosk + {sel.weight_online:g}·online, each scaled 0–100"
        )
        rankings = _mix_chart(v) + _ranking_chart(v, "kiosk", None) + _ranking_chart(v, "online", None)
    closed = st.close is not None
    status = (
        f"원장 검증 통과 · ledger verified — {head.tree_size:,} entries, closed at entry {st.close_index}"
        if closed
        else f"원장 검증 통과 · ledger verified — {head.tree_size:,} entries; <b>not closed: provisional results · 마감 전 잠정 결과</b>"
    )
    root = head.root_hash.hex()
    sth_time = datetime.fromtimestamp(head.timestamp / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(m.title_ko)} — 결과 · results</title>
<style>{_CSS}</style></head>
<body><main>
<header><p class="kicker">심사 결과 · Results — {escape(m.event)}</p>
<h1>{escape(m.title_ko)}</h1><p class="sub">{escape(m.title_en)}</p>
<p class="ok {"" if closed else "warn"}">✓ {status}</p></header>
<section class="cards">{_cards(v)}</section>
<section><h2>선정 방식 · Selection rule</h2><p>{escape(rule)}. 동점: 유효 투표 수가 많은 쪽, 그다음 SHA-256(event ‖ proposal) 오름차순 ·
ties: more effective ballots first, then SHA-256(event ‖ proposal id) ascending.</p>
{_picked(r)}</section>
<section class="charts">{rankings}</section>
<section class="charts">{_distribution(v, "kiosk")}{_distribution(v, "online")}</section>
<section class="charts">{_per_group(v)}</section>
<section><h2>전체 제안 · Every proposal</h2>{_table(v)}</section>
<footer><h2>검증 정보 · How to check this yourself</h2>
<dl><dt>signed tree head</dt><dd>size {head.tree_size:,}, root <code>{root}</code>, signed {sth_time}</dd>
<dt>results hash</dt><dd><code>{escape(doc["results_hash"])}</code> (SHA-256 of the RFC 8785 results object{", as the close entry records it" if closed else ""})</dd>
<dt>ledger key</dt><dd><code>{escape(m.ledger_key)}</code></dd>
<dt>authority key</dt><dd><code>{escape(m.authority_key)}</code></dd></dl>
<p>이 보고서는 원장만으로 다시 계산되었습니다. 누구나 <code>simsa verify &lt;server URL&gt;</code> 로 같은 결과를 확인할 수 있습니다.<br>
This report was recomputed from the ledger alone; anyone can check it with <code>simsa verify &lt;server URL&gt;</code>.
Generated {generated.strftime("%Y-%m-%d %H:%M UTC")} by simsa results from {escape(v.source)}.</p></footer>
</main></body></html>
"""


_CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--ok:#1b9e5a;--warn:#b7791f}
*{box-sizing:border-box}
body{margin:0;background:#f5f7fa;color:var(--ink);
font-family:"Nanum Gothic","NanumGothic","Noto Sans KR","Apple SD Gothic Neo","Malgun Gothic",system-ui,sans-serif;line-height:1.45}
main{max-width:1080px;margin:0 auto;padding:32px 28px 48px;background:#fff;min-height:100vh}
header h1{margin:4px 0 2px;font-size:28px}
.kicker{margin:0;color:var(--muted);font-size:14px;letter-spacing:.02em}
.sub{margin:0 0 12px;color:var(--muted)}
.ok{display:inline-block;margin:6px 0 0;padding:6px 12px;border-radius:6px;background:#e3f6ec;color:#0f5132;font-size:14px}
.ok.warn{background:#fff4e0;color:#7a4a00}
h2{font-size:18px;margin:28px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:10px;margin-top:22px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;font-size:13px}
.card .big{font-size:22px;font-weight:700}
.card .en{color:var(--muted);font-size:12px}
.chip{display:inline-block;margin:2px;padding:2px 8px;border-radius:10px;background:#e3f6ec;color:#0f5132;font-size:13px;font-weight:700}
.charts{display:flex;flex-wrap:wrap;align-items:flex-start;gap:18px;margin-top:18px}
.charts svg{max-width:100%;height:auto}
svg .ct{font-size:14px;font-weight:700;fill:currentColor}
svg .lbl{font-size:12px;fill:currentColor}
svg .val{font-size:11px;fill:#52606d}
svg .tick{font-size:10px;fill:#7b8794}
table{border-collapse:collapse;width:100%;font-size:13px}
th{background:#f0f4f8;text-align:left;font-weight:600;font-size:12px;position:sticky;top:0}
th,td{padding:4px 6px;border-bottom:1px solid var(--line);vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.sel td{background:#f1fbf5}
footer{margin-top:28px;font-size:13px;color:var(--muted)}
dl{display:grid;grid-template-columns:140px 1fr;gap:4px 12px}
dt{font-weight:600;color:var(--ink)}
code{font-size:12px;word-break:break-all}
@media print{body{background:#fff}main{padding:0}th{position:static}}
"""
