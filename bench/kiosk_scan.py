"""Benchmark: the kiosk's QR pipeline per frame, beside zxing-cpp on the same frames, on two
corpora made in different ways.

    python -m bench.kiosk_scan [--frames 200] [--empty 50] [--seed 1] [--corpus camera phone]
    python -m bench.kiosk_scan --steps      # what each ladder step buys and costs

Corpora:

- ``camera`` (the one the ladder was tuned on) — synthetic 1280×720 views
  (kiosk/tools/frames.py, kind ``camera``: a random mix of distance, angle, corner-jitter
  perspective, dark-mode inversion, Gaussian and motion blur, washed-out contrast, glare,
  sensor noise and JPEG) of real SIMSA1 credential texts, and frames with no code;
- ``phone`` (held out) — cards printed by ``simsa cards`` for a demo event, rasterised at
  300 dpi and seen by a simulated phone camera (kiosk/tools/phone.py: 3-D pose through a
  pinhole lens, lens distortion, pillbox defocus, hand shake, shadow, colour cast,
  vignetting, Bayer sensor noise, JPEG or WebP, at 1080p, 720p or 480p), and frames
  whose code is covered, text slips, or bare tables.

Engines, run one after another on each frame so load hits them alike:

- ``simsa`` — :func:`kiosk.scanner.decode` as the kiosk runs it (zxing-cpp, then the
  ladder within its budget of 0.5× zxing-cpp's time on the frame);
- ``simsa thorough`` — the whole ladder on every frame (``simsa scan --thorough``);
- ``zxing-cpp`` — ``zxingcpp.read_barcodes(frame, formats=QRCode)`` on the raw frame.

Reported per corpus: frames read, wrong texts (any text other than the card's) and
milliseconds p50 / p95 on frames with and without a code, single-threaded, and the
p95 ratios simsa / zxing-cpp.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import zxingcpp

from kiosk import scanner
from kiosk.scanner import Budget, decode
from kiosk.tools.frames import frame
from shared.credential import seal

Corpus = list[tuple[str | None, Any]]


def credentials(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        b = rng.bytes(32 + 16 + 12)
        out.append(seal(event="gg2017", reviewer=f"rep-{i:04d}", seed=b[:32], pin=f"{i:06d}", logn=10,
                        salt=b[32:48], nonce=b[48:]).to_text())
    return out


def camera_corpus(n_frames: int, n_empty: int, seed: int) -> Corpus:
    texts = credentials(16, seed)
    out: Corpus = [(texts[i % len(texts)], frame(texts[i % len(texts)], "camera", seed * 100_000 + i))
                   for i in range(n_frames)]
    return out + [(None, frame(None, "none", seed * 100_000 + 50_000 + i)) for i in range(n_empty)]


def phone_corpus(n_frames: int, n_empty: int, seed: int) -> Corpus:
    from kiosk.tools.phone import event_cards, phone_frame

    with tempfile.TemporaryDirectory(prefix="simsa-phone-") as tmp:
        cards = event_cards(Path(tmp), 16, seed=seed + 2)
    out: Corpus = [(cards[i % 16][0], phone_frame(cards[i % 16][1], seed * 1_000_000 + i)) for i in range(n_frames)]
    return out + [(None, phone_frame(cards[i % 16][1] if i % 3 else None, seed * 1_000_000 + 500_000 + i,
                                     has_code=False)) for i in range(n_empty)]


CORPORA: dict[str, Callable[[int, int, int], Corpus]] = {"camera": camera_corpus, "phone": phone_corpus}


def shuffled(corpus: Corpus, seed: int) -> Corpus:
    """Frames with and without a code interleaved, as a kiosk sees them."""
    import random

    out = list(corpus)
    random.Random(seed).shuffle(out)
    return out


def zxing_raw(f: Any) -> str | None:
    codes = zxingcpp.read_barcodes(f, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    texts = sorted({c.text for c in codes if c.valid})
    return texts[0] if len(texts) == 1 else None


def kiosk_engine() -> Callable[[Any], str | None]:
    """:func:`decode` as the kiosk's scan worker calls it: with the budget it learns from
    zxing-cpp's times on the frames before."""
    budget = Budget()

    def run(f: Any) -> str | None:
        r = decode(f, budget_ms=budget.ms)
        budget.add(r.zxing_ms)
        return r.text

    return run


def engines() -> dict[str, Callable[[Any], str | None]]:
    return {"simsa": kiosk_engine(), "simsa thorough": lambda f: decode(f).text, "zxing-cpp": zxing_raw}


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))] if xs else 0.0


