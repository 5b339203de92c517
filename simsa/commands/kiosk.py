"""``simsa kiosk``: the judging kiosk (or, with --online, a reviewer's own computer), and
``simsa kiosk-sim``: headless kiosks driving the same store and sync code."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any


def _default_data(online: bool) -> Path:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "simsa" / ("online" if online else "kiosk")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "kiosk",
        help="run the judging kiosk (Kivy), or the online client with --online",
        description="Before the event, load and verify the signed manifest from the server (--server) or a "
        "file (--manifest); from then on the kiosk needs only its --data folder and works with no network. "
        "With --server it also syncs in the background whenever the server can be reached.",
    )
    p.add_argument("--server", metavar="URL", help="the ledger server, e.g. https://judge.example.org")
    p.add_argument("--manifest", type=Path, metavar="FILE", help="a signed manifest.json to load instead")
    p.add_argument("--data", type=Path, metavar="DIR", help="the kiosk's data folder (default ~/.local/share/simsa/kiosk)")
    p.add_argument("--online", action="store_true", help="online mode: ballots go straight to the server")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, metavar="N", default=0, help="camera index (default 0)")
    src.add_argument("--frames", type=Path, metavar="DIR", help="play the images of DIR as camera frames")
    p.add_argument("--fullscreen", action="store_true", help="kiosk mode: fullscreen, borderless, Escape ignored")
    p.add_argument("--size", metavar="WxH", help="window size when not --fullscreen, e.g. 800x1280 for a portrait "
                   "screen (default 1280x800; --fullscreen takes the display's own size)")
    p.add_argument("--idle", type=float, default=None, metavar="S", help="seconds without a touch before the "
                   "kiosk asks whether to continue and then logs the reviewer out (default 90)")
    p.add_argument("--authority", metavar="KEY", help="pin the organiser's authority key (b64u): a manifest "
                   "signed by another key is refused")
    p.add_argument("--kiosk-id", metavar="ID", help="this kiosk's id on first set-up (default from its key)")
    p.add_argument("--staff-pin", metavar="PIN", help="set the staff PIN (default: made up and printed once)")
    p.add_argument("--lang", choices=["ko", "en"], default="ko", help="starting language (default ko)")
    p.add_argument("--sync-interval", type=float, default=15.0, metavar="S", help="seconds between syncs")
    p.add_argument("--export-dir", type=Path, metavar="DIR", help="where USB bundles go (default: the first "
                   "mounted USB stick under /media, else DATA/bundles)")
    p.set_defaults(func=run_kiosk)

    s = sub.add_parser(
        "kiosk-sim",
        help="simulate N kiosks saving M ballots with real credentials, then sync them",
        description="Drive the kiosk's own session, store and sync code headless: open real credentials with "
        "their PINs, sign, save to each kiosk's chain, enrol the kiosks (approved through the staff API with "
        "--staff) and sync until all ballots are on the ledger; then check each kiosk's seqs are there as "
        "1..n exactly once. Prints a JSON summary.",
    )
    s.add_argument("--event", type=Path, required=True, metavar="DIR", help="the event folder (manifest, "
                   "credentials.csv, pins.csv)")
    s.add_argument("--server", required=True, metavar="URL")
    s.add_argument("--kiosks", type=int, default=4, metavar="N")
    s.add_argument("--ballots", type=int, default=100, metavar="M")
    s.add_argument("--online-ballots", type=int, default=0, metavar="K", help="also K online ballots")
    s.add_argument("--staff", metavar="NAME:PW", help="a staff account to approve the kiosks with")
    s.add_argument("--data", type=Path, metavar="DIR", help="where the kiosks' folders go (default: a temp dir)")
    s.add_argument("--seed", type=int, default=1)
    s.set_defaults(func=run_sim)


def run_kiosk(args: argparse.Namespace) -> int:
    from kiosk.launch import launch

    data = args.data or _default_data(args.online)
    return launch(
        data=data,
        server=args.server,
        manifest=args.manifest,
        online=args.online,
        camera=None if args.frames else args.camera,
        frames=args.frames,
        fullscreen=args.fullscreen,
        kiosk_id=args.kiosk_id,
        staff_pin=args.staff_pin,
        lang=args.lang,
        sync_interval=args.sync_interval,
        export_dir=args.export_dir,
        authority=args.authority,
        size=args.size,
        idle_s=args.idle,
    )


def run_sim(args: argparse.Namespace) -> int:
    import json
    import sys
    import tempfile

    from kiosk.sim import run

    staff = None
    if args.staff:
        name, sep, pw = args.staff.partition(":")
        if not sep:
            print("simsa: error: --staff is NAME:PASSWORD", file=sys.stderr)
            return 2
        staff = (name, pw)
    with tempfile.TemporaryDirectory(prefix="simsa-kiosk-sim-") as tmp:
        data = args.data or Path(tmp)
        result = run(
            args.event, args.server, kiosks=args.kiosks, ballots=args.ballots, data_dir=data, staff=staff,
            online_ballots=args.online_ballots, seed=args.seed,
            log=lambda m: print(f"kiosk-sim: {m}", file=sys.stderr),
        )
    summary = result.summary()
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary["exactly_once"] else 1
