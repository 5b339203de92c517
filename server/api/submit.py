"""Submissions (DESIGN §4, normative): online ballots and kiosk batches; and the kiosk's
own routes: registration, status, closure."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..auth import context
from ..body import SIGNED_BALLOTS, check_json_type, json_body_doc, parse_body, read_json, read_limited
from ..context import Context
from ..counting import MAX_BALLOT_CONTAINERS, MAX_BATCH_CONTAINERS, check_containers, client_address
from ..problems import Problem, problem_of, problem_response
from ..services import ingest, kiosks
from ..services.batches import BatchTaken
from ..services.errors import ServiceError
from ..services.refusals import keep_anonymous
from .jsonable import obj

router = APIRouter(prefix="/api/v1", tags=["submission"])
Ctx = Annotated[Context, Depends(context)]


async def _context(request: Request) -> Context:
    """:func:`server.auth.context` on the event loop: no worker-thread hop per ballot."""
    ctx: Context = request.app.state.ctx
    return ctx


LoopCtx = Annotated[Context, Depends(_context)]
KioskId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


@router.post(
    "/ballots",
    status_code=201,
    summary="Submit an online signed ballot",
    openapi_extra=json_body_doc('a signed ballot {"ballot": B, "sig": b64u}'),
    responses={200: {"description": "the same ballot again: the original receipt"}},
)
async def post_ballot(request: Request, ctx: LoopCtx) -> JSONResponse:
    text: str | None = None
    source = client_address(request)
    try:
        check_json_type(request, "signed ballot")
        raw = await read_limited(request, ctx.settings.max_body_bytes)
        text = raw.decode("utf-8", errors="replace")
        check_containers(raw, MAX_BALLOT_CONTAINERS, "signed ballot")
        body = parse_body(raw, ctx.settings.max_body_bytes, "signed ballot")
    except Problem as p:
        await run_in_threadpool(ingest.keep_refused_body, ctx, p.code, p.detail, text, source)
        raise
    taken = await ingest.submit_online_async(ctx, body, text, source)
    return JSONResponse(obj(taken.receipt), status_code=201 if taken.new else 200)


@router.post(
    "/kiosks/{kiosk}/batches",
    summary="Sync a kiosk batch (records and signed head)",
    tags=["kiosks"],
    openapi_extra=json_body_doc('a batch {"kiosk", "records": [{"seq","prev","signed_ballot"}], "head"}'),
    response_class=JSONResponse,
    responses={200: {"description": '{"results": [{"seq","status","id","index","code"}], "synced_seq", "synced_hash", "sth"}'}},
)
async def post_batch(request: Request, kiosk: KioskId, ctx: LoopCtx) -> Response:
    source = client_address(request)
    try:
        check_json_type(request, "batch")
        # Enrolment from the path, before a byte of the body is read: an unknown or pending
        # kiosk's batch costs one indexed lookup.
        await run_in_threadpool(kiosks.require_enrolled, ctx, kiosk)
    except (Problem, ServiceError) as refusal:
        p = problem_of(refusal)
        await run_in_threadpool(keep_anonymous, ctx, source, channel="kiosk", kiosk=kiosk, code=p.code,
                                detail=f"sync: {p.detail}")
        refused = problem_response(p.status, p.code, p.detail, **p.extra)
        declared = request.headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > ctx.settings.max_body_bytes:
            refused.headers["connection"] = "close"  # a large body is not read, nor waited for
        return refused
    raw = await read_limited(request, ctx.settings.max_batch_bytes)

    def parse_and_submit() -> BatchTaken:  # both off the event loop: a batch is big
        try:
            check_containers(raw, MAX_BATCH_CONTAINERS, "batch")  # count before building objects
            body = parse_body(raw, ctx.settings.max_batch_bytes, "batch", judged_later=SIGNED_BALLOTS)
        except Problem as p:
            keep_anonymous(ctx, source, channel="kiosk", kiosk=kiosk, code=p.code, detail=f"sync: {p.detail}")
            raise
        return ingest.submit_batch(ctx, kiosk, body, source=source)

    result = await run_in_threadpool(parse_and_submit)
    # Dataclasses of str, int and None: encoded by orjson directly, fields in order
    # (FastAPI's generic encoder walks every one of up to 500 results first).
    return Response(orjson.dumps(result), media_type="application/json")


@router.post(
    "/kiosks",
    status_code=202,
    summary="Register a kiosk's public key (self-signed)",
    tags=["kiosks"],
    openapi_extra=json_body_doc('{"kiosk","public_key","registered_at","sig"}'),
    responses={200: {"description": "already approved (or closed)"}},
)
async def post_kiosk(request: Request, ctx: Ctx) -> JSONResponse:
    body = await read_json(request, ctx.settings.max_body_bytes, what="kiosk registration")
    reg = await run_in_threadpool(kiosks.register, ctx, body, source=client_address(request))
    return JSONResponse(obj(reg), status_code=202 if reg.status == "pending" else 200)


@router.get("/kiosks/{kiosk}", summary="A kiosk's status and synced head", tags=["kiosks"])
def get_kiosk(kiosk: KioskId, ctx: Ctx) -> dict[str, Any]:
    return obj(kiosks.status(ctx, kiosk))


@router.post(
    "/kiosks/{kiosk}/closure",
    status_code=202,
    summary="Hand in the kiosk's signed closure (held until staff close the kiosk)",
    tags=["kiosks"],
    openapi_extra=json_body_doc("a closure signed by the kiosk (shared.chain.sign_closure)"),
)
async def post_closure(request: Request, kiosk: KioskId, ctx: Ctx) -> JSONResponse:
    body = await read_json(request, ctx.settings.max_body_bytes, what="kiosk closure")
    held = await run_in_threadpool(kiosks.submit_closure, ctx, kiosk, body)
    return JSONResponse(obj(held), status_code=202)
