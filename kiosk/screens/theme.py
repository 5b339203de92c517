"""Colours and sizes of the kiosk: high contrast (text on background ≥ 7:1), large type,
touch targets of at least 56 dp (the minimum asked is 48 dp)."""

from __future__ import annotations

from kivy.metrics import dp, sp
from kivy.utils import get_color_from_hex as hexc

BG = hexc("#F3F5F9")
PANEL = hexc("#FFFFFF")
BORDER = hexc("#B8C2D3")
INK = hexc("#0B1221")
INK_SOFT = hexc("#2F3B52")
INK_ON_DARK = hexc("#FFFFFF")
BAR = hexc("#0B1221")
PRIMARY = hexc("#1542B8")
PRIMARY_DOWN = hexc("#0C2A7A")
SUCCESS = hexc("#11703A")
DANGER = hexc("#A3161A")
DANGER_BG = hexc("#FDECEC")
INFO_BG = hexc("#E6EEFF")
CHOSEN = hexc("#1542B8")
UNCHOSEN = hexc("#FFFFFF")
DISABLED = hexc("#6B7385")
DEMO = hexc("#FFD400")

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
