"""What an auditor remembers between runs: every signed tree head it has seen, per event.

A server must never sign two heads that disagree. Each run checks the new ledger against
every head remembered before — a server that rewrites history, or shows this auditor a
different history than last time, is caught even if each answer looks fine alone.

Files live in ``$XDG_DATA_HOME/simsa/sths/<event>.json`` (``~/.local/share`` by default)
or in the folder given with ``--state``; each holds the event's authority and ledger keys
(pinned on first use) and the heads, oldest first. Heads are stored as the server signed
them, so the file is evidence: anyone can re-check every signature in it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.credential import ID_RE
from shared.errors import FormatError
from shared.ledger import TreeHead, verify_sth


def default_state_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "simsa" / "sths"


@dataclass
class Remembered:
    """The pinned keys and the heads seen for one event."""

    event: str
    authority_key: str | None = None
    ledger_key: str | None = None
    sths: list[dict[str, Any]] = field(default_factory=list)

    def heads(self) -> list[TreeHead]:
        """Every remembered head, signature checked against the pinned ledger key."""
        if not self.sths:
            return []
        if self.ledger_key is None:
            raise FormatError("the remembered heads have no ledger key")
        return [verify_sth(h, self.ledger_key, event=self.event) for h in self.sths]

    def add(self, sth: dict[str, Any]) -> bool:
        """Remember a head unless one of the same size and root is already there."""
        for h in self.sths:
            if h["tree_size"] == sth["tree_size"] and h["root_hash"] == sth["root_hash"]:
                return False
        self.sths.append(dict(sth))
        self.sths.sort(key=lambda h: (h["tree_size"], h["timestamp"]))
        return True


class StateStore:
    """One JSON file per event under ``folder``."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or default_state_dir()

    def path(self, event: str) -> Path:
        if not ID_RE.match(event):
            raise FormatError(f"event id {event!r} cannot name a state file")
        return self.folder / f"{event}.json"

    def load(self, event: str) -> Remembered:
        path = self.path(event)
        if not path.exists():
            return Remembered(event)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            sths = raw["sths"]
            if raw["event"] != event or not isinstance(sths, list):
                raise ValueError("wrong event or no list of heads")
            return Remembered(event, raw.get("authority_key"), raw.get("ledger_key"), list(sths))
        except (ValueError, KeyError, TypeError) as exc:
            raise FormatError(f"{path} is damaged ({exc}); move it away to start afresh") from exc

    def save(self, state: Remembered) -> Path:
        path = self.path(state.event)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        body = {
            "event": state.event,
            "authority_key": state.authority_key,
            "ledger_key": state.ledger_key,
            "sths": state.sths,
        }
        tmp.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        return path
