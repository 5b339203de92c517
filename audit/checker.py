"""The auditor's per-page work, run on every core: everything that needs no ledger state.

For each entry of a page a worker computes the leaf hash, and for each ballot or rejected
entry the :class:`shared.replay.BallotFacts` — shape, signature, rules 1–4 and 7–11, the
signed ballot's canonical bytes and receipt id. The main process then applies only what
depends on the entries before (:meth:`shared.replay.Replay.add_facts`). Other entries
(the manifest, statements, anything unexpected) go back whole for the full replay.
"""

from __future__ import annotations

import pickle
import re
from base64 import urlsafe_b64decode
from typing import Any

from shared.encoding import jcs, parse_canonical, sha256
from shared.errors import FormatError, SimsaError
from shared.facts import BallotFacts, ballot_facts
from shared.keys import signature_ok
from shared.manifest import Manifest
from shared.merkle import leaf_hash
from shared.rules import StatelessVerdict

from . import heap
from .rulebook import ReviewerTable, table_of
from .source import MAX_ENTRY_BYTES, EntryError, Page, page_entries

#: Tags of a page's items: an entry for the full replay, a ballot's facts, an entry with
#: no RFC 8785 form (so no leaf hash), entry 0 holding exactly the signed manifest the
#: worker was given (the payload is its ``received_at``; the main process has the rest).
ENTRY, FACTS, UNCANONICAL, SAME_MANIFEST = 0, 1, 2, 3

#: (leaf hashes, 32 bytes an entry; one (tag, payload) an entry; or the first entry that
#: cannot be read, as (index, problem), with nothing else).
PageResult = tuple[bytes, list[tuple[int, Any]], tuple[int, str] | None]

_MANIFEST: Manifest | None = None
_TABLE: ReviewerTable | None = None
_SIGNED_DIGEST = b""


def init_worker(packed_manifest: bytes, signed_digest: bytes) -> None:
    """Give this process the (already verified) manifest as :func:`audit.rulebook.packed`
    made it, and the SHA-256 of the signed manifest's RFC 8785 bytes (entry 0 that holds
    exactly those bytes is hashed, not parsed: a city manifest line is 33 MB)."""
    global _MANIFEST, _TABLE, _SIGNED_DIGEST
    heap.bounded()
    manifest = pickle.loads(packed_manifest)
    assert isinstance(manifest, Manifest)
    _MANIFEST, _TABLE, _SIGNED_DIGEST = manifest, table_of(manifest), signed_digest


def check_page(page: Page) -> PageResult:
    """Leaf hashes and items of one page (see :data:`PageResult`)."""
    try:
        parsed = _parsed(page)
    except EntryError as exc:
        return b"", [], (exc.index, exc.problem)
    leaves = bytearray()
    items: list[tuple[int, Any]] = []
    for j, (entry, data) in enumerate(parsed):
        if isinstance(entry, _Same):
            leaves += leaf_hash(entry.line)
            items.append((SAME_MANIFEST, entry.received_at))
            continue
        if data is None:
            try:
                data = jcs(entry)
            except FormatError:
                leaves += bytes(32)
                items.append((UNCANONICAL, None))
                continue
        leaves += leaf_hash(data)
        items.append(_item(page.start + j, entry, data))
    return bytes(leaves), items, None


def _parsed(page: Page) -> list[tuple[Any, bytes | None]]:
    """Each entry with its canonical bytes when the text is already canonical. A line that
    is not is parsed strictly (:func:`page_entries`), which names what is wrong with it."""
    if page.kind != "lines":
        return [(e, None) for e in page_entries(page)]
    lines = page.payload.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out: list[tuple[Any, bytes | None]] = []
    for k, line in enumerate(lines[: page.count]):
        same = _same_manifest(line) if page.start + k == 0 else None
        if same is not None:
            out.append((same, line))
            continue
        value = parse_canonical(line, max_bytes=MAX_ENTRY_BYTES)
        if value is None:
            return [(e, None) for e in page_entries(page)]
        out.append((value, line))
    if len(out) != page.count:
        return [(e, None) for e in page_entries(page)]  # names the missing line
    return out


