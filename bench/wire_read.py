"""Benchmark: reading the wire shapes (rule 1 of DESIGN §5 and the batch and entry shapes)
— CPU time per item on one core, well-formed values (the common case).

    python -m bench.wire_read [--n 20000] [--rounds 5]

Times ``SignedBallot.from_json`` (with its RFC 8785 bytes in hand, as the server and the
auditor call it), ``check_ballot_entry``, and ``Batch.from_json`` of a 500-record kiosk
batch (per record; its linkage check, one RFC 8785 encoding and one hash a record, is in
it). CPU time of this thread (``time.thread_time``), best of ``--rounds``, so the load of
other processes does not inflate it. Runs against whatever ``shared`` is on the path: run
it once from a copy of an older tree (``PYTHONPATH=old python path/to/wire_read.py``) to
compare.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable
from typing import Any

from shared.ballot import SignedBallot, approval_ballot, rubric_ballot
from shared.chain import GENESIS, Batch, record_hash
from shared.encoding import b64u, jcs
from shared.ledger import check_ballot_entry


def _signed(i: int, kiosk: str | None) -> dict[str, Any]:
    common: dict[str, Any] = dict(event="kintex-2017", reviewer=f"r-{i % 997:05d}", channel="kiosk" if kiosk else "online",
                  kiosk=kiosk, created_at=f"2017-02-23T10:{i % 60:02d}:00Z", nonce=str(uuid.UUID(int=i)))
    if i % 2:
        b = rubric_ballot(**common, proposal=f"P{i % 12:02d}", scores={"c1": 3, "c2": 4, "c3": 5, "c4": 2})
    else:
        b = approval_ballot(**common, group="G1", choices=["P01", "P04", "P07"])
    return {"ballot": b, "sig": b64u(bytes([i % 256]) * 64)}


def _best(fn: Callable[[], Any], count: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t0)
    return best / count * 1e6


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    sbs = [_signed(i, "k-01" if i % 3 else None) for i in range(args.n)]
    canon = [jcs(sb) for sb in sbs]
    entries = [{"type": "ballot", "received_at": "2017-02-23T10:15:00Z", "signed_ballot": sb,
                "kiosk": sb["ballot"]["kiosk"], "seq": (i + 1) if sb["ballot"]["kiosk"] else None}
               for i, sb in enumerate(sbs)]
    records, prev = [], GENESIS
    for seq, sb in enumerate(sbs[:500], 1):
        r = {"seq": seq, "prev": prev, "signed_ballot": sb}
        records.append(r)
        prev = record_hash(r)
    batch = {"kiosk": "k-01", "records": records, "head": {"kiosk": "k-01", "seq": 500, "hash": prev, "sig": "A" * 86}}

    def read_signed() -> None:
        for sb, c in zip(sbs, canon, strict=True):
            SignedBallot.from_json(sb, canonical=c)

    def read_entries() -> None:
        for e in entries:
            check_ballot_entry(e)

    def read_batch() -> None:
        for _ in range(10):
            Batch.from_json(batch)

    out = {
        "signed ballot (rule 1), µs": _best(read_signed, len(sbs), args.rounds),
        "ballot entry shape, µs": _best(read_entries, len(entries), args.rounds),
        "batch of 500, per record (with linkage), µs": _best(read_batch, 5000, args.rounds),
    }
    for k, v in out.items():
        print(f"{k}: {v:.2f}")
    return out


if __name__ == "__main__":
    main()
