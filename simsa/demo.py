"""``simsa demo``: the whole event day on one machine, with the real parts.

1. the organiser creates a KINTEX-2017-shaped event (signed manifest, sealed cards, PINs);
2. a real ``simsa server`` starts on SQLite, and a staff account is made;
3. kiosks set up from the manifest, register, and staff approve them;
4. reviewers open their cards with their PINs and score at the kiosks (offline: nothing
   is sent while they vote), online reviewers give likes straight to the server, and a
   few representatives re-score a proposal at another kiosk (conflicts);
5. the kiosks sync; one kiosk never gets online and hands in a USB bundle instead;
6. staff resolve a conflict, close every kiosk (signed closures) and the event;
7. the auditor's tools verify the ledger from the URL alone and write the results report.

Every step runs the same code a real event runs: the kiosk session and store, the sync
worker, the server's HTTP API, ``simsa verify`` and ``simsa results``.
"""

from __future__ import annotations

import json
import random
import secrets
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from simsa.live import SIMSA

MARKER = ".simsa-demo"


@dataclass(frozen=True)
class DemoOptions:
    dir: Path
    kiosks: int = 8
    ballots: int = 3000
    online: int = 1500
    conflicts: int = 3
    port: int | None = None
    keep_running: bool = False
    seed: int = 2017
    full: bool = False
    #: ``kintex-2017`` (8,866 reviewers, the day the demo is about) or ``mini`` (100
    #: reviewers of the same shape: the same day in a few seconds, for a quick look and tests)
    event: str = "kintex-2017"


