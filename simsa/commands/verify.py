"""``simsa verify URL|DIR``: check a whole ledger (or one receipt) without trusting the server."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def register(sub: Any) -> None:
    p = sub.add_parser(
        "verify",
        help="verify a ledger from a live server or an export folder",
        description="Read the whole ledger and check the manifest signature, every tree head signature, "
        "every leaf into the latest root, consistency with every tree head seen on earlier runs, every ballot "
        "signature and rule, every kiosk chain, every staff and authority statement, and the recomputed "
        "results. Exit status: 0 valid, 1 a discrepancy (named with its entry index), 2 the ledger could not "
        "be read.",
    )
    p.add_argument("source", help="the server's base URL (http://host:port) or an export folder")
    p.add_argument("--receipt", metavar="ID", help="only check that this receipt's ballot is on the ledger")
    p.add_argument("--workers", type=int, help="processes for signature checks (default: every core)")
    p.add_argument(
        "--state",
        type=Path,
        help="folder of remembered tree heads (default ~/.local/share/simsa/sths)",
    )
    p.add_argument("--no-state", action="store_true", help="neither read nor remember tree heads")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from rich.console import Console

    from audit.source import SourceError, open_source
    from audit.state import StateStore
    from audit.summary import entry_progress
    from shared.errors import FormatError, VerificationError

    err = Console(stderr=True, soft_wrap=True)
    out = Console(highlight=False, soft_wrap=True)
    store = None if args.no_state else StateStore(args.state)
    try:
        source = open_source(args.source)
    except SourceError as exc:
        err.print(f"[red]simsa verify: {exc}[/red]")
        return EXIT_UNREADABLE
    try:
        with entry_progress(err, "reading and checking entries") as (start, advance):
            if args.receipt:
                from audit.receipt import verify_receipt

                rc = verify_receipt(source, args.receipt, store=store, progress=advance, on_start=start)
            else:
                from audit.verify import verify_ledger

                verdict = verify_ledger(source, store=store, workers=args.workers, progress=advance, on_start=start)
    except SourceError as exc:
        err.print(f"[red]simsa verify: could not read the ledger: {exc}[/red]")
        return EXIT_UNREADABLE
    except (FormatError, VerificationError) as exc:
        if args.receipt:
            err.print(f"[red]✗ {exc}[/red]")
            return EXIT_INVALID
        raise
    finally:
        source.close()
    if args.receipt:
        from audit.summary import print_receipt, receipt_json

        if args.json:
            print(json.dumps(receipt_json(rc), ensure_ascii=False, indent=1))
        else:
            print_receipt(out, rc)
        return EXIT_VALID if rc.ok else EXIT_INVALID
    from audit.summary import print_verdict, verdict_json

    if args.json:
        print(json.dumps(verdict_json(verdict), ensure_ascii=False, indent=1))
    else:
        print_verdict(out, verdict)
    return EXIT_VALID if verdict.ok else EXIT_INVALID
