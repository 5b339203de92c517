"""``simsa staff``: staff accounts of the ledger server."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("staff", help="manage staff accounts", description="Manage staff accounts of the ledger server.")
    ssub = p.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    add = ssub.add_parser(
        "add",
        help="create a staff account (argon2-hashed password, its own statement key)",
        description="Create a staff account in the server's database. The server generates the "
        "member's Ed25519 key, with which each of their actions is signed on the ledger.",
    )
    add.add_argument("name", help="login name: letters, digits, _ or -")
    add.add_argument("--password", help="the password (asked for when left out)")
    add.add_argument("--event", type=Path, metavar="DIR", help="the event folder (or SIMSA_EVENT_DIR)")
    add.add_argument("--db", metavar="URL", help="database URL (default: sqlite:///DIR/simsa.sqlite)")
    add.set_defaults(func=run_add)
    ls = ssub.add_parser("list", help="list staff accounts and their statement keys")
    ls.add_argument("--event", type=Path, metavar="DIR")
    ls.add_argument("--db", metavar="URL")
    ls.set_defaults(func=run_list)


def _context(args: argparse.Namespace) -> Any:
    from server.context import Context

    from .server import settings_from

    return Context.open(settings_from(args, event_dir=args.event, db_url=args.db, verify_workers=0))


def run_add(args: argparse.Namespace) -> int:
    from server.services.staff import add_staff

    password = args.password
    if password is None:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            print("simsa: error: the two passwords differ")
            return 1
    ctx = _context(args)
    try:
        key = add_staff(ctx.db, args.name, password)
    finally:
        ctx.close()
    print(f"staff member {args.name} added; statement key {key}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from server.services.staff import list_staff

    ctx = _context(args)
    try:
        with ctx.db.read() as conn:
            rows = list_staff(conn)
    finally:
        ctx.close()
    for r in rows:
        print(f"{r['name']:<20} {r['key']}  {r['created_at']}{'  (disabled)' if r['disabled'] else ''}")
    return 0
