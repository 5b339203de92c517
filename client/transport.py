"""One HTTP exchange with a simsa server: an injected :class:`requests.Session`, a timeout
on every call, bounded retries, and every failure converted into :mod:`client.errors`.

Retries (:class:`RetryPolicy`):

- ``503 Service Unavailable`` and ``429 Too Many Requests`` are the server's back-pressure
  (docs/PROTOCOL.md): it did not act on the request, so any method is sent again, after
  the ``Retry-After`` the server asked for (seconds or an HTTP date) stretched by up to
  20 % jitter so that clients told the same thing do not return together — or after an
  exponential backoff with full jitter when there is no ``Retry-After``.
- A network failure, 502 or 504 is retried for ``GET`` only when ``retry_network`` is on
  (the auditor); a kiosk's sync worker has its own backoff loop and wants to know at once.
- Every policy is bounded twice: ``attempts`` sends in all and ``total_s`` seconds of
  waiting. A wait that would pass the budget is not started: :class:`ServerUnavailable`
  is raised with the server's ``retry_after``, so the caller (a sync loop) waits that long.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from shared.encoding import jcs, parse_json
from shared.errors import FormatError

from .errors import ServerRefused, ServerUnavailable, network_reason

#: (connect, read) seconds; a batch of 500 records is well under a second on a LAN.
TIMEOUT = (5.0, 30.0)
#: The largest body the client parses (the manifest of a 200,000-reviewer event).
MAX_BODY = 256 << 20
BACK_PRESSURE = (429, 503)


def retry_after_seconds(value: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float | None:
    """``Retry-After`` as seconds from now (RFC 9110 §10.2.3: delay-seconds or an HTTP
    date); None when absent or unreadable (the caller then backs off on its own)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


@dataclass
class RetryPolicy:
    """How often and how long to try again; ``sleep`` and ``rng`` are injectable for tests."""

    attempts: int = 4
    base_s: float = 0.3
    cap_s: float = 10.0
    total_s: float = 30.0
    retry_network: bool = False
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def none(cls) -> RetryPolicy:
        """Send once; every failure is the caller's to handle."""
        return cls(attempts=1, total_s=0.0)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The wait before send number ``attempt + 2``."""
        if retry_after is not None:
            return min(self.cap_s, retry_after * self.rng.uniform(1.0, 1.2))
        return self.rng.uniform(0, min(self.cap_s, self.base_s * 2**attempt))


class Transport:
    """Requests to one server at ``base_url`` (``http(s)://host:port``)."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session | None = None,
        *,
        timeout: tuple[float, float] = TIMEOUT,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = session or requests.Session()
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.token: str | None = None

    def send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        params: dict[str, Any] | None = None,
        timeout: tuple[float, float] | None = None,
        accept: str = "application/json",
        retry: RetryPolicy | None = None,
    ) -> requests.Response:
        """The answer to ``method path`` with status < 400 (retried as the policy says, or
        as ``retry`` says for this call); raise :class:`ServerUnavailable` or
        :class:`ServerRefused` otherwise."""
        url = self.base_url + path
        headers = {"Accept": accept}
        data = raw
        if body is not None:
            data = jcs(body)
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        policy, waited, attempt = retry or self.retry, 0.0, 0
        while True:
            failure: ServerUnavailable
            try:
                r = self.http.request(method, url, data=data, params=params, headers=headers,
                                      timeout=timeout or self.timeout)
                r.content  # noqa: B018 — read the body inside the try: a reset mid-body is a network failure
            except requests.RequestException as exc:
                reason = network_reason(exc)
                failure = ServerUnavailable(f"cannot reach {url}: {reason}", method=method, url=url, reason=reason)
                again = policy.retry_network and method == "GET"
                wait = policy.delay(attempt, None)
            else:
                if r.status_code < 400:
                    return r
                if r.status_code < 500 and r.status_code not in BACK_PRESSURE:
                    raise _refused(r, method, url)
                after = retry_after_seconds(r.headers.get("Retry-After"))
                detail = _detail(r)
                failure = ServerUnavailable(
                    f"{method} {url} answered {r.status_code}{': ' + detail if detail else ''}"
                    + (f" (retry after {after:g} s)" if after is not None else ""),
                    method=method, url=url, status=r.status_code, reason=f"HTTP {r.status_code}", retry_after=after,
                )
                again = r.status_code in BACK_PRESSURE or (
                    policy.retry_network and method == "GET" and r.status_code in (502, 504)
                )
                wait = policy.delay(attempt, after)
            attempt += 1
            if not again or attempt >= policy.attempts or waited + wait > policy.total_s:
                raise failure
            policy.sleep(wait)
            waited += wait

    def json(self, method: str, path: str, **kw: Any) -> Any:
        """The answer's JSON (None for an empty body)."""
        r = self.send(method, path, **kw)
        if not r.content:
            return None
        try:
            return parse_json(r.content, max_bytes=MAX_BODY, what=f"the answer to {method} {path}")
        except FormatError as exc:
            raise ServerUnavailable(str(exc), method=method, url=self.base_url + path) from exc

    def obj(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        """The answer, which must be a JSON object."""
        out = self.json(method, path, **kw)
        if not isinstance(out, dict):
            raise ServerUnavailable(f"{method} {path}: the answer is not a JSON object",
                                    method=method, url=self.base_url + path)
        return out


def _detail(r: requests.Response) -> str:
    try:
        p = parse_json(r.content, max_bytes=1 << 20, what="problem") if r.content else None
    except FormatError:
        return ""
    return str(p.get("detail", "")) if isinstance(p, dict) else ""


def _refused(r: requests.Response, method: str, url: str) -> ServerRefused:
    try:
        p = parse_json(r.content, max_bytes=1 << 20, what="problem") if r.content else None
    except FormatError:
        p = None
    body = p if isinstance(p, dict) else {}
    return ServerRefused(r.status_code, str(body.get("code", "http_error")), str(body.get("detail", getattr(r, "reason", "") or f"HTTP {r.status_code}")),
                         body, method=method, url=url)
