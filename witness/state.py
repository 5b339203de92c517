"""The witness's durable memory: for each log origin, the last checkpoint it cosigned.

One JSON file per origin, ``<STATE>/<sha256(origin) hex>.json``, holding the size, the root
and the cosigned checkpoint note. A new state is written to a temporary file, fsync'd,
renamed over the old one and the folder fsync'd — all before the witness answers — so a
``kill -9`` or a power cut leaves either the old or the new state, never none, and the
witness cannot later cosign a head inconsistent with one it already answered for.
An exclusive ``flock`` on ``<STATE>/lock`` keeps a second witness process off the folder.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

from shared.encoding import sha256
from shared.errors import FormatError, SimsaError
from shared.note import b64, b64_decode


class StateLocked(SimsaError):
    """Another witness process holds this state folder."""


@dataclass(frozen=True)
class LogState:
    origin: str
    size: int
    root: bytes
    checkpoint: str  # the checkpoint note with the log's and this witness's signatures


def origin_hash(origin: str) -> str:
    return sha256(origin.encode("utf-8")).hex()


class StateDir:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self._lock = open(path / "lock", "a+b")  # noqa: SIM115 - held for the witness's life
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise StateLocked(f"{path} is in use by another witness process") from None

    def close(self) -> None:
        self._lock.close()

    def __enter__(self) -> StateDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _file(self, origin: str) -> Path:
        return self.path / f"{origin_hash(origin)}.json"

    def get(self, origin: str) -> LogState | None:
        return self.get_by_hash(origin_hash(origin))

    def get_by_hash(self, digest: str) -> LogState | None:
        f = self.path / f"{digest}.json"
        try:
            raw = json.loads(f.read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise FormatError(f"witness state {f} is unreadable: {exc}; refusing to cosign") from exc
        return LogState(raw["origin"], int(raw["size"]), b64_decode(raw["root"], what="state root"), raw["checkpoint"])

    def put(self, st: LogState) -> None:
        """Write durably: temp file, fsync, rename, fsync the folder."""
        f = self._file(st.origin)
        tmp = f.with_name(f.name + ".tmp")
        data = json.dumps(
            {"origin": st.origin, "size": st.size, "root": b64(st.root), "checkpoint": st.checkpoint}
        ).encode("utf-8")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, f)
        dfd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
