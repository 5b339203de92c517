"""Issue 11, high contrast: every text colour of the high-contrast palette stands ≥ 7:1
(WCAG AAA) on each background it is drawn on, there is no grey text, borders are black and
thicker, and the palette switches there and back."""

from __future__ import annotations

import os

import pytest

from kiosk.screens.colours import COLOURS, EDGE_DP, FRAME_DP, contrast_ratio

#: (text, background) as the screens draw them (.kv files, FlatButton styles).
TEXT_ON = [
    ("INK", "BG"), ("INK", "PANEL"), ("INK", "INFO_BG"), ("INK", "DEMO"), ("INK", "DANGER_BG"), ("INK", "DONE_BG"),
    ("INK_SOFT", "BG"), ("INK_SOFT", "PANEL"), ("INK_SOFT", "DANGER_BG"), ("INK_SOFT", "DONE_BG"),
    ("INK_ON_DARK", "BAR"), ("INK_ON_DARK", "PRIMARY"), ("INK_ON_DARK", "PRIMARY_DOWN"),
    ("INK_ON_DARK", "SUCCESS"), ("INK_ON_DARK", "DANGER"), ("INK_ON_DARK", "CHOSEN"), ("DEMO", "BAR"),
    ("PRIMARY", "BG"), ("PRIMARY", "PANEL"), ("PRIMARY", "DONE_BG"), ("PRIMARY", "DANGER_BG"),
    ("SUCCESS", "BG"), ("SUCCESS", "PANEL"), ("SUCCESS", "DONE_BG"),
    ("DANGER", "BG"), ("DANGER", "PANEL"), ("DANGER", "DANGER_BG"),
    ("DISABLED", "DISABLED_BG"),
]


def high(name: str) -> str:
    return COLOURS[name][1]


@pytest.mark.parametrize(("fg", "bg"), TEXT_ON)
def test_high_contrast_text_is_at_least_7_to_1(fg: str, bg: str) -> None:
    ratio = contrast_ratio(high(fg), high(bg))
    assert ratio >= 7.0, f"{fg} {high(fg)} on {bg} {high(bg)}: {ratio:.2f}:1"


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # the well-known grey
    with pytest.raises(ValueError, match="not a #RRGGBB colour"):
        contrast_ratio("#FFF", "#000000")


def test_high_contrast_has_no_grey_text_and_black_borders() -> None:
    assert high("INK") == high("INK_SOFT") == "#000000"
    assert high("BG") == high("PANEL") == "#FFFFFF"
    assert high("BORDER") == "#000000"
    assert contrast_ratio(high("BORDER"), high("PANEL")) >= 7.0
    assert EDGE_DP[1] >= 2 * EDGE_DP[0] and FRAME_DP[1] >= 3 * FRAME_DP[0]


def test_palette_switches_and_back() -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # Kivy must not read pytest's arguments
    from kiosk.screens import theme  # Kivy: only here

    pal = theme.Palette()
    assert tuple(pal.INK_SOFT) == tuple(theme.INK_SOFT) and not pal.high
    seen: list[bool] = []
    pal.bind(high=lambda _p, v: seen.append(v))
    pal.use(True)
    assert pal.high and tuple(pal.INK_SOFT) == (0, 0, 0, 1) and tuple(pal.BG) == (1, 1, 1, 1)
    assert pal.edge == theme.EDGE[1]
    pal.use(False)
    assert tuple(pal.INK_SOFT) == tuple(theme.INK_SOFT) and tuple(pal.BG) == tuple(theme.BG)
    assert seen == [True, False]
