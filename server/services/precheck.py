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
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import orjson

from shared.encoding import b64u, b64u_decode, jcs, sha256
from shared.errors import FormatError, VerificationError
from shared.keys import public_key_from_b64u, verify
from shared.manifest import Manifest, verify_signed_manifest
from shared.rules import StatelessVerdict, check_stateless, final_failure, window_failure
from shared.timefmt import parse_time

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


def verdict_of(p: Prepared) -> StatelessVerdict:
    """The stateless verdict ``p`` holds, as ``shared.rules`` states it."""
    failure = None if p.code is None else (p.code, p.detail)
    early = p.code in EARLY_CODES
    return StatelessVerdict(p.reviewer, failure if early else None, None if early else failure, None)


def final_code(p: Prepared, revoked: bool, closed: bool) -> tuple[str | None, str]:
    """The code the full rule order gives, once revocation and closing are known
    (``shared.rules.final_failure``: the same rule and message the kiosk and auditor use)."""
    failure = final_failure(verdict_of(p), revoked=revoked, closed=closed)
    return (None, "") if failure is None else failure


def on_time(manifest: Manifest, channel: str, p: Prepared, received_at: str) -> tuple[str | None, str]:
    """Rule 11 judged by the server's clock, for a ballot that passed every other rule:
    ``received_at`` is the time its entry will carry, so an auditor replaying the entry
    reaches the same verdict. :func:`prepare` judged only ``created_at`` against the window,
    a condition the full rule implies."""
    assert p.created_at is not None
    failure = window_failure(manifest, channel, parse_time(p.created_at), parse_time(received_at))
    return (None, "") if failure is None else failure


