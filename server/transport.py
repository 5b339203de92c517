"""What the server adds to every response because of how the request came: over HTTPS
(or through a trusted proxy that says so, as :class:`server.guards.TrustedProxies` decided) a ``Secure`` session cookie and HSTS; any
request whose URL holds a NUL or a lone surrogate is refused as ``malformed`` before a
route sees it (the input rule of :mod:`server.body`, for paths and queries).

Pure ASGI, so streaming bodies pass through untouched.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.text import bad_char

from .problems import malformed_title, problem_response

HSTS = b"max-age=31536000"


def is_https(scope: Scope) -> bool:
    """The request came over TLS: the connection itself, or ``X-Forwarded-Proto: https``
    from a trusted proxy, which :class:`server.guards.TrustedProxies` (outside this
    middleware) has already written into the scope's scheme."""
    return scope.get("scheme") in ("https", "wss")


def url_fault(scope: Scope) -> str | None:
    """What makes the URL unstorable, or None."""
    bad = bad_char(scope.get("path", ""))
    if bad is None:
        query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
        try:
            bad = bad_char(query.decode("utf-8"))
        except UnicodeDecodeError:
            bad = "bytes that are not UTF-8"
    return bad


class Transport:
    """Secure cookies and HSTS over HTTPS; URLs held to the input rule."""

    def __init__(self, app: ASGIApp, *, force_secure: bool = False) -> None:
        self.app = app
        self.force_secure = force_secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fault = url_fault(scope)
        if fault is not None:
            response = problem_response(400, "malformed", f"the URL holds {fault}", title=malformed_title("URL"))
            await response(scope, receive, send)
            return
        https = is_https(scope)
        secure = https or self.force_secure
        if not secure:
            await self.app(scope, receive, send)
            return

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = []
                for name, value in message.get("headers", []):
                    if name.lower() == b"set-cookie" and b"; secure" not in value.lower():
                        value = value + b"; Secure"
                    headers.append((name, value))
                if https:
                    headers.append((b"strict-transport-security", HSTS))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_secure)
