"""The staff login and logout pages (the same accounts and sessions as the JSON login).

The login form carries a double-submit token (a cookie and a hidden field that must
match), so another site cannot log a browser into an account of its choosing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..api.staff import set_session_cookie
from ..auth import COOKIE, context
from ..body import read_form
from ..context import Context
from ..guards import guards_of
from ..services import staff as staff_service
from . import i18n
from .forms import LOGIN_COOKIE, check_csrf, check_login_csrf, new_login_token, session_token, text
from .render import lang_of, page

router = APIRouter(include_in_schema=False)
Ctx = Annotated[Context, Depends(context)]


def safe_next(path: str | None) -> str:
    """Only a path on this site's staff pages; anything else goes to the overview."""
    if not path or not path.startswith("/staff") or path.startswith("//") or "\\" in path or "\n" in path:
        return "/staff/"
    if path.startswith(("/staff/login", "/staff/logout")):
        return "/staff/"
    return path


def _login_page(request: Request, next_path: str, *, error: str = "", name: str = "", status: int = 200) -> Response:
    token = new_login_token()
    response = page(request, "login.html", nav="login", status=status, next=next_path, error=error, name=name, login_csrf=token)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict", path="/staff/login")
    return response


@router.get("/staff/login")
async def login_page(request: Request, ctx: Ctx, next: str | None = None) -> Response:
    token = session_token(request)
    if token and await run_in_threadpool(staff_service.session_staff, ctx.db, token, ctx.clock) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, safe_next(next))


@router.post("/staff/login")
async def login_submit(request: Request, ctx: Ctx) -> Response:
    form = await read_form(request)
    lang = lang_of(request)
    next_path = safe_next(text(form, "next"))
    name = text(form, "name", max_len=64)
    if not check_login_csrf(request, form):
        return _login_page(request, next_path, error=i18n.text(lang, "login.stale"), name=name, status=403)
    password = form.get("password")
    if not isinstance(password, str) or len(password) > 1024:
        password = ""
    client = request.client.host if request.client else ""
    try:
        token = await run_in_threadpool(
            staff_service.login, ctx.db, name, password, ctx.settings.session_hours, ctx.clock, client=client,
            throttle=guards_of(ctx).login,
        )
    except staff_service.LoginThrottled as exc:
        error = i18n.text(lang, "login.throttled").format(seconds=exc.retry_after)
        return _login_page(request, next_path, error=error, name=name, status=429)
    if token is None:
        return _login_page(request, next_path, error=i18n.text(lang, "login.wrong"), name=name, status=401)
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, ctx, token)
    response.delete_cookie(LOGIN_COOKIE, path="/staff/login")
    return response


@router.post("/staff/logout")
async def logout_submit(request: Request, ctx: Ctx) -> Response:
    form = await read_form(request)
    token = session_token(request)
    if token is not None:
        check_csrf(request, form)
        await run_in_threadpool(staff_service.logout, ctx.db, token)
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
