"""What a verification found, and how its lines write counts and times.

A :class:`Verdict` (a whole ledger, :func:`audit.verify.verify_ledger`) lists the problems
found, each a :class:`Problem` that names its entry index where there is one, beside the
checks that passed, notes, and what was read and recomputed; ``ok`` is the auditor's yes.
A receipt's check (:class:`audit.receipt.ReceiptCheck`) lists its problems the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.ledger import TreeHead
from shared.manifest import Manifest
from shared.merge import Merged
from shared.replay import LedgerState


@dataclass(frozen=True)
class Problem:
    """One discrepancy: ``index`` is the ledger entry it concerns, when there is one."""

    index: int | None
    what: str

    def __str__(self) -> str:
        return f"entry {self.index}: {self.what}" if self.index is not None else self.what


@dataclass
class Verdict:
    """What a verification found. ``ok`` is the auditor's yes."""

    source: str
    manifest: Manifest | None = None
    head: TreeHead | None = None
    problems: list[Problem] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    entries: int = 0
    types: Counter[str] = field(default_factory=Counter)
    signatures: int = 0
    workers: int = 1
    seconds: float = 0.0
    state: LedgerState | None = None
    results: dict[str, Any] | None = None
    #: Merge of the accepted ballots, computed once (a million ballots take seconds).
    merged: Merged | None = None
    published_match: bool | None = None
    remembered: int = 0
    #: CPU seconds spent by the signature workers and the largest worker's peak resident
    #: memory in bytes (Linux /proc; 0 where unknown).
    worker_cpu: float = 0.0
    worker_peak_rss: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, index: int | None, what: str) -> Verdict:
        self.problems.append(Problem(index, what))
        return self


def plural(k: int, one: str, many: str) -> str:
    """``k`` with thousands separators and the noun for that many: ``1,000 entries``."""
    return f"{k:,} {one if k == 1 else many}"


def utc_time(ms: int) -> str:
    """A tree head's timestamp (milliseconds since the epoch) as ``2025-05-01 09:00:00 UTC``."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
