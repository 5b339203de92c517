"""An in-memory ledger server behind a ``requests`` transport adapter, for sync unit tests.

It answers the routes the kiosk uses with the shared rules (chain continuity, ballot
checks, RFC 9162 STHs and consistency proofs), records every batch it was sent, and
injects faults on demand: ``reset`` (the connection breaks before the server sees the
request), ``lost`` (the server commits, then the answer is lost mid-body), ``500`` and
``timeout``. The real server is exercised in test_sync_live.py.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import BaseAdapter

from shared.ballot import ballot_id
from shared.chain import GENESIS, Batch, ChainState, classify, record_hash
from shared.encoding import b64u, jcs
from shared.errors import FormatError, Rejection, VerificationError
from shared.keys import SigningKey
from shared.ledger import ballot_entry, entry_leaf_hash, manifest_entry, rejected_entry, sign_sth
from shared.manifest import verify_signed_manifest
from shared.merkle import naive_consistency_path, root_from_leaf_hashes
from shared.rules import check_ballot

NOW = "2017-02-23T10:00:00Z"


@dataclass
class FakeKiosk:
    key: str
    status: str = "pending"
    state: ChainState = field(default_factory=ChainState)
    hashes: dict[int, str] = field(default_factory=dict)
    results: dict[int, dict[str, Any]] = field(default_factory=dict)


class FakeLedger:
    """The server's state and its answers."""

    def __init__(self, signed_manifest: dict[str, Any], ledger_key: SigningKey, *, auto_approve: bool = True) -> None:
        self.signed_manifest = signed_manifest
        self.manifest = verify_signed_manifest(signed_manifest)
        self.key = ledger_key
        self.auto_approve = auto_approve
        self.entries: list[dict[str, Any]] = []
        self.leaves: list[bytes] = []
        self.kiosks: dict[str, FakeKiosk] = {}
        self.revoked: set[str] = set()
        self.online: dict[str, dict[str, Any]] = {}
        self.batches: list[dict[str, Any]] = []
        self.faults: deque[str] = deque()
        self.fork_sth = False  # answer STHs of a different history
        self._append(manifest_entry(signed_manifest, NOW))

    def _append(self, entry: dict[str, Any]) -> int:
        self.entries.append(entry)
        self.leaves.append(entry_leaf_hash(entry))
        return len(self.entries) - 1

    def sth(self) -> dict[str, Any]:
        leaves = list(self.leaves)
        if self.fork_sth:
            leaves[0] = b"\x42" * 32
        return sign_sth(self.manifest.event, len(leaves), root_from_leaf_hashes(leaves), 1_487_844_000_000, self.key)

    # --- routes --------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if method == "GET" and path == "/api/v1/event":
            return 200, self.signed_manifest
        if method == "GET" and path == "/api/v1/ledger/sth":
            return 200, self.sth()
        if method == "GET" and path == "/api/v1/ledger/proof/consistency":
            first, second = int(query["first"]), int(query["second"])
            leaves = list(self.leaves[:second])
            if self.fork_sth:
                leaves[0] = b"\x42" * 32
            return 200, {"consistency": [b64u(h) for h in naive_consistency_path(leaves, first)]}
        if method == "GET" and path == "/api/v1/revocations":
            return 200, {"revoked": sorted(self.revoked), "tree_size": len(self.leaves)}
        if method == "POST" and path == "/api/v1/kiosks":
            kid = body["kiosk"]
            new = self.kiosks.setdefault(kid, FakeKiosk(body["public_key"]))
            if self.auto_approve:
                new.status = "approved"
            return (200 if new.status == "approved" else 202), {"kiosk": kid, "status": new.status}
        parts = path.strip("/").split("/")
        if len(parts) >= 4 and parts[:3] == ["api", "v1", "kiosks"]:
            kid = parts[3]
            k = self.kiosks.get(kid)
            if method == "GET" and len(parts) == 4:
                if k is None:
                    return 200, {"kiosk": kid, "status": "unknown", "synced_seq": 0, "synced_hash": GENESIS}
                return 200, {"kiosk": kid, "status": k.status, "synced_seq": k.state.synced_seq,
                             "synced_hash": k.state.synced_hash}
            if method == "POST" and parts[4:] == ["batches"]:
                return self._batch(kid, k, body)
            if method == "POST" and parts[4:] == ["closure"]:
                assert k is not None
                return 202, {"kiosk": kid, "status": "held", "matches": body["seq"] == k.state.synced_seq,
                             "synced_seq": k.state.synced_seq}
        if method == "POST" and path == "/api/v1/ballots":
            return self._online(body)
        return 404, {"code": "not_found", "detail": path}

    def _batch(self, kid: str, k: FakeKiosk | None, raw: Any) -> tuple[int, Any]:
        self.batches.append(raw)
        if k is None or k.status not in ("approved", "closed"):
            return 403, {"code": "unknown_kiosk", "detail": "not approved"}
        try:
            batch = Batch.from_json(raw)
            batch.verify_head(k.key)
        except (FormatError, VerificationError) as exc:
            return 400, {"code": "bad_head_signature", "detail": str(exc)}
        results = []
        for r in batch.records:
            try:
                kind = classify(r, k.state, k.hashes.get(r["seq"]))
            except Rejection as exc:
                return 409, {"code": exc.code, "detail": exc.detail}
            if kind == "duplicate":
                results.append({**k.results[r["seq"]], "status": "duplicate"})
                continue
            try:
                if k.status == "closed":  # logged, never counted (docs/PROTOCOL.md §7)
                    raise Rejection("kiosk_closed", f"kiosk {kid} was closed")
                check_ballot(self.manifest, r["signed_ballot"], channel="kiosk", kiosk=kid, revoked=self.revoked)
                index = self._append(ballot_entry(r["signed_ballot"], NOW, kid, r["seq"]))
                res = {"seq": r["seq"], "status": "accepted", "id": ballot_id(r["signed_ballot"]), "index": index,
                       "code": None}
            except Rejection as exc:
                index = self._append(rejected_entry(r["signed_ballot"], NOW, kid, r["seq"], exc.code))
                res = {"seq": r["seq"], "status": "rejected", "id": ballot_id(r["signed_ballot"]), "index": index,
                       "code": exc.code}
            h = record_hash(r)
            k.hashes[r["seq"]] = h
            k.results[r["seq"]] = res
            k.state = ChainState(r["seq"], h)
            results.append(res)
        return 200, {"results": results, "synced_seq": k.state.synced_seq, "synced_hash": k.state.synced_hash}

    def _online(self, sb: Any) -> tuple[int, Any]:
        bid = ballot_id(sb)
        if bid in self.online:
            return 200, self.online[bid]
        try:
            check_ballot(self.manifest, sb, channel="online", revoked=self.revoked)
        except Rejection as exc:
            return 422, {"code": exc.code, "detail": exc.detail}
        index = self._append(ballot_entry(sb, NOW, None, None))
        self.online[bid] = {"id": bid, "index": index, "sth": self.sth()}
        return 201, self.online[bid]

    def kiosk_seqs(self, kid: str) -> list[int]:
        return [e["seq"] for e in self.entries if e.get("kiosk") == kid and e["type"] in ("ballot", "rejected")]


