"""The staff login page and session cookie. The dashboard itself lives in ``server/web``
(see :func:`server.app.create_app`); until it is there, ``/staff/`` is a plain landing page."""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from .api.staff import set_session_cookie
from .auth import COOKIE, context, page_staff
from .context import Context
from .services import staff as staff_service
from .services.staff import StaffMember

router = APIRouter(tags=["staff pages"], include_in_schema=False)
Ctx = Annotated[Context, Depends(context)]

_PAGE = """<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>
<style>body{{font-family:'Nanum Gothic','Noto Sans KR',sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}
label{{display:block;margin:.8rem 0 .2rem}}input{{font-size:1.1rem;padding:.4rem;width:100%}}
button{{font-size:1.1rem;padding:.5rem 1.2rem;margin-top:1rem}}.err{{color:#b00020}}</style></head>
<body>{body}</body></html>"""


def _safe_next(path: str | None) -> str:
    if not path or not path.startswith("/staff") or path.startswith("//"):
        return "/staff/"
    return path


def login_form(ctx: Context, next_path: str, error: str = "") -> str:
    m = ctx.manifest
    err = f'<p class="err" role="alert">{html.escape(error)}</p>' if error else ""
    body = f"""<h1>운영진 로그인 <small>Staff login</small></h1>
<p>{html.escape(m.title_ko)} / {html.escape(m.title_en)}</p>{err}
<form method="post" action="/staff/login">
<input type="hidden" name="next" value="{html.escape(next_path)}">
<label for="name">이름 Name</label><input id="name" name="name" autocomplete="username" required autofocus>
<label for="password">비밀번호 Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">로그인 Log in</button></form>"""
    return _PAGE.format(title="simsa 운영진 로그인 / staff login", body=body)


@router.get("/staff/login", response_class=HTMLResponse)
def login_page(ctx: Ctx, next: str | None = None) -> HTMLResponse:
    return HTMLResponse(login_form(ctx, _safe_next(next)))


@router.post("/staff/login")
async def login_submit(
    request: Request,
    ctx: Ctx,
    name: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=500)] = "/staff/",
) -> Response:
    client = request.client.host if request.client else ""
    try:
        token = await run_in_threadpool(
            staff_service.login, ctx.db, name, password, ctx.settings.session_hours, ctx.clock, client=client
        )
    except staff_service.LoginThrottled as exc:
        return HTMLResponse(login_form(ctx, _safe_next(next), f"{exc}"), status_code=429)
    if token is None:
        return HTMLResponse(login_form(ctx, _safe_next(next), "이름이나 비밀번호가 틀렸습니다 / Wrong name or password"), status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, ctx, token)
    return response


@router.post("/staff/logout")
async def logout_submit(request: Request, ctx: Ctx, _who: Annotated[StaffMember, Depends(page_staff)]) -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        await run_in_threadpool(staff_service.logout, ctx.db, token)
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


landing = APIRouter(include_in_schema=False)


@landing.get("/staff/", response_class=HTMLResponse)
def staff_home(ctx: Ctx, who: Annotated[StaffMember, Depends(page_staff)]) -> HTMLResponse:
    body = f"""<h1>simsa 운영진 <small>staff</small></h1><p>{html.escape(who.name)} 님 / signed in as {html.escape(who.name)}</p>
<p>API: <code>/api/v1/staff/overview</code></p>
<form method="post" action="/staff/logout"><button>로그아웃 Log out</button></form>"""
    return HTMLResponse(_PAGE.format(title="simsa staff", body=body))


def login_redirect(path: str) -> RedirectResponse:
    return RedirectResponse(f"/staff/login?next={quote(path)}", status_code=303)
