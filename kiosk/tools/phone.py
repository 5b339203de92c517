"""A second, differently made corpus of scanner frames: printed cards seen by a phone camera.

:mod:`kiosk.tools.frames` pastes an ideal QR matrix into a flat synthetic scene with
Gaussian blur, random corner jitter and JPEG. This corpus shares none of that, so a
scanner tuned on one can be judged on the other:

- the card is the real printed card — the event's ``simsa cards`` PDF rasterised at
  300 dpi (vector modules, text, the colour band, the quiet zone as printed);
- the pose is a 3-D rotation and distance seen through a pinhole camera of a given focal
  length (a homography from a camera model, not corner jitter), plus barrel or
  pincushion lens distortion;
- focus is a disk (pillbox) kernel, shake a curved hand-tremor path;
- light is vignetting, a soft shadow edge across the card and a colour cast;
- the sensor is a Bayer mosaic with shot (Poisson-like) and read noise, demosaiced,
  sharpened as phones do, then JPEG or WebP at 1920×1080, 1280×720 or 640×480;
- frames with no code show a card whose code is covered by a thumb, a PIN letter-like
  text card, or the bare table.

Everything is seeded: the same card image and ``seed`` give the same frame.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

Frame = NDArray[Any]
SIZES = ((1920, 1080), (1280, 720), (640, 480))


def rasterise_cards(pdf: Path, dpi: int = 300) -> list[Frame]:
    """The front of every card of a ``simsa cards`` PDF as a BGR image, in print order
    (the PDF alternates front and back pages for duplex printing; backs carry no code)."""
    import pypdfium2

    from organiser.cards import CARD_H, CARD_W, COLS, PAGE_H, ROWS, card_origin

    doc = pypdfium2.PdfDocument(str(pdf))
    out: list[Frame] = []
    px = dpi / 25.4
    for n, page in enumerate(doc):
        if n % 2:  # a back page
            continue
        rgb = np.asarray(page.render(scale=dpi / 72).to_numpy())[:, :, :3]
        img = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        for i in range(COLS * ROWS):
            x, y = card_origin(i)
            x0, y0 = round(x * px), round((PAGE_H - y - CARD_H) * px)
            card = img[y0 : y0 + round(CARD_H * px), x0 : x0 + round(CARD_W * px)]
            if float(card.mean()) < 254.0:  # an empty slot is blank paper
                out.append(np.ascontiguousarray(card))
    return out


def event_cards(folder: Path, count: int = 16, seed: int = 3) -> list[tuple[str, Frame]]:
    """A demo event written to ``folder`` and its first ``count`` cards printed by
    ``simsa cards`` and rasterised: (credential text, card image) pairs."""
    from datetime import UTC, datetime

    from organiser.cards import load_cards
    from organiser.demo import mini
    from organiser.writer import write_event
    from simsa.cli import main

    event = folder / "event"
    if not (event / "manifest.json").exists():
        write_event(mini(datetime(2026, 5, 1, tzinfo=UTC), random.Random(seed)), event, workers=1)
    _, cards = load_cards(event)
    chosen = cards[:count]
    pdf = folder / "cards.pdf"
    args = ["cards", str(event), "--out", str(pdf), "--no-pins"]
    for c in chosen:
        args += ["--reviewer", c.reviewer]
    if main(args) != 0:
        raise RuntimeError("simsa cards failed")
    images = rasterise_cards(pdf)
    return [(c.credential, img) for c, img in zip(chosen, images, strict=True)]


def _table(w: int, h: int, rng: random.Random) -> NDArray[np.float32]:
    """A desk or hall floor: low-frequency texture with a colour, and a few objects."""
    small = np.random.default_rng(rng.randrange(1 << 30)).uniform(0, 1, (h // 40 + 2, w // 40 + 2, 3))
    tex = cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    base = np.array([rng.uniform(40, 200) for _ in range(3)], np.float32)
    img = base[None, None, :] * (0.75 + 0.5 * tex)
    for _ in range(rng.randint(1, 4)):  # a pen, a cup, a sleeve
        cx, cy = rng.randrange(w), rng.randrange(h)
        axes = (rng.randint(w // 30, w // 6), rng.randint(h // 30, h // 5))
        colour = tuple(float(rng.uniform(0, 255)) for _ in range(3))
        cv2.ellipse(img, (cx, cy), axes, rng.uniform(0, 180), 0, 360, colour, -1)
    return img


def _homography(card_w: int, card_h: int, w: int, h: int, rng: random.Random, fill: float) -> NDArray[np.float64]:
    """Card pixels → image pixels for a card rotated in 3-D in front of a pinhole camera."""
    f = w * rng.uniform(0.75, 1.3)  # focal length in pixels (wide to normal lens)
    ax, ay = math.radians(rng.uniform(-35, 35)), math.radians(rng.uniform(-35, 35))
    az = math.radians(rng.uniform(-180, 180))
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rz = np.array([[math.cos(az), -math.sin(az), 0], [math.sin(az), math.cos(az), 0], [0, 0, 1]])
    r = rz @ ry @ rx
    # distance so the card spans ``fill`` of the frame width when seen square-on
    z = f * card_w / (fill * w)
    t = np.array([rng.uniform(-0.15, 0.15) * z, rng.uniform(-0.1, 0.1) * z, z])
    k = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]])
    centre = np.array([[1, 0, -card_w / 2], [0, 1, -card_h / 2], [0, 0, 1]], dtype=np.float64)
    plane = np.column_stack([r[:, 0], r[:, 1], t])  # the card lies in its own z = 0 plane
    hmat: NDArray[np.float64] = k @ plane @ centre
    return hmat


def _lens(img: NDArray[np.float32], k1: float) -> NDArray[np.float32]:
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    nx, ny = (xx - w / 2) / (w / 2), (yy - h / 2) / (w / 2)
    r2 = nx * nx + ny * ny
    s = 1 + k1 * r2
    return np.asarray(cv2.remap(img, nx * s * (w / 2) + w / 2, ny * s * (w / 2) + h / 2, cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REFLECT))


def _pillbox(radius: float) -> NDArray[np.float32]:
    n = math.ceil(radius) * 2 + 1
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) - n // 2
    k = (xx * xx + yy * yy <= radius * radius + 0.5).astype(np.float32)
    return np.asarray(k / k.sum(), np.float32)


def _shake(length: float, rng: random.Random) -> NDArray[np.float32]:
    """A hand-tremor blur kernel: a short curved random walk."""
    n = math.ceil(length) * 2 + 3
    k = np.zeros((n, n), np.float32)
    x = y = n / 2
    a = rng.uniform(0, 2 * math.pi)
    for _ in range(int(length * 4)):
        a += rng.gauss(0, 0.35)
        x += 0.25 * math.cos(a)
        y += 0.25 * math.sin(a)
        k[min(n - 1, max(0, round(y))), min(n - 1, max(0, round(x)))] += 1
    return np.asarray(k / k.sum(), np.float32)


def _sensor(img: NDArray[np.float32], rng: random.Random, seed: int) -> NDArray[np.uint8]:
    """Bayer RGGB sampling, shot and read noise, demosaic, phone sharpening."""
    h, w = img.shape[:2]
    bayer = np.empty((h, w), np.float32)
    bayer[0::2, 0::2] = img[0::2, 0::2, 2]
    bayer[0::2, 1::2] = img[0::2, 1::2, 1]
    bayer[1::2, 0::2] = img[1::2, 0::2, 1]
    bayer[1::2, 1::2] = img[1::2, 1::2, 0]
    gen = np.random.default_rng(seed)
    gain = rng.uniform(0.15, 1.2)  # low light: high gain, more shot noise
    shot = gen.standard_normal((h, w), dtype=np.float32) * np.sqrt(np.maximum(bayer, 0) * gain)
    read = gen.standard_normal((h, w), dtype=np.float32) * rng.uniform(1.0, 4.0)
    raw = np.clip(bayer + shot + read, 0, 255).astype(np.uint8)
    bgr = cv2.cvtColor(raw, cv2.COLOR_BayerRG2BGR)
    amount = rng.uniform(0.0, 0.8)
    soft = cv2.GaussianBlur(bgr, (0, 0), 1.2)
    return np.asarray(cv2.addWeighted(bgr, 1 + amount, soft, -amount, 0))


def _cover_code(card: Frame, rng: random.Random) -> Frame:
    """The card with its code hidden under a thumb (a skin-coloured blob)."""
    out = card.copy()
    h = out.shape[0]
    skin = (rng.uniform(110, 170), rng.uniform(140, 190), rng.uniform(190, 235))
    cv2.ellipse(out, (int(h * 0.45), h // 2), (int(h * 0.5), int(h * 0.42)), rng.uniform(-30, 30), 0, 360, skin, -1)
    return out


def _text_card(card: Frame, rng: random.Random) -> Frame:
    """A paper slip with printed lines and no code (like a PIN letter)."""
    out = np.full_like(card, 245)
    h, w = out.shape[:2]
    for i in range(rng.randint(4, 9)):
        y = int(h * (0.12 + i * 0.09))
        cv2.putText(out, "PIN 4 8 1 5 2 0  rep-0" + str(i), (int(w * 0.05), y), cv2.FONT_HERSHEY_DUPLEX,
                    h / 400, (30, 30, 30), max(1, h // 250))
    return out


def phone_frame(card: Frame | None, seed: int, *, has_code: bool = True) -> Frame:
    """One phone-camera view of ``card`` (a rasterised printed card); ``has_code=False``
    hides the code (or shows no card at all when ``card`` is None)."""
    rng = random.Random(seed)
    w, h = rng.choice(SIZES)
    img = _table(w, h, rng)
    if card is not None:
        shown = card if has_code else rng.choice([_cover_code, _text_card])(card, rng)
        paper = np.array([rng.uniform(0.9, 1.0), rng.uniform(0.93, 1.0), 1.0], np.float32)
        src = shown.astype(np.float32) * paper[None, None, :]
        hmat = _homography(src.shape[1], src.shape[0], w, h, rng, rng.uniform(0.25, 0.7))
        warped = cv2.warpPerspective(src, hmat, (w, h), flags=cv2.INTER_AREA)
        mask = cv2.warpPerspective(np.ones(src.shape[:2], np.float32), hmat, (w, h), flags=cv2.INTER_LINEAR)
        img = img * (1 - mask[:, :, None]) + warped * mask[:, :, None]
    # light: a soft shadow edge, a colour cast, vignetting
    if rng.random() < 0.5:
        a = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        d = (xx - w * rng.uniform(0.3, 0.7)) * math.cos(a) + (yy - h * rng.uniform(0.3, 0.7)) * math.sin(a)
        img *= (1 - rng.uniform(0.2, 0.55) / (1 + np.exp(-d / (w * 0.03)))).astype(np.float32)[:, :, None]
    cast = np.array([rng.uniform(0.75, 1.15), 1.0, rng.uniform(0.75, 1.15)], np.float32)
    exposure = rng.uniform(0.55, 1.15)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / (w / 2) ** 2
    vignette = (1 - rng.uniform(0.1, 0.45) * r2)[:, :, None]
    img = (img * cast[None, None, :] * exposure * vignette).astype(np.float32)
    if rng.random() < 0.6:
        img = _lens(img, rng.uniform(-0.12, 0.08))
    focus = rng.choice([0.0, 0.0, rng.uniform(0.8, 3.5)])
    if focus > 0:
        img = np.asarray(cv2.filter2D(img, -1, _pillbox(focus)), np.float32)
    if rng.random() < 0.35:
        img = np.asarray(cv2.filter2D(img, -1, _shake(rng.uniform(2, 9), rng)), np.float32)
    frame = _sensor(img, rng, seed)
    if rng.random() < 0.5:
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(45, 90)])
    else:
        ok, buf = cv2.imencode(".webp", frame, [cv2.IMWRITE_WEBP_QUALITY, rng.randint(40, 90)])
    assert ok
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), dtype=np.uint8)
