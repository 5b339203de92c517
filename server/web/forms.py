"""Form safety for the dashboard: per-session CSRF tokens, the login form's double-submit
token, and reading a posted form.

A session's CSRF token is derived from its session token (which lives only in the
HttpOnly, SameSite=Lax cookie), so it needs no storage and dies with the session. Every
state-changing form carries it in a hidden ``csrf`` field and every handler checks it,
on top of the Origin check of :func:`server.auth.page_staff`.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request
from starlette.datastructures import FormData

from shared.encoding import b64u, sha256

from ..auth import COOKIE, bearer_token
from ..problems import Problem

LOGIN_COOKIE = "simsa_login_csrf"


def session_token(request: Request) -> str | None:
    return bearer_token(request) or request.cookies.get(COOKIE)


def csrf_for(token: str) -> str:
    """The CSRF token of a session: a hash of its secret session token."""
    return b64u(sha256(b"simsa/csrf/v1\x00" + token.encode("utf-8")))[:32]


def page_csrf(request: Request) -> str:
    token = session_token(request)
    return csrf_for(token) if token else ""


def check_csrf(request: Request, form: FormData) -> None:
    """Refuse with 403 unless the form's ``csrf`` field belongs to this session."""
    token = session_token(request)
    sent = form.get("csrf")
    if not token or not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_for(token)):
        raise Problem(403, "forbidden", "the form is stale or not from this site: reload the page and try again")


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def check_login_csrf(request: Request, form: FormData) -> bool:
    cookie = request.cookies.get(LOGIN_COOKIE)
    sent = form.get("csrf")
    return bool(cookie) and isinstance(sent, str) and hmac.compare_digest(sent, cookie or "")


def text(form: FormData, name: str, *, max_len: int = 500) -> str:
    """A text field, stripped; a missing field is ''. Longer input is refused."""
    v = form.get(name)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise Problem(400, "bad_request", f"form field {name} must be text")
    if len(v) > max_len:
        raise Problem(400, "bad_request", f"form field {name} is longer than {max_len} characters")
    return v.strip()
