"""Benchmark: the ledger server's live replay (merge, conflicts and results for the
dashboard) on a city-shape ledger — time and peak memory of the lean replay the server
keeps, beside the full replay (every signed ballot kept parsed) in the same run.

    python -m bench.server_replay [--ballots 100000]

Each replay runs in a fresh process (peak memory is per process) over the cached export
of :mod:`bench.citygen`, fed the way the server feeds it: leaf data from storage, ballots
not judged again (they were judged when appended).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import citygen


def _child(folder: Path, lean: bool) -> dict[str, Any]:
    import orjson

    from shared.replay import Replay
    from shared.tally import results_hash

    replay = Replay(check_ballots=False, keep_signed=not lean)
    start = time.perf_counter()
    with (folder / "entries.jsonl").open("rb") as f:
        for line in f:
            data = line.rstrip(b"\n")
            replay.add(orjson.loads(data), entry_jcs=data if lean else None)
    seconds = time.perf_counter() - start
    results = replay.state.results()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"entries": replay.state.size, "seconds": seconds, "peak_mib": peak, "results": results_hash(results)}


def _run(folder: Path, lean: bool) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.server_replay", "--child", str(folder), "--lean" if lean else "--full"],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ballots", type=int, default=100_000)
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--lean", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child is not None:
        print(json.dumps(_child(args.child, args.lean)))
        return 0
    folder = citygen.ensure(args.ballots)
    lean, full = _run(folder, True), _run(folder, False)
    assert lean["results"] == full["results"], "the two replays disagree on the results"
    print(f"city ledger of {lean['entries']:,} entries ({args.ballots:,} ballots), one process each")
    print("| replay | time | ballots/s | peak memory |")
    print("|---|---|---|---|")
    for name, r in (("server's lean replay", lean), ("full replay (signed ballots kept parsed)", full)):
        print(f"| {name} | {r['seconds']:.1f} s | {args.ballots / r['seconds']:,.0f} | {r['peak_mib']:,.0f} MiB |")
    print(f"lean / full: {lean['seconds'] / full['seconds']:.2f}x the time, {lean['peak_mib'] / full['peak_mib']:.2f}x the memory")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
