"""``simsa event init``: create an event folder (demo shapes or the organiser's files)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("event", help="create and inspect events", description="Create and inspect events.")
    esub = p.add_subparsers(dest="event_command", metavar="ACTION", required=True)
    init = esub.add_parser(
        "init",
        help="create an event folder: signed manifest, keys, credentials and PINs",
        description="Create DIR with manifest.json (signed), authority.key, ledger.key, credentials.csv and "
        "pins.csv. Either --demo SHAPE, or --proposals, --reviewers and --rubric for a real event.",
    )
    init.add_argument("dir", type=Path, help="the event folder to create (must not hold a manifest yet)")
    init.add_argument(
        "--demo", choices=["kintex-2017", "city", "mini"], help="a synthetic event of a known shape"
    )
    init.add_argument(
        "--members", type=int, default=200_000, help="members in the city demo (default 200000)"
    )
    init.add_argument("--proposals", type=Path, help="proposals.csv: id,title,community[,group]")
    init.add_argument("--reviewers", type=Path, help="reviewers.csv: id,community,role[,group]")
    init.add_argument(
        "--rubric", type=Path, help="rubric.toml: [[criteria]] and optional [event], [selection]"
    )
    init.add_argument("--group-size", type=int, default=12, help="proposals per group when none are given")
    init.add_argument(
        "--logn", type=int,
        help="scrypt cost as log2 n (default: real events measure this machine and take the least cost "
        "from 15 whose guess takes 0.25 s or more; demos 10)",
    )
    init.add_argument(
        "--pin-digits", type=int, choices=range(4, 13), metavar="4..12",
        help="digits of each PIN (default 8 for real events, 6 for demos)",
    )
    init.add_argument("--seed", type=int, help="seed for the demo's synthetic structure (not for keys)")
    init.add_argument("--workers", type=int, help="processes for sealing credentials (default: all cores)")
    init.add_argument(
        "--witness", action="append", default=[], metavar="VKEY",
        help="a witness (its verifier key from `simsa witness keygen`) whose cosignatures clients demand; repeat",
    )
    init.add_argument("--witness-threshold", type=int, metavar="K", help="cosignatures demanded (default: all witnesses)")
    init.add_argument(
        "--max-per-target", type=max_per_target, metavar="1..20",
        help="distinct online ballots one reviewer may send for one target, the flood limit "
        "(manifest merge.max_per_target; default 3)",
    )
    init.set_defaults(func=run_init)
    show = esub.add_parser("show", help="check an event folder's signed manifest and summarise it")
    show.add_argument("dir", type=Path)
    show.set_defaults(func=run_show)


def run_init(args: argparse.Namespace) -> int:
    import random
    import time
    from datetime import UTC, datetime

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from organiser.demo import DEMO_LOGN, DEMOS, city
    from organiser.importer import load_plan
    from organiser.kdf import TARGET_S, choose_logn
    from organiser.writer import write_event
    from shared.errors import FormatError

    console = Console(stderr=True)
    now = datetime.now(UTC)
    rng = random.Random(args.seed)
    if args.demo:
        logn = args.logn or DEMO_LOGN
        if args.demo == "city":
            plan = city(now, rng, members=args.members, logn=logn)
        else:
            plan = DEMOS[args.demo](now, rng, logn=logn)
    else:
        if not (args.proposals and args.reviewers and args.rubric):
            raise FormatError("give --demo SHAPE, or all of --proposals, --reviewers and --rubric")
        plan = load_plan(
            args.proposals, args.reviewers, args.rubric, now=now, rng=rng, group_size=args.group_size
        )
        if args.logn:
            plan.kdf_min_logn = args.logn
        elif not plan.kdf_fixed:  # measured here, unless the rubric file names the cost
            chosen = choose_logn()
            plan.kdf_min_logn = max(plan.kdf_min_logn, chosen.logn)
            console.print(
                f"scrypt 2^{chosen.logn} takes {chosen.seconds:.2f} s a guess on this machine "
                f"(target ≥ {TARGET_S} s); the credentials use 2^{plan.kdf_min_logn}"
            )
    if args.pin_digits:
        plan.pin_digits = args.pin_digits
    plan.witnesses = witness_policy(args.witness, args.witness_threshold)
    plan.max_per_target = args.max_per_target
    for note in plan.notes:
        console.print(f"[yellow]{note}[/yellow]")
    t0 = time.monotonic()
    with Progress(
        TextColumn("sealing credentials"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("seal", total=len(plan.reviewers))
        counts = write_event(plan, args.dir, workers=args.workers, progress=lambda n: bar.advance(task, n))
    took = time.monotonic() - t0
    console.print(
        f"[green]event {plan.event}[/green]: {counts['proposals']} proposals in {counts['groups']} groups, "
        f"{counts['reviewers']} reviewers, scrypt 2^{plan.kdf_min_logn}, {plan.pin_digits}-digit PINs; written to {args.dir} in {took:.1f} s"
    )
    console.print(f"  {args.dir}/manifest.json, authority.key, ledger.key, credentials.csv, pins.csv")
    console.print("  keep authority.key offline; pins.csv travels apart from the cards")
    return 0


def max_per_target(text: str) -> int:
    """``--max-per-target``: a whole number from 1 to 20."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 20:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 20, got {text!r}")
    return n


