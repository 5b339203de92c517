"""Public pages — ``/verify`` (a receipt checked in the browser), ``/ledger`` (STH, key and
downloads), ``/results`` (once published) — the receipt lookup they use, and the static
assets, all served by the ledger server itself so they work on an offline venue LAN."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from shared.encoding import b64u_decode
from shared.keys import fingerprint

from ..api.jsonable import obj
from ..auth import context
from ..context import Context
from ..problems import Problem
from ..services import channels, dashboard, rankings, reconcile
from . import i18n, localtime, results_view
from .render import STATIC, lang_of, page
from .staff_pages import page_number, sth_time

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["audit"])
Ctx = Annotated[Context, Depends(context)]

_ASSET = re.compile(r"\A[a-z0-9][a-z0-9._-]{0,63}\Z")
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
          ".woff2": "font/woff2", ".png": "image/png"}
PAGE = 1000


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/")
def root() -> Response:
    return RedirectResponse("/verify", status_code=303)


@router.get("/static/{name}")
def static(name: str) -> Response:
    path = STATIC / name
    if not _ASSET.match(name) or path.suffix not in _TYPES or not path.is_file():
        raise Problem(404, "not_found", f"no asset {name}")
    return FileResponse(path, media_type=_TYPES[path.suffix], headers={"Cache-Control": "public, max-age=86400"})


@api.get(
    "/receipts/{code}",
    summary="The ledger entry of a receipt (full ballot id, or its short code XXXX-XXXX in Crockford base32)",
    responses={400: {"description": "neither a receipt id nor a short code"},
               404: {"description": "no such ballot on the ledger"}, 409: {"description": "short code ambiguous"}},
)
def receipt(code: str, ctx: Ctx) -> dict[str, Any]:
    """``{"id", "index", "entry"}``: the browser (or anyone) recomputes the entry's leaf hash
    and checks it against ``/ledger/proof/inclusion?index=…``."""
    return obj(dashboard.find_receipt(ctx, code))


@api.get(
    "/reviewers/{reviewer}/ballots",
    summary="Every accepted ballot cast in a reviewer's name (what the receipt page lists)",
    responses={404: {"description": "no such reviewer in the manifest"}},
)
def reviewer_ballots(reviewer: str, ctx: Ctx) -> dict[str, Any]:
    """``{"reviewer", "ballots": [{"index","id","short_code","target","channel","kiosk","seq",
    "created_at"}], "sources", "split"}``: ``split`` when they came through two channels or
    two kiosks — a sign that someone else holds the reviewer's key."""
    return obj(channels.ballots_in_name(ctx, reviewer))


@router.get("/verify")
def verify_page(request: Request, ctx: Ctx, r: str = "") -> Response:
    lang = lang_of(request)
    keys = [k for k in i18n.TEXT if k.startswith("vf.")]
    vtext = {k[3:]: i18n.text(lang, k, url=base_url(request)) for k in keys}
    vtext["ok_rejected"] = i18n.text(lang, "vf.ok_rejected")
    vtext["tz"], vtext["tz_abbr"] = ctx.settings.timezone, localtime.abbreviation(ctx.settings.timezone)
    # The code stays in the box after a submit without JavaScript (the form is a plain GET).
    return page(request, "verify.html", nav="verify", vtext=vtext, base_url=base_url(request), code=r.strip()[:200])


@router.get("/ledger")
def ledger_page(request: Request, ctx: Ctx) -> Response:
    with ctx.db.read() as conn:
        sth = ctx.ledger.latest_sth(conn)
    m = ctx.manifest
    lkey = ctx.event.ledger_key.public_b64u
    return page(
        request, "ledger.html", nav="ledger", sth=sth, sth_time=sth_time(sth, ctx.settings.timezone),
        ledger_key=lkey, ledger_fp=fingerprint(b64u_decode(lkey, length=32)),
        authority_key=m.authority_key, authority_fp=fingerprint(b64u_decode(m.authority_key, length=32)),
        recent=[replace(e, summary=re.sub(r"· online\b", "· " + i18n.text(lang_of(request), "channel.online"), e.summary))
                for e in dashboard.recent_entries(ctx)],
        base_url=base_url(request),
    )


@router.get("/ledger/entries.jsonl")
def ledger_download(ctx: Ctx) -> Response:
    """Every entry up to the current tree size, one canonical JSON entry a line (line i is
    leaf i's data, so SHA-256(0x00 ‖ line) is its leaf hash)."""
    with ctx.db.read() as conn:
        size, _ = ctx.ledger.head(conn)

    def lines() -> Iterator[bytes]:
        for start in range(0, size, PAGE):
            with ctx.db.read() as conn:
                rows = ctx.ledger.entries_text(conn, start, min(size, start + PAGE))
            yield "".join(text + "\n" for _, text in rows).encode("utf-8")

    name = f"{ctx.manifest.event}-ledger-{size}.jsonl"
    return StreamingResponse(
        lines(), media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Tree-Size": str(size)},
    )


@router.get("/results")
def results_page(request: Request, ctx: Ctx) -> Response:
    with ctx.db.read() as conn:
        _, closed = ctx.ledger.head(conn)
    if closed is None:
        with ctx.db.read() as conn:
            size, _ = ctx.ledger.head(conn)
        return page(request, "results.html", nav="results", R=None, ledger_size=size)
    results = rankings.published_results(ctx)
    return page(
        request, "results.html", nav="results", R=results, base_url=base_url(request),
        downloads=[("CSV", "/api/v1/results.csv"), ("JSON", "/api/v1/results")], rc=reconcile.counted(ctx),
        **results_view.view(ctx, lang_of(request), results, page_number(request)),
    )
