"""``simsa ledger export --url URL DIR``: copy a server's ledger into a folder for offline audit."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("ledger", help="copy a ledger for offline audit", description="Work with a ledger's copy.")
    lsub = p.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    ex = lsub.add_parser(
        "export",
        help="write DIR/entries.jsonl, sth.json and manifest.json from a server",
        description="Download every entry the server's latest signed tree head covers into DIR: entries.jsonl "
        "(one entry per line in index order, each line its RFC 8785 bytes), sth.json (that tree head), "
        "manifest.json (the signed manifest) and results.json when results are published. Check it offline "
        "with `simsa verify DIR`.",
    )
    ex.add_argument("--url", required=True, help="the server's base URL")
    ex.add_argument("dir", type=Path, help="the folder to write (created if needed)")
    ex.set_defaults(func=run_export)
    register_tiles(lsub)


def run_export(args: argparse.Namespace) -> int:
    from rich.console import Console

    from audit.export import export_ledger
    from audit.source import HttpSource, SourceError
    from audit.summary import entry_progress

    err = Console(stderr=True, soft_wrap=True)
    out = Console(highlight=False, soft_wrap=True)
    if not args.url.startswith(("http://", "https://")):
        err.print(f"[red]simsa ledger export: --url must be http(s)://…, got {args.url}[/red]")
        return 2
    source = HttpSource(args.url)
    try:
        with entry_progress(err, "downloading entries") as (start, advance):
            summary = export_ledger(source, args.dir, progress=advance, on_start=start)
    except SourceError as exc:
        err.print(f"[red]simsa ledger export: {exc}[/red]")
        return 2
    finally:
        source.close()
    files = "entries.jsonl, sth.json, manifest.json" + (", results.json" if summary.results else "")
    out.print(f"exported {summary.entries:,} entries to {args.dir} ({files})")
    if not summary.root_matches:
        out.print(
            "[bold red]✗ the downloaded entries do not hash to the root the server's tree head signs[/bold red] "
            "— the copy is kept as evidence; run `simsa verify` on it for details"
        )
        return 1
    out.print(f"[green]✓[/green] the entries hash to the signed root; check everything with: simsa verify {args.dir}")
    return 0


def register_tiles(lsub: Any) -> None:
    t = lsub.add_parser(
        "tiles",
        help="write the server's tiled log (C2SP tlog-tiles) as static files for nginx",
        description="Fetch the server's /tlog checkpoint, hash tiles and entry bundles into DIR, check them "
        "(ledger key signature, root from the tiles, every bundle against its tile) and write the checkpoint "
        "last. Full tiles already in DIR are kept, so re-running it every few seconds fetches only new tiles.",
    )
    t.add_argument("--url", required=True, help="the server's base URL")
    t.add_argument("--out", required=True, type=Path, help="the folder nginx serves as <prefix>/")
    t.set_defaults(func=run_tiles)


def run_tiles(args: argparse.Namespace) -> int:
    from rich.console import Console

    from audit.source import HttpSource, SourceError
    from audit.tlog_mirror import mirror_tiles
    from shared.errors import FormatError, VerificationError

    err = Console(stderr=True, soft_wrap=True)
    if not args.url.startswith(("http://", "https://")):
        err.print(f"[red]simsa ledger tiles: --url must be http(s)://…, got {args.url}[/red]")
        return 2
    source = HttpSource(args.url)
    try:
        s = mirror_tiles(source, args.out)
    except SourceError as exc:
        err.print(f"[red]simsa ledger tiles: {exc}[/red]")
        return 2
    except (FormatError, VerificationError) as exc:
        err.print(f"[bold red]✗ simsa ledger tiles: {exc}[/bold red] (the old checkpoint in {args.out} is kept)")
        return 1
    finally:
        source.close()
    print(f"checkpoint of size {s.size:,} written to {args.out}: {s.fetched} files fetched, {s.kept} full tiles and bundles kept")
    if s.simsa_only:
        print(f"bundles {s.simsa_only[:5]} hold an entry over 65535 bytes: only simsa-entries/ has them")
    return 0
