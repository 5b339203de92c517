"""The server's limits on strangers, made once per process from the settings: who the
client is (trusted proxies only by setting), requests per address, login throttles and the
argon2 gate, ballot and registration floods. Numbers: docs/SECURITY.md.

Every table is bounded (:mod:`server.throttle`); the limits are per process.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .problems import title_of
from .services.staff import LoginThrottle
from .settings import Settings
from .throttle import Budget, Limited, Window

#: Login: per account, 5 wrong passwords free, then 1 s, 2 s, 4 s … at most 30 s between
#: attempts; forgotten 15 minutes after the last failure. Per address: a sliding window.
ACCOUNT_FREE, ACCOUNT_CAP_S, LOGIN_RESET_S = 5, 30.0, 900.0


@dataclass
class Guards:
    settings: Settings
    submit: Window  # submission requests per address and minute
    submit_bytes: Budget  # their declared body bytes per address and minute
    login: LoginThrottle  # per account (backoff), per address, and the argon2 gate
    ballots: Window  # online ballots per reviewer and minute
    registrations: Window  # kiosk registrations per address and hour

    @classmethod
    def from_settings(cls, s: Settings) -> Guards:
        return cls(
            settings=s,
            submit=Window(s.submit_per_address_minute, 60.0),
            submit_bytes=Budget(s.submit_bytes_per_address_minute, 60.0),
            login=LoginThrottle(s.login_failures_per_address, LOGIN_RESET_S, free=ACCOUNT_FREE, cap_s=ACCOUNT_CAP_S,
                                running=s.login_concurrency, queued=s.login_queue),
            ballots=Window(s.ballots_per_reviewer_minute, 60.0),
            registrations=Window(s.registrations_per_address_hour, 3600.0),
        )


def guards_of(ctx: Any) -> Guards:
    """The guards of a :class:`server.context.Context` (made on first use)."""
    g = ctx.guards
    if g is None:
        g = ctx.guards = Guards.from_settings(ctx.settings)
    assert isinstance(g, Guards)
    return g


def now_s() -> float:
    return time.monotonic()


# --- ASGI middlewares --------------------------------------------------------------------


def _trusted(host: str, nets: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    try:
        addr = ip_address(host)
    except ValueError:
        return False
    return any(addr in n for n in nets)


class TrustedProxies:
    """``X-Forwarded-For`` and ``X-Forwarded-Proto`` count only when the peer is one of
    ``settings.trusted_proxies``; then the client is the right-most address in
    X-Forwarded-For that is not itself a trusted proxy. Otherwise both headers are ignored."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.nets = settings.trusted_networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.nets and scope.get("client"):
            peer = scope["client"][0]
            if _trusted(peer, self.nets):
                headers = dict(scope.get("headers", ()))
                xff = headers.get(b"x-forwarded-for", b"").decode("latin-1")
                hops = [h.strip() for h in xff.split(",") if h.strip()]
                client = peer
                for hop in reversed(hops):
                    client = hop
                    if not _trusted(hop, self.nets):
                        break
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").split(",")[-1].strip().lower()
                scope = dict(scope)
                scope["client"] = (client, 0)
                if proto in ("http", "https"):
                    scope["scheme"] = proto
        await self.app(scope, receive, send)


SUBMIT_PREFIXES = ("/api/v1/ballots", "/api/v1/kiosks")


class SubmitRate:
    """At most ``submit_per_address_minute`` submission POSTs per client address: 429
    ``rate_limited`` with Retry-After past it, before the body is read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].startswith(SUBMIT_PREFIXES):
            client = scope.get("client")
            g = guards_of(scope["app"].state.ctx)
            who, now = (client[0] if client else ""), now_s()
            try:
                g.submit.hit(who, now, "submissions from this address")
                g.submit_bytes.spend(who, _declared(scope, g.settings.max_batch_bytes), now, "bytes from this address")
            except Limited as exc:
                await send_problem(send, 429, "rate_limited",
                                   f"too many submissions from this address; retry in {exc.retry_after} s",
                                   retry_after=exc.retry_after)
                return
        await self.app(scope, receive, send)


ONLINE_PATH = "/api/v1/ballots"
#: Seconds an online client is told to wait when too many ballots are being answered.
BUSY_RETRY_S = 1


class OnlineAdmission:
    """At most ``online_in_flight`` online ballots are answered at once; one more gets 503
    ``busy`` with Retry-After at once, before its body is read (back-pressure: a rush past
    what the server can answer in time is told to come back, not made to wait)."""

    def __init__(self, app: ASGIApp, limit: int, max_body: int) -> None:
        self.app = app
        self.limit = limit
        self.max_body = max_body
        self.in_flight = 0  # the event loop's thread only: no lock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == ONLINE_PATH):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            # A ballot's body is small: read and dropped, so the connection stays open for
            # the client's next try (closing it made every refused client connect again).
            keep = _declared(scope, self.max_body + 1) <= self.max_body and await _drained(receive, self.max_body)
            await send_problem(send, 503, "busy", f"{self.in_flight} online ballots are being answered; "
                               f"send the same ballot again in {BUSY_RETRY_S} s", retry_after=BUSY_RETRY_S,
                               keep_alive=keep)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def _drained(receive: Receive, limit: int) -> bool:
    """Read and drop a request body of at most ``limit`` bytes; False past it."""
    seen = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return False
        seen += len(message.get("body", b""))
        if seen > limit:
            return False
        if not message.get("more_body", False):
            return True


def _declared(scope: Scope, default: int) -> int:
    """The request's declared body length; ``default`` when it declares none (chunked)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return max(0, int(value))
            except ValueError:
                return default
    return default


async def send_problem(
    send: Send, status: int, code: str, detail: str, *, retry_after: int | None = None, keep_alive: bool = False
) -> None:
    """A problem+json answer sent straight from a middleware."""
    body: dict[str, Any] = {"type": f"urn:simsa:problem:{code}", "title": title_of(code), "status": status,
                            "code": code, "detail": detail}
    # Connection: close — the body the client is still sending is not read, nor waited for
    # (unless the caller read it: ``keep_alive``).
    headers = [(b"content-type", b"application/problem+json")]
    if not keep_alive:
        headers.append((b"connection", b"close"))
    if retry_after is not None:
        body["retry_after"] = retry_after
        headers.append((b"retry-after", str(retry_after).encode()))
    raw = json.dumps(body).encode()
    headers.append((b"content-length", str(len(raw)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
