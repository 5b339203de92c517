"""The routes of simsa's HTTP API (docs/PROTOCOL.md, docs/ARCHITECTURE.md) as methods.

:class:`LedgerClient` speaks for a kiosk, an online client, an auditor or a staff tool;
staff routes need :meth:`LedgerClient.staff_login` first. Answers are checked for their
shape here; what they *prove* is checked with :mod:`client.proofs` through ``shared``.
"""

from __future__ import annotations

from typing import Any

import requests

from shared.encoding import b64u_decode
from shared.errors import FormatError

from .errors import ServerRefused, ServerUnavailable
from .transport import TIMEOUT, RetryPolicy, Transport

#: Entries per page of ``GET /api/v1/ledger/entries`` (DESIGN §4).
PAGE = 1000


class LedgerClient(Transport):
    """Calls to one simsa server at ``base_url`` (``http://host:port``)."""

    @classmethod
    def for_url(
        cls,
        url: str,
        *,
        timeout: tuple[float, float] = TIMEOUT,
        retry: RetryPolicy | None = None,
        agent: str = "simsa-kiosk",
    ) -> LedgerClient:
        """A client with a session of its own, named ``agent`` in the server's log."""
        s = requests.Session()
        s.headers["User-Agent"] = agent
        return cls(url, s, timeout=timeout, retry=retry or RetryPolicy(attempts=3, total_s=10.0))

    @classmethod
    def for_auditor(cls, url: str, *, timeout: float = 30.0, attempts: int = 5) -> LedgerClient:
        """A client that also retries network failures of its reads (``simsa verify``)."""
        return cls.for_url(url, timeout=(timeout, timeout), agent="simsa-verify",
                           retry=RetryPolicy(attempts=attempts, retry_network=True, total_s=60.0))

    @classmethod
    def as_staff(cls, url: str, name: str, password: str, *, agent: str = "simsa-staff") -> LedgerClient:
        """A client logged in as staff member ``name``."""
        c = cls.for_url(url, agent=agent, timeout=(5.0, 120.0))
        c.staff_login(name, password)
        return c

    def _fail(self, path: str, what: str) -> ServerUnavailable:
        return ServerUnavailable(f"GET {path}: {what}", method="GET", url=self.base_url + path)

    # --- public and kiosk routes ---------------------------------------------------------

    def event(self) -> dict[str, Any]:
        """The signed manifest (``GET /api/v1/event``)."""
        return self.obj("GET", "/api/v1/event")

    def register(self, registration: dict[str, Any]) -> dict[str, Any]:
        return self.obj("POST", "/api/v1/kiosks", body=registration)

    def kiosk_status(self, kiosk: str) -> dict[str, Any]:
        return self.obj("GET", f"/api/v1/kiosks/{kiosk}")

    def post_batch(self, kiosk: str, batch: dict[str, Any] | bytes, *, timeout: tuple[float, float] | None = None
                   ) -> dict[str, Any]:
        """``POST /api/v1/kiosks/{kiosk}/batches`` (a batch object, or its JSON bytes)."""
        if isinstance(batch, bytes):
            return self.obj("POST", f"/api/v1/kiosks/{kiosk}/batches", raw=batch, timeout=timeout)
        return self.obj("POST", f"/api/v1/kiosks/{kiosk}/batches", body=batch, timeout=timeout)

    def post_closure(self, kiosk: str, closure: dict[str, Any]) -> dict[str, Any]:
        return self.obj("POST", f"/api/v1/kiosks/{kiosk}/closure", body=closure)

    def revocations(self) -> list[str]:
        out = self.obj("GET", "/api/v1/revocations")
        revoked = out.get("revoked")
        if not isinstance(revoked, list) or not all(isinstance(r, str) for r in revoked):
            raise self._fail("/api/v1/revocations", "no list of reviewers")
        return revoked

    def post_ballot(self, signed_ballot: dict[str, Any], *, timeout: tuple[float, float] | None = None,
                    retry: RetryPolicy | None = None) -> dict[str, Any]:
        """``POST /api/v1/ballots``: the receipt (201 new, 200 already logged)."""
        return self.obj("POST", "/api/v1/ballots", body=signed_ballot, timeout=timeout, retry=retry)

    def results(self) -> dict[str, Any] | None:
        """The published results, None before the event is closed (404)."""
        try:
            return self.obj("GET", "/api/v1/results")
        except ServerRefused as exc:
            if exc.status == 404:
                return None
            raise

    def receipt(self, code: str) -> dict[str, Any]:
        """``GET /api/v1/receipts/{code}``: where a receipt's ballot is on the ledger."""
        return self.obj("GET", f"/api/v1/receipts/{code.strip()}")

    # --- the ledger ----------------------------------------------------------------------

    def sth(self) -> dict[str, Any]:
        """The latest signed tree head as sent (check it with :func:`client.proofs.verified_sth`)."""
        return self.obj("GET", "/api/v1/ledger/sth")

    def ledger_key(self) -> str:
        body = self.obj("GET", "/api/v1/ledger/key")
        key = body.get("public_key")
        if not isinstance(key, str):
            raise self._fail("/api/v1/ledger/key", "no {'public_key': …}")
        return key

    def consistency(self, first: int, second: int) -> list[bytes]:
        """The consistency proof nodes from size ``first`` to ``second``."""
        out = self.obj("GET", "/api/v1/ledger/proof/consistency", params={"first": first, "second": second})
        proof = out.get("consistency")
        if not isinstance(proof, list):
            raise self._fail("/api/v1/ledger/proof/consistency", "the consistency proof is not a list")
        try:
            return [b64u_decode(p, length=32, what="consistency proof node") for p in proof]
        except FormatError as exc:
            raise self._fail("/api/v1/ledger/proof/consistency", str(exc)) from exc

    def inclusion(self, index: int, tree_size: int) -> tuple[bytes, list[bytes]]:
        """``(leaf hash, audit path)`` of entry ``index`` in the tree of ``tree_size``."""
        path = "/api/v1/ledger/proof/inclusion"
        body = self.obj("GET", path, params={"index": index, "tree_size": tree_size})
        if body.get("index") != index or body.get("tree_size") != tree_size:
            raise self._fail(path, f"the inclusion proof for entry {index} names another index or tree size")
        nodes = body.get("audit_path")
        if not isinstance(nodes, list):
            raise self._fail(path, f"the inclusion proof for entry {index} has no audit_path list")
        try:
            leaf = b64u_decode(body.get("leaf_hash", ""), length=32, what="leaf_hash")
            return leaf, [b64u_decode(n, length=32, what="audit path node") for n in nodes]
        except FormatError as exc:
            raise self._fail(path, str(exc)) from exc

    def entries_page(self, start: int, end: int) -> bytes:
        """The raw body of ``GET /api/v1/ledger/entries`` for ``[start, end)`` (at most
        :data:`PAGE`; the server may send fewer), for a reader that parses it once."""
        return bytes(self.send("GET", "/api/v1/ledger/entries", params={"start": start, "end": end}).content)

    def entries(self, start: int, end: int) -> list[dict[str, Any]]:
        """Ledger entries ``[start, end)`` as ``{"index", "entry"}`` (at most 1000)."""
        out = self.obj("GET", "/api/v1/ledger/entries", params={"start": start, "end": end})
        entries = out.get("entries")
        if not isinstance(entries, list):
            raise self._fail("/api/v1/ledger/entries", "the entries answer has no list")
        return entries

    def witnessed_checkpoint(self) -> str | None:
        """``GET /tlog/witnessed-checkpoint`` as text; None when there is none yet (404)."""
        try:
            r = self.send("GET", "/tlog/witnessed-checkpoint", accept="text/plain")
        except ServerRefused as exc:
            if exc.status == 404:
                return None
            raise ServerUnavailable(str(exc), method="GET", url=exc.url, status=exc.status) from exc
        return r.content.decode("utf-8", errors="replace")

    # --- staff ---------------------------------------------------------------------------

    def staff_login(self, name: str, password: str) -> str:
        """Log in; later calls carry the bearer token, which is also returned."""
        out = self.obj("POST", "/api/v1/staff/login", body={"name": name, "password": password})
        token = out.get("token")
        if not isinstance(token, str):
            raise ServerUnavailable("staff login answered without a token", method="POST",
                                    url=self.base_url + "/api/v1/staff/login")
        self.token = token
        return token

    def approve_kiosk(self, token: str | None, kiosk: str) -> dict[str, Any]:
        return self._as(token, "POST", f"/api/v1/staff/kiosks/{kiosk}/approve")

    def import_bundle(self, token: str | None, batch: dict[str, Any]) -> dict[str, Any]:
        return self._as(token, "POST", "/api/v1/staff/bundles", body=batch)

    def staff(self, method: str, path: str, body: Any = None) -> Any:
        """Any staff route with the logged-in token (``/api/v1/staff/…``)."""
        return self.json(method, path, body=body, timeout=(self.timeout[0], max(self.timeout[1], 120.0)))

    def _as(self, token: str | None, method: str, path: str, body: Any = None) -> dict[str, Any]:
        saved = self.token
        self.token = token or saved
        try:
            return self.obj(method, path, body=body)
        finally:
            self.token = saved
