"""A question laid over the screen ("계속하시겠어요?", "3 left — finish anyway?"): it dims
what is under it and takes every touch, and moves nothing of the layout below — a tap
meant for the screen lands where it was aimed once the overlay is gone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import StringProperty
from kivy.uix.floatlayout import FloatLayout


class Overlay(FloatLayout):  # type: ignore[misc]
    kind = StringProperty("")  # "idle" or "finish"

    def __init__(self, on_choice: Callable[[str, str], None], **kw: Any) -> None:
        super().__init__(**kw)
        self.on_choice = on_choice

    def pressed(self, choice: str) -> None:
        self.on_choice(self.kind, choice)

    def on_touch_down(self, touch: Any) -> bool:
        if not super().on_touch_down(touch) and self.kind == "idle":
            self.on_choice(self.kind, "stay")  # any touch answers "yes, continue"
        return True  # nothing under the overlay is pressed

    def on_touch_move(self, touch: Any) -> bool:
        super().on_touch_move(touch)
        return True

    def on_touch_up(self, touch: Any) -> bool:
        super().on_touch_up(touch)
        return True
