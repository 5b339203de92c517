"""Synthetic camera frames of a QR card, for scanner tests and benchmarks.

A frame is a 1280×720 BGR scene (uneven light, clutter, sensor noise, JPEG) with a card or
phone screen showing the code under a perspective view, then one venue trouble applied:
``inverted`` (dark-mode phone), ``rotated``, ``blurred`` (focus or motion), ``small``
(held far away), ``low_contrast``, ``glare`` (a lamp reflected on a glossy card) or
``none`` (no code in view). ``camera`` draws a random mix of moderate troubles, the
kind of frame a kiosk camera delivers while a person lifts a card into view.

Everything is seeded: the same ``seed`` gives the same frame.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import qrcode
from numpy.typing import NDArray

Frame = NDArray[Any]
WIDTH, HEIGHT = 1280, 720
KINDS = ("clean", "inverted", "rotated", "blurred", "small", "low_contrast", "glare", "none")


@dataclass(frozen=True)
class Look:
    """How the code is shown; every field has a neutral default."""

    size: float = 300.0  # width of the code (without quiet zone) in pixels
    angle: float = 0.0  # in-plane rotation, degrees
    tilt: float = 0.05  # perspective distortion, fraction of the size
    inverted: bool = False
    blur: float = 0.0  # Gaussian sigma in pixels
    motion: int = 0  # motion blur length in pixels
    contrast: float = 1.0  # 1 = full, 0.2 = washed out
    glare: float = 0.0  # peak brightness added by a reflection, 0..255
    noise: float = 3.0  # sensor noise sigma
    jpeg: int = 85  # JPEG quality the camera applies
    has_code: bool = True


@functools.lru_cache(maxsize=64)
def qr_modules(text: str) -> NDArray[np.uint8]:
    """The QR matrix at error correction M, 1 = dark module, with a 4-module quiet zone
    (read-only: it is cached)."""
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    q.add_data(text.encode("utf-8"))
    q.make(fit=True)
    m = np.array(q.get_matrix(), dtype=np.uint8)
    m.flags.writeable = False
    return m


def _noise(shape: tuple[int, ...], sigma: float, seed: int) -> NDArray[Any]:
    """Gaussian sensor noise as float32 (OpenCV's generator: a tenth of numpy's time)."""
    cv2.setRNGSeed(seed)
    out = np.empty(shape, np.float32)
    cv2.randn(out, np.zeros(1), np.full(1, float(sigma)))
    return out


def qr_image(text: str, module_px: int = 8) -> Frame:
    """A clean printed QR code as a grayscale image (black on white)."""
    m = qr_modules(text)
    img = np.where(m == 1, 0, 255).astype(np.uint8)
    return np.asarray(cv2.resize(img, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST))


def _scene(rng: random.Random) -> NDArray[Any]:
    noise_seed = rng.randrange(1 << 30)
    xx = np.arange(WIDTH, dtype=np.float32)[None, :] / WIDTH
    yy = np.arange(HEIGHT, dtype=np.float32)[:, None] / HEIGHT
    base = rng.uniform(60, 150)
    light = base + rng.uniform(-40, 40) * xx + rng.uniform(-30, 30) * yy
    img = cv2.merge([cv2.convertScaleAbs(light * rng.uniform(0.85, 1.1)) for _ in range(3)])
    for _ in range(rng.randint(4, 9)):  # furniture, people, posters
        x0, y0 = rng.randrange(WIDTH), rng.randrange(HEIGHT)
        w, h = rng.randint(60, 400), rng.randint(60, 300)
        colour = [rng.randint(20, 230) for _ in range(3)]
        cv2.rectangle(img, (x0, y0), (x0 + w, y0 + h), colour, -1)
    for _ in range(rng.randint(2, 5)):  # printed text on posters: fine high-contrast detail
        x0, y0 = rng.randrange(WIDTH - 200), rng.randrange(40, HEIGHT)
        cv2.putText(img, "SIMSA 2017 KINTEX", (x0, y0), cv2.FONT_HERSHEY_SIMPLEX, rng.uniform(0.5, 1.5),
                    (20, 20, 20), 2)
    out: NDArray[Any] = img.astype(np.float32) + _noise(img.shape, 2.0, noise_seed)
    return out


def _place(scene: NDArray[Any], code: NDArray[Any], look: Look, rng: random.Random) -> None:
    """Warp ``code`` (gray, quiet zone included) onto the scene with perspective."""
    n = code.shape[0]
    side = look.size * n / (n - 8)  # the quiet zone is 4 modules a side
    cx = WIDTH / 2 + rng.uniform(-0.25, 0.25) * (WIDTH - side)
    cy = HEIGHT / 2 + rng.uniform(-0.2, 0.2) * max(HEIGHT - side, 0)
    a = math.radians(look.angle)
    corners = []
    for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        x = dx * side / 2 + rng.uniform(-1, 1) * look.tilt * side
        y = dy * side / 2 + rng.uniform(-1, 1) * look.tilt * side
        corners.append((cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a)))
    src = np.array([[0, 0], [n, 0], [n, n], [0, n]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(src, np.array(corners, dtype=np.float32))
    warped = cv2.warpPerspective(code, m, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones_like(code), m, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    m3 = cv2.merge([mask, mask, mask])
    scene *= 1 - m3
    scene += cv2.merge([warped, warped, warped]) * m3


def render(text: str | None, look: Look, seed: int) -> Frame:
    """One BGR frame of ``text`` shown as ``look`` describes (no code when ``text`` is None)."""
    rng = random.Random(seed)
    scene: NDArray[Any] = _scene(rng)
    if text is not None and look.has_code:
        m = qr_modules(text).astype(np.float32)
        dark, light = (235.0, 25.0) if look.inverted else (30.0, 225.0)
        # a card's paper and ink are never pure; a phone screen's black is a dark grey
        code: NDArray[Any] = np.where(m == 1, dark, light).astype(np.float32)
        mid = (dark + light) / 2
        code = mid + (code - mid) * look.contrast
        up = 8
        code = cv2.resize(code, None, fx=up, fy=up, interpolation=cv2.INTER_NEAREST)
        _place(scene, code, look, rng)
    if look.glare > 0:
        gx = WIDTH / 2 + rng.uniform(-120, 120)
        gy = HEIGHT / 2 + rng.uniform(-80, 80)
        r = look.size * rng.uniform(0.35, 0.6)
        fx = np.exp(-((np.arange(WIDTH, dtype=np.float32) - gx) ** 2) / (2 * r * r))
        fy = np.exp(-((np.arange(HEIGHT, dtype=np.float32) - gy) ** 2) / (2 * r * r))
        blob = (look.glare * fy[:, None] * fx[None, :]).astype(np.float32)  # a separable Gaussian
        scene += cv2.merge([blob, blob, blob])
    if look.blur > 0:
        scene = cv2.GaussianBlur(scene, (0, 0), look.blur)
    if look.motion > 1:
        k: NDArray[Any] = np.zeros((look.motion, look.motion), np.float32)
        k[look.motion // 2, :] = 1.0 / look.motion
        rot = cv2.getRotationMatrix2D((look.motion / 2 - 0.5, look.motion / 2 - 0.5), rng.uniform(0, 180), 1)
        k = cv2.warpAffine(k, rot, (look.motion, look.motion))
        k = (k / max(float(k.sum()), 1e-6)).astype(np.float32)
        scene = cv2.filter2D(scene, -1, k)
    scene += _noise(scene.shape, look.noise, seed)
    frame = np.clip(scene, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, look.jpeg])
    assert ok
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), dtype=np.uint8)


def look_for(kind: str, rng: random.Random) -> Look:
    """A :class:`Look` of one named trouble (see :data:`KINDS`) or ``camera`` (a random mix)."""
    if kind == "clean":
        return Look(size=rng.uniform(260, 360), angle=rng.uniform(-8, 8))
    if kind == "inverted":
        return Look(size=rng.uniform(240, 340), angle=rng.uniform(-10, 10), inverted=True)
    if kind == "rotated":
        return Look(size=rng.uniform(260, 340), angle=rng.choice([1, -1]) * rng.uniform(25, 160))
    if kind == "blurred":
        return Look(size=rng.uniform(300, 380), blur=rng.uniform(2.0, 2.8))
    if kind == "small":
        return Look(size=rng.uniform(105, 125), angle=rng.uniform(-10, 10), tilt=0.03)
    if kind == "low_contrast":
        return Look(size=rng.uniform(260, 340), contrast=rng.uniform(0.14, 0.2), noise=2.0)
    if kind == "glare":
        return Look(size=rng.uniform(280, 360), glare=rng.uniform(170, 230))
    if kind == "none":
        return Look(has_code=False)
    if kind == "camera":
        return Look(
            size=rng.uniform(110, 420),
            angle=rng.uniform(-180, 180),
            tilt=rng.uniform(0.0, 0.12),
            inverted=rng.random() < 0.25,
            blur=rng.choice([0.0, 0.0, rng.uniform(0.8, 3.2)]),
            motion=rng.choice([0, 0, 0, rng.randint(3, 12)]),
            contrast=rng.choice([1.0, rng.uniform(0.12, 0.6)]),
            glare=rng.choice([0.0, 0.0, rng.uniform(60, 240)]),
            noise=rng.uniform(2, 9),
            jpeg=rng.randint(55, 92),
        )
    raise ValueError(f"unknown frame kind {kind!r}; choose from {', '.join((*KINDS, 'camera'))}")


def frame(text: str | None, kind: str, seed: int) -> Frame:
    """A frame of one named kind, reproducible from ``seed``."""
    return render(text, look_for(kind, random.Random(seed)), seed)
