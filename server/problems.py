"""RFC 9457 problem details: every error the server returns, with a stable ``code``.

Ballot and batch codes are DESIGN §5's (``shared.errors.ALL_CODES``); the server adds a
few protocol codes of its own, listed in :data:`SERVER_CODES`. No response ever carries a
stack trace.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from shared.errors import ALL_CODES, CODE_TEXT
from shared.text import storable

from .services.errors import Refused, ServiceError

log = logging.getLogger("simsa.server")

PROBLEM_TYPE = "application/problem+json"

#: Codes of the server's own, beside DESIGN §5's, with Korean and English titles.
SERVER_CODES: Final[dict[str, tuple[str, str]]] = {
    "bad_request": ("요청 값이 올바르지 않습니다", "A query or path parameter is not valid"),
    "not_found": ("찾을 수 없습니다", "Not found"),
    "method_not_allowed": ("허용되지 않는 요청 방식입니다", "Method not allowed"),
    "too_large": ("요청이 너무 큽니다", "The request body is too large"),
    "unsupported_media_type": ("JSON 요청이 아닙니다", "The request body must be JSON"),
    "unauthorized": ("로그인이 필요합니다", "Staff login required"),
    "forbidden": ("권한이 없습니다", "Not allowed"),
    "bad_credentials": ("이름이나 비밀번호가 틀렸습니다", "Wrong name or password"),
    "too_many_attempts": (
        "비밀번호를 여러 번 틀렸습니다. 잠시 후 다시 시도하세요",
        "Too many wrong passwords; try again later",
    ),
    "kiosk_closed": ("마감된 키오스크입니다", "The kiosk is closed"),
    "kiosk_key_conflict": (
        "이 키오스크는 다른 키로 등록되어 있습니다",
        "This kiosk id is registered with another key",
    ),
    "closure_mismatch": (
        "키오스크 마감 기록이 서버 기록과 다릅니다",
        "The kiosk's closure does not match what the server holds",
    ),
    "closure_missing": (
        "키오스크가 마감 보고를 보내지 않았습니다",
        "The kiosk has sent no closure",
    ),
    "override_unconfirmed": (
        "강제 마감을 확인하려면 이름과 사유를 입력하세요",
        "To override, type the name and a reason",
    ),
    "kiosks_unreconciled": (
        "열려 있거나 기록이 덜 온 키오스크가 있습니다",
        "Some kiosks are still open or behind",
    ),
    "not_closed": ("심사가 아직 마감되지 않았습니다", "The event is not closed yet"),
    "conflict": ("요청이 현재 상태와 맞지 않습니다", "The request conflicts with the current state"),
    "internal": ("서버 내부 오류입니다", "Internal server error"),
    "rate_limited": ("요청이 너무 많습니다. 잠시 후 다시 시도하세요", "Too many requests; retry later"),
    "too_many_ballots": (
        "이 대상에 대한 투표지를 더 보낼 수 없습니다",
        "This reviewer has sent as many ballots for this target as the event allows",
    ),
    "busy": ("서버가 바쁩니다. 잠시 후 다시 보내세요", "The server is busy; send again shortly"),
    "not_committed": (
        "원장에 기록하지 못했습니다. 아무것도 기록되지 않았으니 다시 보내세요",
        "The ledger could not commit; nothing was written, send again",
    ),
}


def title_of(code: str) -> str:
    ko, en = CODE_TEXT.get(code) or SERVER_CODES.get(code) or ("오류", "Error")
    return f"{en} / {ko}"


#: What each route takes in, so a ``malformed`` problem names the thing refused (DESIGN
#: §5's title speaks of a ballot, right only for ballots).
BODY_NAMES: Final[dict[str, tuple[str, str]]] = {
    "/api/v1/kiosks/{kiosk}/batches": ("키오스크 기록 묶음", "kiosk batch"),
    "/api/v1/kiosks": ("키오스크 등록", "kiosk registration"),
    "/api/v1/kiosks/{kiosk}/closure": ("키오스크 마감 기록", "kiosk closure"),
    "/api/v1/staff/login": ("로그인 요청", "login request"),
    "/api/v1/staff/kiosks/{kiosk}/close": ("키오스크 마감 요청", "kiosk close request"),
    "/api/v1/staff/bundles": ("USB 묶음", "kiosk bundle"),
    "/api/v1/staff/resolutions": ("충돌 결정 요청", "resolution request"),
    "/api/v1/staff/revocations": ("자격 철회 요청", "revocation request"),
    "/api/v1/staff/revocations/import": ("서명된 자격 철회", "signed revocation"),
    "/api/v1/staff/close": ("심사 마감 요청", "close request"),
    "/staff/login": ("로그인 양식", "login form"),
    "URL": ("주소", "URL"),
}


def malformed_title(route_path: str | None) -> str:
    """The title of a ``malformed`` problem on the route ``route_path``: a ballot's on the
    ballot route, the thing the route takes in elsewhere."""
    if route_path == "/api/v1/ballots":
        return title_of("malformed")
    ko, en = BODY_NAMES.get(route_path or "", ("요청", "request"))
    return f"The {en} is not well-formed / {ko}의 형식이 올바르지 않습니다"


def allowed_methods(app: FastAPI, req: Request) -> list[str]:
    """The methods the routes matching this request's path take."""
    return [
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        if any(route.matches({**req.scope, "method": method})[0] == Match.FULL for route in app.router.routes)
    ]


