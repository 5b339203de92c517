"""Event folders for tests: the real organiser code, small shapes, scrypt cost 2^10."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from organiser.demo import mini
from organiser.writer import read_key, write_event
from shared.keys import SigningKey


@dataclass(frozen=True)
class EventFiles:
    dir: Path
    credentials: dict[str, str]
    pins: dict[str, str]

    @property
    def manifest_path(self) -> Path:
        return self.dir / "manifest.json"

    def authority(self) -> SigningKey:
        return read_key(self.dir / "authority.key")

    def ledger_key(self) -> SigningKey:
        return read_key(self.dir / "ledger.key")


def _read_csv(path: Path) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return {r[0]: r[1] for r in rows[1:]}


def load_event_files(path: Path) -> EventFiles:
    return EventFiles(path, _read_csv(path / "credentials.csv"), _read_csv(path / "pins.csv"))


def make_mini_event(path: Path, *, seed: int = 7, now: datetime | None = None) -> EventFiles:
    """Write the ``mini`` demo event (24 proposals, 146 reviewers) into ``path``."""
    plan = mini(now or datetime.now(UTC), random.Random(seed))
    write_event(plan, path, workers=1)
    return load_event_files(path)
