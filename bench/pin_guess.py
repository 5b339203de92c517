"""Benchmark: what guessing a photographed card's PIN costs — one scrypt (r = 8, p = 1)
per guess, as :func:`shared.credential.unlock` runs it, at the costs a real event uses.

    python -m bench.pin_guess [--repeat 5] [--logn 15 16 17]

For each cost: the median seconds of one guess on one core here; the core-hours to try
every PIN of 6, 8 and 10 digits; the wall-clock hours on a rented 64-core machine (64
guesses at once, as fast as this core, which is generous to the defender if anything);
and a one-GPU estimate from memory bandwidth: each guess must write and read the whole
scrypt array (2 · 128 · r · N bytes), so a card with ``--gpu-gbps`` GB/s of memory
bandwidth (1000: an RTX 4090) makes at most bandwidth / (2 · 128 · r · N · 1.25) guesses a
second (the 1.25 for overheads). On average the PIN falls after half of these times.
"""

from __future__ import annotations

import argparse
import json
import statistics

from organiser.kdf import scrypt_seconds

DIGITS = (6, 8, 10)


def figures(logn: int, seconds: float, gpu_gbps: float) -> dict[str, object]:
    gpu_rate = gpu_gbps * 1e9 / (2 * 128 * 8 * (1 << logn) * 1.25)
    out: dict[str, object] = {"logn": logn, "seconds_per_guess": round(seconds, 4),
                              "gpu_guesses_per_second": round(gpu_rate)}
    for d in DIGITS:
        space = 10**d
        out[f"{d}_digits"] = {
            "core_hours": round(space * seconds / 3600, 1),
            "64_cores_hours": round(space * seconds / 64 / 3600, 2),
            "gpu_hours": round(space / gpu_rate / 3600, 2),
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--logn", type=int, nargs="+", default=[15, 16, 17])
    ap.add_argument("--gpu-gbps", type=float, default=1000.0)
    args = ap.parse_args()
    rows = []
    for logn in args.logn:
        seconds = statistics.median(scrypt_seconds(logn) for _ in range(args.repeat))
        rows.append(figures(logn, seconds, args.gpu_gbps))
    print(json.dumps({"bench": "pin_guess", "gpu_gbps": args.gpu_gbps, "costs": rows}, indent=2))
    print("\n| scrypt | s/guess here | digits | all PINs, core-hours | 64 cores, hours | one GPU, hours |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        for d in DIGITS:
            f = r[f"{d}_digits"]
            assert isinstance(f, dict)
            print(f"| 2^{r['logn']} | {r['seconds_per_guess']} | {d} | {f['core_hours']} | {f['64_cores_hours']} | {f['gpu_hours']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
