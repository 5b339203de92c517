"""``simsa results URL|DIR --out DIR``: verify the ledger, then write the results report
(HTML with charts, CSV, JSON) recomputed from the ledger alone."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "results",
        help="write a results report (HTML, CSV, JSON) from the ledger alone",
        description="Verify the whole ledger (as `simsa verify` does), recompute merge and tally, and write "
        "OUT/results.html (charts, every proposal), OUT/results.csv and OUT/results.json. Nothing is written "
        "when the ledger does not verify. Exit status as for verify.",
    )
    p.add_argument("source", help="the server's base URL or an export folder")
    p.add_argument("--out", type=Path, required=True, help="folder for the report (created if needed)")
    p.add_argument("--workers", type=int, help="processes for signature checks (default: every core)")
    p.add_argument("--state", type=Path, help="folder of remembered tree heads")
    p.add_argument("--no-state", action="store_true", help="neither read nor remember tree heads")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from audit.report import write_report
    from audit.source import SourceError, open_source
    from audit.state import StateStore
    from audit.summary import entry_progress, print_verdict
    from audit.verify import verify_ledger

    err = Console(stderr=True, soft_wrap=True)
    out = Console(highlight=False, soft_wrap=True)
    try:
        source = open_source(args.source)
        try:
            with entry_progress(err, "verifying the ledger") as (start, advance):
                verdict = verify_ledger(
                    source,
                    store=None if args.no_state else StateStore(args.state),
                    workers=args.workers,
                    progress=advance,
                    on_start=start,
                )
        finally:
            source.close()
    except SourceError as exc:
        err.print(f"[red]simsa results: could not read the ledger: {exc}[/red]")
        return 2
    if not verdict.ok:
        print_verdict(out, verdict)
        err.print("[red]simsa results: no report is written from a ledger that does not verify[/red]")
        return 1
    paths = write_report(verdict, args.out)
    r = verdict.results
    assert r is not None
    state = "closed" if verdict.state and verdict.state.close else "NOT closed — provisional"
    out.print(f"[green]✓[/green] ledger verified ({verdict.entries:,} entries, {state})")
    sel = r["selected"]
    more = f" … (+{len(sel) - 30}, all in the report)" if len(sel) > 30 else ""
    out.print(f"selected 선정 ({len(sel)}): {' '.join(sel[:30])}{more}")
    for p in paths:
        out.print(f"  wrote {p}")
    return 0
