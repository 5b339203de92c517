"""The event steps of ``deploy/rehearse``, each one command printing one JSON line.

``deploy/rehearse`` brings up the production shape (PostgreSQL, two ``simsa server``
processes, nginx with the venue CA) and calls these steps against it, over HTTPS through
nginx, with ``REQUESTS_CA_BUNDLE`` pointing at the venue CA as on a kiosk:

- ``wait URL…``: until each server answers;
- ``edge``: what nginx must do — redirect HTTP to HTTPS, send HSTS, serve a certificate
  only the venue CA vouches for, refuse an oversized body, set the cookie Secure;
- ``event``: a kiosk that only ever hands in a USB bundle, the kiosks' closures, staff
  closing every kiosk and the event, the results — and the tree head each kiosk saw last;
- ``restored``: the restored server's tree head is a prefix of what was published and
  consistent with the last head every kiosk saw;
- ``resync``: the kiosks re-send to the restored server what the restore lost, and staff
  import the USB bundle again.

Run as ``python -m simsa.rehearsal STEP …``; exit status 0 when the step's checks hold.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from client import ClientError


class RehearsalError(Exception):
    """A check of the rehearsal failed; the message says which."""


def _stamp() -> str:
    from shared.timefmt import format_time

    return format_time(datetime.now(UTC).replace(microsecond=0))


def wait(urls: Sequence[str], timeout: float) -> dict[str, Any]:
    from simsa.live import answers

    deadline = time.monotonic() + timeout
    for url in urls:
        while True:
            if answers(url):
                break
            if time.monotonic() > deadline:
                raise RehearsalError(f"{url} did not answer within {timeout:.0f} s")
            time.sleep(0.2)
    return {"ready": list(urls)}


def edge(https: str, http: str, ca: Path, staff: tuple[str, str]) -> dict[str, Any]:
    """nginx's part: redirect, HSTS, the venue CA, body limits, a Secure session cookie."""
    out: dict[str, Any] = {}
    r = requests.get(f"{http}/verify?x=1", allow_redirects=False, timeout=10)
    location = r.headers.get("Location", "")
    if r.status_code != 301 or not location.startswith("https://") or not location.endswith("/verify?x=1"):
        raise RehearsalError(f"plain HTTP answered {r.status_code} {location!r}, not a redirect to HTTPS")
    out["redirect"] = f"{r.status_code} → {location}"
    r = requests.get(f"{https}/api/v1/ledger/sth", timeout=10, verify=str(ca))
    hsts = r.headers.get("Strict-Transport-Security", "")
    if r.status_code != 200 or "max-age=" not in hsts:
        raise RehearsalError(f"HTTPS answered {r.status_code} with HSTS {hsts!r}")
    if len(r.raw.headers.getlist("Strict-Transport-Security")) != 1:
        raise RehearsalError("two HSTS headers")
    out["hsts"] = hsts
    try:
        import certifi  # the public roots, not REQUESTS_CA_BUNDLE (which names the venue CA)

        requests.get(f"{https}/api/v1/ledger/sth", timeout=10, verify=certifi.where())
    except requests.exceptions.SSLError:
        out["untrusted_without_venue_ca"] = True
    else:
        raise RehearsalError("the server's certificate is trusted without the venue CA: is it the venue's?")
    big = b"{" + b" " * (5 * 1024 * 1024) + b"}"
    r = requests.post(f"{https}/api/v1/ballots", data=big, timeout=30, verify=str(ca),
                      headers={"Content-Type": "application/json"})
    if r.status_code != 413:
        raise RehearsalError(f"a 5 MiB body answered {r.status_code}, not 413")
    out["oversized_body"] = 413
    r = requests.post(f"{https}/api/v1/staff/login", json={"name": staff[0], "password": staff[1]},
                      timeout=30, verify=str(ca))
    if r.status_code != 200:
        raise RehearsalError(f"staff login through nginx answered {r.status_code}: {r.text[:200]}")
    cookie = r.headers.get("Set-Cookie", "")
    if "secure" not in cookie.lower():
        raise RehearsalError(f"the session cookie is not Secure behind TLS: {cookie[:80]!r}")
    out["staff_login"] = "ok, Secure session cookie"
    return out


