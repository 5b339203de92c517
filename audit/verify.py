"""Verify a whole ledger without trusting the server.

Order of the checks (a failure names the entry index where there is one):

1. the manifest's authority signature, and the keys pinned for this event on earlier runs;
2. the latest STH's signature with the manifest's ledger key;
3. every entry: on every core (:func:`audit.checker.check_page` in a process pool) its
   text read (RFC 8785 text by a C parser, anything else strictly), its leaf hash, and for
   each ballot its shape, signature and every rule that needs no ledger state; then, in
   index order, a :class:`shared.replay.Replay` that applies the rest of DESIGN §5 —
   revocations and the close in rule order, kiosk chains, statements' signatures,
   resolutions, closes, duplicate receipts;
4. the Merkle root of all the entries against the STH (every leaf's inclusion at once);
5. every head remembered from earlier runs: the root of its first *m* entries, and, from a
   server, its consistency proof;
6. merge and tally recomputed; the close entry's results hash (in the replay) and the
   published results compared.

Verification is a value: :func:`verify_ledger` returns a :class:`Verdict` listing the
problems; it raises only when the ledger cannot be read at all (:class:`SourceError`).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.ballot import ballot_id
from shared.encoding import jcs
from shared.errors import FormatError, SimsaError, VerificationError
from shared.ledger import TreeHead, verify_sth
from shared.manifest import Manifest, verify_signed_manifest
from shared.merge import Merged
from shared.merkle import (
    CompactRange,
    inclusion_path,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from shared.receipt import ReceiptQuery, parse_receipt
from shared.replay import LedgerError, LedgerState, Replay
from shared.tally import results_hash
from shared.timefmt import parse_time

from .checker import FACTS, UNCANONICAL, PageResult, check_page, init_worker, unpack
from .source import EntryError, ExportSource, HttpSource, LedgerSource, Page, page_entries
from .state import Remembered, StateStore

Progress = Callable[[int], None]

#: Random inclusion proofs asked of a server, besides the first and last entry.
SPOT_CHECKS = 6


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


# --- worker side: see :mod:`audit.checker` ------------------------------------------------


def _noop() -> int:
    return os.getpid()


# --- main side ----------------------------------------------------------------------------


class _LeafStore(Sequence[bytes]):
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


def _pages_checked(
    source: LedgerSource, n: int, pool: ProcessPoolExecutor | None, depth: int
) -> Iterator[tuple[Page, PageResult]]:
    pending: deque[tuple[Page, Future[PageResult] | None]] = deque()

    def done(page: Page, fut: Future[PageResult] | None) -> tuple[Page, PageResult]:
        return (page, check_page(page) if fut is None else fut.result())

    for page in source.pages(0, n):
        fut = pool.submit(check_page, _bare(page)) if pool else None
        pending.append((page, fut))
        while len(pending) > depth:
            yield done(*pending.popleft())
    while pending:
        yield done(*pending.popleft())


def _bare(page: Page) -> Page:
    """The page without the reader's parse (it would be pickled for nothing)."""
    return page if page.parsed is None else Page(page.start, page.count, page.kind, page.payload)


def _checked_or_named(
    v: Verdict, pages: Iterator[tuple[Page, PageResult]]
) -> Iterator[tuple[Page, PageResult]]:
    """The checked pages; a page the source cannot give is a problem named by its index."""
    try:
        yield from pages
    except EntryError as exc:
        v.fail(exc.index, exc.problem)


