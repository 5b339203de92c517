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
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

MARKER = ".simsa-demo"
SIMSA = [sys.executable, "-m", "simsa"]


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


@contextmanager
def running_server(event_dir: Path, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``simsa server`` on 127.0.0.1; stopped (SIGTERM) on the way out."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*SIMSA, "server", "--event", str(event_dir), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(
                    f"simsa demo: the server stopped at start-up; see {log}:\n{log.read_text()[-2000:]}"
                )
            try:
                if requests.get(f"{url}/api/v1/ledger/sth", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"simsa demo: the server did not answer within 60 s; see {log}")
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


class Staff:
    """The staff JSON API with a bearer token."""

    def __init__(self, url: str, name: str, password: str) -> None:
        self.url = url
        self.http = requests.Session()
        r = self.http.post(f"{url}/api/v1/staff/login", json={"name": name, "password": password}, timeout=10)
        r.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {r.json()['token']}"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        r = self.http.request(method, f"{self.url}{path}", json=body, timeout=120)
        if r.status_code >= 400:
            raise SystemExit(f"simsa demo: {method} {path} answered {r.status_code}: {r.text[:500]}")
        return r.json()


def run_demo(opts: DemoOptions, console: Console | None = None) -> int:
    from kiosk.api import LedgerClient
    from kiosk.bundle import export_bundle, read_bundle
    from kiosk.identity import Kiosk, close, setup
    from kiosk.session import Session
    from kiosk.sim import Reviewer, read_csv
    from kiosk.store import KioskStore
    from kiosk.sync import Syncer
    from organiser.demo import kintex_2017
    from organiser.writer import write_event
    from shared.manifest import ROLE_FORMS, verify_signed_manifest
    from shared.timefmt import format_time

    console = console or Console()
    rng = random.Random(opts.seed)
    base = opts.dir.resolve()
    prepare_dir(base)
    event_dir = base / "event"
    say = console.print
    say("[bold]simsa demo[/bold] — 심사 시연: the 2017 KINTEX review on one machine\n")

    # 1. the organiser's event
    plan = kintex_2017(datetime.now(UTC), rng)
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

    port = opts.port or free_port()
    url = f"http://127.0.0.1:{port}"
    password = secrets.token_urlsafe(9)
    with running_server(event_dir, port, base / "server.log") as server:
        say(f"  2. ledger server on SQLite at {url} (log: {base / 'server.log'})")
        subprocess.run(
            [*SIMSA, "staff", "add", "demo", "--password", password, "--event", str(event_dir)],
            check=True,
            capture_output=True,
        )
        staff = Staff(url, "demo", password)

        # 3. kiosks: set up before the event while the network is good, then approved by staff
        stations: list[tuple[Kiosk, KioskStore, Session, Syncer]] = []
        for i in range(1, opts.kiosks + 2):
            kid = f"kiosk-{i:02d}" if i <= opts.kiosks else "kiosk-usb"
            store = KioskStore(base / "kiosks" / kid / "kiosk.sqlite")
            kiosk, _ = setup(store, signed, channel="kiosk", server=url, kiosk_id=kid, staff_pin="000000")
            syncer = Syncer(kiosk, store, LedgerClient.for_url(url))
            syncer.sync_once()
            staff.call("POST", f"/api/v1/staff/kiosks/{kid}/approve")
            syncer.sync_once()
            stations.append((kiosk, store, Session(kiosk, store), syncer))
        say(f"  3. {len(stations)} kiosks registered and approved by staff (kiosk-usb will never get online)")

        # 4. reviewers vote with the network unplugged (nothing is sent yet)
        kiosk_people = [
            Reviewer(r.id, creds[r.id], pins[r.id])
            for r in manifest.reviewers.values()
            if manifest.forms["kiosk"] in ROLE_FORMS[r.role] and manifest.assignments.get(r.id)
        ]
        rng.shuffle(kiosk_people)
        save_ms: list[float] = []
        finished: list[tuple[Reviewer, int]] = []
        with _bar(console) as bar:
            task = bar.add_task("4. reviewers score at kiosks", total=opts.ballots)
            left, turn = opts.ballots, 0
            while left > 0 and turn < len(kiosk_people) * 2:
                person = kiosk_people[turn % len(kiosk_people)]
                station = turn % len(stations)
                before = left
                left -= person.visit(stations[station][2], rng, left, save_ms)
                bar.advance(task, before - left)
                if before - left >= len(manifest.assignments[person.id]):
                    finished.append((person, station))
                turn += 1
        save_ms.sort()
        say(
            f"     {opts.ballots - left} ballots signed and durably saved offline "
            f"(save p50 {save_ms[len(save_ms) // 2]:.1f} ms, p95 {save_ms[int(len(save_ms) * 0.95)]:.1f} ms)"
        )
        # a few representatives come back and re-score one proposal at another kiosk
        conflicts = 0
        for person, station in finished[: opts.conflicts]:
            other = (station + 1) % opts.kiosks
            person.visit(stations[other][2], rng, 1, save_ms)
            conflicts += 1
        say(f"     {conflicts} reviewers re-scored a proposal at another kiosk (conflicts for staff)")

        online_people = [
            Reviewer(r.id, creds[r.id], pins[r.id])
            for r in manifest.reviewers.values()
            if manifest.forms["online"] in ROLE_FORMS[r.role] and manifest.assignments.get(r.id)
        ]
        rng.shuffle(online_people)
        ostore = KioskStore(base / "online" / "online.sqlite")
        okiosk, _ = setup(ostore, signed, channel="online", server=url, staff_pin="000000")
        osync = Syncer(okiosk, ostore, LedgerClient.for_url(url))
        osession = Session(okiosk, ostore, deliver=osync.deliver_one)
        with _bar(console) as bar:
            task = bar.add_task("   online reviewers give likes", total=opts.online)
            done = 0
            for person in online_people[: opts.online]:
                done += person.visit(osession, rng, 1, [])
                bar.advance(task)
        say(f"     {done} online ballots posted straight to the server")

        # 5. the network comes back: kiosks sync in parallel; kiosk-usb exports a bundle
        network = stations[: opts.kiosks]
        with _bar(console) as bar:
            task = bar.add_task("5. kiosks sync to the ledger", total=sum(s[1].head()[0] for s in network))

            def sync(st: tuple[Kiosk, KioskStore, Session, Syncer]) -> None:
                for _ in range(200):
                    before = st[1].synced_seq()
                    report = st[3].sync_once()
                    bar.advance(task, st[1].synced_seq() - before)
                    if report.complete:
                        return
                raise SystemExit(f"simsa demo: {st[0].id} did not finish syncing")

            with ThreadPoolExecutor(max_workers=min(8, len(network))) as pool:
                list(pool.map(sync, network))
        usb_kiosk, usb_store, _, _ = stations[-1]
        stamp = format_time(datetime.now(UTC).replace(microsecond=0))
        close(usb_kiosk, usb_store, stamp)
        folder = export_bundle(usb_kiosk, usb_store, base / "usb", stamp)
        imported: dict[str, int] = {}
        for batch in read_bundle(folder):
            out = staff.call("POST", "/api/v1/staff/bundles", batch)
            for r in out.get("results", []):
                imported[r["status"]] = imported.get(r["status"], 0) + 1
        closure = (
            json.loads((folder / "closure.json").read_text()) if (folder / "closure.json").exists() else None
        )
        if closure:
            LedgerClient.for_url(url).post_closure(usb_kiosk.id, closure)
        say(
            f"     kiosk-usb: bundle {folder.name} imported by staff: "
            + ", ".join(f"{n} {s}" for s, n in sorted(imported.items()))
        )

        # 6. staff reconcile: resolve one conflict, close kiosks and the event
        listed = staff.call("GET", "/api/v1/staff/conflicts")
        items = listed.get("conflicts", listed) if isinstance(listed, dict) else listed
        resolved = 0
        for c in items[:1]:
            first = c["ballots"][0]
            staff.call(
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
        for kiosk, store, _, syncer in network:
            close(kiosk, store, format_time(datetime.now(UTC).replace(microsecond=0)))
            syncer.sync_once()
        for kiosk, *_ in stations:
            staff.call("POST", f"/api/v1/staff/kiosks/{kiosk.id}/close")
        closed = staff.call("POST", "/api/v1/staff/close", {"event": manifest.event})
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

        results = requests.get(f"{url}/api/v1/results", timeout=30).json()
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
                f"simsa server --event {event_dir} --port {port})"
            )
        if opts.keep_running and server.poll() is None:
            say("\nThe server keeps running so you can look around. Press Ctrl-C to stop it.")
            try:
                server.wait()
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
