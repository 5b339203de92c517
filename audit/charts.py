"""Small SVG charts written as text: no library, no script, readable without a network.

Each function returns one ``<svg>`` element sized in CSS pixels with a ``viewBox`` so it
scales with the page; text uses the page's font (Korean included).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

KIOSK = "#2364aa"
ONLINE = "#e07a1f"
SELECTED = "#1b9e5a"
MUTED = "#b8c2cc"
INK = "#1f2933"
GRID = "#e4e7eb"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    color: str = KIOSK
    note: str = ""
    tip: str = ""


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(v))
    for step in (1, 2, 2.5, 5, 10):
        if step * mag >= v:
            return float(step * mag)
    return float(10 * mag)


def _nice_count(v: float) -> float:
    """An axis top for counts whose four ticks are whole numbers."""
    for k in range(16):
        for m in (4, 8, 12, 20, 40, 60, 80):
            if m * 10**k >= v:
                return float(m * 10**k)
    return float(v)


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v - round(v)) < 1e-9 else f"{v:,.1f}"


def hbars(
    bars: Sequence[Bar | None],
    *,
    title: str,
    subtitle: str = "",
    unit: str = "",
    vmax: float | None = None,
    width: int = 640,
) -> str:
    """Horizontal bars, one row per item, value printed at the bar's end; ``None`` is a
    gap row (ranks skipped)."""
    row, left, right = 22, 150, 70
    top = 50 if subtitle else 34
    height = top + row * len(bars) + 28
    top_v = vmax if vmax is not None else _nice_count(max((b.value for b in bars if b), default=0))
    plot = width - left - right
    out = [_open(width, height, title)]
    out.append(f'<text x="0" y="18" class="ct">{escape(title)}</text>')
    if subtitle:
        out.append(f'<text x="0" y="35" class="val">{escape(subtitle)}</text>')
    for k in range(5):
        x = left + plot * k / 4
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 24}" stroke="{GRID}"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 8}" class="tick" text-anchor="middle">{_fmt(top_v * k / 4)}</text>')
    for i, b in enumerate(bars):
        y = top + i * row
        if b is None:
            out.append(f'<text x="{left - 8}" y="{y + 14}" class="tick" text-anchor="end">⋮</text>')
            continue
        w = max(0.0, plot * min(b.value, top_v) / top_v) if top_v else 0.0
        tip = escape(b.tip or f"{b.label}: {_fmt(b.value)}{unit}")
        out.append(f'<text x="{left - 8}" y="{y + 14}" class="lbl" text-anchor="end">{escape(b.label)}</text>')
        out.append(
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 7}" rx="2" fill="{b.color}"><title>{tip}</title></rect>'
        )
        out.append(f'<text x="{left + w + 5:.1f}" y="{y + 14}" class="val">{_fmt(b.value)}{escape(unit)} {escape(b.note)}</text>')
    out.append("</svg>")
    return "".join(out)


def histogram(
    values: Sequence[float], *, title: str, lo: float, hi: float, bins: int, color: str, unit: str = "", width: int = 420
) -> str:
    """Counts of ``values`` in ``bins`` equal bins over ``[lo, hi]``."""
    counts = [0] * bins
    span = (hi - lo) or 1.0
    for v in values:
        k = min(bins - 1, max(0, int((v - lo) / span * bins)))
        counts[k] += 1
    height, top, left, bottom = 220, 34, 36, 36
    plot_w, plot_h = width - left - 10, height - top - bottom
    cmax = _nice_count(max(counts, default=0))
    out = [_open(width, height, title), f'<text x="0" y="18" class="ct">{escape(title)}</text>']
    for k in range(5):
        y = top + plot_h * (1 - k / 4)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{_fmt(cmax * k / 4)}</text>')
    bw = plot_w / bins
    for k, c in enumerate(counts):
        h = plot_h * c / cmax
        a, b = lo + span * k / bins, lo + span * (k + 1) / bins
        out.append(
            f'<rect x="{left + k * bw + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" '
            f'fill="{color}"><title>{_fmt(a)}–{_fmt(b)}{escape(unit)}: {c}</title></rect>'
        )
    for k in range(0, bins + 1, max(1, bins // 5)):
        x = left + k * bw
        out.append(f'<text x="{x:.1f}" y="{height - 18}" class="tick" text-anchor="middle">{_fmt(lo + span * k / bins)}</text>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 2}" class="tick" text-anchor="middle">{escape(unit)}</text>')
    out.append("</svg>")
    return "".join(out)


def columns(
    groups: Sequence[tuple[str, float, float]], *, title: str, legend: tuple[str, str], width: int = 900
) -> str:
    """Stacked columns (kiosk below, online on top) per group."""
    height, top, left, bottom = 270, 56, 44, 40
    n = max(1, len(groups))
    width = max(440, min(width, left + 10 + 56 * n))
    plot_w, plot_h = width - left - 10, height - top - bottom
    vmax = _nice_count(max((a + b for _, a, b in groups), default=0))
    cw = min(plot_w / n, 56.0)
    out = [_open(width, height, title), f'<text x="0" y="18" class="ct">{escape(title)}</text>']
    for j, (name, color) in enumerate(zip(legend, (KIOSK, ONLINE), strict=True)):
        out.append(f'<rect x="{j * 130}" y="27" width="11" height="11" fill="{color}"/>')
        out.append(f'<text x="{j * 130 + 16}" y="37" class="lbl">{escape(name)}</text>')
    for k in range(5):
        y = top + plot_h * (1 - k / 4)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{_fmt(vmax * k / 4)}</text>')
    every = max(1, math.ceil(n / 40))
    for i, (label, a, b) in enumerate(groups):
        x = left + i * cw
        ha, hb = plot_h * a / vmax, plot_h * b / vmax
        tip = escape(f"{label}: {_fmt(a)} + {_fmt(b)}")
        out.append(
            f'<rect x="{x + 1:.1f}" y="{top + plot_h - ha:.1f}" width="{max(1.0, cw - 2):.1f}" height="{ha:.1f}" fill="{KIOSK}"><title>{tip}</title></rect>'
        )
        out.append(
            f'<rect x="{x + 1:.1f}" y="{top + plot_h - ha - hb:.1f}" width="{max(1.0, cw - 2):.1f}" height="{hb:.1f}" fill="{ONLINE}"><title>{tip}</title></rect>'
        )
        if i % every == 0:
            out.append(
                f'<text x="{x + cw / 2:.1f}" y="{height - bottom + 14}" class="tick" text-anchor="middle">{escape(label)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}" style="color:{INK}">'
    )
