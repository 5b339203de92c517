"""The QR pipeline: a camera frame in, at most one text out.

:func:`decode` is a pure function of the pixels, used alike by the kiosk's scan worker,
``simsa scan`` and the tests. It converts to grayscale and tries a short ladder of views
of the frame, cheapest first, stopping at the first that reads:

1. the gray frame as it is;
2. inverted — light modules on a dark ground, as a phone in dark mode shows a code;
3. contrast-normalised (CLAHE), for washed-out print, dim halls and glare;
4. upscaled 2× around the brightest-contrast area when the code is small, and
   downscaled ½ when focus or motion blur smears the modules;
5. a locally thresholded view, for uneven light across the card.

Only QR symbols are asked of zbar, so noise never reads as a 1-D barcode; a text is
returned only when zbar decoded the whole symbol (its Reed-Solomon check passed) and the
bytes are UTF-8; two *different* codes in one frame return nothing (one card at a time).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
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


def to_gray(frame: NDArray[np.uint8]) -> Gray:
    """Grayscale of a BGR, BGRA or already gray frame, at most :data:`MAX_WIDTH` wide."""
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
    h, w = gray.shape
    if w > MAX_WIDTH:
        gray = cv2.resize(gray, (MAX_WIDTH, round(h * MAX_WIDTH / w)), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(gray)


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


def _views(gray: Gray) -> Iterator[tuple[str, Callable[[], Gray]]]:
    """zbar's views of a frame, cheapest and most often useful first (measured on
    synthetic camera frames: see bench/kiosk_scan.py)."""
    half = _lazy(lambda: np.asarray(cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)))
    yield "half-threshold", lambda: _threshold(half(), 21, 3)
    yield "half", half
    yield "half-inverted", lambda: cv2.bitwise_not(half())
    for name, inverted in (("rectified", False), ("rectified-inverted", True)):
        g = cv2.bitwise_not(gray) if inverted else gray
        sq = _rectified(g, cv2.bitwise_not(half()) if inverted else half(), 2.0)
        if sq is not None:
            yield name, functools.partial(np.asarray, sq)
            yield f"{name}-threshold", functools.partial(_threshold, sq, 31, 5)
    full_thr = _lazy(lambda: _threshold(gray, 41, 5))
    yield "threshold", full_thr
    yield "threshold-inverted", lambda: _threshold(cv2.bitwise_not(gray), 21, 3)
    zoom = _lazy(lambda: _zoom(gray))
    yield "zoom", zoom
    yield "zoom-inverted", lambda: cv2.bitwise_not(zoom())
    yield "gray", lambda: gray
    yield "inverted", lambda: cv2.bitwise_not(gray)
    yield "clahe", lambda: _CLAHE.apply(gray)


def _lazy(make: Callable[[], Gray]) -> Callable[[], Gray]:
    cache: list[Gray] = []

    def get() -> Gray:
        if not cache:
            cache.append(make())
        return cache[0]

    return get


def _zxing(gray: Gray) -> list[str] | None:
    """zxing-cpp's reading of the frame (it tries inverted, rotated and downscaled views
    itself); None when zxing-cpp is not installed."""
    try:
        import zxingcpp
    except ImportError:
        return None
    texts = []
    for code in zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)):
        if code.valid:
            try:
                texts.append(bytes(code.bytes).decode("utf-8"))
            except UnicodeDecodeError:
                continue
    return texts


#: The decoders :func:`decode` may use, in the order it tries them.
DECODERS = ("zxing", "zbar")


def decode(frame: NDArray[np.uint8], *, decoders: tuple[str, ...] = DECODERS) -> ScanResult:
    """Read at most one QR text from a frame (see the module docstring).

    ``decoders`` picks the engines: ``zxing`` (zxing-cpp, fast, when installed) and
    ``zbar`` (pyzbar over the ladder of views).
    """
    t0 = time.perf_counter()
    gray = to_gray(frame)

    def done(texts: list[str], view: str | None) -> ScanResult | None:
        found = tuple(sorted(set(texts)))
        ms = (time.perf_counter() - t0) * 1000
        if len(found) == 1:
            return ScanResult(found[0], ms, view, texts=found)
        if len(found) > 1:
            return ScanResult(None, ms, view, ambiguous=True, texts=found)
        return None

    if "zxing" in decoders:
        z = _zxing(gray)
        if z and (result := done(z, "zxing")):
            return result
    if "zbar" in decoders:
        for name, view in _views(gray):
            if result := done(_zbar(view()), name):
                return result
    return ScanResult(None, (time.perf_counter() - t0) * 1000)


def read_image(path: str) -> NDArray[np.uint8]:
    """Load an image file as a BGR frame; raise :class:`ValueError` naming the file."""
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise ValueError(f"{path}: not an image OpenCV can read")
    return np.asarray(img, dtype=np.uint8)
