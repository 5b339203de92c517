"""``simsa kiosk-enrol``: set up a kiosk's data folder and register it, with no window —
what ``deploy/kiosk/provision`` runs before the event while the network is known good."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "kiosk-enrol",
        help="load and verify the manifest into a kiosk's data folder and register the kiosk (headless)",
        description="Before the event: load the signed manifest from --server (or --manifest), verify it "
        "(against --authority when given), keep it with the kiosk's own key in --data, and register the kiosk "
        "with the server. Prints the kiosk's key fingerprint to compare on the dashboard, where staff approve "
        "it. Running it again keeps the same key and id and reports the enrolment. "
        "| 행사 전에 키오스크 데이터 폴더를 준비하고 서버에 등록합니다.",
    )
    p.add_argument("--server", required=True, metavar="URL", help="the ledger server, e.g. https://simsa.venue.lan")
    p.add_argument("--data", type=Path, required=True, metavar="DIR", help="the kiosk's data folder")
    p.add_argument("--manifest", type=Path, metavar="FILE", help="a signed manifest.json instead of the server's")
    p.add_argument("--authority", metavar="KEY", help="pin the organiser's authority key (b64u)")
    p.add_argument("--kiosk-id", metavar="ID", help="this kiosk's id on first set-up (default from its key)")
    p.add_argument("--staff-pin", metavar="PIN", help="the staff PIN (default: kept, or made up and printed once)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from client import LedgerClient, ServerUnavailable
    from kiosk.launch import prepare
    from kiosk.sync import Syncer

    kiosk, store = prepare(args.data, server=args.server, manifest=args.manifest, online=False,
                           kiosk_id=args.kiosk_id, staff_pin=args.staff_pin, authority=args.authority)
    try:
        report = Syncer(kiosk, store, LedgerClient.for_url(args.server)).sync_once()
    except ServerUnavailable as exc:
        print(f"simsa kiosk-enrol: error: {args.server} cannot be reached: {exc} "
              "(the kiosk is set up; run this again when the network is up)", file=sys.stderr)
        return 1
    state = {
        "approved": "approved — ready for the event | 승인됨",
        "pending": "pending — approve it on the dashboard under Kiosks, comparing the fingerprint | 승인 대기",
        "closed": "closed | 닫힘",
        "refused": f"refused by the server: {store.alarms(1)} | 거부됨",
    }.get(report.enrolment, report.enrolment)
    print(f"kiosk {kiosk.id} (key {kiosk.fingerprint}), event {kiosk.manifest.event}: {state}")
    return 0 if report.enrolment in ("approved", "pending", "closed") else 1
