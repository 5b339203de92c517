"""The QR pipeline: a camera frame in, at most one text out.

:func:`decode` is a pure function of the pixels (and of the clock it is given), used
alike by the kiosk's scan worker, ``simsa scan`` and the tests.

1. zxing-cpp reads every frame, at full resolution (it tries inverted, rotated and
   downscaled views itself).
2. Then a ladder of second looks (:data:`STEPS`): zxing-cpp with a global threshold and
   on a 2× zoom of the busiest area, then pyzbar over pre-processed views (half scale,
   inverted, thresholded, rectified from OpenCV's finder, zoomed, CLAHE). At the kiosk
   the ladder runs within a time budget (:class:`Budget`: half of zxing-cpp's median
   time on recent frames): a step starts only when its measured cost fits in what is
   left, so frames with and without a code keep their p95 within 1.5× of zxing-cpp's
   alone and an unreadable frame no longer delays the next attempt. ``simsa scan`` and
   a kiosk without zxing-cpp run the whole ladder.

Only QR symbols are asked of either engine and kept (not Micro QR, which zxing-cpp's QR
format also returns), so noise never reads as a 1-D barcode or a tiny symbol; a
text is returned only when a whole symbol decoded (its Reed-Solomon check passed) and
the bytes are UTF-8; two *different* codes in one frame return nothing (one card at a
time).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from pyzbar import pyzbar

#: An 8-bit image; OpenCV's stubs type results loosely, so this does too.
Gray = NDArray[Any]
#: Frames wider than this are scaled down first: zbar gains nothing from more pixels
#: than a 720p view of a card held at arm's length.
MAX_WIDTH = 1280
_CLAHE = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))


@dataclass(frozen=True)
class ScanResult:
    """What one frame gave: ``text`` if exactly one code was read whole."""

    text: str | None
    ms: float
    view: str | None = None
    ambiguous: bool = False
    texts: tuple[str, ...] = field(default=())
    #: zxing-cpp's own time on the frame (ms), None when it did not run
    zxing_ms: float | None = None


def gray_full(frame: NDArray[np.uint8]) -> Gray:
    """Grayscale of a BGR, BGRA or already gray frame, at its own size."""
    if frame.ndim == 3 and frame.shape[2] == 3:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    elif frame.ndim == 3 and frame.shape[2] == 4:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    elif frame.ndim == 3 and frame.shape[2] == 1:
        gray = frame[:, :, 0]
    elif frame.ndim == 2:
        gray = frame
    else:
        raise ValueError(f"a frame is H×W, H×W×3 or H×W×4 pixels, got shape {frame.shape}")
    if gray.dtype != np.uint8:
        raise ValueError(f"a frame holds 8-bit pixels, got {gray.dtype}")
    return np.ascontiguousarray(gray)


def narrow(gray: Gray) -> Gray:
    """``gray`` scaled down to at most :data:`MAX_WIDTH` wide (the ladder's input)."""
    h, w = gray.shape
    if w > MAX_WIDTH:
        gray = cv2.resize(gray, (MAX_WIDTH, round(h * MAX_WIDTH / w)), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(gray)


def to_gray(frame: NDArray[np.uint8]) -> Gray:
    """Grayscale of a BGR, BGRA or already gray frame, at most :data:`MAX_WIDTH` wide."""
    return narrow(gray_full(frame))


def _zbar(gray: Gray) -> list[str]:
    texts = []
    for sym in pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE]):
        try:
            texts.append(sym.data.decode("utf-8"))
        except UnicodeDecodeError:
            continue
    return texts


