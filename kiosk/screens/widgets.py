"""Widgets the screens share: flat buttons, a busy spinner, the QR image, the camera's
framing guide. Their look is in widgets.kv."""

from __future__ import annotations

from typing import Any

import numpy as np
import qrcode
from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from . import theme


class FlatButton(ButtonBehavior, Label):  # type: ignore[misc]
    """A rounded, flat button; ``kind`` is primary, secondary, danger, chip or chosen."""

    kind = StringProperty("primary")
    bg = ColorProperty(theme.PRIMARY)
    fg = ColorProperty(theme.INK_ON_DARK)
    border = ColorProperty((0, 0, 0, 0))

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.bind(kind=self._style, state=self._style, disabled=self._style)
        theme.pal.bind(high=self._style)
        self._style()

    def _style(self, *_: Any) -> None:
        p = theme.pal
        down = self.state == "down"
        if self.disabled:
            self.bg, self.fg, self.border = p.DISABLED_BG, p.DISABLED, p.DISABLED
        elif self.kind == "primary":
            self.bg = p.PRIMARY_DOWN if down else p.PRIMARY
            self.fg, self.border = p.INK_ON_DARK, (p.BORDER if p.high else (0, 0, 0, 0))
        elif self.kind == "success":
            self.bg = p.PRIMARY_DOWN if down else p.SUCCESS
            self.fg, self.border = p.INK_ON_DARK, (p.BORDER if p.high else (0, 0, 0, 0))
        elif self.kind == "danger":
            self.bg = p.PRIMARY_DOWN if down else p.DANGER
            self.fg, self.border = p.INK_ON_DARK, (p.BORDER if p.high else (0, 0, 0, 0))
        elif self.kind == "chosen":
            self.bg = p.PRIMARY_DOWN if down else p.CHOSEN
            self.fg, self.border = p.INK_ON_DARK, p.CHOSEN
        else:  # secondary, chip
            self.bg = p.INFO_BG if down else p.PANEL
            self.fg, self.border = p.INK, p.INK_SOFT


class BusySpinner(Widget):  # type: ignore[misc]
    """A turning arc while a worker opens a card or saves a ballot."""

    angle = NumericProperty(0)
    active = BooleanProperty(False)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._ev = Clock.schedule_interval(self._turn, 1 / 30)

    def _turn(self, dt: float) -> None:
        if self.active:
            self.angle = (self.angle + 360 * dt) % 360


class QRImage(Widget):  # type: ignore[misc]
    """The QR code of ``data`` drawn with square modules (nearest-neighbour texture)."""

    data = StringProperty("")
    texture = ObjectProperty(None, allownone=True)

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.bind(data=self._make)
        self._make()

    def _make(self, *_: Any) -> None:
        if not self.data:
            self.texture = None
            return
        q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
        q.add_data(self.data)
        q.make(fit=True)
        m = np.array(q.get_matrix(), dtype=np.uint8)
        img = np.where(m == 1, 0, 255).astype(np.uint8)[::-1].copy()  # textures start bottom-left
        tex = Texture.create(size=(img.shape[1], img.shape[0]), colorfmt="luminance")
        tex.blit_buffer(img.tobytes(), colorfmt="luminance", bufferfmt="ubyte")
        tex.mag_filter = "nearest"
        tex.min_filter = "nearest"
        self.texture = tex


class FramingGuide(Widget):  # type: ignore[misc]
    """Corner marks of the square a card should fill in the camera preview."""

    found = BooleanProperty(False)


class Badge(Label):  # type: ignore[misc]
    """A small coloured label (DEMO, counts)."""

    bg = ColorProperty(theme.DEMO)