class FakeAdapter(BaseAdapter):
    """Routes a ``requests.Session``'s calls to a :class:`FakeLedger`."""

    def __init__(self, ledger: FakeLedger) -> None:
        super().__init__()
        self.ledger = ledger
        self.calls: list[tuple[str, str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = urlsplit(request.url or "")
        method = request.method or "GET"
        self.calls.append((method, url.path))
        fault = self.ledger.faults.popleft() if self.ledger.faults else None
        if fault == "reset":
            raise requests.ConnectionError("connection reset by peer (injected)")
        if fault == "timeout":
            raise requests.ReadTimeout("read timed out (injected)")
        body = json.loads(request.body) if request.body else None
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if fault == "500":
            status, out = 500, {"code": "internal", "detail": "injected"}
        else:
            status, out = self.ledger.handle(method, url.path, query, body)
        if fault == "lost":  # the server did the work; the answer never arrived whole
            raise requests.exceptions.ChunkedEncodingError("connection broken mid-body (injected)")
        r = requests.Response()
        r.status_code = status
        r._content = jcs(out)
        r.headers["Content-Type"] = "application/json" if status < 400 else "application/problem+json"
        r.url = request.url or ""
        r.request = request
        return r

    def close(self) -> None:
        pass


def fake_session(ledger: FakeLedger) -> requests.Session:
    s = requests.Session()
    s.mount("http://fake", FakeAdapter(ledger))
    return s
