"""The application factory. ``create_app(settings)`` wires the routers, the problem
handlers and the body limits; the database is migrated and the ledger opened at start-up.

The staff dashboard, its login pages and the public pages are the router of ``server/web``
(``server.web.router``), which uses :func:`server.auth.page_staff` and the service layer in
:mod:`server.services`. Extra routers can also be passed in.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from . import problems
from .api import audit, staff, submit, tlog
from .auth import LoginRedirect
from .context import Context
from .guards import OnlineAdmission, SubmitRate, TrustedProxies
from .limits import BodyLimit
from .settings import Settings
from .transport import Transport
from .web import router as web_router
from .witnessing import start_pusher

log = logging.getLogger("simsa.server")

DESCRIPTION = """The simsa ledger server. The audit API (`/api/v1/event`, `/api/v1/ledger/*`) and the
submission API (`POST /api/v1/ballots`, `POST /api/v1/kiosks/{kiosk}/batches`) are normative:
see DESIGN §4 and docs/PROTOCOL.md. Every error is `application/problem+json` with a `code`."""


def create_app(
    settings: Settings,
    *,
    context: Context | None = None,
    routers: Sequence[APIRouter] = (),
    freeze_heap: bool = False,
) -> FastAPI:
    """Build the app. With ``context`` the caller owns the open context; otherwise it is
    opened (migrations, ledger check) at start-up and closed at shutdown. ``freeze_heap``
    (a server process, ``simsa server``) moves what start-up built out of the collector's
    reach."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = context if context is not None else Context.open(settings)
        app.state.ctx = ctx
        if freeze_heap:
            # What start-up built (the manifest, the replayed ledger) lives as long as the
            # server: out of the collector's reach, so a full collection under a rush walks
            # only what requests made, not a city's manifest (p99 141 → 46 ms at 32
            # connections, docs/BENCHMARKS.md). Not for apps a test process makes and drops.
            gc.collect()
            gc.freeze()
            # and young collections every 50,000 allocations rather than 700: a request makes
            # hundreds of objects, and each collection stalls every request waiting.
            gc.set_threshold(50_000, 50, 100)
        pusher = start_pusher(ctx)
        try:
            yield
        finally:
            pusher.stop()
            if context is None:
                ctx.close()

    app = FastAPI(
        title="simsa ledger server",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # the Swagger page loads its scripts from a CDN; venues may be offline
        redoc_url=None,
    )
    if context is not None:
        app.state.ctx = context
    problems.install(app)

    @app.exception_handler(LoginRedirect)
    async def _to_login(_req: Request, exc: LoginRedirect) -> Response:
        return RedirectResponse(f"/staff/login?next={quote(exc.next_path)}", status_code=303)

    big_paths = ("/batches", "/api/v1/staff/bundles")

    def limit_for(path: str) -> int:
        return settings.max_batch_bytes if path.endswith(big_paths) else settings.max_body_bytes

    app.add_middleware(BodyLimit, limit_for=limit_for)
    app.add_middleware(Transport, force_secure=settings.cookie_secure)  # the scheme TrustedProxies decided
    app.add_middleware(OnlineAdmission, limit=settings.online_in_flight, max_body=settings.max_body_bytes)  # a bounded wait, or 503 busy
    app.add_middleware(SubmitRate)  # per client address, before any body is read
    app.add_middleware(TrustedProxies, settings=settings)  # outermost: who the client is
    app.include_router(audit.router)
    app.include_router(submit.router)
    app.include_router(staff.router)
    app.include_router(tlog.router)
    for r in (*routers, web_router):
        app.include_router(r)
    return app


def app_from_environment() -> FastAPI:
    """The app of one API process of ``simsa server --workers N``, from ``SIMSA_*`` settings."""
    return create_app(Settings(), freeze_heap=True)
