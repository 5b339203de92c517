"""Kivy settings that must be made before the window exists (importing
``kivy.core.window`` creates it): call :func:`configure_kivy`, then import kiosk.app."""

from __future__ import annotations

import os


def configure_kivy(*, fullscreen: bool, size: tuple[int, int] = (1280, 800)) -> None:
    """Kiosk hygiene, before the window exists: no Escape exit, no argv parsing, no red
    multitouch dots; fullscreen and borderless in kiosk mode."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "window_icon", "")
    Config.set("input", "mouse", "mouse,multitouch_on_demand")
    Config.set("graphics", "resizable", "0" if fullscreen else "1")
    if fullscreen:
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "borderless", "1")
    else:
        Config.set("graphics", "fullscreen", "0")
        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))
