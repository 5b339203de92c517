"""Finding a reviewer from what staff type: any case, the start of the id, or the part
after a dash (``REP-0117``, ``rep-0117``, ``rep-01``, ``0117`` and ``117`` all find REP-0117)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_SEGMENT = re.compile(r"[-_.\s]+")


def _norm(s: str) -> str:
    return s.strip().casefold()


def _segments(rid: str) -> list[str]:
    """Every tail of the id that starts after a separator: ``rep-c1-2`` → c1-2, 2."""
    low = _norm(rid)
    return [low[m.end():] for m in _SEGMENT.finditer(low)]


def find(ids: Iterable[str], query: str) -> list[str]:
    """The ids ``query`` names, best first: an exact match (any case) alone, else every id
    that starts with it, else every id with a part after a separator that starts with it
    (leading zeros of a number do not matter)."""
    q = _norm(query)
    if not q:
        return []
    ids = sorted(ids)
    exact = [r for r in ids if _norm(r) == q]
    if exact:
        return exact[:1]
    starts = [r for r in ids if _norm(r).startswith(q)]
    if starts:
        return starts
    digits = q.lstrip("0") if q.isdigit() else None
    out = []
    for r in ids:
        for seg in _segments(r):
            if seg.startswith(q) or (digits and re.match(r"0*" + re.escape(digits) + r"(?![0-9])", seg)):
                out.append(r)
                break
    return out


def examples(ids: Iterable[str], n: int = 3) -> list[str]:
    """A few ids of different shapes (one per prefix), to show the format in a hint."""
    seen: dict[str, str] = {}
    for r in sorted(ids):
        seen.setdefault(_SEGMENT.split(_norm(r))[0], r)
    return list(seen.values())[:n]