def _pool(workers: int, manifest: Manifest) -> ProcessPoolExecutor:
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=init_worker, initargs=(manifest,)
    )
    # Start every worker now, before any reader thread runs.
    for f in [pool.submit(_noop) for _ in range(workers)]:
        f.result()
    return pool


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc (0 where unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _peak_rss(pid: int) -> int:
    """Peak resident memory of a live process in bytes, from /proc (0 where unavailable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _n(k: int, one: str, many: str) -> str:
    return f"{k:,} {one if k == 1 else many}"


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def verify_ledger(
    source: LedgerSource,
    *,
    store: StateStore | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    on_start: Callable[[int], None] | None = None,
) -> Verdict:
    """Check everything a ledger shows (see the module docstring) and return the verdict."""
    t0 = time.monotonic()
    v = Verdict(source.label, workers=max(1, workers or os.cpu_count() or 1))
    try:
        signed = source.signed_manifest()
        manifest = verify_signed_manifest(signed)
    except (FormatError, VerificationError) as exc:
        return v.fail(None, f"the published manifest does not hold: {exc}")
    v.manifest = manifest
    v.passed.append(f"manifest signed by the authority key {manifest.authority_key[:16]}…")

    remembered = store.load(manifest.event) if store else Remembered(manifest.event)
    if remembered.authority_key and remembered.authority_key != manifest.authority_key:
        v.fail(
            None,
            f"event {manifest.event} was seen before with another authority key ({remembered.authority_key[:16]}…)",
        )
    if remembered.ledger_key and remembered.ledger_key != manifest.ledger_key:
        v.fail(
            None,
            f"event {manifest.event} was seen before with another ledger key ({remembered.ledger_key[:16]}…)",
        )
    served_key = source.ledger_key()
    if served_key is not None and served_key != manifest.ledger_key:
        v.fail(None, "the server's ledger key is not the ledger key in the signed manifest")

    try:
        head = verify_sth(source.sth(), manifest.ledger_key, event=manifest.event)
    except (FormatError, VerificationError) as exc:
        return v.fail(None, f"the signed tree head does not hold with the manifest's ledger key: {exc}")
    v.head = head
    n = head.tree_size
    v.passed.append(
        f"tree head signed by the ledger key: {_n(n, 'entry', 'entries')}, {_when(head.timestamp)}"
    )

    try:
        olds = remembered.heads() if remembered.ledger_key == manifest.ledger_key else []
    except (FormatError, VerificationError) as exc:
        olds = []
        v.fail(None, f"a remembered tree head no longer verifies ({exc}): the state file was altered")
    v.remembered = len(olds)
    for old in olds:
        if old.tree_size > n:
            v.fail(
                None,
                f"the server now shows {n:,} entries but signed a tree of {old.tree_size:,} entries "
                f"at {_when(old.timestamp)}: entries were removed from the ledger",
            )
    snapshots = {old.tree_size for old in olds if 0 < old.tree_size <= n}
    roots: dict[int, bytes] = {}

    if on_start:
        on_start(n)
    replay = Replay(verified_manifest=(signed, manifest))
    compact = CompactRange()
    leaves = _LeafStore()
    last_received = ""
    last_time: datetime | None = None
    late = 0
    stopped = False
    pool = _pool(v.workers, manifest) if v.workers > 1 and n > 0 else None
    if pool is None:
        init_worker(manifest)
    before = len(v.problems)
    # A million ballots stay alive in the replay state; the cyclic collector would walk
    # them again and again (it more than doubles the main process's time) while the loop
    # makes no cycles. It runs again once the loop is done.
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for page, (page_leaves, items, unreadable) in _checked_or_named(
            v, _pages_checked(source, n, pool, 2 * v.workers + 1)
        ):
            if unreadable is not None:
                v.fail(*unreadable)
                stopped = True
                break
            for j, (tag, item) in enumerate(items):
                i = page.start + j
                if tag == UNCANONICAL:
                    v.fail(i, "the entry has no RFC 8785 canonical form (so no leaf hash)")
                    stopped = True
                    break
                leaf = page_leaves[32 * j : 32 * j + 32]
                compact.append(leaf)
                leaves.data += leaf
                if compact.size in snapshots:
                    roots[compact.size] = compact.root()
                try:
                    if tag == FACTS:
                        facts = unpack(item)
                        replay.add_facts(facts)
                        v.signatures += facts.signature_ok
                        kind, received = facts.kind, facts.received_at
                    else:
                        if i == 0 and isinstance(item, dict) and item.get("signed_manifest") != signed:
                            v.fail(0, "the manifest entry is not the signed manifest the source publishes")
                            stopped = True
                            break
                        replay.add(item)
                        kind, received = item["type"], item.get("received_at", "")
                except LedgerError as exc:
                    v.fail(exc.index, str(exc).removeprefix(f"entry {exc.index}: "))
                    stopped = True
                    break
                v.types[kind] += 1
                # Only when the texts agree to the second or go back are they compared as times
                # (each text parsed at most once).
                if received[:19] <= last_received[:19] and received != last_received:
                    now = parse_time(received)
                    if last_time is None:
                        last_time = parse_time(last_received)
                    if now < last_time:
                        late += 1
                        if late == 1:
                            v.notes.append(
                                f"entry {i} was received at {received}, before entry {i - 1} ({last_received})"
                            )
                        continue
                    last_received, last_time = received, now
                else:
                    last_received, last_time = received, None
            v.entries = compact.size
            if progress:
                progress(len(items))
            if stopped:
                break
    finally:
        if gc_was:
            gc.enable()
        if pool is not None:
            pids = list(pool._processes or {})
            v.worker_cpu = sum(_cpu_seconds(pid) for pid in pids)
            v.worker_peak_rss = max((_peak_rss(pid) for pid in pids), default=0)
            pool.shutdown(wait=True, cancel_futures=True)
    stopped = stopped or len(v.problems) > before
    v.state = replay.state
    if late > 1:
        v.notes.append(f"{late} entries in all carry a received_at earlier than an entry before them")

    if not stopped and v.types:
        v.passed.append(
            f"{v.types['ballot']:,} accepted and {v.types['rejected']:,} rejected ballots replayed under every rule "
            f"({v.signatures:,} signatures checked on {v.workers} "
            f"{'core' if v.workers == 1 else 'cores'})"
        )
    if not stopped:
        _check_extent(v, source, n)
    if not stopped and v.entries == n:
        if compact.root() == head.root_hash:
            v.passed.append(
                f"{'all ' if n > 1 else ''}{_n(n, 'entry', 'entries')} hash to the root the tree head signs"
            )
            _check_history(v, source, olds, roots, head)
            _spot_check(v, source, leaves, head)
        else:
            v.fail(
                None,
                f"the {n:,} entries do not hash to the root the tree head signs: an entry was "
                "changed, dropped, added or reordered",
            )
            _locate(v, source, leaves, head, olds, roots)
    if not stopped and v.state.manifest is not None and not v.problems:
        _check_results(v, source)
    if store is not None and remembered.authority_key in (None, manifest.authority_key):
        remembered.authority_key = manifest.authority_key
        if remembered.ledger_key in (None, manifest.ledger_key):
            remembered.ledger_key = manifest.ledger_key
            remembered.add(head.to_json())
            store.save(remembered)
    v.seconds = time.monotonic() - t0
    return v


def _check_extent(v: Verdict, source: LedgerSource, n: int) -> None:
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


def _check_history(
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
                f"{_when(old.timestamp)}: the ledger was rewritten (a fork)",
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
            f"consistent with {_n(len(olds), 'tree head', 'tree heads')} seen before (sizes {sizes})"
        )


def _spot_check(v: Verdict, source: LedgerSource, leaves: _LeafStore, head: TreeHead) -> None:
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


def _locate(
    v: Verdict,
    source: LedgerSource,
    leaves: _LeafStore,
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
    n: int, leaves: _LeafStore, proof: Callable[[int], tuple[bytes, list[bytes]]]
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


def _check_results(v: Verdict, source: LedgerSource) -> None:
    st = v.state
    assert st is not None
    assert st.manifest is not None
    v.merged = st.merged()
    v.results = st.results()
    if st.close is not None:
        v.passed.append(
            f"event closed at entry {st.close_index}: merge and tally recomputed, the close entry's "
            f"results hash {st.close['results_hash'][:16]}… matches"
        )
    else:
        v.notes.append("the event is not closed yet: results are provisional")
    published = source.published_results()
    if published is None:
        return
    inner = published.get("results", published)
    if not isinstance(inner, dict):
        v.published_match = False
        v.fail(st.close_index, "the published results are not a results object")
        return
    v.published_match = results_hash(inner) == results_hash(v.results)
    where = st.close_index
    if not v.published_match:
        diff = _first_result_difference(v.results, inner)
        v.fail(where, f"the published results differ from the results recomputed from the ledger ({diff})")
    elif "results_hash" in published and st.close and published["results_hash"] != st.close["results_hash"]:
        v.published_match = False
        v.fail(where, "the published results hash is not the one in the close entry")
    elif "close_index" in published and published["close_index"] != st.close_index:
        v.published_match = False
        v.fail(where, f"the results are published as closed at entry {published['close_index']}")
    else:
        v.passed.append("the published results are exactly the recomputed results")


def _first_result_difference(mine: dict[str, Any], theirs: Any) -> str:
    if not isinstance(theirs, dict):
        return "they are not a results object"
    if mine.get("selected") != theirs.get("selected"):
        return f"selected {theirs.get('selected')} instead of {mine.get('selected')}"
    theirs_p = {p.get("id"): p for p in theirs.get("proposals", []) if isinstance(p, dict)}
    for p in mine["proposals"]:
        if theirs_p.get(p["id"]) != p:
            return f"proposal {p['id']}"
    return "in their other fields"


# --- one receipt ------------------------------------------------------------------------------


@dataclass
class ReceiptCheck:
    receipt: str
    index: int | None = None
    ballot_id: str | None = None
    entry: dict[str, Any] | None = None
    head: TreeHead | None = None
    problems: list[Problem] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.index is not None


def receipt_query(receipt: str) -> ReceiptQuery:
    """A full ballot id, or a short code ``7Q2M-K4XD`` typed in any case (``shared.receipt``);
    raise :class:`FormatError` naming what is wrong with anything else."""
    return parse_receipt(receipt)


def verify_receipt(
    source: LedgerSource,
    receipt: str,
    *,
    store: StateStore | None = None,
    progress: Progress | None = None,
    on_start: Callable[[int], None] | None = None,
) -> ReceiptCheck:
    """Find a receipt's ballot on the ledger and prove it is in the signed tree.

    A server's receipt lookup is used to find the entry quickly; its answer is then proved
    (inclusion proof against the signed root, the ballot's id and signature). A "not
    found" is never taken on trust: the whole ledger is searched."""
    query = receipt_query(receipt)
    rc = ReceiptCheck(receipt)
    manifest = verify_signed_manifest(source.signed_manifest())
    rc.passed.append("manifest signed by the authority key")
    head = verify_sth(source.sth(), manifest.ledger_key, event=manifest.event)
    rc.head = head
    rc.passed.append(f"tree head signed by the ledger key: {head.tree_size:,} entries")
    remembered = store.load(manifest.event) if store else Remembered(manifest.event)
    if remembered.ledger_key == manifest.ledger_key:
        for old in remembered.heads():
            if old.tree_size > head.tree_size:
                rc.problems.append(
                    Problem(
                        None,
                        f"the server signed {old.tree_size:,} entries before and shows {head.tree_size:,} now",
                    )
                )
            elif 0 < old.tree_size < head.tree_size:
                proof = source.consistency_proof(old.tree_size, head.tree_size)
                if proof is not None:
                    try:
                        verify_consistency(
                            old.tree_size, head.tree_size, old.root_hash, head.root_hash, proof
                        )
                    except VerificationError as exc:
                        rc.problems.append(
                            Problem(None, f"not consistent with the head of size {old.tree_size:,}: {exc}")
                        )
    found: list[tuple[int, str, dict[str, Any]]] = []
    whole_root: bytes | None = None
    hit = source.find_receipt(query.text) if isinstance(source, HttpSource) else None
    if hit is not None and hit[0] < head.tree_size:
        index = hit[0]
        entry = source.entry(index)  # type: ignore[attr-defined]
        if (
            isinstance(entry, dict)
            and "signed_ballot" in entry
            and query.matches(ballot_id(entry["signed_ballot"]))
        ):
            found.append((index, ballot_id(entry["signed_ballot"]), entry))  # else: search, never trust
    if not found:
        if on_start:
            on_start(head.tree_size)
        compact = CompactRange()
        for page in source.pages(0, head.tree_size):
            entries = page_entries(page)
            for j, entry in enumerate(entries):
                compact.append(leaf_hash(jcs(entry)))
                if isinstance(entry, dict) and entry.get("type") in ("ballot", "rejected"):
                    bid = ballot_id(entry.get("signed_ballot"))
                    if query.matches(bid):
                        found.append((page.start + j, bid, entry))
            if progress:
                progress(len(entries))
        if compact.size == head.tree_size:
            whole_root = compact.root()
    if not found:
        rc.problems.append(Problem(None, f"no ballot with receipt {receipt} is on the ledger"))
        return rc
    if len({bid for _, bid, _ in found}) > 1:
        rc.problems.append(
            Problem(None, f"the short code {receipt} matches {len(found)} ballots: give the full receipt")
        )
        return rc
    index, bid, entry = found[0]
    rc.index, rc.ballot_id, rc.entry = index, bid, entry
    leaf = leaf_hash(jcs(entry))
    try:
        if isinstance(source, HttpSource):
            got = source.inclusion_proof(index, head.tree_size)
            assert got is not None
            if got[0] != leaf:
                raise VerificationError("the proof is for another leaf than the entry the server sent")
            verify_inclusion(index, head.tree_size, leaf, got[1], head.root_hash)
            rc.passed.append(f"entry {index} is in the signed tree (inclusion proof of {len(got[1])} hashes)")
        else:
            if whole_root != head.root_hash:
                raise VerificationError("the export's entries do not hash to the root the tree head signs")
            rc.passed.append(
                f"entry {index} is in the signed tree (all {head.tree_size:,} entries hash to its root)"
            )
        reviewer = manifest.reviewers.get(entry["signed_ballot"]["ballot"]["reviewer"])
        if reviewer is None:
            raise VerificationError("the ballot's reviewer is not in the manifest")
        from shared.ballot import SignedBallot

        SignedBallot.from_json(entry["signed_ballot"]).verify(reviewer.key)
        rc.passed.append(f"the ballot is signed by {reviewer.id}'s key in the manifest")
        if entry["type"] == "rejected":
            rc.problems.append(
                Problem(
                    index,
                    f"the ballot is on the ledger but was rejected ({entry.get('code')}): it does not count",
                )
            )
    except (FormatError, VerificationError, KeyError, TypeError) as exc:
        rc.problems.append(Problem(index, str(exc)))
    if store is not None and not rc.problems and remembered.ledger_key in (None, manifest.ledger_key):
        remembered.authority_key = remembered.authority_key or manifest.authority_key
        remembered.ledger_key = manifest.ledger_key
        remembered.add(head.to_json())
        store.save(remembered)
    return rc