def run(corpus: Corpus) -> dict[str, dict[str, float]]:
    fns = engines()
    acc: dict[str, dict[str, Any]] = {name: {"read": 0, "wrong": 0, "ms": [], "ms_empty": []} for name in fns}
    for text, f in corpus:
        for name, fn in fns.items():
            t0 = time.perf_counter()
            got = fn(f)
            ms = (time.perf_counter() - t0) * 1000
            a = acc[name]
            a["ms" if text is not None else "ms_empty"].append(ms)
            a["read"] += text is not None and got == text
            a["wrong"] += got is not None and got != text
    out: dict[str, dict[str, float]] = {}
    for name, a in acc.items():
        ms, me = a["ms"], a["ms_empty"]
        out[name] = {"read": a["read"], "frames": len(ms), "wrong": a["wrong"],
                     "p50": statistics.median(ms), "p95": pct(ms, 0.95),
                     "empty_p50": statistics.median(me) if me else 0.0, "empty_p95": pct(me, 0.95)}
    return out


def steps(corpus: Corpus, candidates: bool) -> list[tuple[str, int, int, int, float]]:
    """Each ladder step alone on the frames zxing-cpp's first pass does not read: frames
    it reads, frames it reads first (in ladder order), wrong texts, and its cost as a share
    of zxing-cpp's time on the same frame (90th percentile)."""
    ladder = (*scanner.CANDIDATES, *scanner.STEPS) if candidates else scanner.STEPS
    rows: dict[str, list[Any]] = {s.name: [0, 0, 0, []] for s in ladder}
    for text, f in corpus:
        full = scanner.gray_full(f)
        gray = scanner.narrow(full)
        t0 = time.perf_counter()
        z = scanner._zxing(full)
        zx = time.perf_counter() - t0
        if text is not None and z == [text]:
            continue
        views = scanner.Views(gray)
        first = True
        for s in ladder:
            t0 = time.perf_counter()
            img = s.view(views)
            got = scanner._ENGINES[s.engine](img) if img is not None else []
            r = rows[s.name]
            r[3].append((time.perf_counter() - t0) / zx)
            if text is not None and got and set(got) == {text}:
                r[0] += 1
                r[1] += first
                first = False
            elif got:
                r[2] += 1
    return [(name, r[0], r[1], r[2], pct(r[3], 0.9)) for name, r in rows.items()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--empty", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", nargs="+", choices=sorted(CORPORA), default=["camera", "phone"])
    ap.add_argument("--steps", action="store_true", help="report what each ladder step buys and costs")
    ap.add_argument("--candidates", action="store_true", help="with --steps: the dropped second looks too")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import cv2

    cv2.setNumThreads(1)
    print(f"kiosk scan benchmark: {args.frames} frames with a code and {args.empty} without per corpus; "
          f"seed {args.seed}; {platform.processor() or platform.machine()}, OpenCV single-threaded; "
          f"load average {os.getloadavg()[0]:.1f}")
    ok = True
    for name in args.corpus:
        corpus = shuffled(CORPORA[name](args.frames, args.empty, args.seed), args.seed)
        if args.steps:
            print(f"\n{name}: ladder steps on the frames zxing-cpp's first pass misses\n")
            print("| step | reads | reads first | wrong | cost × zxing (p90) |")
            print("|---|---|---|---|---|")
            for step, read, first, wrong, cost in steps(corpus, args.candidates):
                print(f"| {step} | {read} | {first} | {wrong} | {cost:.2f} |")
            continue
        res = run(corpus)
        print(f"\n{name} corpus\n")
        print("| decoder | frames read | wrong texts | ms/frame p50 | p95 | no-code frame p50 | p95 |")
        print("|---|---|---|---|---|---|---|")
        for engine, r in res.items():
            print(f"| {engine} | {int(r['read'])} / {int(r['frames'])} | {int(r['wrong'])} | {r['p50']:.1f} | "
                  f"{r['p95']:.1f} | {r['empty_p50']:.1f} | {r['empty_p95']:.1f} |")
        s, z = res["simsa"], res["zxing-cpp"]
        ratio, ratio_empty = s["p95"] / z["p95"], s["empty_p95"] / max(z["empty_p95"], 1e-9)
        good = s["read"] >= z["read"] and s["wrong"] == 0 and ratio <= 1.5 and ratio_empty <= 1.5
        print(f"\nsimsa / zxing-cpp p95: {ratio:.2f}× with a code, {ratio_empty:.2f}× without; "
              f"reads {int(s['read'])} vs {int(z['read'])}; wrong {int(s['wrong'])} — aim met: {good}")
        ok &= good
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
