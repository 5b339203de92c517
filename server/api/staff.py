"""The staff API under ``/api/v1/staff/…``: login, the reconciliation views, and the
actions — each a signed ledger statement naming the staff member."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from shared import schema as s
from shared.errors import FormatError

from ..auth import COOKIE, bearer_token, context, require_staff
from ..body import SIGNED_BALLOTS, json_body_doc, read_json
from ..context import Context
from ..guards import guards_of
from ..problems import Problem
from ..services import actions, ingest, kiosks, views
from ..services import staff as staff_service
from ..services.staff import StaffMember
from .jsonable import obj

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])
Ctx = Annotated[Context, Depends(context)]
Staff = Annotated[StaffMember, Depends(require_staff)]


def set_session_cookie(response: Response, ctx: Context, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(ctx.settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
        path="/",
    )


@router.post("/login", summary="Log in: a bearer token and a session cookie",
             openapi_extra=json_body_doc('{"name", "password"}'))
async def login(request: Request, response: Response, ctx: Ctx) -> dict[str, Any]:
    body = await read_json(request, ctx.settings.max_body_bytes, what="login")
    try:
        b = s.obj(body, "login")
        s.keys(b, "login", {"name", "password"})
        name, password = s.string(b["name"], "name", max_len=64), s.string(b["password"], "password", max_len=1024)
    except FormatError as exc:
        raise Problem(400, "malformed", str(exc)) from exc
    client = request.client.host if request.client else ""
    try:
        token = await run_in_threadpool(
            staff_service.login, ctx.db, name, password, ctx.settings.session_hours, ctx.clock, client=client,
            throttle=guards_of(ctx).login,
        )
    except staff_service.LoginBusy as exc:
        raise Problem(429, "rate_limited", str(exc), retry_after=exc.retry_after) from exc
    except staff_service.LoginThrottled as exc:
        raise Problem(429, "too_many_attempts", str(exc), retry_after=exc.retry_after) from exc
    if token is None:
        raise Problem(401, "bad_credentials", "wrong staff name or password")
    set_session_cookie(response, ctx, token)
    return {"token": token, "staff": name, "expires_in": int(ctx.settings.session_hours * 3600)}


@router.post("/logout", summary="End this session")
async def logout(request: Request, response: Response, ctx: Ctx, who: Staff) -> dict[str, Any]:
    token = bearer_token(request) or request.cookies.get(COOKIE)
    if token:
        await run_in_threadpool(staff_service.logout, ctx.db, token)
    response.delete_cookie(COOKIE, path="/")
    return {"staff": who.name, "logged_out": True}


@router.get("/me", summary="The logged-in staff member and their statement key")
def me(who: Staff) -> dict[str, Any]:
    return {"staff": who.name, "key": who.key.public_b64u}


# --- views -------------------------------------------------------------------------------


@router.get("/overview")
def overview(ctx: Ctx, _who: Staff) -> dict[str, Any]:
    return obj(views.overview(ctx))


@router.get("/kiosks", summary="Every kiosk: recorded vs synced, counts, closure")
def kiosks_table(ctx: Ctx, _who: Staff) -> dict[str, Any]:
    return {"kiosks": [obj(k) for k in views.kiosks_table(ctx)]}


@router.get("/conflicts", summary="Every conflict, decided or not")
def conflicts(ctx: Ctx, _who: Staff) -> dict[str, Any]:
    return {"conflicts": [obj(c) for c in views.conflicts(ctx)]}


@router.get("/rejections", summary="Refused submissions with their reason, newest first")
def rejections(
    ctx: Ctx,
    _who: Staff,
    code: str | None = None,
    channel: str | None = None,
    kiosk: str | None = None,
    reviewer: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: int | None = None,
) -> dict[str, Any]:
    rows = views.rejection_list(ctx, code=code, channel=channel, kiosk=kiosk, reviewer=reviewer, limit=limit, before=before)
    return {"rejections": [obj(r) for r in rows]}


@router.get("/reviewers/{reviewer}", summary="One reviewer: manifest, revocation, ballots, rejections, conflicts")
def reviewer(reviewer: str, ctx: Ctx, _who: Staff) -> dict[str, Any]:
    return obj(views.reviewer_lookup(ctx, reviewer))


# --- actions -----------------------------------------------------------------------------


async def _body(request: Request, ctx: Context, what: str, required: set[str], optional: set[str] = set()) -> dict[str, Any]:  # noqa: B006
    body = await read_json(request, ctx.settings.max_body_bytes, what=what)
    try:
        b = s.obj(body, what)
        s.keys(b, what, required, optional)
    except FormatError as exc:
        raise Problem(400, "malformed", str(exc)) from exc
    return dict(b)


@router.post("/kiosks/{kiosk}/approve", summary="Enrol a registered kiosk (kiosk statement)")
async def approve_kiosk(kiosk: str, ctx: Ctx, who: Staff) -> dict[str, Any]:
    return obj(await run_in_threadpool(kiosks.approve, ctx, who, kiosk))


@router.post("/kiosks/{kiosk}/dismiss", summary="Dismiss a pending kiosk registration (not on the ledger)")
async def dismiss_kiosk(kiosk: str, ctx: Ctx, who: Staff) -> dict[str, Any]:
    return obj(await run_in_threadpool(kiosks.dismiss, ctx, who, kiosk))


@router.post("/kiosks/{kiosk}/close", summary="Close a kiosk (kiosk-close statement)",
             openapi_extra=json_body_doc('without the kiosk\'s matching closure, an override: '
                                         '{"confirm": the kiosk id, "reason": why} (goes on the ledger)'))
async def close_kiosk(kiosk: str, request: Request, ctx: Ctx, who: Staff) -> dict[str, Any]:
    b: dict[str, Any] = {}
    if int(request.headers.get("content-length") or 0) > 0:
        b = await _body(request, ctx, "kiosk close", set(), {"force", "confirm", "reason"})
    closed = await run_in_threadpool(
        lambda: kiosks.close_kiosk(ctx, who, kiosk, confirm=b.get("confirm"), reason=b.get("reason"))
    )
    return obj(closed)


@router.post("/bundles", summary="Import a kiosk's USB bundle (same as a network sync)",
             openapi_extra=json_body_doc("a batch exported by a kiosk"))
async def import_bundle(request: Request, ctx: Ctx, who: Staff) -> dict[str, Any]:
    body = await read_json(request, ctx.settings.max_batch_bytes, what="bundle", judged_later=SIGNED_BALLOTS)
    kiosk = body.get("kiosk") if isinstance(body, dict) else None
    if not isinstance(kiosk, str):
        raise Problem(400, "malformed", "the bundle names no kiosk")
    return obj(await run_in_threadpool(ingest.submit_batch, ctx, kiosk, body, via=f"bundle by {who.name}"))


@router.post("/resolutions", summary="Decide a conflict (resolution statement)",
             openapi_extra=json_body_doc('{"reviewer", "target", "ballot", "reason"}'))
async def resolve(request: Request, ctx: Ctx, who: Staff) -> dict[str, Any]:
    b = await _body(request, ctx, "resolution", {"reviewer", "target", "ballot", "reason"})
    out = await run_in_threadpool(actions.resolve, ctx, who, b["reviewer"], b["target"], b["ballot"], b["reason"])
    return obj(out)


@router.post("/revocations", summary="Revoke a credential (revocation statement)",
             openapi_extra=json_body_doc('{"reviewer", "reason"}'))
async def revoke(request: Request, ctx: Ctx, who: Staff) -> dict[str, Any]:
    b = await _body(request, ctx, "revocation", {"reviewer", "reason"})
    return obj(await run_in_threadpool(actions.revoke, ctx, who, b["reviewer"], b["reason"]))


@router.post("/revocations/import", summary="Import a revocation signed with the authority key",
             openapi_extra=json_body_doc('{"statement": {"type": "revocation", "event", "reviewer", "reason", "at"}, "sig"}'))
async def import_revocation(request: Request, ctx: Ctx, who: Staff) -> dict[str, Any]:
    body = await read_json(request, ctx.settings.max_body_bytes, what="signed revocation")
    return obj(await run_in_threadpool(actions.import_revocation, ctx, who, body))


@router.post("/close", summary="Close the event (close statement with the results hash)",
             openapi_extra=json_body_doc('{"event": the event id, to confirm; "reason": why, required '
                                         'while a kiosk is open or behind (an override on the ledger)}'))
async def close_event(request: Request, ctx: Ctx, who: Staff) -> dict[str, Any]:
    b = await _body(request, ctx, "close", {"event"}, {"reason"})
    if b["event"] != ctx.manifest.event:
        raise Problem(400, "malformed", f"confirm by naming the event: {ctx.manifest.event}")
    closed = await run_in_threadpool(lambda: actions.close_event(ctx, who, reason=b.get("reason")))
    return obj(closed)
