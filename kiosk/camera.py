"""Frame sources and the scan worker — threads, no window.

A *source* delivers the newest camera frame (older ones are dropped: the decoder always
works on what the camera sees now). :class:`OpenCVCamera` reads a webcam through OpenCV;
:class:`FolderFrames` plays image files (rehearsals, tests, a kiosk without a camera).
:class:`ScanWorker` decodes the newest frame off the UI thread with
:func:`kiosk.scanner.decode` and reports each *new* text once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from .scanner import Budget, ScanResult, decode, read_image

Frame = NDArray[Any]
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


class FrameSource:
    """Base class: ``latest()`` is the newest frame and its number (0 before the first)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: Frame | None = None
        self._count = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: str | None = None

    def _put(self, frame: Frame) -> None:
        with self._lock:
            self._frame = frame
            self._count += 1

    def latest(self) -> tuple[Frame | None, int]:
        with self._lock:
            return self._frame, self._count

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def _run(self) -> None:
        raise NotImplementedError


class OpenCVCamera(FrameSource):
    """A webcam by index, asked for 1280×720."""

    def __init__(self, index: int = 0, width: int = 1280, height: int = 720) -> None:
        super().__init__()
        self.index, self.width, self.height = index, width, height

    def _run(self) -> None:
        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            self.error = f"camera {self.index} cannot be opened"
            return
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        failures = 0
        try:
            while not self._stop.is_set():
                ok, frame = cap.read()
                if not ok:
                    failures += 1
                    if failures > 50:
                        self.error = f"camera {self.index} stopped delivering frames"
                        return
                    time.sleep(0.05)
                    continue
                failures = 0
                self.error = None
                self._put(np.asarray(frame, dtype=np.uint8))
        finally:
            cap.release()


class FolderFrames(FrameSource):
    """Image files of a folder, in name order, at ``fps``; ``loop`` plays them again."""

    def __init__(self, folder: Path, fps: float = 8.0, loop: bool = True) -> None:
        super().__init__()
        self.folder, self.fps, self.loop = Path(folder), fps, loop
        self._decoded: dict[Path, tuple[tuple[int, int], NDArray[np.uint8]]] = {}

    def _image(self, f: Path) -> NDArray[np.uint8]:
        """The file's frame, decoded once while its size and mtime stay the same (a loop
        replays the same files: decoding each again cost a tenth of a core at 8 fps)."""
        st = f.stat()
        key = (st.st_mtime_ns, st.st_size)
        hit = self._decoded.get(f)
        if hit is not None and hit[0] == key:
            return hit[1]
        img = read_image(str(f))
        self._decoded = {p: v for p, v in self._decoded.items() if p.exists()}  # forget removed files
        self._decoded[f] = (key, img)
        return img

    def _files(self) -> list[Path]:
        return sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)

    def _run(self) -> None:
        while not self._stop.is_set():
            files = self._files() if self.folder.is_dir() else []
            if not files:
                self.error = f"no images in {self.folder}"
                self._stop.wait(0.5)
                continue
            self.error = None
            for f in files:
                if self._stop.is_set():
                    return
                try:
                    self._put(self._image(f))
                except (ValueError, OSError) as exc:  # a file removed while playing: skip it
                    self.error = str(exc)
                self._stop.wait(1 / self.fps)
            if not self.loop:
                return


class ScanWorker:
    """Decodes the newest frame of ``source`` while ``active`` and calls
    ``on_text(text)`` once per new code (the same code again only after ``repeat_s``),
    ``on_result(result)`` after every decoded frame (for the hint)."""

    def __init__(
        self,
        source: FrameSource,
        on_text: Callable[[str], None],
        on_result: Callable[[ScanResult], None] | None = None,
        *,
        repeat_s: float = 6.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.on_text = on_text
        self.on_result = on_result
        self.repeat_s = repeat_s
        self.clock = clock
        self.active = threading.Event()
        self._stop = threading.Event()
        self._last: tuple[str, float] | None = None
        #: the ladder's time budget, learned from zxing-cpp's times on this camera's frames
        self.budget = Budget()
        self._thread = threading.Thread(target=self._run, name="simsa-scan", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.active.set()
        self._thread.join(timeout=3)

    def forget(self, text: str | None = None) -> None:
        """Treat ``text`` (or the last code) as just seen, so a card still held up after
        a logout does not log straight back in."""
        if text is not None:
            self._last = (text, self.clock())
        elif self._last is not None:
            self._last = (self._last[0], self.clock())

    def _run(self) -> None:
        cv2.setNumThreads(1)  # decoding keeps to one core: the other draws the screen
        seen = 0
        while not self._stop.is_set():
            if not self.active.wait(0.2):
                continue
            frame, count = self.source.latest()
            if frame is None or count == seen:
                self._stop.wait(0.02)
                continue
            seen = count
            result = decode(frame, budget_ms=self.budget.ms)
            self.budget.add(result.zxing_ms)
            if self.on_result is not None:
                self.on_result(result)
            if result.text is None or not self.active.is_set():
                continue
            now = self.clock()
            if self._last is not None and self._last[0] == result.text and now - self._last[1] < self.repeat_s:
                self._last = (result.text, now)
                continue
            self._last = (result.text, now)
            self.on_text(result.text)
