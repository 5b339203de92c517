"""Colours and sizes of the kiosk: high contrast (text on background ≥ 7:1), large type,
touch targets of at least 56 dp (the minimum asked is 48 dp).

The colours live twice: as module constants (the normal look) and in :data:`pal`, a Kivy
palette the .kv rules read as ``theme.pal.INK`` so that :meth:`Palette.use` switches every
screen to the high-contrast look at once (black on white, no grey text, thick borders;
every text colour ≥ 7:1 on its background, WCAG AAA — tests/kiosk/test_theme.py)."""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.metrics import dp, sp
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty
from kivy.utils import get_color_from_hex as hexc

from .colours import COLOURS, EDGE_DP, FRAME_DP, contrast_ratio, luminance

__all__ = ["COLOURS", "contrast_ratio", "luminance", "pal"]

BG = hexc(COLOURS["BG"][0])
PANEL = hexc(COLOURS["PANEL"][0])
BORDER = hexc(COLOURS["BORDER"][0])
INK = hexc(COLOURS["INK"][0])
INK_SOFT = hexc(COLOURS["INK_SOFT"][0])
INK_ON_DARK = hexc(COLOURS["INK_ON_DARK"][0])
BAR = hexc(COLOURS["BAR"][0])
PRIMARY = hexc(COLOURS["PRIMARY"][0])
PRIMARY_DOWN = hexc(COLOURS["PRIMARY_DOWN"][0])
SUCCESS = hexc(COLOURS["SUCCESS"][0])
DANGER = hexc(COLOURS["DANGER"][0])
DANGER_BG = hexc(COLOURS["DANGER_BG"][0])
INFO_BG = hexc(COLOURS["INFO_BG"][0])
CHOSEN = hexc(COLOURS["CHOSEN"][0])
UNCHOSEN = hexc(COLOURS["UNCHOSEN"][0])
DISABLED = hexc(COLOURS["DISABLED"][0])
DEMO = hexc(COLOURS["DEMO"][0])

TOUCH = dp(56)  # smallest touch target used anywhere (≥ 48 dp)
BIG = dp(80)
GAP = dp(16)
RADIUS = dp(14)

TITLE = sp(38)
BODY = sp(24)
SMALL = sp(19)
BUTTON = sp(27)
KEYPAD = sp(42)
HUGE = sp(72)

#: Border widths (normal, high contrast): around buttons and chips, around panels.
EDGE = (dp(EDGE_DP[0]), dp(EDGE_DP[1]))
FRAME = (dp(FRAME_DP[0]), dp(FRAME_DP[1]))


class Palette(EventDispatcher):  # type: ignore[misc]
    """The colours now in use; .kv rules bound to them redraw when :meth:`use` switches."""

    high = BooleanProperty(False)
    edge = NumericProperty(EDGE[0])
    frame = NumericProperty(FRAME[0])
    BG = ColorProperty(BG)
    PANEL = ColorProperty(PANEL)
    BORDER = ColorProperty(BORDER)
    INK = ColorProperty(INK)
    INK_SOFT = ColorProperty(INK_SOFT)
    INK_ON_DARK = ColorProperty(INK_ON_DARK)
    BAR = ColorProperty(BAR)
    PRIMARY = ColorProperty(PRIMARY)
    PRIMARY_DOWN = ColorProperty(PRIMARY_DOWN)
    SUCCESS = ColorProperty(SUCCESS)
    DONE_BG = ColorProperty(hexc(COLOURS["DONE_BG"][0]))
    DANGER = ColorProperty(DANGER)
    DANGER_BG = ColorProperty(DANGER_BG)
    INFO_BG = ColorProperty(INFO_BG)
    CHOSEN = ColorProperty(CHOSEN)
    UNCHOSEN = ColorProperty(UNCHOSEN)
    DISABLED = ColorProperty(DISABLED)
    DISABLED_BG = ColorProperty(hexc(COLOURS["DISABLED_BG"][0]))
    DEMO = ColorProperty(DEMO)
    TRACK = ColorProperty(hexc(COLOURS["TRACK"][0]))

    def use(self, high: bool) -> None:
        """Switch to the high-contrast colours (``high``) or back to the normal ones."""
        i = 1 if high else 0
        for name, pair in COLOURS.items():
            setattr(self, name, hexc(pair[i]))
        self.edge, self.frame = EDGE[i], FRAME[i]
        self.high = high


pal = Palette()
