"""Kiosks and reviewers for dashboard tests, built on the shared core only (not the kiosk
app): real credentials of the event opened with their PINs, real signed ballots, real
hash-chained records and signed heads, posted over HTTP to a live server."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from shared.ballot import approval_ballot, rubric_ballot, sign_ballot
from shared.chain import GENESIS, closure_body, make_batch, make_record, record_hash, sign_closure
from shared.credential import parse, unlock
from shared.encoding import jcs
from shared.keys import SigningKey
from shared.manifest import Manifest
from shared.timefmt import format_time
from tests.support.events import EventFiles

TIMEOUT = 20


def now() -> str:
    return format_time(datetime.now(UTC).replace(microsecond=0))


class Reviewers:
    """Reviewer keys opened from the event's credential cards and PINs (on demand)."""

    def __init__(self, event: EventFiles, manifest: Manifest) -> None:
        self.event, self.manifest = event, manifest
        self._keys: dict[str, SigningKey] = {}

    def key(self, reviewer: str) -> SigningKey:
        if reviewer not in self._keys:
            cred = parse(self.event.credentials[reviewer])
            self._keys[reviewer] = unlock(
                cred, self.event.pins[reviewer], self.manifest.reviewers[reviewer].key,
                min_logn=self.manifest.kdf_min_logn,
            )
        return self._keys[reviewer]

    def rubric(self, reviewer: str, proposal: str, *, kiosk: str | None, level: float = 0.7) -> dict[str, Any]:
        """A signed rubric ballot giving every criterion ``level`` of its maximum."""
        b = rubric_ballot(
            event=self.manifest.event, reviewer=reviewer, channel="kiosk" if kiosk else "online", kiosk=kiosk,
            created_at=now(), nonce=str(uuid.uuid4()), proposal=proposal,
            scores={c.id: round(level * c.max) for c in self.manifest.rubric},
        )
        return sign_ballot(b, self.key(reviewer)).to_json()

    def approval(self, reviewer: str, group: str, choices: list[str], *, kiosk: str | None = None) -> dict[str, Any]:
        b = approval_ballot(
            event=self.manifest.event, reviewer=reviewer, channel="kiosk" if kiosk else "online", kiosk=kiosk,
            created_at=now(), nonce=str(uuid.uuid4()), group=group, choices=choices,
        )
        return sign_ballot(b, self.key(reviewer)).to_json()

    def rubric_targets(self, reviewer: str) -> list[str]:
        return sorted(t for t in self.manifest.assignments[reviewer] if t in self.manifest.proposals)


@dataclass
class SimKiosk:
    """A kiosk's chain kept in memory, synced (or exported) on demand."""

    url: str
    kiosk: str
    http: requests.Session
    key: SigningKey = field(default_factory=lambda: SigningKey(secrets.token_bytes(32)))
    records: list[dict[str, Any]] = field(default_factory=list)
    opened: int = 0

    def registration(self) -> dict[str, Any]:
        body = {"kiosk": self.kiosk, "public_key": self.key.public_b64u, "registered_at": now()}
        return {**body, "sig": self.key.sign_b64u(jcs(body))}

    def register(self) -> requests.Response:
        return self.http.post(f"{self.url}/api/v1/kiosks", json=self.registration(), timeout=TIMEOUT)

    def record(self, signed_ballot: dict[str, Any]) -> dict[str, Any]:
        """Append a record to the local chain (what the kiosk does before it says 'saved')."""
        prev = record_hash(self.records[-1]) if self.records else GENESIS
        r = make_record(len(self.records) + 1, prev, signed_ballot)
        self.records.append(r)
        self.opened += 1
        return r

    @property
    def head(self) -> tuple[int, str]:
        return (len(self.records), record_hash(self.records[-1]) if self.records else GENESIS)

    def batch(self, first: int = 1, last: int | None = None) -> dict[str, Any]:
        """Records ``first..last`` (1-based, inclusive) with a head signed at ``last``; an
        empty range gives a head-only batch at the kiosk's current head."""
        last = len(self.records) if last is None else last
        recs = self.records[first - 1 : last]
        seq, h = self.head
        return make_batch(self.kiosk, recs, self.key, seq, h)

    def sync(self, first: int = 1, last: int | None = None) -> requests.Response:
        return self.http.post(f"{self.url}/api/v1/kiosks/{self.kiosk}/batches", json=self.batch(first, last), timeout=TIMEOUT)

    def report_head(self) -> requests.Response:
        """Tell the server the kiosk's current head without sending records (as a kiosk
        whose upload of records keeps failing would, on its heartbeat)."""
        seq, h = self.head
        return self.http.post(
            f"{self.url}/api/v1/kiosks/{self.kiosk}/batches", json=make_batch(self.kiosk, [], self.key, seq, h),
            timeout=TIMEOUT,
        )

    def signed_closure(self) -> dict[str, Any]:
        seq, h = self.head
        return sign_closure(closure_body(self.kiosk, seq, h, self.opened, len(self.records), now()), self.key)

    def closure(self) -> requests.Response:
        return self.http.post(
            f"{self.url}/api/v1/kiosks/{self.kiosk}/closure", json=self.signed_closure(), timeout=TIMEOUT
        )

    def export(self, folder: Path, *, per_batch: int = 500, closed: bool = False) -> list[Path]:
        """A USB bundle folder laid out as a kiosk writes it: batch-0001.json …,
        registration.json, closure.json (once closed) and README.json."""
        folder.mkdir(parents=True)
        files = []
        listed = []
        for i, first in enumerate(range(1, len(self.records) + 1, per_batch), 1):
            files.append(folder / f"batch-{i:04d}.json")
            last = min(len(self.records), first + per_batch - 1)
            files[-1].write_bytes(jcs(self.batch(first, last)))
            listed.append({"file": files[-1].name, "first_seq": first, "last_seq": last})
        files.append(folder / "registration.json")
        files[-1].write_bytes(jcs(self.registration()))
        if closed:
            files.append(folder / "closure.json")
            files[-1].write_bytes(jcs(self.signed_closure()))
        seq, h = self.head
        files.append(folder / "README.json")
        files[-1].write_text(json.dumps({"kiosk": self.kiosk, "exported_at": now(), "head": {"seq": seq, "hash": h},
                                         "batches": listed}))
        return files


def post_online(url: str, http: requests.Session, signed_ballot: dict[str, Any]) -> requests.Response:
    return http.post(f"{url}/api/v1/ballots", json=signed_ballot, timeout=TIMEOUT)
