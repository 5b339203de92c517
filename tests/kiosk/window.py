"""A private Xvfb display and the environment of a kiosk window on it, for the tests that
open the real app (test_layout.py, test_gui.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def xvfb(width: int, height: int) -> Iterator[str]:
    """A display of its own (``:N``, chosen by Xvfb), stopped on the way out."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    with os.fdopen(r) as f:
        number = f.readline().strip()
    try:
        assert number, "Xvfb did not report a display"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)


def window_env(display: str, kivy_home: Path, *, console: bool = False) -> dict[str, str]:
    """The kiosk's window on ``display``: Kivy reads no command line and keeps its config in
    ``kivy_home``. Xvfb has no GPU, so Mesa's llvmpipe draws every frame on the CPU — most
    of a window test's cost, in a suite that keeps both cores busy. So: no multisampling (2×
    MSAA nearly doubled it: the reviewer walk of test_layout.py, 48 → 27 CPU-seconds in
    llvmpipe's threads) and at most 10 frames a second (→ 16 s at 10, 26 at 20; Kivy's
    animations and timers run by the clock, not by frames, so a walk takes a few seconds
    longer, waiting for frames, and the same steps). Layout, text and taps are the same;
    only the screenshots' curved edges are less smooth."""
    env = {**os.environ, "DISPLAY": display, "PYTHONPATH": str(REPO), "KIVY_NO_ARGS": "1",
           "KIVY_HOME": str(kivy_home), "KCFG_GRAPHICS_MULTISAMPLES": "0", "KCFG_GRAPHICS_MAXFPS": "10"}
    if not console:
        env["KIVY_NO_CONSOLELOG"] = "1"
    return env