class KeyRing:
    """Reviewers' Ed25519 public keys from the manifest, loaded once."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self._keys: dict[str, bytes] = {}

    def verify(self, reviewer: str, message: bytes, sig_b64u: str) -> bool:
        """Whether ``sig_b64u`` is the reviewer's signature of ``message``
        (``shared.keys.verify``, with the reviewer's key decoded once)."""
        key = self._keys.get(reviewer)
        if key is None:
            key = self._keys[reviewer] = public_key_from_b64u(self.manifest.reviewers[reviewer].key, what="reviewer key")
        try:
            verify(key, message, b64u_decode(sig_b64u, what="signature"))
        except (FormatError, VerificationError):
            return False
        return True


def prepare(
    manifest: Manifest,
    signed_ballot: Any,
    channel: str,
    kiosk: str | None,
    keys: KeyRing | None = None,
    canonical: bytes | None = None,
) -> Prepared:
    """The stateless checks, in rule order, with the canonical text and receipt id.

    ``shared.rules.check_stateless`` runs with the signature check left to this function
    (``signature_checked=True``), which verifies over the same canonical bytes it needs for
    the receipt anyway; a failing signature counts only once rules 1–3 have passed, so the
    code is exactly the one the rule order gives. ``canonical`` is JCS(signed ballot) when
    the caller has it already (a kiosk batch computes it for its linkage check); the signed
    message, JCS(ballot), is a slice of it.

    The rules judge the canonical form — the bytes the reviewer signed and the ledger
    keeps, which an auditor replays — so a score sent as ``3.0`` is the integer the
    signature covers (JCS writes it ``3``), whoever judges it. Only a value that has no
    canonical form is judged as it arrived (and is malformed by rule 1).
    """
    keys = keys or KeyRing(manifest)
    if canonical is None:
        try:
            canonical = jcs(signed_ballot)
        except FormatError:
            canonical = None  # rule 1 says why, below
    judged = signed_ballot if canonical is None else orjson.loads(canonical)
    verdict = check_stateless(
        manifest, judged, channel=channel, kiosk=kiosk, signature_checked=True, canonical=canonical
    )
    if verdict.early is not None:  # malformed, wrong_event or unknown_reviewer
        code, detail = verdict.early
        if canonical is not None:
            text = canonical.decode("utf-8")
        else:  # not canonicalisable: cannot even be hashed as sent
            text = json.dumps(signed_ballot, sort_keys=True, separators=(",", ":"), default=str)
        reviewer = None
        b = judged.get("ballot") if isinstance(judged, dict) else None
        if isinstance(b, dict) and code == "unknown_reviewer":
            reviewer = b.get("reviewer")
        return Prepared(code, detail, text, b64u(sha256(text.encode("utf-8"))), reviewer, None, None)
    # Rules 1-3 hold: a well-formed signed ballot {"ballot", "sig"} by a known reviewer, so
    # canonical is '{"ballot":' JCS(ballot) ',"sig":"' sig '"}' (keys sort ballot < sig, and
    # the sig is base64url, which JCS writes as it is).
    assert verdict.signed is not None and canonical is not None
    sb = verdict.signed
    message = canonical[len(_HEAD) : -(len(sb.sig) + len(_TAIL))]
    late: tuple[str | None, str] = verdict.late if verdict.late is not None else (None, "")
    ballot = sb.ballot
    if not keys.verify(ballot.reviewer, message, sb.sig):
        late = "bad_signature", f"signature is not {ballot.reviewer}'s"
    text = canonical.decode("utf-8")
    return Prepared(late[0], late[1], text, b64u(sha256(canonical)), ballot.reviewer, ballot.target, ballot.created_at)


_HEAD = b'{"ballot":'
_TAIL = b',"sig":""}'


# --- the process pool ------------------------------------------------------------------

_worker_manifest: Manifest | None = None
_worker_keys: KeyRing | None = None


def _init_worker(signed_manifest_text: str, parent: int | None = None) -> None:
    global _worker_manifest, _worker_keys
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()
    _worker_manifest = verify_signed_manifest(json.loads(signed_manifest_text))
    _worker_keys = KeyRing(_worker_manifest)


#: How often a worker looks whether the server that started it is still there.
PARENT_POLL_S = 0.5


def _exit_with(parent: int) -> None:
    """End this worker once its server is gone (``kill -9`` leaves no one to shut the pool
    down): the worker is re-parented, so its parent id changes."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(0)


def _prepare_chunk(items: list[tuple[bytes | None, Any]], channel: str, kiosk: str | None) -> list[Prepared]:
    """Each item is (canonical bytes, None) or (None, the value as it arrived); the answers
    come back without the canonical text, which the caller holds."""
    assert _worker_manifest is not None
    out = []
    for c, sb in items:
        p = prepare(_worker_manifest, sb, channel, kiosk, _worker_keys, c)
        out.append(p if c is None else replace(p, sb_text=""))
    return out


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
                max_workers=self.workers, mp_context=ctx, initializer=_init_worker, initargs=(self._text, os.getpid())
            )
        return self._pool

    def warm(self) -> None:
        """Start the worker processes now (in the background) rather than on the first batch."""
        if self.workers > 0:
            pool = self._executor()
            for _ in range(self.workers):
                pool.submit(_prepare_chunk, [], "kiosk", None)

    def run(
        self, ballots: Sequence[Any], channel: str, kiosk: str | None, canonical: Sequence[bytes | None] = ()
    ) -> list[Prepared]:
        """:func:`prepare` each ballot; ``canonical``, when given, is JCS of each."""
        texts: list[bytes | None] = list(canonical) if canonical else [None] * len(ballots)
        if self.workers <= 0 or len(ballots) < self.threshold:
            return [prepare(self.manifest, sb, channel, kiosk, self.keys, c) for sb, c in zip(ballots, texts, strict=True)]
        n = self.workers
        size = -(-len(ballots) // n)
        pool = self._executor()
        # Only the canonical bytes cross to the workers: far cheaper to pickle than the objects.
        items: list[tuple[bytes | None, Any]] = [
            (c, None) if c is not None else (None, sb) for sb, c in zip(ballots, texts, strict=True)
        ]
        futures = [pool.submit(_prepare_chunk, items[i : i + size], channel, kiosk) for i in range(0, len(items), size)]
        out: list[Prepared] = []
        for f in futures:
            out.extend(f.result())
        return [p if c is None else replace(p, sb_text=c.decode("utf-8")) for p, c in zip(out, texts, strict=True)]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