def _busy_crop(gray: Gray) -> Gray:
    """The square around where the frame has most fine detail (where a code would be)."""
    h, w = gray.shape
    edges = cv2.convertScaleAbs(cv2.Laplacian(gray, cv2.CV_16S, ksize=3))
    energy = cv2.boxFilter(edges.astype(np.float32), -1, (97, 97))
    _, _, _, (x, y) = cv2.minMaxLoc(energy)
    side = min(h, w, 360)
    x0 = int(np.clip(x - side // 2, 0, w - side))
    y0 = int(np.clip(y - side // 2, 0, h - side))
    return gray[y0 : y0 + side, x0 : x0 + side]


def _threshold(gray: Gray, block: int, c: int) -> Gray:
    return np.asarray(
        cv2.adaptiveThreshold(
            cv2.GaussianBlur(gray, (3, 3), 0), 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, c
        )
    )


def _zoom(gray: Gray) -> Gray:
    return np.asarray(
        cv2.resize(_CLAHE.apply(_busy_crop(gray)), None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    )


_DETECTOR = cv2.QRCodeDetector()


def _rectified(gray: Gray, locate_in: Gray, scale: float) -> Gray | None:
    """The code squared up: OpenCV's finder locates its corners in ``locate_in`` (a
    ``scale``-times smaller view) and the quadrilateral is warped from ``gray`` to an
    upright square with a quiet zone — zbar reads poorly under strong perspective."""
    ok, pts = _DETECTOR.detect(locate_in)
    if not ok or pts is None:
        return None
    quad = (pts.reshape(4, 2) * scale).astype(np.float32)
    side, margin = 400, 40
    dst = np.array(
        [[margin, margin], [margin + side, margin], [margin + side, margin + side], [margin, margin + side]],
        dtype=np.float32,
    )
    m = cv2.getPerspectiveTransform(quad, dst)
    warped = cv2.warpPerspective(gray, m, (side + 2 * margin, side + 2 * margin), flags=cv2.INTER_CUBIC,
                                 borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(warped)


class Views:
    """The pre-processed views of one gray frame, each made once when a step first asks."""

    def __init__(self, gray: Gray) -> None:
        self.gray = gray
        self._cache: dict[str, Gray | None] = {}

    def get(self, name: str, make: Callable[[], Gray | None]) -> Gray | None:
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    def half(self) -> Gray:
        half = self.get("half", lambda: np.asarray(cv2.resize(self.gray, None, fx=0.5, fy=0.5,
                                                                interpolation=cv2.INTER_AREA)))
        assert half is not None
        return half

    def zoom(self) -> Gray:
        zoom = self.get("zoom", lambda: _zoom(self.gray))
        assert zoom is not None
        return zoom

    def rectified(self, inverted: bool) -> Gray | None:
        def make() -> Gray | None:
            g = cv2.bitwise_not(self.gray) if inverted else self.gray
            return _rectified(g, cv2.bitwise_not(self.half()) if inverted else self.half(), 2.0)

        return self.get(f"rectified-{inverted}", make)


@dataclass(frozen=True)
class Step:
    """One rung of the ladder: a view of the frame and the engine that reads it.

    ``cost`` is what the step takes as a multiple of zxing-cpp's own time on the same
    frame (the 90th percentile over frames zxing-cpp could not read, measured by
    ``python -m bench.kiosk_scan --steps``): a step starts only when that much of the
    frame's budget is left. A step that reuses a view another step makes (the rectified
    square) is costed as if it made it: it may run without the other.
    """

    name: str
    engine: str
    cost: float
    view: Callable[[Views], Gray | None]


#: zxing-cpp's cheap second looks, then the pyzbar ladder — in the order they are tried.
#: Each zxing-cpp step was kept because it reads frames zxing-cpp's first pass misses on a
#: corpus it was not chosen on (see docs/BENCHMARKS.md, "Which ladder steps are kept").
STEPS: tuple[Step, ...] = (
    Step("zxing-global", "zxing-global", 5.5, lambda v: v.gray),
    Step("zxing-zoom", "zxing", 20.0, Views.zoom),
    Step("half-threshold", "zbar", 15.0, lambda v: _threshold(v.half(), 21, 3)),
    Step("half", "zbar", 17.0, Views.half),
    Step("half-inverted", "zbar", 18.0, lambda v: cv2.bitwise_not(v.half())),
    Step("rectified", "zbar", 33.0, lambda v: v.rectified(False)),
    Step("rectified-threshold", "zbar", 33.0, lambda v: _opt(v.rectified(False), lambda sq: _threshold(sq, 31, 5))),
    Step("rectified-inverted", "zbar", 26.0, lambda v: v.rectified(True)),
    Step("rectified-inverted-threshold", "zbar", 26.0,
         lambda v: _opt(v.rectified(True), lambda sq: _threshold(sq, 31, 5))),
    Step("threshold", "zbar", 44.0, lambda v: _threshold(v.gray, 41, 5)),
    Step("threshold-inverted", "zbar", 46.0, lambda v: _threshold(cv2.bitwise_not(v.gray), 21, 3)),
    Step("zoom", "zbar", 43.0, Views.zoom),
    Step("zoom-inverted", "zbar", 42.0, lambda v: cv2.bitwise_not(v.zoom())),
    Step("gray", "zbar", 65.0, lambda v: v.gray),
    Step("inverted", "zbar", 63.0, lambda v: cv2.bitwise_not(v.gray)),
    Step("clahe", "zbar", 103.0, lambda v: _CLAHE.apply(v.gray)),
)
#: Second looks that were measured and dropped: they read frames of the corpus they were
#: chosen on but none of the held-out one (``--steps --candidates`` measures them again).
CANDIDATES: tuple[Step, ...] = (
    Step("zxing-half-threshold", "zxing-bool", 5.3, lambda v: _threshold(v.half(), 21, 3)),
    Step("zxing-half-clahe", "zxing", 9.0, lambda v: _CLAHE.apply(v.half())),
)


def _opt(img: Gray | None, fn: Callable[[Gray], Gray]) -> Gray | None:
    return None if img is None else fn(img)


def _zxing(gray: Gray, binarizer: str = "LocalAverage") -> list[str] | None:
    """zxing-cpp's reading of the frame (it tries inverted, rotated and downscaled views
    itself); None when zxing-cpp is not installed."""
    try:
        import zxingcpp
    except ImportError:
        return None
    texts = []
    codes = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
                                   binarizer=getattr(zxingcpp.Binarizer, binarizer))
    for code in codes:
        # QRCode in ``formats`` lets Micro QR through (zxing-cpp 2.x); a credential is never
        # one, and a finder corner of a real card can read as a 6-digit Micro QR.
        if code.valid and code.format == zxingcpp.BarcodeFormat.QRCode:
            try:
                texts.append(bytes(code.bytes).decode("utf-8"))
            except UnicodeDecodeError:
                continue
    return texts


_ENGINES: dict[str, Callable[[Gray], list[str] | None]] = {
    "zxing": _zxing,
    "zxing-global": lambda g: _zxing(g, "GlobalHistogram"),
    "zxing-bool": lambda g: _zxing(g, "BoolCast"),
    "zbar": _zbar,
}

#: The decoders :func:`decode` may use: ``zxing`` (zxing-cpp's pass and its cheap second
#: looks) and ``zbar`` (pyzbar over the ladder of views).
DECODERS = ("zxing", "zbar")
#: The ladder may spend this share of zxing-cpp's typical time on a frame, so that a
#: frame's p95 stays within 1.5× zxing-cpp's alone (issue 13).
BUDGET_SHARE = 0.5


class Budget:
    """The kiosk's ladder budget, learned from zxing-cpp's own times on recent frames:
    :data:`BUDGET_SHARE` × their median (none until ``warmup`` frames are seen). The median,
    not the 95th percentile: frames with no code are zxing-cpp's fastest, and the budget
    must keep their p95 within 1.5× too.
    Keeps no frame, only the last ``window`` times; feed it :attr:`ScanResult.zxing_ms`."""

    def __init__(self, share: float = BUDGET_SHARE, window: int = 200, warmup: int = 20) -> None:
        self.share, self.window, self.warmup = share, window, warmup
        self._times: list[float] = []

    def add(self, zxing_ms: float | None) -> None:
        if zxing_ms is None:
            return
        self._times.append(zxing_ms)
        if len(self._times) > self.window:
            del self._times[0]

    @property
    def samples(self) -> int:
        return len(self._times)

    @property
    def ms(self) -> float:
        if len(self._times) < self.warmup:
            return 0.0
        return self.share * statistics.median(self._times)


def decode(
    frame: NDArray[np.uint8],
    *,
    decoders: tuple[str, ...] = DECODERS,
    budget_ms: float | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> ScanResult:
    """Read at most one QR text from a frame (see the module docstring).

    zxing-cpp reads every frame first. The ladder after it may then spend ``budget_ms``:
    a step starts only when its expected time — :attr:`Step.cost` × what zxing-cpp took
    on this frame — fits in what is left. ``budget_ms=None`` runs the whole ladder (as
    ``simsa scan`` does by default), and so does a run without zxing-cpp (no time to
    measure against). ``clock`` (seconds) is injectable for tests.
    """
    t0 = clock()
    full = gray_full(frame)
    zx_ms: float | None = None

    def done(texts: list[str], view: str | None) -> ScanResult | None:
        found = tuple(sorted(set(texts)))
        ms = (clock() - t0) * 1000
        if len(found) == 1:
            return ScanResult(found[0], ms, view, texts=found, zxing_ms=zx_ms)
        if len(found) > 1:
            return ScanResult(None, ms, view, ambiguous=True, texts=found, zxing_ms=zx_ms)
        return None

    limit: float | None = None
    if "zxing" in decoders:
        t1 = clock()
        z = _zxing(full)  # zxing-cpp scales down itself, and reads more from every pixel
        if z is not None:
            zx_ms = (clock() - t1) * 1000
            if result := done(z, "zxing"):
                return result
            if budget_ms is not None:
                limit = clock() * 1000 + budget_ms
    views = Views(narrow(full))
    for step in STEPS:
        if step.engine.split("-")[0] not in decoders:
            continue
        if limit is not None and clock() * 1000 + step.cost * (zx_ms or 0.0) > limit:
            continue
        img = step.view(views)
        if img is None:
            continue
        texts = _ENGINES[step.engine](img)
        if texts and (result := done(texts, step.name)):
            return result
    return ScanResult(None, (clock() - t0) * 1000, zxing_ms=zx_ms)


def read_image(path: str) -> NDArray[np.uint8]:
    """Load an image file as a BGR frame; raise :class:`ValueError` naming the file."""
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise ValueError(f"{path}: not an image OpenCV can read")
    return np.asarray(img, dtype=np.uint8)
