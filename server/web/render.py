"""Jinja2 rendering with what every page needs: language, text, the staff member, the CSRF
token, the event, flash messages after an action, and the static asset URLs."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context as TemplateContext
from markupsafe import Markup

from shared.errors import FormatError
from shared.receipt import short_code

from ..auth import context
from ..services import dashboard
from ..services.staff import StaffMember
from . import details, i18n, localtime
from .forms import page_csrf

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
FLASH_COOKIE = "simsa_flash"

env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


@cache
def asset_version(name: str) -> str:
    """A content hash for cache busting: ``/static/app.css?v=…``."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    return f"/static/{name}?v={asset_version(name)}"


def short(value: str | None, n: int = 10) -> str:
    """A long hash cut for a table cell (the full value goes in a title attribute)."""
    if not value:
        return ""
    return value if len(value) <= n + 1 else value[:n] + "…"


@pass_context
def hhmm(tctx: TemplateContext, value: str | None) -> str:
    """``2017-02-23T10:15:00Z`` → ``02-23 19:15:00 KST`` for tables: in the event's zone."""
    return localtime.local(value, str(tctx.get("tz") or "UTC"))


@pass_context
def fulltime(tctx: TemplateContext, value: Any) -> str:
    """An RFC 3339 time or STH milliseconds → ``2017-02-23 19:15:00 KST``."""
    return localtime.full(value, str(tctx.get("tz") or "UTC"))


def receipt_code(value: str | None) -> str:
    """A receipt id's short code, as the kiosk showed it (``shared.receipt``)."""
    if not value:
        return ""
    try:
        return short_code(value)
    except FormatError:  # not a receipt id: shown cut, never hidden
        return short(value, 8)


env.filters.update(short=short, hhmm=hhmm, fulltime=fulltime, receipt=receipt_code)
env.globals.update(static_url=static_url)


def lang_of(request: Request) -> str:
    return i18n.norm_lang(request.query_params.get("lang")) or i18n.norm_lang(request.cookies.get(i18n.COOKIE)) or "ko"


def url_with(request: Request, **params: Any) -> str:
    """This page's URL with some query parameters replaced (None removes one)."""
    q = {k: v for k, v in request.query_params.items()}
    for k, v in params.items():
        if v is None:
            q.pop(k, None)
        else:
            q[k] = str(v)
    return request.url.path + ("?" + urlencode(q) if q else "")


def flash(response: Response, key: str, level: str = "ok", **args: Any) -> Response:
    """Show a message on the next page (after a redirect)."""
    response.set_cookie(
        FLASH_COOKIE, json.dumps({"key": key, "level": level, "args": args}, ensure_ascii=True),
        max_age=60, httponly=True, samesite="lax", path="/",
    )
    return response


def redirect(path: str, key: str | None = None, level: str = "ok", **args: Any) -> Response:
    response = RedirectResponse(path, status_code=303)
    if key is not None:
        flash(response, key, level, **args)
    return response


def _read_flash(request: Request, lang: str) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        f = json.loads(raw)
        args = {str(k): str(v) for k, v in dict(f.get("args", {})).items()}
        if "detail" in args:  # a problem's English detail, in the page's language
            args["detail"] = details.detail_plain(lang, args["detail"])
        key = str(f["key"])
        if key not in i18n.TEXT:
            return None
        return {"level": str(f.get("level", "ok")), "text": i18n.text(lang, key, **args)}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def page(
    request: Request,
    template: str,
    *,
    who: StaffMember | None = None,
    nav: str = "",
    status: int = 200,
    live: bool = False,
    **data: Any,
) -> HTMLResponse:
    """Render ``template`` with the common frame data."""
    ctx = context(request)
    lang = lang_of(request)
    m = ctx.manifest
    with ctx.db.read() as conn:
        _, closed = ctx.ledger.head(conn)
    flash_msg = _read_flash(request, lang)
    if live:
        data.setdefault("version", dashboard.version(ctx))
    html = env.get_template(template).render(
        request=request,
        lang=lang,
        t=i18n.translator(lang),
        code_text=lambda code: i18n.code_text(code, lang),
        detail_text=lambda d: details.detail_text(lang, d),
        who=who,
        csrf=page_csrf(request) if who else "",
        nav=nav,
        live=live,
        event=m,
        event_title=m.title_ko if lang == "ko" else m.title_en,
        closed=closed is not None,
        live_fetch=live and request.headers.get("x-simsa-live") == "1",
        tz=ctx.settings.timezone,
        tz_abbr=localtime.abbreviation(ctx.settings.timezone),
        flash=flash_msg,
        other_lang_url=url_with(request, lang=i18n.text(lang, "lang.other.code")),
        url_with=lambda **kw: url_with(request, **kw),
        json_script=lambda obj: Markup(json.dumps(obj, ensure_ascii=False).replace("</", "<\\/")),
        **data,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )
    if request.query_params.get("lang") in i18n.LANGS:
        response.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    if flash_msg is not None or request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response
