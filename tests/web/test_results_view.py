"""Long results kept readable (no browser): a ranking shows its top and the rows around
its selection line, the full table comes one page at a time."""

from __future__ import annotations

from server.services.rankings import RankTable
from server.web.results_view import PAGE_ROWS, _fold, page_of


def table(n: int, line: int) -> RankTable:
    return RankTable("res.rank.kiosk", "kiosk", [{"id": f"p{i:04d}"} for i in range(1, n + 1)], line, 0)


def test_long_ranking_folds_between_top_and_line() -> None:
    tb = _fold(table(215, 200))  # 200 selected + 15 after the line, as rankings.ranking keeps
    assert [r["id"] for r in tb["head"]] == [f"p{i:04d}" for i in range(1, 11)]
    assert tb["folded"] == 187 and tb["tail_from"] == 198
    assert tb["tail"][0]["id"] == "p0198" and tb["tail"][-1]["id"] == "p0215"
    assert len(tb["head"]) + tb["folded"] + len(tb["tail"]) == 215


def test_short_ranking_is_whole() -> None:
    tb = _fold(table(20, 6))
    assert tb["folded"] == 0 and len(tb["head"]) == 20 and tb["tail"] == []


def test_pages_of_the_full_table() -> None:
    rows = list(range(1359))
    first, page, pages = page_of(rows, 1)
    assert (first[0], len(first), page, pages) == (0, PAGE_ROWS, 1, 28)
    last, page, _ = page_of(rows, 99)  # clamped to the last page
    assert (page, last[0], last[-1]) == (28, 1350, 1358)
    assert page_of([], 3) == ([], 1, 1)
