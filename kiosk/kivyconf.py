"""Kivy settings that must be made before the window exists (importing
``kivy.core.window`` creates it): call :func:`configure_kivy`, then import kiosk.app."""

from __future__ import annotations

import logging
import os
import re

DEFAULT_SIZE = (1280, 800)


def parse_size(text: str) -> tuple[int, int]:
    """``1280x800`` → (1280, 800); a clear error for anything else."""
    m = re.fullmatch(r"\s*(\d{3,5})\s*[xX×]\s*(\d{3,5})\s*", text)
    if not m:
        raise ValueError(f"window size must be WIDTHxHEIGHT in pixels, e.g. 800x1280, not {text!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (320 <= w <= 8192 and 320 <= h <= 8192):
        raise ValueError(f"window size {w}x{h} is out of range (320 … 8192 pixels a side)")
    return w, h


class _NoCutbufferNoise(logging.Filter):
    """Kivy looks for xclip/xsel to serve the X primary selection (a "cut buffer") and logs
    CRITICAL when neither is installed. A kiosk pastes through SDL2's clipboard only, so
    that one message is not a problem worth waking anyone for."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not (record.levelno >= logging.CRITICAL and msg.startswith("Cutbuffer: Unable to find"))


def configure_kivy(*, fullscreen: bool, size: tuple[int, int] | None = None) -> None:
    """Kiosk hygiene, before the window exists: no Escape exit, no argv parsing, no red
    multitouch dots, SDL2's clipboard; fullscreen and borderless at the display's own size
    in kiosk mode, else a resizable window of ``size``."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_CLIPBOARD", "sdl2")  # not xclip/xsel: they need extra packages
    from kivy.config import Config
    from kivy.logger import Logger

    Logger.addFilter(_NoCutbufferNoise())
    w, h = size or DEFAULT_SIZE
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "window_icon", "")
    Config.set("input", "mouse", "mouse,multitouch_on_demand")
    Config.set("graphics", "resizable", "0" if fullscreen else "1")
    if fullscreen:
        Config.set("graphics", "fullscreen", "auto")  # the display's own size, whatever it is
        Config.set("graphics", "borderless", "1")
    else:
        Config.set("graphics", "fullscreen", "0")
        Config.set("graphics", "borderless", "0")
        Config.set("graphics", "width", str(w))
        Config.set("graphics", "height", str(h))
