"""Benchmark: the kiosk's QR pipeline per 720p frame, beside zxing-cpp on the same frames.

    python -m bench.kiosk_scan [--frames 200] [--empty 50] [--seed 1]

Frames are synthetic 1280×720 camera views (kiosk/tools/frames.py, kind ``camera``: a
random mix of distance, angle, perspective, dark-mode inversion, focus and motion blur,
washed-out contrast, glare, sensor noise and JPEG) of real SIMSA1 credential texts,
plus frames with no code (the common case at an idle kiosk). Each frame is decoded in
the same run by:

- ``simsa`` — :func:`kiosk.scanner.decode` as the kiosk and ``simsa scan`` run it
  (zxing-cpp first, then the pyzbar ladder of pre-processed views);
- ``pyzbar ladder`` — the same pipeline with zxing-cpp switched off;
- ``zxing-cpp`` — ``zxingcpp.read_barcodes(frame, formats=QRCode)`` on the raw frame;
- ``pyzbar plain`` — ``pyzbar.decode`` once on the grayscale frame, for reference.

Reported: frames read, wrong texts (any text other than the card's), and per-frame
milliseconds p50 / p95 on this machine, single-threaded.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import zxingcpp

from kiosk.scanner import decode
from kiosk.tools.frames import frame
from shared.credential import seal


def credentials(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        b = rng.bytes(32 + 16 + 12)
        out.append(seal(event="gg2017", reviewer=f"rep-{i:04d}", seed=b[:32], pin=f"{i:06d}", logn=10,
                        salt=b[32:48], nonce=b[48:]).to_text())
    return out


def zxing_raw(f: Any) -> str | None:
    codes = zxingcpp.read_barcodes(f, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    texts = sorted({c.text for c in codes if c.valid})
    return texts[0] if len(texts) == 1 else None


def pyzbar_plain(f: Any) -> str | None:
    from pyzbar import pyzbar

    from kiosk.scanner import to_gray

    texts = sorted({s.data.decode("utf-8", "replace") for s in pyzbar.decode(to_gray(f), symbols=[pyzbar.ZBarSymbol.QRCODE])})
    return texts[0] if len(texts) == 1 else None


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def run(n_frames: int, n_empty: int, seed: int) -> dict[str, dict[str, float]]:
    texts = credentials(16, seed)
    frames = [(texts[i % len(texts)], frame(texts[i % len(texts)], "camera", seed * 100_000 + i))
              for i in range(n_frames)]
    empty = [frame(None, "none", seed * 100_000 + 50_000 + i) for i in range(n_empty)]
    engines: dict[str, Callable[[Any], str | None]] = {
        "simsa": lambda f: decode(f).text,
        "pyzbar ladder": lambda f: decode(f, decoders=("zbar",)).text,
        "zxing-cpp": zxing_raw,
        "pyzbar plain": pyzbar_plain,
    }
    out: dict[str, dict[str, float]] = {}
    for name, fn in engines.items():
        read = wrong = 0
        ms: list[float] = []
        for text, f in frames:
            t0 = time.perf_counter()
            got = fn(f)
            ms.append((time.perf_counter() - t0) * 1000)
            read += got == text
            wrong += got is not None and got != text
        ms_empty: list[float] = []
        for f in empty:
            t0 = time.perf_counter()
            got = fn(f)
            ms_empty.append((time.perf_counter() - t0) * 1000)
            wrong += got is not None
        out[name] = {
            "read": read, "frames": len(frames), "wrong": wrong,
            "p50": statistics.median(ms), "p95": pct(ms, 0.95),
            "empty_p50": statistics.median(ms_empty) if ms_empty else 0.0,
            "empty_p95": pct(ms_empty, 0.95) if ms_empty else 0.0,
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--empty", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import cv2

    cv2.setNumThreads(1)
    res = run(args.frames, args.empty, args.seed)
    print(f"kiosk scan benchmark: {args.frames} camera-like 720p frames with a code, {args.empty} without; "
          f"seed {args.seed}; {platform.processor() or platform.machine()}, OpenCV single-threaded")
    print(f"command: python -m bench.kiosk_scan --frames {args.frames} --empty {args.empty} --seed {args.seed}\n")
    print("| decoder | frames read | wrong texts | ms/frame p50 | p95 | no-code frame p50 | p95 |")
    print("|---|---|---|---|---|---|---|")
    for name, r in res.items():
        print(f"| {name} | {int(r['read'])} / {int(r['frames'])} | {int(r['wrong'])} | {r['p50']:.1f} | "
              f"{r['p95']:.1f} | {r['empty_p50']:.1f} | {r['empty_p95']:.1f} |")
    ok = res["simsa"]["read"] >= res["zxing-cpp"]["read"] and all(r["wrong"] == 0 for r in res.values())
    print(f"\nsimsa reads at least as many frames as zxing-cpp and no decoder returned a wrong text: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
