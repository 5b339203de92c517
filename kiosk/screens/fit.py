"""Text that fits its box at any window size: :func:`fit_texts` shrinks a label's font (down
to :data:`MIN_SHRINK` of its design size, times the large-text factor) until its wrapped
text lies inside the label; :func:`overflowing` and :func:`small_targets` are what the
layout tests check on every screen at every size."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kivy.metrics import dp
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.widget import Widget

MIN_SHRINK = 0.55
SLACK = 1.5  # pixels of rounding


def shown(root: Widget) -> Iterator[Widget]:
    """Widgets actually on screen: in the tree and not hidden (opacity 0 hides a subtree)."""
    stack = [root]
    while stack:
        w = stack.pop()
        if w.opacity <= 0:
            continue
        yield w
        stack.extend(w.children)


def _over(w: Label) -> bool:
    tw, th = w.texture_size
    return bool(tw > w.width + SLACK or th > w.height + SLACK)


def fit_texts(root: Widget, scale: float = 1.0) -> int:
    """Fit every shown label; return how many were changed. (Colours are the palette's:
    :data:`kiosk.screens.theme.pal`, switched by the high-contrast setting.)"""
    changed = 0
    for w in shown(root):
        if not isinstance(w, Label) or not w.text:
            continue
        base: float | None = getattr(w, "_fit_base", None)
        if base is None:
            base = float(w.font_size)
            w._fit_base = base
        want = base * scale
        size = want
        if abs(w.font_size - want) > 0.01:
            w.font_size = want
            w.texture_update()
        while _over(w) and size > base * MIN_SHRINK:
            size *= 0.9
            w.font_size = size
            w.texture_update()
        if abs(size - want) > 0.01:
            changed += 1
    return changed


def overflowing(root: Widget) -> list[str]:
    """Shown labels whose text does not fit their box (or lies outside the window)."""
    out = []
    win = root.get_root_window()
    for w in shown(root):
        if not isinstance(w, Label) or not w.text:
            continue
        if w._trigger_texture.is_triggered:  # only a stale texture is drawn again: a fresh
            w.texture_update()  # one would be a new texture, and so a redraw of the window
        where = f"{type(w).__name__} {w.text[:40]!r} text {tuple(round(x) for x in w.texture_size)} box {tuple(round(x) for x in w.size)}"
        if _over(w):
            out.append(where)
        elif win is not None and _outside(w, win):
            out.append(where + f" at {tuple(round(x) for x in w.to_window(*w.pos))} outside the window")
    return out


def _outside(w: Widget, win: Any) -> bool:
    if _in_scroll(w):
        return False
    x, y = w.to_window(*w.pos)
    return bool(x < -SLACK or y < -SLACK or x + w.width > win.width + SLACK or y + w.height > win.height + SLACK)


def _in_scroll(w: Widget) -> bool:
    from kivy.uix.scrollview import ScrollView

    p = w.parent
    while p is not None and p is not p.parent:
        if isinstance(p, ScrollView):
            return True
        p = p.parent
    return False


def small_targets(root: Widget) -> list[str]:
    """Shown, enabled buttons smaller than 48 dp either way."""
    return [
        f"{type(w).__name__} {getattr(w, 'text', '')!r} {tuple(round(x) for x in w.size)}"
        for w in shown(root)
        if isinstance(w, ButtonBehavior) and not w.disabled and min(w.width, w.height) < dp(48) - 0.5
    ]
