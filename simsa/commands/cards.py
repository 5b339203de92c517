"""``simsa cards DIR --out cards.pdf``: credential cards and, separately, PIN letters."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "cards",
        help="print credential cards (QR) and separate PIN letters as A4 PDFs",
        description="Read DIR/manifest.json, credentials.csv and pins.csv and write two PDFs: the cards (ten a "
        "sheet: QR code, reviewer id, event, role and group, instructions in Korean and English) and the PIN "
        "letters (eight a sheet, same order). Print and hand them out apart.",
    )
    p.add_argument("dir", type=Path, help="the event folder made by `simsa event init`")
    p.add_argument("--out", type=Path, required=True, help="the cards PDF to write")
    p.add_argument("--pins-out", type=Path, help="the PIN letters PDF (default: OUT with -pins before .pdf)")
    p.add_argument("--no-pins", action="store_true", help="write the cards only")
    p.add_argument("--reviewer", action="append", metavar="ID", help="only this reviewer (repeatable)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from organiser.cards import load_cards, write_cards, write_pin_letters

    out = Console(highlight=False, soft_wrap=True)
    manifest, cards = load_cards(args.dir, reviewers=args.reviewer)
    if not cards:
        out.print("[yellow]no credentials to print[/yellow]")
        return 1
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("drawing cards"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("cards", total=len(cards))
        pages = write_cards(args.out, manifest, cards, progress=lambda n: bar.advance(task, n))
    out.print(f"wrote {args.out}: {len(cards):,} cards on {pages:,} A4 sheets")
    if not args.no_pins:
        pins_out = args.pins_out or args.out.with_name(args.out.stem + "-pins.pdf")
        if pins_out.resolve() == args.out.resolve():
            out.print("[red]the PIN letters must not overwrite the cards[/red]")
            return 2
        pin_pages = write_pin_letters(pins_out, manifest, cards)
        out.print(f"wrote {pins_out}: {len(cards):,} PIN letters on {pin_pages:,} A4 sheets")
        out.print("  print, pack and hand out the cards and the PIN letters separately")
    return 0
