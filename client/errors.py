"""The errors of simsa's HTTP client — every foreign exception (requests, urllib3, a body
that is not JSON) is converted here, at the one boundary, into this tree::

    shared.errors.SimsaError
    └── ClientError                 a call to the server did not give the answer asked for
        ├── ServerUnavailable        no answer, a broken connection, a 5xx, 429, or a body
        │                             that is not the documented JSON: try again later
        │                             (``retry_after`` seconds when the server said so)
        └── ServerRefused            a 4xx problem (RFC 9457) with the server's stable
                                      ``code``: sending the same again will not help

Each carries the ``method`` and ``url`` it was about; messages name them for the person
who reads the log.
"""

from __future__ import annotations

from typing import Any

import requests

from shared.errors import SimsaError


class ClientError(SimsaError):
    """A call to a simsa server failed; ``method`` and ``url`` say which."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class ServerUnavailable(ClientError):
    """The server did not answer usefully; the request may be retried.

    ``status`` is the HTTP status when there was one (None for a network failure),
    ``reason`` the failure in a few words and ``retry_after`` the seconds the server
    asked the client to wait (``Retry-After`` on a 503 or 429), if any."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        status: int | None = None,
        reason: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, method=method, url=url)
        self.status = status
        self.reason = reason or message
        self.retry_after = retry_after


class ServerRefused(ClientError):
    """The server answered with a problem (4xx) that a retry will not change."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        body: dict[str, Any] | None = None,
        *,
        method: str = "",
        url: str = "",
    ) -> None:
        super().__init__(f"{status} {code}: {detail}", method=method, url=url)
        self.status = status
        self.code = code
        self.detail = detail
        self.body = body or {}


def network_reason(exc: Exception) -> str:
    """A network failure in a few words, for staff and auditors (requests' own text
    repeats the connection pool and the URL)."""
    text = str(exc)
    if isinstance(exc, requests.Timeout):
        return "no answer in time (timeout)"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS failed (certificate or protocol)"
    if isinstance(exc, requests.ConnectionError):
        for marker, words in (
            ("Connection refused", "connection refused (is the server running, and is the port right?)"),
            ("Name or service not known", "unknown host name"),
            ("Temporary failure in name resolution", "host name cannot be resolved (no network?)"),
            ("No route to host", "no route to host"),
            ("Network is unreachable", "network unreachable"),
            ("Connection reset", "the connection was reset"),
        ):
            if marker in text:
                return words
        return "connection failed"
    return f"{exc.__class__.__name__}: {text[:200]}"
