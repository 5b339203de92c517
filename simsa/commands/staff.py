"""``simsa staff``: staff accounts of the ledger server."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.db.engine import Database


def _db_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--event", type=Path, metavar="DIR", help="the event folder (or SIMSA_EVENT_DIR)")
    p.add_argument("--db", metavar="URL", help="database URL (default: sqlite:///DIR/simsa.sqlite)")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "staff",
        help="manage staff accounts",
        description="Manage staff accounts of the ledger server. Each command works on the server's "
        "database directly, so it takes effect at once, also while the server runs. Nothing here "
        "changes the ledger: a member's signed statements stay on it whatever happens to the account.",
    )
    ssub = p.add_subparsers(dest="staff_command", metavar="ACTION", required=True)
    add = ssub.add_parser(
        "add",
        help="create a staff account (argon2-hashed password, its own statement key)",
        description="Create a staff account in the server's database. The server generates the "
        "member's Ed25519 key, with which each of their actions is signed on the ledger.",
    )
    add.add_argument("name", help="login name: letters, digits, _ or -")
    add.add_argument("--password", help="the password, at least 8 characters (asked for when left out, which keeps it out of shell history)")
    _db_options(add)
    add.set_defaults(func=run_add)
    ls = ssub.add_parser(
        "list",
        help="list staff accounts and their statement keys",
        description="List every staff account: name, statement key, when it was made, and whether it is disabled.",
    )
    _db_options(ls)
    ls.set_defaults(func=run_list)
    disable = ssub.add_parser(
        "disable",
        help="cut a member off at once: refuse their logins and end their sessions",
        description="Disable a staff account (a lost laptop, a volunteer who leaves): the member can no "
        "longer log in, and every session and bearer token they hold stops working on its next "
        "request. Their past statements stay on the ledger and still verify. Undo with simsa staff enable NAME.",
    )
    disable.add_argument("name", help="the member's login name")
    _db_options(disable)
    disable.set_defaults(func=run_disable)
    enable = ssub.add_parser(
        "enable",
        help="let a disabled member log in again",
        description="Re-enable a disabled staff account with its old password and statement key. "
        "Sessions from before it was disabled stay ended; the member logs in afresh.",
    )
    enable.add_argument("name", help="the member's login name")
    _db_options(enable)
    enable.set_defaults(func=run_enable)
    password = ssub.add_parser(
        "password",
        help="set a new password and end the member's sessions",
        description="Give a staff account a new password (argon2-hashed) and end every session and "
        "bearer token of the member, who then logs in with the new password. The statement key "
        "stays the same. A disabled account stays disabled.",
    )
    password.add_argument("name", help="the member's login name")
    password.add_argument("--password", help="the new password, at least 8 characters (asked for when left out, which keeps it out of shell history)")
    _db_options(password)
    password.set_defaults(func=run_password)


@contextmanager
def _database(args: argparse.Namespace, *, existing: bool = True) -> Iterator[Database]:
    """The server's database, opened as the server opens it and closed afterwards.
    ``existing``: it must already hold the event's ledger — a mistyped ``--db`` is an
    error, never a fresh empty database."""
    from server.context import Context

    from .server import settings_from

    settings = settings_from(args, event_dir=args.event, db_url=args.db, verify_workers=0)
    if existing:
        _check_ledger_exists(settings.database_url)
    ctx = Context.open(settings)
    try:
        yield ctx.db
    finally:
        ctx.close()


def _check_ledger_exists(url: str) -> None:
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from server.db.engine import Database
    from shared.errors import SimsaError

    parsed = make_url(url)
    hint = "check --db (the server's default database is EVENT_DIR/simsa.sqlite)"
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not parsed.database or not path.is_file():
            raise SimsaError(f"there is no database at {path}: {hint}")
    db = Database(url)
    try:
        present = inspect(db.engine).has_table("ledger_head")
    finally:
        db.dispose()
    if not present:
        raise SimsaError(f"the database {parsed.render_as_string(hide_password=True)} holds no simsa ledger: {hint}")


def _ask_password(args: argparse.Namespace, prompt: str) -> str | None:
    """``--password``, or one typed twice; None (with the error printed) when the two differ."""
    if args.password is not None:
        return str(args.password)
    password = getpass.getpass(prompt)
    if getpass.getpass("again: ") != password:
        print("simsa: error: the two passwords differ", file=sys.stderr)
        return None
    return password


def _sessions(n: int) -> str:
    return f"{n} session{'' if n == 1 else 's'} ended"


def run_add(args: argparse.Namespace) -> int:
    from server.services.staff import add_staff

    password = _ask_password(args, f"password for {args.name}: ")
    if password is None:
        return 1
    with _database(args, existing=False) as db:  # before the first start of the server, too
        key = add_staff(db, args.name, password)
    print(f"staff member {args.name} added; statement key {key}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from server.services.staff import list_staff

    with _database(args) as db, db.read() as conn:
        rows = list_staff(conn)
    for r in rows:
        print(f"{r.name:<20} {r.key}  {r.created_at}{'  (disabled)' if r.disabled else ''}")
    return 0


def run_disable(args: argparse.Namespace) -> int:
    from server.services.staff import set_disabled

    with _database(args) as db:
        done = set_disabled(db, args.name, True)
    state = "disabled" if done.changed else "was disabled already"
    print(f"staff member {args.name} {state}; {_sessions(done.sessions_ended)}")
    return 0


def run_enable(args: argparse.Namespace) -> int:
    from server.services.staff import set_disabled

    with _database(args) as db:
        done = set_disabled(db, args.name, False)
    state = "enabled; they can log in again" if done.changed else "was enabled already"
    print(f"staff member {args.name} {state}")
    return 0


def run_password(args: argparse.Namespace) -> int:
    from server.services.staff import check_password, set_password

    password = _ask_password(args, f"new password for {args.name}: ")
    if password is None:
        return 1
    check_password(password)  # before opening the database
    with _database(args) as db:
        done = set_password(db, args.name, password)
    note = " (the account stays disabled)" if done.disabled else ""
    print(f"password of staff member {args.name} changed; {_sessions(done.sessions_ended)}{note}")
    return 0