def _route_path(req: Request) -> str | None:
    route = req.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else req.url.path


class Problem(Exception):
    """Raise to answer with ``application/problem+json``."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        if code not in ALL_CODES and code not in SERVER_CODES:
            raise ValueError(f"unknown problem code {code!r}")
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


#: The HTTP status of each code a service raises (:mod:`server.services.errors`): the one
#: place where the domain's errors meet HTTP.
STATUS: Final[dict[str, int]] = {
    "bad_request": 400,
    "malformed": 400,
    "bad_signature": 400,
    "override_unconfirmed": 400,
    "unknown_kiosk": 403,
    "not_found": 404,
    "not_closed": 404,
    "conflict": 409,
    "kiosk_key_conflict": 409,
    "event_closed": 409,
    "kiosks_unreconciled": 409,
    "closure_mismatch": 409,
    "closure_missing": 409,
    "rate_limited": 429,
    "busy": 503,
    "not_committed": 503,
}

#: The HTTP status of a submission refused by a rule (:class:`~server.services.errors.Refused`):
#: input not of the documented shape or a kiosk head that does not verify 400, a kiosk not
#: enrolled 403, a batch that does not continue the chain held 409, any other rule 422.
REFUSED_STATUS: Final[dict[str, int]] = {
    "malformed": 400,
    "bad_head_signature": 400,
    "unknown_kiosk": 403,
    "chain_gap": 409,
    "chain_fork": 409,
}


def status_of(exc: ServiceError) -> int:
    """The one mapping of a service's refusal to its HTTP status."""
    if isinstance(exc, Refused):
        return REFUSED_STATUS.get(exc.code, 422)
    return STATUS[exc.code]


def problem_of(exc: Problem | ServiceError) -> Problem:
    """A service's refusal as the problem the API answers with (a problem as it is)."""
    if isinstance(exc, Problem):
        return exc
    return Problem(status_of(exc), exc.code, exc.detail, **exc.extra)


def problem_response(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    detail = storable(detail)  # a quoted NUL or lone surrogate, escaped: UTF-8 can carry it
    body = {"type": f"urn:simsa:problem:{code}", "title": title_of(code), "status": status, "code": code, "detail": detail}
    body.update(extra)
    headers = {"WWW-Authenticate": 'Bearer realm="simsa-staff"'} if status == 401 else None
    if "retry_after" in extra:
        headers = {"Retry-After": str(extra["retry_after"])}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_TYPE, headers=headers)


_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem response."""

    @app.exception_handler(Problem)
    async def _problem(req: Request, exc: Problem) -> JSONResponse:
        extra = dict(exc.extra)
        if exc.code == "malformed":
            extra.setdefault("title", malformed_title(_route_path(req)))
        return problem_response(exc.status, exc.code, exc.detail, **extra)

    @app.exception_handler(ServiceError)
    async def _refused(req: Request, exc: ServiceError) -> JSONResponse:
        return await _problem(req, problem_of(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "bad_request" if exc.status_code < 500 else "internal")
        detail = exc.detail if isinstance(exc.detail, str) else title_of(code)
        response = problem_response(exc.status_code, code, detail)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if exc.status_code == 405:  # every method some route of this path takes (RFC 9110 §15.5.6)
            response.headers["Allow"] = ", ".join(allowed_methods(app, req))
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            loc = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body"))
            parts.append(f"{loc}: {err.get('msg', 'invalid')}")
        return problem_response(400, "bad_request", "; ".join(parts) or "invalid request")

    @app.exception_handler(Exception)
    async def _internal(_req: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem_response(500, "internal", "the server failed; the error is logged for the operator")
