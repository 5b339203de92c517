"""The witness's decision on an ``add-checkpoint`` request (C2SP tlog-witness), without HTTP.

Checks in the spec's order: a malformed body → 400; an unknown origin → 404; no valid
signature by the log's key → 403; old size above the checkpoint's → 400; old size not the
size last cosigned → 409 with that size; a size-0 checkpoint without the empty root, a
proof from 0, a different root at the same size or a consistency proof that does not
verify → 422. Otherwise the new state is persisted, then the cosignature returned.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shared.checkpoint import cosign, parse_checkpoint_text
from shared.errors import FormatError, VerificationError
from shared.keys import SigningKey
from shared.merkle import EMPTY_ROOT, verify_consistency
from shared.note import Note, Verifier, b64_decode, parse_note, verify_note

from .state import LogState, StateDir

MAX_PROOF = 63
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


@dataclass
class Witness:
    name: str
    key: SigningKey
    logs: Mapping[str, Verifier]  # origin → the log's note key
    state: StateDir
    clock: Callable[[], int]  # POSIX seconds

    def __post_init__(self) -> None:
        self._lock = threading.Lock()  # check-then-persist is atomic (the spec's race)
        self._last_ts = 0

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            old, proof, note = parse_request(body)
            cp = parse_checkpoint_text(note.text, empty_root=False)
        except FormatError as exc:
            return Answer(400, f"bad request: {exc}\n")
        log = self.logs.get(cp.origin)
        if log is None:
            return Answer(404, f"unknown log origin {cp.origin!r}\n")
        try:
            verify_note(note, log)
        except VerificationError as exc:
            return Answer(403, f"{exc}\n")
        if old > cp.size:
            return Answer(400, f"old size {old} is above the checkpoint size {cp.size}\n")
        with self._lock:
            held = self.state.get(cp.origin)
            held_size = held.size if held else 0
            if old != held_size:
                return Answer(409, f"{held_size}\n", "text/x.tlog.size")
            if cp.size == 0 and cp.root != EMPTY_ROOT:
                return Answer(422, "a checkpoint of size 0 must carry the empty tree's root\n")
            if old == 0:
                if proof:
                    return Answer(422, "a proof from size 0 must be empty\n")
            elif held is not None:
                try:
                    verify_consistency(old, cp.size, held.root, cp.root, proof)
                except VerificationError as exc:
                    return Answer(422, f"not consistent with the checkpoint of size {old} I cosigned: {exc}\n")
            ts = max(self.clock(), self._last_ts, 1)
            self._last_ts = ts
            sig = cosign(note.text, self.name, self.key, ts)
            log_lines = "".join(s.line() for s in note.signatures if s.name == log.name and s.key_id == log.key_id)
            self.state.put(LogState(cp.origin, cp.size, cp.root, note.text + "\n" + log_lines + sig.line()))
        return Answer(200, sig.line())

    def latest(self, digest: str) -> Answer:
        """``GET <prefix>/<origin hash>/checkpoint``: the last cosigned checkpoint."""
        st = self.state.get_by_hash(digest) if len(digest) == 64 else None
        if st is None:
            return Answer(404, "this witness has cosigned no checkpoint of that log\n")
        return Answer(200, st.checkpoint)


def parse_request(body: bytes) -> tuple[int, list[bytes], Note]:
    """``old N``, proof lines, a blank line, the checkpoint note."""
    if len(body) > MAX_BODY:
        raise FormatError(f"the request is over {MAX_BODY} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError("the request is not UTF-8") from exc
    head, sep, rest = text.partition("\n\n")
    if not sep:
        raise FormatError("no blank line before the checkpoint")
    lines = head.split("\n")
    first = lines[0]
    if not first.startswith("old ") or not first[4:].isdigit() or (first[4:] != "0" and first[4] == "0"):
        raise FormatError(f"the first line must be 'old <size>', got {first[:40]!r}")
    if len(lines) - 1 > MAX_PROOF:
        raise FormatError(f"more than {MAX_PROOF} consistency proof lines")
    proof = [b64_decode(ln, what="consistency proof line") for ln in lines[1:]]
    if any(len(p) != 32 for p in proof):
        raise FormatError("a consistency proof line is not a 32-byte hash")
    return int(first[4:]), proof, parse_note(rest)
