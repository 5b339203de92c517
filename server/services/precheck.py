"""Checks 1–4 and 7–11 of DESIGN §5 before the ledger lock, optionally on other cores.

Checks 5 (revoked) and 6 (closed) depend on the ledger's state at the moment of append,
so they are applied under the lock by :func:`final_code`; because they come right after
the signature check, doing them later gives exactly the code the rule order gives.

:func:`prepare` also computes, once per ballot, the canonical text of the signed ballot
from which the receipt id, the kiosk record hash and the ledger entry text are composed
(see :mod:`server.services.entries`).
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from shared.encoding import b64u, jcs, sha256
from shared.errors import FormatError, Rejection
from shared.manifest import Manifest, verify_signed_manifest
from shared.rules import check_ballot

#: Codes decided before the revocation and closing checks; they stand whatever the state.
EARLY_CODES = frozenset({"malformed", "wrong_event", "unknown_reviewer", "bad_signature"})


@dataclass(frozen=True)
class Prepared:
    """One ballot after the stateless checks."""

    code: str | None  # None: passes every stateless check
    detail: str
    sb_text: str  # JCS of the signed ballot as sent (any JSON value)
    id: str  # b64u(SHA-256(sb_text))
    reviewer: str | None
    target: str | None
    created_at: str | None


def final_code(p: Prepared, revoked: bool, closed: bool) -> tuple[str | None, str]:
    """The code the full rule order gives, once revocation and closing are known."""
    if p.code in EARLY_CODES:
        return p.code, p.detail
    if revoked:
        return "revoked_credential", f"the credential of {p.reviewer} is revoked"
    if closed:
        return "event_closed", "the event is closed"
    return p.code, p.detail


def prepare(manifest: Manifest, signed_ballot: Any, channel: str, kiosk: str | None) -> Prepared:
    try:
        text = jcs(signed_ballot).decode("utf-8")
    except FormatError as exc:  # not canonicalisable: cannot even be hashed as sent
        text = json.dumps(signed_ballot, sort_keys=True, separators=(",", ":"), default=str)
        return Prepared("malformed", str(exc), text, b64u(sha256(text.encode())), None, None, None)
    bid = b64u(sha256(text.encode("utf-8")))
    try:
        sb = check_ballot(manifest, signed_ballot, channel=channel, kiosk=kiosk)
    except Rejection as exc:
        reviewer = target = created = None
        b = signed_ballot.get("ballot") if isinstance(signed_ballot, dict) else None
        if isinstance(b, dict) and exc.code not in ("malformed", "wrong_event"):
            reviewer = b.get("reviewer") if isinstance(b.get("reviewer"), str) else None
            t = b.get("proposal") if b.get("form") == "rubric" else b.get("group")
            target = t if isinstance(t, str) else None
            created = b.get("created_at") if isinstance(b.get("created_at"), str) else None
        return Prepared(exc.code, exc.detail, text, bid, reviewer, target, created)
    ballot = sb.ballot
    return Prepared(None, "", text, bid, ballot.reviewer, ballot.target, ballot.created_at)


# --- the process pool ------------------------------------------------------------------

_worker_manifest: Manifest | None = None


def _init_worker(signed_manifest_text: str) -> None:
    global _worker_manifest
    _worker_manifest = verify_signed_manifest(json.loads(signed_manifest_text))


def _prepare_chunk(items: list[Any], channel: str, kiosk: str | None) -> list[Prepared]:
    assert _worker_manifest is not None
    return [prepare(_worker_manifest, sb, channel, kiosk) for sb in items]


class Prechecker:
    """Runs :func:`prepare` over many ballots: in this thread for small batches, on a pool
    of ``workers`` processes (started on first use) for large ones."""

    def __init__(self, manifest: Manifest, signed_manifest: dict[str, Any], workers: int, threshold: int) -> None:
        self.manifest = manifest
        self._text = json.dumps(signed_manifest)
        self.workers = workers
        self.threshold = threshold
        self._pool: Executor | None = None

    def _executor(self) -> Executor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=ctx, initializer=_init_worker, initargs=(self._text,)
            )
        return self._pool

    def run(self, ballots: Sequence[Any], channel: str, kiosk: str | None) -> list[Prepared]:
        if self.workers <= 0 or len(ballots) < self.threshold:
            return [prepare(self.manifest, sb, channel, kiosk) for sb in ballots]
        n = self.workers
        size = -(-len(ballots) // n)
        chunks = [list(ballots[i : i + size]) for i in range(0, len(ballots), size)]
        pool = self._executor()
        futures = [pool.submit(_prepare_chunk, c, channel, kiosk) for c in chunks]
        out: list[Prepared] = []
        for f in futures:
            out.extend(f.result())
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def default_workers() -> int:
    return min(2, os.cpu_count() or 1)
