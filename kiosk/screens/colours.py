"""The kiosk's two colour sets, normal and high contrast, as ``#RRGGBB`` text, and the WCAG
contrast ratio that tests/kiosk/test_theme.py holds them to. Free of Kivy so tests and
tools can read them; :mod:`kiosk.screens.theme` turns them into the palette the screens use."""

from __future__ import annotations

#: name → (normal, high contrast)
COLOURS: dict[str, tuple[str, str]] = {
    "BG": ("#F3F5F9", "#FFFFFF"),
    "PANEL": ("#FFFFFF", "#FFFFFF"),
    "BORDER": ("#B8C2D3", "#000000"),
    "INK": ("#0B1221", "#000000"),
    "INK_SOFT": ("#2F3B52", "#000000"),
    "INK_ON_DARK": ("#FFFFFF", "#FFFFFF"),
    "BAR": ("#0B1221", "#000000"),
    "PRIMARY": ("#1542B8", "#002A8C"),
    "PRIMARY_DOWN": ("#0C2A7A", "#000000"),
    "SUCCESS": ("#11703A", "#00501F"),
    "DONE_BG": ("#E8F7ED", "#FFFFFF"),
    "DANGER": ("#A3161A", "#8A0000"),
    "DANGER_BG": ("#FDECEC", "#FFF0F0"),
    "INFO_BG": ("#E6EEFF", "#E8E8E8"),
    "CHOSEN": ("#1542B8", "#000000"),
    "UNCHOSEN": ("#FFFFFF", "#FFFFFF"),
    "DISABLED": ("#6B7385", "#2B2B2B"),
    "DISABLED_BG": ("#F3F5F9", "#D6D6D6"),
    "DEMO": ("#FFD400", "#FFD400"),
    "TRACK": ("#B8C2D3", "#C8C8C8"),  # the empty part of a progress strip
}

#: Border widths in dp (normal, high contrast): around buttons and chips, around panels.
EDGE_DP = (2, 4)
FRAME_DP = (1, 3)


def rgba(hex_colour: str) -> tuple[float, float, float, float]:
    """``#RRGGBB`` as Kivy's (r, g, b, 1) in 0..1."""
    h = hex_colour.lstrip("#")
    if len(h) != 6:
        raise ValueError(f"not a #RRGGBB colour: {hex_colour!r}")
    r, g, b = (int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, 1.0)


def luminance(hex_colour: str) -> float:
    """Relative luminance of an sRGB colour ``#RRGGBB`` (WCAG 2)."""
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba(hex_colour)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#RRGGBB`` colours, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
