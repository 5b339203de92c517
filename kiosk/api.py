"""The kiosk's HTTP client for the ledger server (routes in docs/ARCHITECTURE.md).

One injected :class:`requests.Session`, a timeout on every call, and two errors a caller
acts on: :class:`ServerUnavailable` (no answer, a broken connection, a 5xx, a body that
is not JSON — try again later) and :class:`ServerRefused` (a 4xx problem with its
``code`` — sending the same again will not help).
"""

from __future__ import annotations

from typing import Any

import requests

from shared.encoding import b64u_decode, jcs, parse_json
from shared.errors import FormatError, SimsaError

#: (connect, read) seconds; a batch of 500 records is well under a second on a LAN.
TIMEOUT = (5.0, 30.0)


class ServerUnavailable(SimsaError):
    """The server did not answer usefully; the request may be retried."""


class ServerRefused(SimsaError):
    """The server answered with a problem (4xx) that a retry will not change."""

    def __init__(self, status: int, code: str, detail: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.body = body or {}


class LedgerClient:
    """Calls to one simsa server at ``base_url`` (``http://host:port``)."""

    def __init__(
        self, base_url: str, session: requests.Session | None = None, *, timeout: tuple[float, float] = TIMEOUT
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = session or requests.Session()
        self.timeout = timeout

    @classmethod
    def for_url(cls, url: str, *, timeout: tuple[float, float] = TIMEOUT) -> LedgerClient:
        s = requests.Session()
        s.headers["User-Agent"] = "simsa-kiosk"
        return cls(url, s, timeout=timeout)

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        token: str | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = jcs(body)
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            r = self.http.request(
                method, self.base_url + path, data=data, params=params, headers=headers,
                timeout=timeout or self.timeout,
            )
            content = r.content
        except requests.RequestException as exc:
            raise ServerUnavailable(f"{method} {path}: {network_reason(exc)}") from exc
        if r.status_code >= 500 or r.status_code == 429:
            raise ServerUnavailable(f"{method} {path}: HTTP {r.status_code}")
        try:
            parsed = parse_json(content, max_bytes=64 << 20, what=f"answer to {method} {path}") if content else None
        except FormatError as exc:
            raise ServerUnavailable(str(exc)) from exc
        if r.status_code >= 400:
            p = parsed if isinstance(parsed, dict) else {}
            raise ServerRefused(r.status_code, str(p.get("code", "http_error")), str(p.get("detail", r.reason)), p)
        return r.status_code, parsed

    def _obj(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        _, out = self._call(method, path, **kw)
        if not isinstance(out, dict):
            raise ServerUnavailable(f"{method} {path}: the answer is not a JSON object")
        return out

    # --- public and kiosk routes ---------------------------------------------------------

    def event(self) -> dict[str, Any]:
        """The signed manifest (``GET /api/v1/event``)."""
        return self._obj("GET", "/api/v1/event")

    def register(self, registration: dict[str, Any]) -> dict[str, Any]:
        return self._obj("POST", "/api/v1/kiosks", body=registration)

    def kiosk_status(self, kiosk: str) -> dict[str, Any]:
        return self._obj("GET", f"/api/v1/kiosks/{kiosk}")

    def post_batch(self, kiosk: str, batch: dict[str, Any]) -> dict[str, Any]:
        return self._obj("POST", f"/api/v1/kiosks/{kiosk}/batches", body=batch)

    def post_closure(self, kiosk: str, closure: dict[str, Any]) -> dict[str, Any]:
        return self._obj("POST", f"/api/v1/kiosks/{kiosk}/closure", body=closure)

    def revocations(self) -> list[str]:
        out = self._obj("GET", "/api/v1/revocations")
        revoked = out.get("revoked")
        if not isinstance(revoked, list) or not all(isinstance(r, str) for r in revoked):
            raise ServerUnavailable("GET /api/v1/revocations: no list of reviewers")
        return revoked

    def sth(self) -> dict[str, Any]:
        return self._obj("GET", "/api/v1/ledger/sth")

    def consistency(self, first: int, second: int) -> list[bytes]:
        out = self._obj("GET", "/api/v1/ledger/proof/consistency", params={"first": first, "second": second})
        proof = out.get("consistency")
        if not isinstance(proof, list):
            raise ServerUnavailable("the consistency proof is not a list")
        try:
            return [b64u_decode(p, length=32, what="consistency proof node") for p in proof]
        except FormatError as exc:
            raise ServerUnavailable(str(exc)) from exc

    def entries(self, start: int, end: int) -> list[dict[str, Any]]:
        """Ledger entries ``[start, end)`` as ``{"index", "entry"}`` (at most 1000)."""
        out = self._obj("GET", "/api/v1/ledger/entries", params={"start": start, "end": end})
        entries = out.get("entries")
        if not isinstance(entries, list):
            raise ServerUnavailable("the entries answer has no list")
        return entries

    def post_ballot(self, signed_ballot: dict[str, Any], *, timeout: tuple[float, float] | None = None) -> dict[str, Any]:
        """``POST /api/v1/ballots``: the receipt (201 new, 200 already logged)."""
        return self._obj("POST", "/api/v1/ballots", body=signed_ballot, timeout=timeout)

    # --- staff (the simulator approves its kiosks) ---------------------------------------

    def staff_login(self, name: str, password: str) -> str:
        out = self._obj("POST", "/api/v1/staff/login", body={"name": name, "password": password})
        token = out.get("token")
        if not isinstance(token, str):
            raise ServerUnavailable("staff login answered without a token")
        return token

    def approve_kiosk(self, token: str, kiosk: str) -> dict[str, Any]:
        return self._obj("POST", f"/api/v1/staff/kiosks/{kiosk}/approve", token=token)

    def import_bundle(self, token: str, batch: dict[str, Any]) -> dict[str, Any]:
        return self._obj("POST", "/api/v1/staff/bundles", body=batch, token=token)


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