class _Same:
    """Entry 0 whose text is the canonical manifest entry of the given signed manifest."""

    __slots__ = ("line", "received_at")

    def __init__(self, line: bytes, received_at: str) -> None:
        self.line, self.received_at = line, received_at


_MANIFEST_HEAD = b'{"received_at":"'
_MANIFEST_MID = b'","signed_manifest":'
_MANIFEST_TAIL = b',"type":"manifest"}'
_PLAIN_TIME = re.compile(rb"[0-9A-Za-z:.+-]{1,64}")


def _same_manifest(line: bytes) -> _Same | None:
    """The line is ``{"received_at":T,"signed_manifest":M,"type":"manifest"}`` in RFC 8785
    form with M's bytes those of the verified signed manifest (by SHA-256) and T a plain
    text (no escapes): then it needs no parse. None for anything else (parsed as usual)."""
    if not _SIGNED_DIGEST or not line.startswith(_MANIFEST_HEAD) or not line.endswith(_MANIFEST_TAIL):
        return None
    mid = line.find(_MANIFEST_MID, len(_MANIFEST_HEAD))
    if mid < 0 or not _PLAIN_TIME.fullmatch(line, len(_MANIFEST_HEAD), mid):
        return None
    # hashed in place: the line is 32 MB for a city
    if sha256(memoryview(line)[mid + len(_MANIFEST_MID) : len(line) - len(_MANIFEST_TAIL)]) != _SIGNED_DIGEST:
        return None
    return _Same(line, line[len(_MANIFEST_HEAD) : mid].decode("ascii"))


def _item(index: int, entry: Any, data: bytes) -> tuple[int, Any]:
    kind = entry.get("type") if isinstance(entry, dict) else None
    if index == 0 or kind not in ("ballot", "rejected"):
        return ENTRY, entry
    assert _MANIFEST is not None, "init_worker first"
    facts: BallotFacts = ballot_facts(
        _MANIFEST,
        entry,
        signature_checked=_signature_ok(entry.get("signed_ballot"), data, kind),
        keep_signed=False,
        entry_jcs=data,
    )
    return FACTS, pack(facts)


def pack(facts: BallotFacts) -> tuple[Any, ...]:
    """Facts as plain tuples: they pickle in half the time of named tuples."""
    v = facts.verdict
    return (*facts[:7], None if v is None else tuple(v), *facts[8:])


def unpack(t: tuple[Any, ...]) -> BallotFacts:
    v = t[7]
    return BallotFacts._make((*t[:7], None if v is None else StatelessVerdict._make(v), *t[8:]))


def _ballot_bytes(entry_jcs: bytes, kind: str) -> bytes | None:
    """JCS(ballot) cut out of JCS(entry): in canonical form a ballot entry ends with
    ``"signed_ballot":{"ballot":B,"sig":"S"},"type":"ballot"}`` (``type`` sorts last,
    ``sig`` after ``ballot``; strings hold no bare quote), so B is exactly JCS(ballot)."""
    tail = b',"type":"' + kind.encode() + b'"}'
    start = entry_jcs.find(b'"signed_ballot":{"ballot":')
    if start < 0 or not entry_jcs.endswith(tail):
        return None
    sb = entry_jcs[start + 16 : len(entry_jcs) - len(tail)]
    cut = sb.rfind(b',"sig":"')
    if cut < 0 or not sb.endswith(b'"}') or b'"' in sb[cut + 8 : -2]:
        return None
    return sb[10:cut]


def _signature_ok(sb: Any, entry_jcs: bytes, kind: str) -> bool:
    """The ballot's signature verifies with the manifest key of the reviewer it names
    (False for anything else: the rules then judge the ballot, signature included). The
    signature text is decoded leniently here: rule 1 refuses any text that is not
    canonical unpadded base64url, and rule 1 comes before rule 4."""
    try:
        ballot, sig = sb["ballot"], sb["sig"]
        rid = ballot["reviewer"]
        message = _ballot_bytes(entry_jcs, kind)
        assert _TABLE is not None, "init_worker first"
        return signature_ok(_TABLE.key(rid), message if message is not None else jcs(ballot),
                            urlsafe_b64decode(sig + "=="))
    except (SimsaError, KeyError, TypeError, ValueError):
        return False
