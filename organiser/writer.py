"""Draw keys, seal credentials on every core, and write the event folder.

Files: ``manifest.json`` (the signed manifest), ``authority.key`` and ``ledger.key``
(base64url seeds, mode 0600), ``credentials.csv`` (reviewer,credential) and a separate
``pins.csv`` (reviewer,pin) so cards and PIN letters can travel apart.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from shared.credential import NONCE_BYTES, SALT_BYTES, seal
from shared.encoding import b64u, b64u_decode
from shared.keys import SigningKey
from shared.manifest import sign_manifest

from .plan import EventPlan

Job = tuple[str, str, bytes, str, int, bytes, bytes]
Progress = Callable[[int], None]


def new_pin(digits: int = 8) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def _seal_chunk(jobs: list[Job]) -> list[tuple[str, str]]:
    out = []
    for event, reviewer, seed, pin, logn, salt, nonce in jobs:
        cred = seal(event=event, reviewer=reviewer, seed=seed, pin=pin, logn=logn, salt=salt, nonce=nonce)
        out.append((reviewer, cred.to_text()))
    return out


def _chunks(jobs: list[Job], size: int) -> Iterator[list[Job]]:
    for i in range(0, len(jobs), size):
        yield jobs[i : i + size]


def seal_all(
    jobs: list[Job], *, workers: int | None = None, progress: Progress | None = None
) -> dict[str, str]:
    """Seal every credential, spreading scrypt over all cores."""
    workers = workers or os.cpu_count() or 1
    out: dict[str, str] = {}
    if workers == 1 or len(jobs) < 64:
        for chunk in _chunks(jobs, 256):
            out.update(_seal_chunk(chunk))
            if progress:
                progress(len(chunk))
        return out
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for done in pool.map(_seal_chunk, _chunks(jobs, 256)):
            out.update(done)
            if progress:
                progress(len(done))
    return out


def write_key(path: Path, key: SigningKey) -> None:
    """Write a seed as base64url text, readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(b64u(key.seed) + "\n")
    os.chmod(path, 0o600)


def read_key(path: Path) -> SigningKey:
    """Read a key file written by :func:`write_key`."""
    return SigningKey(b64u_decode(path.read_text().strip(), length=32, what=f"key file {path}"))


def write_event(
    plan: EventPlan, out: Path, *, progress: Progress | None = None, workers: int | None = None
) -> dict[str, int]:
    """Create keys and credentials for ``plan`` and write the event folder ``out``."""
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    if (out / "manifest.json").exists():
        raise FileExistsError(f"{out / 'manifest.json'} exists: choose an empty folder")
    os.chmod(out, 0o700)  # keys, sealed credentials, PINs and the ledger database: owner only
    authority = SigningKey(secrets.token_bytes(32))
    ledger = SigningKey(secrets.token_bytes(32))
    seeds = {r.id: secrets.token_bytes(32) for r in plan.reviewers}
    pins = {r.id: new_pin(plan.pin_digits) for r in plan.reviewers}
    keys = {rid: SigningKey(seed).public_b64u for rid, seed in seeds.items()}
    jobs: list[Job] = [
        (
            plan.event,
            r.id,
            seeds[r.id],
            pins[r.id],
            plan.kdf_min_logn,
            secrets.token_bytes(SALT_BYTES),
            secrets.token_bytes(NONCE_BYTES),
        )
        for r in plan.reviewers
    ]
    creds = seal_all(jobs, workers=workers, progress=progress)
    signed = sign_manifest(plan.manifest(keys, authority.public_b64u, ledger.public_b64u), authority)
    write_key(out / "authority.key", authority)
    write_key(out / "ledger.key", ledger)
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(signed, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, out / "manifest.json")
    fd = os.open(out / "credentials.csv", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["reviewer", "credential"])
        w.writerows((r.id, creds[r.id]) for r in plan.reviewers)
    fd = os.open(out / "pins.csv", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["reviewer", "pin"])
        w.writerows((r.id, pins[r.id]) for r in plan.reviewers)
    return {"proposals": len(plan.proposals), "groups": len(plan.groups), "reviewers": len(plan.reviewers)}
