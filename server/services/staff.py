"""Staff accounts, sessions and the signed statements every staff action puts on the ledger.

Passwords are argon2id hashes. Each account has its own Ed25519 key, generated when the
account is made and kept by the server; its statements name the staff member and carry
that key, so an auditor sees who did what. A login gives a random token: the server
stores only its SHA-256 and hands it out as a bearer token and as the session cookie.

Disabling an account or changing its password ends every session of that member at once,
and every request checks again that its member is not disabled. None of this touches the
ledger: the member's signed statements stay on it, and still verify, whatever happens to
the account afterwards.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, insert, select, update

from shared.credential import ID_RE
from shared.encoding import b64u, b64u_decode, sha256
from shared.errors import SimsaError
from shared.keys import SigningKey
from shared.ledger import check_statement_body, statement_entry
from shared.timefmt import to_millis

from ..db.engine import Database
from ..db.schema import staff, staff_sessions
from ..ledger.store import Appender, Clock, utc_now
from ..throttle import Backoff, Gate, Limited, Window

#: argon2id, 64 MiB and 3 passes as argon2-cffi's default, but one lane: a check then
#: takes one core (the default's four lanes take four threads), so the login gate bounds
#: the cores logins use. Hashes made with other parameters still verify.
_hasher = PasswordHasher(parallelism=1)
MIN_PASSWORD = 8


class StaffError(SimsaError):
    """A staff account cannot be made or used as asked."""


class LoginThrottled(StaffError):
    """Too many wrong passwords for this name or from this address; ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many wrong passwords; try again in {retry_after} s")
        self.retry_after = retry_after


T = TypeVar("T")


def _lower_priority() -> None:
    """Password checks run at nice +10 (Linux: per thread); elsewhere at normal priority."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class LoginBusy(LoginThrottled):
    """Too many password checks at once; ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        StaffError.__init__(self, f"the server is checking many passwords; try again in {retry_after} s")
        self.retry_after = retry_after


class LoginThrottle:
    """Wrong passwords slow down, they never lock anyone out for long:

    * per account name (from anywhere): ``free`` wrong passwords, then each next attempt
      waits 1 s, 2 s, 4 s … at most ``cap_s`` after the last failure (so a stranger failing
      a staff member's name can delay them by ``cap_s`` at most, not lock them out);
    * per client address (any names): ``per_address`` wrong passwords in ``window_s``;
    * at most ``running`` argon2 checks at once and ``queued`` waiting (each takes tens of
      MiB and hundreds of ms); past that :class:`LoginBusy` at once.

    While an account or address must wait, the password is not checked at all. Memory is
    bounded (LRU tables, :mod:`server.throttle`); per process."""

    def __init__(self, per_address: int = 30, window_s: float = 900.0, *, free: int = 5, cap_s: float = 30.0,
                 running: int = 1, queued: int = 8) -> None:
        self.account = Backoff(free, 1.0, cap_s, window_s)
        self.address = Window(per_address, window_s)
        self.gate = Gate(running, queued)
        self._pool = ThreadPoolExecutor(running, thread_name_prefix="argon2", initializer=_lower_priority)

    def run(self, fn: Callable[[], T]) -> T:
        """Run a password check through the gate, on the gate's own low-priority threads
        (so the event loop and the other requests come first on a busy machine)."""
        with self.gate:
            return self._pool.submit(fn).result()

    def check(self, name: str, client: str, now: float) -> None:
        wait = max(self.account.wait(name, now), self.address.wait(client, now))
        if wait > 0:
            raise LoginThrottled(max(1, math.ceil(wait)))

    def failed(self, name: str, client: str, now: float) -> None:
        self.account.failed(name, now)
        self.address.add(client, now)

    def succeeded(self, name: str, client: str) -> None:
        self.account.succeeded(name)


THROTTLE = LoginThrottle()


@dataclass(frozen=True)
class StaffMember:
    name: str
    key: SigningKey


def check_password(password: str) -> None:
    """Refuse a password too short to keep an account safe."""
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password must have at least {MIN_PASSWORD} characters")


def add_staff(db: Database, name: str, password: str, clock: Clock = utc_now) -> str:
    """Create an account; return its public key (b64u). Refuse a taken name or a short password."""
    if not ID_RE.match(name):
        raise StaffError(f"staff name {name!r} must be 1-64 letters, digits, _ or -")
    check_password(password)
    key = SigningKey(secrets.token_bytes(32))
    with db.write() as conn:
        if conn.execute(select(staff.c.name).where(staff.c.name == name)).first():
            raise StaffError(f"staff member {name} exists already")
        conn.execute(
            insert(staff).values(
                name=name,
                password_hash=_hasher.hash(password),
                key_seed=b64u(key.seed),
                created_at=clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
                disabled=False,
            )
        )
    return key.public_b64u


@dataclass(frozen=True)
class AccountChange:
    """What :func:`set_disabled` or :func:`set_password` did to an account."""

    changed: bool  # False: it was in that state already
    sessions_ended: int
    disabled: bool  # the account's state afterwards


def _existing(conn: Connection, name: str) -> Any:
    """The account's row, locked until the transaction ends (PostgreSQL; SQLite's write
    transaction holds the whole database), or :class:`StaffError` naming the problem."""
    row = conn.execute(
        select(staff.c.disabled, staff.c.password_hash).where(staff.c.name == name).with_for_update()
    ).first()
    if row is None:
        raise StaffError(f"there is no staff member {name!r} (see simsa staff list)")
    return row


