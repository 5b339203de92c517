"""The inline SVG charts: counts in the right bins, points where they belong, text escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from server.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def bars(svg: str) -> list[tuple[str, float]]:
    root = ET.fromstring(svg)
    return [(r.findtext(f"{SVG}title") or "", float(r.get("height", "0"))) for r in root.iter(f"{SVG}rect")]


def test_histogram_bins_values_and_closes_the_last_bin() -> None:
    svg = charts.histogram([0, 9.99, 10, 55, 100, 100], [0, 10, 50, 100], label="L", x_label="x", y_label="y", kind="kiosk")
    got = [title for title, _ in bars(svg)]
    assert got == ["0–10: 2", "10–50: 1", "50–100: 3"]
    heights = [h for _, h in bars(svg)]
    assert heights[2] > heights[0] > heights[1] > 0


def test_histogram_of_nothing_draws_empty_bins() -> None:
    svg = charts.histogram([], charts.score_edges([], top=100.0), label="L", x_label="x", y_label="y", kind="online")
    assert all(h == 0 for _, h in bars(svg)) and len(bars(svg)) == 10


def test_score_edges() -> None:
    assert charts.score_edges([3, 0, 7]) == [float(i) for i in range(9)]  # likes: one bin per value
    assert charts.score_edges([12.5, 80.0], top=100.0) == [float(i) for i in range(0, 101, 10)]
    assert charts.score_edges([0, 180]) == [float(i) for i in range(0, 181, 20)]  # 180 sits in the closed last bin


def test_scatter_places_points_and_escapes_labels() -> None:
    pts = [charts.Point("<p1>", 0.0, 0.0, "kiosk"), charts.Point("p2 & co", 100.0, 8.0, "none")]
    svg = charts.scatter(pts, label="a<b", x_label="x", y_label="y", x_top=100.0)
    root = ET.fromstring(svg)  # well-formed: labels were escaped
    circles = list(root.iter(f"{SVG}circle"))
    assert [c.findtext(f"{SVG}title") for c in circles] == ["<p1>: 0 / 0", "p2 & co: 100 / 8"]
    (x0, y0), (x1, y1) = [(float(c.get("cx", 0)), float(c.get("cy", 0))) for c in circles]
    assert x1 > x0 and y1 < y0  # right and up
    assert [c.get("class") for c in circles] == ["dot kiosk", "dot none"]
    assert re.search(r'aria-label="a&lt;b"', svg)
