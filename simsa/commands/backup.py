"""``simsa backup``: back up the server's database while it runs, check a backup, restore one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "backup",
        help="back up the server's database (also while ingest runs), check or restore a backup",
        description="Write a consistent backup of the server's database into --out: pg_dump for PostgreSQL, "
        "the online-backup API for SQLite. The file is written under a temporary name with mode 0600 and "
        "renamed into place, beside NAME.json (the ledger's tree size and root at that instant, and the "
        "file's SHA-256) and NAME.sha256 (for sha256sum -c). With --check FILE: verify a backup's checksum. "
        "With --restore FILE|DIR --db URL: restore that backup (a folder: its newest) into a new, empty "
        "database. | 서버 데이터베이스 백업(수집 중에도), 백업 검사, 복원.",
    )
    p.add_argument("--event", type=Path, metavar="DIR", help="the event folder (or SIMSA_EVENT_DIR)")
    p.add_argument("--db", metavar="URL", help="database URL (default: SIMSA_DB_URL, else sqlite:///DIR/simsa.sqlite)")
    p.add_argument("--out", type=Path, metavar="DIR", help="the backup folder (made 0700 if new)")
    p.add_argument("--keep", type=int, metavar="N", help="then delete all but the newest N backups")
    p.add_argument("--check", type=Path, metavar="FILE", help="check a backup's size and SHA-256")
    p.add_argument("--restore", type=Path, metavar="FILE|DIR", help="restore a backup into --db (must be empty)")
    p.add_argument("--json", action="store_true", help="print the backup's note as JSON")
    p.set_defaults(func=run)


def _print(note: Any, verb: str, as_json: bool) -> None:
    if as_json:
        print(note.to_json(), end="")
        return
    print(
        f"{verb} {note.file}: {note.bytes:,} bytes, {note.database}, ledger of {note.tree_size:,} entries "
        f"(root {note.root_hash}), made {note.made_at}, sha256 {note.sha256[:16]}…"
    )


def run(args: argparse.Namespace) -> int:
    from server.db.backup import BackupError, check_backup, latest_backup, make_backup, prune, restore_backup

    chosen = [name for name in ("out", "check", "restore") if getattr(args, name) is not None]
    if len(chosen) != 1:
        print("simsa backup: error: give exactly one of --out DIR, --check FILE, --restore FILE|DIR", file=sys.stderr)
        return 2
    if args.check:
        note = check_backup(args.check)
        _print(note, "✓ intact:", args.json)
        return 0
    if args.restore:
        if not args.db:
            print("simsa backup: error: --restore needs --db URL (a new, empty database)", file=sys.stderr)
            return 2
        from .server import settings_from

        src: Path = args.restore
        if src.is_dir():
            src = latest_backup(src)
        db_url = args.db
        if args.event:
            db_url = settings_from(args, event_dir=args.event, db_url=args.db, verify_workers=0).database_url
        elif db_url.startswith(("postgresql://", "postgres://")):
            db_url = "postgresql+psycopg://" + db_url.split("://", 1)[1]
        note = restore_backup(src, db_url)
        _print(note, "restored", args.json)
        if not args.json:
            print(f"  the restored ledger holds {note.tree_size:,} entries; start the server on it and run "
                  "`simsa verify` (see docs/RUNBOOK.md: what a restore loses)")
        return 0
    from shared.manifest import verify_signed_manifest

    from .server import settings_from

    settings = settings_from(args, event_dir=args.event, db_url=args.db, verify_workers=0)
    try:
        signed = json.loads((settings.event_dir / "manifest.json").read_text(encoding="utf-8"))
        event = verify_signed_manifest(signed).event
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read the event's manifest: {exc}") from exc
    if args.keep is not None and args.keep < 1:
        print("simsa backup: error: --keep must be at least 1", file=sys.stderr)
        return 2
    note = make_backup(settings.database_url, args.out, event)
    _print(note, "wrote", args.json)
    if args.keep:
        removed = [p for p in prune(args.out, args.keep, event) if not p.name.endswith((".json", ".sha256"))]
        if removed and not args.json:
            print(f"  removed {len(removed)} older backup{'s' if len(removed) != 1 else ''} (keeping {args.keep})")
    return 0