def _end_sessions(conn: Connection, name: str) -> int:
    return int(conn.execute(delete(staff_sessions).where(staff_sessions.c.staff == name)).rowcount or 0)


def set_disabled(db: Database, name: str, disabled: bool) -> AccountChange:
    """Disable or re-enable an account; either way every session of the member ends, in
    the same transaction (so re-enabling never brings back a token from before)."""
    with db.write() as conn:
        row = _existing(conn, name)
        conn.execute(update(staff).where(staff.c.name == name).values(disabled=disabled))
        ended = _end_sessions(conn, name)
    return AccountChange(bool(row.disabled) != disabled, ended, disabled)


def set_password(db: Database, name: str, password: str) -> AccountChange:
    """Give an account a new password (same rules as :func:`add_staff`) and end every
    session of the member. A disabled account stays disabled."""
    check_password(password)
    hashed = _hasher.hash(password)
    with db.write() as conn:
        row = _existing(conn, name)
        conn.execute(update(staff).where(staff.c.name == name).values(password_hash=hashed))
        ended = _end_sessions(conn, name)
    return AccountChange(True, ended, bool(row.disabled))


@dataclass(frozen=True)
class StaffRow:
    """A staff member as ``simsa staff list`` shows them: name, public key, since when."""

    name: str
    key: str
    created_at: str
    disabled: bool


def list_staff(conn: Connection) -> list[StaffRow]:
    """Every staff member, by name."""
    rows = conn.execute(select(staff.c.name, staff.c.key_seed, staff.c.created_at, staff.c.disabled).order_by(staff.c.name))
    return [
        StaffRow(r.name, SigningKey(b64u_decode(r.key_seed, length=32)).public_b64u, r.created_at, bool(r.disabled))
        for r in rows
    ]


def member(conn: Connection, name: str) -> StaffMember | None:
    row = conn.execute(select(staff.c.key_seed, staff.c.disabled).where(staff.c.name == name)).first()
    if row is None or row.disabled:
        return None
    return StaffMember(name, SigningKey(b64u_decode(row.key_seed, length=32)))


def login(db: Database, name: str, password: str, hours: float, clock: Clock = utc_now, *,
          client: str = "", throttle: LoginThrottle = THROTTLE) -> str | None:
    """A new session token for a right name and password, else None; raises
    :class:`LoginThrottled` after too many wrong passwords for the name from ``client``."""
    now_s = time.monotonic()
    throttle.check(name, client, now_s)
    try:
        token = throttle.run(lambda: _login(db, name, password, hours, clock))
    except Limited as exc:
        raise LoginBusy(exc.retry_after) from None
    if token is None:
        throttle.failed(name, client, now_s)
    else:
        throttle.succeeded(name, client)
    return token


def _login(db: Database, name: str, password: str, hours: float, clock: Clock) -> str | None:
    with db.read() as conn:
        row = conn.execute(select(staff.c.password_hash, staff.c.disabled).where(staff.c.name == name)).first()
    if row is None:
        _hasher.hash(password)  # spend the same time as for a real account
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row.disabled:
        return None
    token = b64u(secrets.token_bytes(32))
    now = clock()
    with db.write() as conn:
        # The password was checked outside any transaction (argon2 is slow). If the account
        # was disabled or given a new password since, that change ended every session and
        # this login must not make a new one. The row lock orders us with such a change.
        again = conn.execute(
            select(staff.c.password_hash, staff.c.disabled).where(staff.c.name == name).with_for_update()
        ).first()
        if again is None or again.disabled or again.password_hash != row.password_hash:
            return None
        conn.execute(delete(staff_sessions).where(staff_sessions.c.expires_ms < to_millis(now)))
        conn.execute(
            insert(staff_sessions).values(
                token_hash=b64u(sha256(token.encode())),
                staff=name,
                created_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                expires_ms=to_millis(now + timedelta(hours=hours)),
            )
        )
    return token


def session_staff(db: Database, token: str, clock: Clock = utc_now) -> StaffMember | None:
    """The staff member a live session token belongs to; None for an unknown or expired
    token, and for a member whose account is disabled (checked on every request, so a
    session that somehow outlived the disabling is refused all the same)."""
    if not token or len(token) > 100:
        return None
    with db.read() as conn:
        row = conn.execute(
            select(staff_sessions.c.staff, staff_sessions.c.expires_ms).where(
                staff_sessions.c.token_hash == b64u(sha256(token.encode()))
            )
        ).first()
        if row is None or row.expires_ms < to_millis(clock()):
            return None
        return member(conn, row.staff)


def logout(db: Database, token: str) -> None:
    with db.write() as conn:
        conn.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == b64u(sha256(token.encode()))))


def append_statement(app: Appender, who: StaffMember, body: dict[str, Any], received_at: str) -> int:
    """Sign ``body`` (which names ``who`` as ``staff``) with the staff key and append it."""
    assert body.get("staff") == who.name
    check_statement_body(body)  # the shape every auditor's replay expects
    return app.append(statement_entry(body, "staff", who.name, who.key, received_at))