def event(url: str, event_dir: Path, kiosks_dir: Path, usb_dir: Path, staff: tuple[str, str],
          usb_ballots: int) -> dict[str, Any]:
    """The rest of the day: a USB-only kiosk, closures, closing, results."""
    import random

    from client import LedgerClient
    from kiosk.bundle import export_bundle, read_bundle
    from kiosk.identity import close, load, setup
    from kiosk.session import Session
    from kiosk.sim import Reviewer, cast, channel_reviewers, read_csv
    from kiosk.store import KioskStore, Meta
    from kiosk.sync import Syncer
    from shared.manifest import verify_signed_manifest

    signed = json.loads((event_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest = verify_signed_manifest(signed)
    client = LedgerClient.for_url(url)
    desk = LedgerClient.as_staff(url, *staff)
    out: dict[str, Any] = {"event": manifest.event}

    # a kiosk set up and approved before the event, which then never gets online
    store = KioskStore(usb_dir / "kiosk-usb" / "kiosk.sqlite")
    usb, _ = setup(store, signed, channel="kiosk", server=url, kiosk_id="kiosk-usb", staff_pin="000000")
    Syncer(usb, store, client).sync_once()
    desk.approve_kiosk(None, usb.id)
    Syncer(usb, store, client).sync_once()
    rng = random.Random(16)
    people: list[Reviewer] = channel_reviewers(manifest, "kiosk", read_csv(event_dir / "credentials.csv"),
                                                read_csv(event_dir / "pins.csv"))
    rng.shuffle(people)
    cast(people, [Session(usb, store)], usb_ballots, rng, [])
    close(usb, store, _stamp())
    folder = export_bundle(usb, store, usb_dir / "stick", _stamp())
    statuses: dict[str, int] = {}
    for batch in read_bundle(folder):
        for r in desk.staff("POST", "/api/v1/staff/bundles", batch).get("results", []):
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    closure_file = folder / "closure.json"
    if closure_file.exists():
        client.post_closure(usb.id, json.loads(closure_file.read_text(encoding="utf-8")))
    if statuses.get("accepted", 0) != usb_ballots:
        raise RehearsalError(f"the USB bundle of {usb_ballots} ballots was imported as {statuses}")
    out["usb_bundle"] = {"folder": folder.name, "results": statuses}

    # every networked kiosk closes (a signed closure) and syncs once more
    last_sths: dict[str, dict[str, Any]] = {}
    ids = [usb.id]
    for path in sorted(kiosks_dir.glob("kiosk-*/kiosk.sqlite")):
        kstore = KioskStore(path)
        kiosk = load(kstore)
        close(kiosk, kstore, _stamp())
        report = Syncer(kiosk, kstore, client).sync_once()
        if report.alarms:
            raise RehearsalError(f"{kiosk.id} raised {report.alarms} at its last sync: {kstore.alarms(3)}")
        ids.append(kiosk.id)
        seen = kstore.get_json(Meta.LAST_STH)
        if seen is not None:
            last_sths[kiosk.id] = {"tree_size": seen["tree_size"], "root_hash": seen["root_hash"]}
    for kid in ids:
        desk.staff("POST", f"/api/v1/staff/kiosks/{kid}/close")
    closed = desk.staff("POST", "/api/v1/staff/close", {"event": manifest.event})
    out["kiosks_closed"] = len(ids)
    out["results_hash"] = closed.get("results_hash")
    results = client.results() or {}
    doc = results.get("results", results)
    out["selected"] = len(doc.get("selected", []))
    out["kiosk_last_sth"] = last_sths
    out["published"] = {k: v for k, v in client.sth().items() if k in ("tree_size", "root_hash")}
    return out


def restored(restored_url: str, published_url: str, note: dict[str, Any],
             kiosk_sths: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The restored ledger is the backup's, a prefix of the published one, and consistent
    with the head each kiosk saw last (never ahead of it or forked from it)."""
    from client import LedgerClient
    from shared.encoding import b64u_decode
    from shared.merkle import verify_consistency

    restored_client, published = LedgerClient.for_url(restored_url), LedgerClient.for_url(published_url)
    head = restored_client.sth()
    size, root = int(head["tree_size"]), b64u_decode(head["root_hash"])
    if (size, head["root_hash"]) != (note["tree_size"], note["root_hash"]):
        raise RehearsalError(f"the restored server shows {size} entries, the backup note {note['tree_size']}")
    pub = published.sth()
    if size > int(pub["tree_size"]):
        raise RehearsalError(f"the backup ({size} entries) is ahead of the published ledger ({pub['tree_size']})")

    def consistent(small: int, small_root: bytes, big: int, big_root: bytes, source: Any) -> None:
        proof = source.consistency(small, big) if small < big else []
        verify_consistency(small, big, small_root, big_root, proof)

    consistent(size, root, int(pub["tree_size"]), b64u_decode(pub["root_hash"]), published)
    checked = 0
    for kid, seen in kiosk_sths.items():
        n, kroot = int(seen["tree_size"]), b64u_decode(seen["root_hash"])
        try:
            if size <= n:  # the kiosk saw more: the backup must be a prefix of what it saw
                consistent(size, root, n, kroot, published)
            else:  # the kiosk saw less: what it saw must be a prefix of the backup
                consistent(n, kroot, size, root, restored_client)
        except Exception as exc:
            raise RehearsalError(f"the restored ledger is not consistent with what {kid} saw: {exc}") from exc
        checked += 1
    return {"restored_size": size, "published_size": int(pub["tree_size"]), "lost_entries":
            int(pub["tree_size"]) - size, "consistent_with_kiosks": checked}


def resync(url: str, kiosks_dir: Path, usb_dir: Path, staff: tuple[str, str]) -> dict[str, Any]:
    """After the restore: every kiosk syncs with the restored server and re-sends what the
    restore lost (from the server's synced seq), staff re-approve kiosks the backup did not
    know and re-import the USB bundle; in the end the server holds every kiosk's chain."""
    from client import LedgerClient
    from kiosk.bundle import read_bundle
    from kiosk.identity import load
    from kiosk.store import KioskStore
    from kiosk.sync import Syncer

    client, desk = LedgerClient.for_url(url), LedgerClient.as_staff(url, *staff)
    resent, alarms, approved = 0, set(), 0
    for path in sorted(kiosks_dir.glob("kiosk-*/kiosk.sqlite")):
        store = KioskStore(path)
        kiosk = load(store)
        for _ in range(6):
            report = Syncer(kiosk, store, client).sync_once()
            alarms.update(report.alarms)
            resent += report.pushed
            if report.enrolment == "pending":
                desk.approve_kiosk(None, kiosk.id)
                approved += 1
                continue
            if report.enrolment in ("approved", "closed") and report.complete:
                break
        held = int(client.kiosk_status(kiosk.id).get("synced_seq", 0))
        if held != store.head()[0]:
            raise RehearsalError(f"after re-syncing, the restored server holds {kiosk.id} to seq {held} "
                                 f"of {store.head()[0]}")
    statuses: dict[str, int] = {}
    for folder in sorted((usb_dir / "stick").glob("simsa-bundle-*")):
        # the backup may predate the kiosk's registration: the bundle carries it
        reg = json.loads((folder / "registration.json").read_text(encoding="utf-8"))
        kid = str(reg.get("kiosk", "")) if isinstance(reg, dict) else ""
        if client.kiosk_status(kid).get("status") in (None, "unknown"):
            client.register(reg)
        if client.kiosk_status(kid).get("status") == "pending":
            desk.approve_kiosk(None, kid)
            approved += 1
        for batch in read_bundle(folder):
            for r in desk.staff("POST", "/api/v1/staff/bundles", batch).get("results", []):
                statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    if statuses.get("rejected"):
        raise RehearsalError(f"the USB bundle imported again was rejected in part: {statuses}")
    return {"kiosk_records_resent": resent, "kiosk_alarms": sorted(alarms), "kiosks_approved_again": approved,
            "usb_bundle_again": statuses}


def _staff(text: str) -> tuple[str, str]:
    name, sep, pw = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError("NAME:PASSWORD")
    return name, pw


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simsa.rehearsal", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="step", required=True)
    w = sub.add_parser("wait")
    w.add_argument("urls", nargs="+")
    w.add_argument("--timeout", type=float, default=60.0)
    e = sub.add_parser("edge")
    e.add_argument("--https", required=True)
    e.add_argument("--http", required=True)
    e.add_argument("--ca", type=Path, required=True)
    e.add_argument("--staff", type=_staff, required=True)
    v = sub.add_parser("event")
    v.add_argument("--url", required=True)
    v.add_argument("--event", type=Path, required=True)
    v.add_argument("--kiosks-dir", type=Path, required=True)
    v.add_argument("--usb-dir", type=Path, required=True)
    v.add_argument("--staff", type=_staff, required=True)
    v.add_argument("--usb-ballots", type=int, default=5)
    r = sub.add_parser("restored")
    r.add_argument("--restored", required=True)
    r.add_argument("--published", required=True)
    r.add_argument("--note", type=Path, required=True, help="the restored backup's .json note")
    r.add_argument("--event-report", type=Path, required=True, help="the JSON line `event` printed")
    y = sub.add_parser("resync")
    y.add_argument("--url", required=True)
    y.add_argument("--kiosks-dir", type=Path, required=True)
    y.add_argument("--usb-dir", type=Path, required=True)
    y.add_argument("--staff", type=_staff, required=True)
    args = p.parse_args(argv)
    try:
        if args.step == "wait":
            out = wait(args.urls, args.timeout)
        elif args.step == "edge":
            out = edge(args.https.rstrip("/"), args.http.rstrip("/"), args.ca, args.staff)
        elif args.step == "event":
            out = event(args.url.rstrip("/"), args.event, args.kiosks_dir, args.usb_dir, args.staff,
                        args.usb_ballots)
        elif args.step == "resync":
            out = resync(args.url.rstrip("/"), args.kiosks_dir, args.usb_dir, args.staff)
        else:
            note = json.loads(args.note.read_text(encoding="utf-8"))
            report = json.loads(args.event_report.read_text(encoding="utf-8"))
            out = restored(args.restored.rstrip("/"), args.published.rstrip("/"), note, report["kiosk_last_sth"])
    except (RehearsalError, OSError, requests.RequestException, ClientError) as exc:
        print(f"rehearsal {args.step}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
