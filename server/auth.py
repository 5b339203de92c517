"""Who is asking: staff by bearer token (API) or session cookie (pages and API).

Strangers get ``401 unauthorized`` on ``/api/v1/staff/…`` and a redirect to
``/staff/login`` on pages. A state-changing request authenticated by the cookie alone
must come from this site (its ``Origin``, when sent, names this host) — otherwise 403.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from .context import Context
from .problems import Problem
from .services import staff as staff_service
from .services.staff import StaffMember

COOKIE = "simsa_session"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def bearer_token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def _find(request: Request) -> tuple[StaffMember | None, bool]:
    ctx = context(request)
    token = bearer_token(request)
    by_cookie = False
    if token is None:
        token = request.cookies.get(COOKIE)
        by_cookie = token is not None
    if token is None:
        return None, False
    who = await run_in_threadpool(staff_service.session_staff, ctx.db, token, ctx.clock)
    return who, by_cookie


async def require_staff(request: Request) -> StaffMember:
    """API dependency: the logged-in staff member, or 401/403 problem."""
    who, by_cookie = await _find(request)
    if who is None:
        raise Problem(401, "unauthorized", "log in at POST /api/v1/staff/login and send the token as a bearer token")
    if by_cookie and request.method not in _SAFE and not _same_origin(request):
        raise Problem(403, "forbidden", "a cookie-authenticated change must come from this site")
    return who


class LoginRedirect(Exception):
    """Raised by :func:`page_staff` for strangers; answered with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


async def page_staff(request: Request) -> StaffMember:
    """Page dependency: the logged-in staff member, or a 303 redirect to ``/staff/login``."""
    who, by_cookie = await _find(request)
    if who is None:
        raise LoginRedirect(request.url.path)
    if by_cookie and request.method not in _SAFE and not _same_origin(request):
        raise Problem(403, "forbidden", "a cookie-authenticated change must come from this site")
    return who
