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
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.encoding import b64u, b64u_decode, jcs, sha256
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


class KeyRing:
    """Reviewers' Ed25519 public keys from the manifest, loaded once."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self._keys: dict[str, Ed25519PublicKey] = {}

    def verify(self, reviewer: str, message: bytes, sig_b64u: str) -> bool:
        key = self._keys.get(reviewer)
        if key is None:
            key = Ed25519PublicKey.from_public_bytes(b64u_decode(self.manifest.reviewers[reviewer].key, length=32))
            self._keys[reviewer] = key
        try:
            key.verify(b64u_decode(sig_b64u, length=64), message)
        except (InvalidSignature, FormatError):
            return False
        return True


def prepare(manifest: Manifest, signed_ballot: Any, channel: str, kiosk: str | None, keys: KeyRing | None = None) -> Prepared:
    """The stateless checks, in rule order, with the canonical text and receipt id.

    ``shared.rules.check_ballot`` runs with the signature check left to this function
    (``signature_checked=True``), which verifies over the same canonical bytes it needs for
    the receipt anyway; a failing signature counts only once rules 1–3 have passed, so the
    code is exactly the one the rule order gives.
    """
    keys = keys or KeyRing(manifest)
    code: str | None = None
    detail = ""
    try:
        check_ballot(manifest, signed_ballot, channel=channel, kiosk=kiosk, signature_checked=True)
    except Rejection as exc:
        code, detail = exc.code, exc.detail
    if code in ("malformed", "wrong_event", "unknown_reviewer"):
        try:
            text = jcs(signed_ballot).decode("utf-8")
        except FormatError as exc:  # not canonicalisable: cannot even be hashed as sent
            text = json.dumps(signed_ballot, sort_keys=True, separators=(",", ":"), default=str)
            detail = f"{detail}; {exc}"
        reviewer = target = created = None
        b = signed_ballot.get("ballot") if isinstance(signed_ballot, dict) else None
        if isinstance(b, dict) and code == "unknown_reviewer":
            reviewer = b.get("reviewer")
        return Prepared(code, detail, text, b64u(sha256(text.encode("utf-8"))), reviewer, target, created)
    # Rules 1-3 hold: a well-formed signed ballot {"ballot", "sig"} by a known reviewer.
    ballot = signed_ballot["ballot"]
    message = jcs(ballot)
    text = f'{{"ballot":{message.decode("utf-8")},"sig":"{signed_ballot["sig"]}"}}'
    reviewer = ballot["reviewer"]
    if not keys.verify(reviewer, message, signed_ballot["sig"]):
        code, detail = "bad_signature", f"signature is not {reviewer}'s"
    target = ballot.get("proposal") if ballot["form"] == "rubric" else ballot.get("group")
    return Prepared(code, detail, text, b64u(sha256(text.encode("utf-8"))), reviewer, target, ballot["created_at"])


# --- the process pool ------------------------------------------------------------------

_worker_manifest: Manifest | None = None
_worker_keys: KeyRing | None = None


def _init_worker(signed_manifest_text: str) -> None:
    global _worker_manifest, _worker_keys
    _worker_manifest = verify_signed_manifest(json.loads(signed_manifest_text))
    _worker_keys = KeyRing(_worker_manifest)


def _prepare_chunk(items: list[Any], channel: str, kiosk: str | None) -> list[Prepared]:
    assert _worker_manifest is not None
    return [prepare(_worker_manifest, sb, channel, kiosk, _worker_keys) for sb in items]


class Prechecker:
    """Runs :func:`prepare` over many ballots: in this thread for small batches, on a pool
    of ``workers`` processes (started on first use) for large ones."""

    def __init__(self, manifest: Manifest, signed_manifest: dict[str, Any], workers: int, threshold: int) -> None:
        self.manifest = manifest
        self._text = json.dumps(signed_manifest)
        self.workers = workers
        self.threshold = threshold
        self._pool: Executor | None = None
        self.keys = KeyRing(manifest)

    def _executor(self) -> Executor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=ctx, initializer=_init_worker, initargs=(self._text,)
            )
        return self._pool

    def warm(self) -> None:
        """Start the worker processes now (in the background) rather than on the first batch."""
        if self.workers > 0:
            pool = self._executor()
            for _ in range(self.workers):
                pool.submit(_prepare_chunk, [], "kiosk", None)

    def run(self, ballots: Sequence[Any], channel: str, kiosk: str | None) -> list[Prepared]:
        if self.workers <= 0 or len(ballots) < self.threshold:
            return [prepare(self.manifest, sb, channel, kiosk, self.keys) for sb in ballots]
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

