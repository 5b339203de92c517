"""``simsa demo``: the whole event day on one machine (what ``make demo`` runs)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="run a whole demo event: organiser, server, kiosks, online reviewers, staff, auditor",
        description="Create a KINTEX-2017-shaped demo event in DIR (remade on every run), start the ledger "
        "server on SQLite, let reviewers score at kiosks offline and like online, sync the kiosks (one by "
        "USB bundle), let staff resolve a conflict and close the event, then verify the ledger from its URL "
        "and print the results and where to look.",
    )
    p.add_argument("--dir", type=Path, default=Path("demo"), help="the demo folder (default ./demo)")
    p.add_argument("--kiosks", type=int, default=8, help="kiosks that sync over the network (default 8)")
    p.add_argument("--ballots", type=int, default=3000, help="kiosk ballots in all (default 3000)")
    p.add_argument("--online", type=int, default=1500, help="online ballots (default 1500)")
    p.add_argument(
        "--conflicts", type=int, default=3, help="reviewers who re-score at another kiosk (default 3)"
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="the whole KINTEX day: 40 kiosks, every kiosk assignment once (~11,300 rubric ballots) and "
        "every online member once (7,848 likes); about 4-5 minutes",
    )
    p.add_argument(
        "--event",
        choices=("kintex-2017", "mini"),
        default="kintex-2017",
        help="kintex-2017: 872 proposals, 8,866 reviewers (default); mini: 24 proposals, 100 reviewers of "
        "the same shape — the same day in seconds",
    )
    p.add_argument("--port", type=int, help="server port on 127.0.0.1 (default: a free one)")
    keep = p.add_mutually_exclusive_group()
    keep.add_argument(
        "--keep-running",
        dest="keep",
        action="store_true",
        default=None,
        help="keep the server up afterwards until Ctrl-C (default when run in a terminal)",
    )
    keep.add_argument("--no-keep-running", dest="keep", action="store_false")
    p.add_argument(
        "--seed", type=int, default=2017, help="seed of the synthetic event and votes (not of keys)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from simsa.demo import DemoOptions, run_demo

    for name in ("kiosks", "ballots", "online"):
        if getattr(args, name) < (1 if name == "kiosks" else 0):
            print(
                f"simsa demo: error: --{name} must be at least {1 if name == 'kiosks' else 0}",
                file=sys.stderr,
            )
            return 2
    keep = sys.stdin.isatty() and sys.stdout.isatty() if args.keep is None else args.keep
    return run_demo(
        DemoOptions(
            dir=args.dir,
            kiosks=args.kiosks,
            ballots=args.ballots,
            online=args.online,
            conflicts=args.conflicts,
            port=args.port,
            keep_running=keep,
            seed=args.seed,
            event=args.event,
            full=args.full,
        )
    )
