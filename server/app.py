"""The application factory. ``create_app(settings)`` wires the routers, the problem
handlers and the body limits; the database is migrated and the ledger opened at start-up.

The staff dashboard is a separate router in ``server/web`` (``server.web.router``); it is
included when present, and may use :func:`server.auth.page_staff` and the service layer
in :mod:`server.services`. Extra routers can also be passed in.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from . import problems
from .api import audit, staff, submit
from .auth import LoginRedirect
from .context import Context
from .limits import BodyLimit
from .pages import landing, login_redirect
from .pages import router as pages_router
from .settings import Settings

log = logging.getLogger("simsa.server")

DESCRIPTION = """The simsa ledger server. The audit API (`/api/v1/event`, `/api/v1/ledger/*`) and the
submission API (`POST /api/v1/ballots`, `POST /api/v1/kiosks/{kiosk}/batches`) are normative:
see DESIGN §4 and docs/PROTOCOL.md. Every error is `application/problem+json` with a `code`."""


def _web_router() -> APIRouter | None:
    try:
        web = importlib.import_module("server.web")
    except ModuleNotFoundError as exc:
        if exc.name in ("server.web",):
            return None
        raise
    router = getattr(web, "router", None)
    return router if isinstance(router, APIRouter) else None


def create_app(
    settings: Settings,
    *,
    context: Context | None = None,
    routers: Sequence[APIRouter] = (),
    include_web: bool = True,
) -> FastAPI:
    """Build the app. With ``context`` the caller owns the open context; otherwise it is
    opened (migrations, ledger check) at start-up and closed at shutdown. The dashboard
    (``server.web``) replaces the minimal login pages of :mod:`server.pages` when present."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = context if context is not None else Context.open(settings)
        app.state.ctx = ctx
        try:
            yield
        finally:
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
        return login_redirect(exc.next_path)

    big_paths = ("/batches", "/api/v1/staff/bundles")

    def limit_for(path: str) -> int:
        return settings.max_batch_bytes if path.endswith(big_paths) else settings.max_body_bytes

    app.add_middleware(BodyLimit, limit_for=limit_for)
    app.include_router(audit.router)
    app.include_router(submit.router)
    app.include_router(staff.router)
    web = _web_router() if include_web else None
    for r in (*routers, *([web] if web else [])):
        app.include_router(r)
    app.include_router(pages_router)  # after server.web, whose login page replaces this one
    if web is None:
        app.include_router(landing)
    return app
