"""``make bench``: run every benchmark, one process each, printing their figures.

Benchmarks are not timed tests; each prints the command that reproduces it and the
figures recorded in docs/BENCHMARKS.md. Add a module to :data:`BENCHMARKS` to include it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

#: Modules run by ``python -m bench.run``, in order.
BENCHMARKS = (
    "bench.ed25519",
    "bench.wire_read",
    "bench.server_ingest",
    "bench.rush",
    "bench.server_proofs",
    "bench.dashboard_pages",
    "bench.server_replay",
    "bench.verify_bench",
    "bench.kiosk_scan",
    "bench.kiosk_save",
    "bench.pin_guess",
)


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        if importlib.util.find_spec(name) is None:
            continue
        print(f"\n=== {sys.executable} -m {name}", flush=True)
        if subprocess.run([sys.executable, "-m", name], check=False).returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