def witness_policy(vkeys: list[str], threshold: int | None) -> dict[str, Any] | None:
    """The manifest's ``witnesses`` from ``--witness VKEY`` options (None without any)."""
    from shared.encoding import b64u
    from shared.errors import FormatError
    from shared.note import SIG_COSIGNATURE, Verifier

    if not vkeys:
        if threshold is not None:
            raise FormatError("--witness-threshold needs at least one --witness")
        return None
    keys = []
    for vk in vkeys:
        v = Verifier.parse(vk)
        if v.sig_type != SIG_COSIGNATURE:
            raise FormatError(f"--witness {v.name}: a witness's verifier key has type 0x04 (from `simsa witness keygen`)")
        keys.append({"name": v.name, "key": b64u(v.public)})
    k = len(keys) if threshold is None else threshold
    if not 1 <= k <= len(keys):
        raise FormatError(f"--witness-threshold must be 1 to {len(keys)}, got {k}")
    return {"threshold": k, "keys": keys}


def run_show(args: argparse.Namespace) -> int:
    import json
    from collections import Counter

    from shared.errors import FormatError
    from shared.manifest import verify_signed_manifest

    path = args.dir / "manifest.json"
    try:
        signed = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError(f"{path} not found") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path} is not JSON: {exc}") from None
    m = verify_signed_manifest(signed)
    roles = Counter(r.role for r in m.reviewers.values())
    print(f"{m.event}: {m.title_ko} / {m.title_en}")
    print(f"  manifest signature: valid (authority {m.authority_key[:12]}…)")
    print(f"  {len(m.proposals)} proposals, {len(m.groups)} groups, {len(m.communities)} communities")
    print("  reviewers: " + ", ".join(f"{n} {r}" for r, n in sorted(roles.items())))
    print(
        f"  forms: kiosk {m.forms['kiosk']}, online {m.forms['online']}; scrypt ≥ 2^{m.kdf_min_logn}"
        + (" (DEMO)" if m.is_demo else "")
    )
    if m.witnesses:
        names = ", ".join(k.name for k in m.witnesses.keys)
        print(f"  witnesses: {m.witnesses.threshold} of {len(m.witnesses.keys)} must cosign ({names})")
    print(f"  flood limit: {m.max_per_target} distinct online ballots per reviewer and target (merge.max_per_target)")
    w = m.windows
    print(
        f"  windows: kiosk {w['kiosk'].start:%Y-%m-%d %H:%M}–{w['kiosk'].end:%Y-%m-%d %H:%M} UTC, "
        f"online {w['online'].start:%Y-%m-%d %H:%M}–{w['online'].end:%Y-%m-%d %H:%M} UTC"
    )
    return 0