#: The demo events (organiser.demo.DEMOS) whose day the demo can run, by name.
EVENTS = ("kintex-2017", "mini")


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("  {task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def prepare_dir(path: Path) -> None:
    """Start from an empty demo folder; refuse to wipe a folder the demo did not make."""
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise SystemExit(f"simsa demo: {path} is not empty and not a demo folder; choose another --dir")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("made by simsa demo; deleted and remade by the next run\n")


def run_demo(opts: DemoOptions, console: Console | None = None) -> int:
    from client import LedgerClient
    from kiosk.bundle import export_bundle, read_bundle
    from kiosk.identity import close
    from kiosk.sim import Station, cast, channel_reviewers, open_station, read_csv, sync_all
    from organiser.demo import DEMOS
    from organiser.writer import write_event
    from shared.manifest import ROLE_FORMS, verify_signed_manifest
    from shared.timefmt import format_time
    from simsa.live import ONE_ADDRESS_IS_A_VENUE, add_staff, start_server

    console = console or Console()
    rng = random.Random(opts.seed)
    base = opts.dir.resolve()
    prepare_dir(base)
    event_dir = base / "event"
    say = console.print
    if opts.event not in EVENTS:
        raise ValueError(f"unknown demo event {opts.event!r}; one of {', '.join(EVENTS)}")
    what = "the 2017 KINTEX review" if opts.event == "kintex-2017" else "a small event of the KINTEX shape"
    say(f"[bold]simsa demo[/bold] — 심사 시연: {what} on one machine\n")

    # 1. the organiser's event
    plan = DEMOS[opts.event](datetime.now(UTC), rng)
    with _bar(console) as bar:
        task = bar.add_task("1. organiser seals credentials", total=len(plan.reviewers))
        write_event(plan, event_dir, progress=lambda n: bar.advance(task, n))
    say(
        f"     event {plan.event}: {len(plan.proposals)} proposals in {len(plan.groups)} groups, "
        f"{len(plan.reviewers)} reviewers (DEMO: scrypt 2^{plan.kdf_min_logn})"
    )
    signed = json.loads((event_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest = verify_signed_manifest(signed)
    creds, pins = read_csv(event_dir / "credentials.csv"), read_csv(event_dir / "pins.csv")
    if opts.full:
        kiosk_form, online_form = manifest.forms["kiosk"], manifest.forms["online"]
        people = manifest.reviewers.values()
        opts = replace(
            opts,
            kiosks=40,
            ballots=sum(len(manifest.assignments[r.id]) for r in people if kiosk_form in ROLE_FORMS[r.role]),
            online=sum(1 for r in people if online_form in ROLE_FORMS[r.role]),
        )

    password = secrets.token_urlsafe(9)
    add_staff(event_dir, None, "demo", password)
    try:
        # One machine plays the whole venue and the online crowd from 127.0.0.1: the
        # per-address flood limits (600 submissions a minute) are raised, as a venue whose
        # reviewers share one NAT address would (docs/SECURITY.md); per-reviewer limits stay.
        server = start_server(event_dir, port=opts.port, log_path=base / "server.log", env=ONE_ADDRESS_IS_A_VENUE)
    except RuntimeError as exc:
        raise SystemExit(f"simsa demo: the server did not start; see {base / 'server.log'}:\n{exc}") from exc
    with server:
        url = server.url
        say(f"  2. ledger server on SQLite at {url} (log: {base / 'server.log'})")
        staff = LedgerClient.as_staff(url, "demo", password)

        # 3. kiosks: set up before the event while the network is good, then approved by staff
        stations: list[Station] = [
            open_station(base / "kiosks" / kid / "kiosk.sqlite", signed, url, kiosk_id=kid)
            for kid in [f"kiosk-{i:02d}" for i in range(1, opts.kiosks + 1)] + ["kiosk-usb"]
        ]
        sync_all(stations, staff, timeout_s=120)
        say(f"  3. {len(stations)} kiosks registered and approved by staff (kiosk-usb will never get online)")

        # 4. reviewers vote with the network unplugged (nothing is sent yet)
        kiosk_people = channel_reviewers(manifest, "kiosk", creds, pins)
        rng.shuffle(kiosk_people)
        save_ms: list[float] = []
        # at most every kiosk assignment once (a small event has fewer than the default asks)
        ballots = min(opts.ballots, sum(len(manifest.assignments[p.id]) for p in kiosk_people))
        with _bar(console) as bar:
            task = bar.add_task("4. reviewers score at kiosks", total=ballots)
            visits = cast(kiosk_people, [st.session for st in stations], ballots, rng, save_ms,
                          progress=lambda n: bar.advance(task, n))
        save_ms.sort()
        say(
            f"     {sum(v.saved for v in visits)} ballots signed and durably saved offline "
            f"(save p50 {save_ms[len(save_ms) // 2]:.1f} ms, p95 {save_ms[int(len(save_ms) * 0.95)]:.1f} ms)"
        )
        # a few representatives come back and re-score one proposal at another kiosk
        finished = [v for v in visits if v.saved >= len(manifest.assignments[v.reviewer.id])]
        conflicts = 0
        for v in finished[: opts.conflicts]:
            v.reviewer.visit(stations[(v.station + 1) % opts.kiosks].session, rng, 1, save_ms)
            conflicts += 1
        say(f"     {conflicts} reviewers re-scored a proposal at another kiosk (conflicts for staff)")

        online_people = channel_reviewers(manifest, "online", creds, pins)
        rng.shuffle(online_people)
        online = open_station(base / "online" / "online.sqlite", signed, url, channel="online")
        likes = min(opts.online, len(online_people))
        with _bar(console) as bar:
            task = bar.add_task("   online reviewers give likes", total=likes)
            done = sum(v.saved for v in cast(online_people, [online.session], likes,
                                             rng, [], per_visit=1, progress=lambda n: bar.advance(task, n)))
        say(f"     {done} online ballots posted straight to the server")

        # 5. the network comes back: kiosks sync in parallel; kiosk-usb exports a bundle
        network = stations[: opts.kiosks]
        with _bar(console) as bar:
            task = bar.add_task("5. kiosks sync to the ledger", total=sum(st.store.head()[0] for st in network))
            sync_all(network, staff, progress=lambda n: bar.advance(task, n))
        usb = stations[-1]
        stamp = format_time(datetime.now(UTC).replace(microsecond=0))
        close(usb.kiosk, usb.store, stamp)
        folder = export_bundle(usb.kiosk, usb.store, base / "usb", stamp)
        imported: dict[str, int] = {}
        for batch in read_bundle(folder):
            out = staff.import_bundle(None, batch)
            for r in out.get("results", []):
                imported[r["status"]] = imported.get(r["status"], 0) + 1
        closure = (
            json.loads((folder / "closure.json").read_text()) if (folder / "closure.json").exists() else None
        )
        if closure:
            staff.post_closure(usb.kiosk.id, closure)
        say(
            f"     kiosk-usb: bundle {folder.name} imported by staff: "
            + ", ".join(f"{n} {s}" for s, n in sorted(imported.items()))
        )

        # 6. staff reconcile: resolve one conflict, close kiosks and the event
        listed = staff.staff("GET", "/api/v1/staff/conflicts")
        items = listed.get("conflicts", listed) if isinstance(listed, dict) else listed
        resolved = 0
        for c in items[:1]:
            first = c["ballots"][0]
            staff.staff(
                "POST",
                "/api/v1/staff/resolutions",
                {
                    "reviewer": c["reviewer"],
                    "target": c["target"],
                    "ballot": first["id"],
                    "reason": "the reviewer asked staff to keep their first score (demo)",
                },
            )
            resolved += 1
        for st in network:
            close(st.kiosk, st.store, format_time(datetime.now(UTC).replace(microsecond=0)))
            st.syncer.sync_once()
        for st in stations:
            staff.staff("POST", f"/api/v1/staff/kiosks/{st.kiosk.id}/close")
        closed = staff.staff("POST", "/api/v1/staff/close", {"event": manifest.event})
        say(
            f"  6. staff: {len(items)} conflicts listed, {resolved} resolved with a signed reason; "
            f"{len(stations)} kiosks closed; event closed (results hash {closed.get('results_hash', '?')[:16]}…)"
        )

        # 7. the public auditor, from the URL alone
        say("  7. auditor: simsa verify " + url)
        verify = subprocess.run(
            [*SIMSA, "verify", url, "--state", str(base / "auditor-sths")], capture_output=True, text=True
        )
        for line in (verify.stdout + verify.stderr).strip().splitlines()[-14:]:
            say(f"     {line}")
        report = subprocess.run(
            [*SIMSA, "results", url, "--out", str(base / "results"), "--state", str(base / "auditor-sths")],
            capture_output=True,
            text=True,
        )
        if report.returncode != 0:
            say(f"[red]simsa results failed:[/red] {report.stderr[-1000:]}")

        results = staff.results() or {}
        _print_results(console, results, manifest)
        say("\n[bold]Where to look[/bold]")
        say(f"  staff dashboard   {url}/staff/   (user demo, password {password})")
        say(f"  receipt check     {url}/verify     public ledger {url}/ledger     results {url}/results")
        say(f"  results report    {base / 'results' / 'results.html'}")
        say(f"  event folder      {event_dir}  (cards: simsa cards {event_dir} --out cards.pdf)")
        ok = verify.returncode == 0 and report.returncode == 0
        if not opts.keep_running:
            say(
                f"  (the server stops with the demo; to look around afterwards: "
                f"simsa server --event {event_dir} --port {server.port})"
            )
        if opts.keep_running and server.alive():
            say("\nThe server keeps running so you can look around. Press Ctrl-C to stop it.")
            try:
                server.process.wait()
            except KeyboardInterrupt:
                say("stopping the server")
    say(
        "\n[green]demo finished: the ledger verifies and the results are recomputed from it.[/green]"
        if ok
        else "\n[red]demo finished with a problem (see above)[/red]"
    )
    return 0 if ok else 1


def _print_results(console: Console, results: dict[str, Any], manifest: Any) -> None:
    from rich.table import Table

    doc = results.get("results", results)
    rows = {p["id"]: p for p in doc["proposals"]}
    table = Table(
        title=f"selected {len(doc['selected'])} of {len(rows)} (first 10 of each line)", title_justify="left"
    )
    for col in ("#", "proposal", "title", "group", "by", "on-site", "online likes"):
        table.add_column(col)
    shown: dict[str, int] = {}
    for i, pid in enumerate(doc["selected"], 1):
        p = rows[pid]
        by = p["selected_by"] or ""
        shown[by] = shown.get(by, 0) + 1
        if shown[by] > 10:
            continue
        k, o = p["kiosk"]["score"], p["online"]["score"]
        table.add_row(
            str(i),
            pid,
            manifest.proposals[pid].title,
            p["group"],
            by,
            "-" if k is None else f"{k:.1f}",
            "-" if o is None else f"{o:.0f}",
        )
    console.print()
    console.print(table)


Callback = Callable[[int], None]
