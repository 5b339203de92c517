"""The entries' Merkle tree against the tree heads the server signed and the proofs it gives.

The main loop (:func:`audit.verify.verify_ledger`) keeps every leaf hash in a
:class:`LeafStore` and the root of each prefix a remembered head covers; then:

- :func:`check_extent` — the ledger holds exactly the entries the tree head covers;
- :func:`check_history` — every head remembered from earlier runs: the root of its first
  *m* entries, and, from a server, its consistency proof;
- :func:`spot_check` — a server's inclusion proofs, for the first, the last and a few
  random entries, agree with the entries it sent;
- :func:`locate` — when the entries do not hash to the signed root, where they stop
  matching: the heads seen before that still match and, from a server, the first entry
  that differs, found with O(log n) of its own proofs (:func:`first_difference`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from shared.errors import FormatError, SimsaError, VerificationError
from shared.ledger import TreeHead
from shared.merkle import inclusion_path, root_from_leaf_hashes, verify_consistency, verify_inclusion

from .source import ExportSource, HttpSource, LedgerSource
from .verdict import Verdict, plural, utc_time

#: Random inclusion proofs asked of a server, besides the first and last entry.
SPOT_CHECKS = 6


class LeafStore(Sequence[bytes]):
    """All leaf hashes in one bytearray (32 MB for a million entries)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def __len__(self) -> int:
        return len(self.data) // 32

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        return bytes(self.data[32 * i : 32 * i + 32])

    def mth(self, a: int, b: int) -> bytes:
        return root_from_leaf_hashes(self[a:b])


def check_extent(v: Verdict, source: LedgerSource, n: int) -> None:
    if v.entries < n:
        v.fail(
            v.entries,
            f"the ledger ends after {v.entries:,} entries but the tree head covers {n:,}: entry {v.entries} is missing",
        )
    elif isinstance(source, ExportSource):
        lines = source.count_lines()
        if lines > n:
            v.fail(
                n,
                f"{lines:,} entries are in the file but the tree head covers only {n:,}: entries from {n} on are signed by no tree head",
            )


def check_history(
    v: Verdict, source: LedgerSource, olds: list[TreeHead], roots: dict[int, bytes], head: TreeHead
) -> None:
    bad = False
    for old in olds:
        m = old.tree_size
        if m == 0 or m > head.tree_size:
            continue
        if roots.get(m) != old.root_hash:
            bad = True
            v.fail(
                m - 1,
                f"the first {m:,} entries do not hash to the root the server signed for size {m:,} at "
                f"{utc_time(old.timestamp)}: the ledger was rewritten (a fork)",
            )
            continue
        if m < head.tree_size:
            try:
                proof = source.consistency_proof(m, head.tree_size)
                if proof is not None:
                    verify_consistency(m, head.tree_size, old.root_hash, head.root_hash, proof)
            except (FormatError, VerificationError) as exc:
                bad = True
                v.fail(
                    None, f"the server's consistency proof from size {m:,} to {head.tree_size:,} fails: {exc}"
                )
    if olds and not bad:
        sizes = ", ".join(f"{o.tree_size:,}" for o in olds)
        v.passed.append(
            f"consistent with {plural(len(olds), 'tree head', 'tree heads')} seen before (sizes {sizes})"
        )


def spot_check(v: Verdict, source: LedgerSource, leaves: LeafStore, head: TreeHead) -> None:
    """Ask a server for a few inclusion proofs: its proof service must agree with its entries."""
    if not isinstance(source, HttpSource) or head.tree_size == 0:
        return
    n = head.tree_size
    picks = sorted({0, n - 1, *random.sample(range(n), min(SPOT_CHECKS, n))})
    for i in picks:
        try:
            got = source.inclusion_proof(i, n)
            assert got is not None
            leaf, path = got
            if leaf != leaves[i]:
                raise VerificationError("the proof's leaf hash is not the hash of the entry the server sent")
            verify_inclusion(i, n, leaf, path, head.root_hash)
        except (FormatError, VerificationError) as exc:
            v.fail(i, f"the server's inclusion proof does not hold: {exc}")
            return
    v.passed.append(f"the server's inclusion proofs hold for entries {', '.join(map(str, picks))}")


def locate(
    v: Verdict,
    source: LedgerSource,
    leaves: LeafStore,
    head: TreeHead,
    olds: list[TreeHead],
    roots: dict[int, bytes],
) -> None:
    """Narrow down where the entries stop matching the signed tree."""
    good = [o.tree_size for o in olds if roots.get(o.tree_size) == o.root_hash]
    if good:
        v.notes.append(f"the first {max(good):,} entries still match a tree head seen before")
    if not isinstance(source, HttpSource):
        return
    try:
        index = first_difference(head.tree_size, leaves, lambda i: _proof(source, i, head.tree_size))
    except (FormatError, VerificationError, SimsaError) as exc:
        v.notes.append(f"could not locate the difference with the server's proofs: {exc}")
        return
    if index is not None:
        v.fail(
            index, "this entry is not the one the signed tree holds at its index (by the server's own proofs)"
        )


def _proof(source: HttpSource, index: int, n: int) -> tuple[bytes, list[bytes]]:
    got = source.inclusion_proof(index, n)
    assert got is not None
    return got


def first_difference(
    n: int, leaves: LeafStore, proof: Callable[[int], tuple[bytes, list[bytes]]]
) -> int | None:
    """The first index whose leaf differs from the tree a prover holds, in O(log n) proofs.

    Each proof of the leftmost leaf of a window lists the hashes of the subtrees to its
    right; the first subtree that differs from ours becomes the next window."""
    lo, hi = 0, n
    while hi - lo >= 1:
        leaf, path = proof(lo)
        if leaf != leaves[lo]:
            return lo
        spans = _spans(lo, n)
        if len(spans) != len(path):
            raise VerificationError(f"the proof for entry {lo} has {len(path)} nodes, not {len(spans)}")
        inside = sorted((a, b, h) for (a, b), h in zip(spans, path, strict=True) if lo <= a and b <= hi)
        nxt = next(((a, b) for a, b, h in inside if leaves.mth(a, b) != h), None)
        if nxt is None:
            return None
        lo, hi = nxt
    return None


def _spans(index: int, n: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes make up the audit path of ``index``, in path order."""
    spans: list[tuple[int, int]] = []

    def record(a: int, b: int) -> bytes:
        spans.append((a, b))
        return b""

    inclusion_path(index, n, record)
    return spans[::-1]  # recorded top-down; the path runs bottom-up
