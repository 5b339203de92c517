"""Verify a whole ledger without trusting the server: :func:`verify_ledger` reads it once.

Order of the checks (a failure names the entry index where there is one):

1. the manifest's authority signature, and the keys pinned for this event on earlier runs
   (:mod:`audit.state`);
2. the latest STH's signature with the manifest's ledger key;
3. every entry: on every core (:func:`audit.checker.check_page` in a process pool,
   :mod:`audit.pages`) its text read (RFC 8785 text by a C parser, anything else
   strictly), its leaf hash, and for each ballot its shape, signature and every rule that
   needs no ledger state; then, in index order, a :class:`shared.replay.Replay` that
   applies the rest of DESIGN §5 — revocations and the close in rule order, kiosk chains,
   statements' signatures, resolutions, closes, duplicate receipts;
4. the Merkle root of all the entries against the STH (every leaf's inclusion at once);
5. every head remembered from earlier runs: the root of its first *m* entries, and, from a
   server, its consistency proof — 4 and 5 in :mod:`audit.tree`, which also checks a few of
   a server's inclusion proofs or, when the root differs, finds where the entries stop
   matching;
6. merge and tally recomputed; the close entry's results hash (in the replay) and the
   published results compared (:mod:`audit.results`).

Verification is a value: :func:`verify_ledger` returns a :class:`audit.verdict.Verdict`
listing the problems; it raises only when the ledger cannot be read at all
(:class:`SourceError`). One receipt is checked by :func:`audit.receipt.verify_receipt`.
"""

from __future__ import annotations

import gc
import os
import pickle
import time
from collections.abc import Callable
from datetime import datetime

from shared.encoding import jcs, sha256
from shared.errors import FormatError, VerificationError
from shared.ledger import verify_sth
from shared.manifest import verify_signed_manifest
from shared.merkle import CompactRange
from shared.replay import LedgerError, Replay
from shared.timefmt import parse_time

from . import heap
from .checker import FACTS, SAME_MANIFEST, UNCANONICAL, init_worker, unpack
from .pages import checked_or_named, pages_checked, start_pool, worker_usage
from .results import check_results
from .rulebook import packed, worker_manifest
from .source import LedgerSource
from .state import Remembered, StateStore
from .tree import LeafStore, check_extent, check_history, locate, spot_check
from .verdict import Verdict, plural, utc_time
from .witnessed import check_witnesses

Progress = Callable[[int], None]


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
    heap.bounded()
    v = Verdict(source.label, workers=max(1, workers or os.cpu_count() or 1))
    try:
        signed = source.signed_manifest()
        full = verify_signed_manifest(signed)
    except (FormatError, VerificationError) as exc:
        return v.fail(None, f"the published manifest does not hold: {exc}")
    # The manifest is held once, by reviewer index (audit.rulebook): the parsed JSON and
    # Manifest of a city (200,000 reviewers) are ~380 MiB. Entry 0 is compared with the
    # signed manifest by the SHA-256 of its RFC 8785 bytes.
    signed_digest = sha256(jcs(signed))
    lean = packed(worker_manifest(full))
    del signed, full
    # Read back from its packed bytes once the parse is freed: the table then sits in
    # memory of its own, not scattered over the parse's (which goes back to the system).
    manifest = pickle.loads(lean)
    heap.give_back()
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
        f"tree head signed by the ledger key: {plural(n, 'entry', 'entries')}, {utc_time(head.timestamp)}"
    )
    check_witnesses(v, source, manifest, head)

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
                f"at {utc_time(old.timestamp)}: entries were removed from the ledger",
            )
    snapshots = {old.tree_size for old in olds if 0 < old.tree_size <= n}
    roots: dict[int, bytes] = {}

    if on_start:
        on_start(n)
    # Stands for the signed manifest in entry 0 once its digest is the published one's.
    published = object()
    # Merge and tally are all the auditor reads of its accepted ballots: no ballot's bytes
    # are kept (~470 B of ~1.1 KB a ballot).
    replay = Replay(verified_manifest=(published, manifest), keep_signed=False, keep_bytes=False)
    compact = CompactRange()
    leaves = LeafStore()
    last_received = ""
    last_time: datetime | None = None
    late = 0
    stopped = False
    # The workers get the rules' view of the manifest by reviewer index, not the manifest
    # (audit.rulebook), and only the digest of the signed manifest entry 0 must hold.
    worker_args = (lean, signed_digest)
    del lean
    pool = start_pool(v.workers, worker_args) if v.workers > 1 and n > 0 else None
    if pool is None:
        init_worker(*worker_args)
    del worker_args
    before = len(v.problems)
    # A million ballots stay alive in the replay state; the cyclic collector would walk
    # them again and again (it more than doubles the main process's time) while the loop
    # makes no cycles. It runs again once the loop is done.
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for page, (page_leaves, items, unreadable) in checked_or_named(
            v, pages_checked(source, n, pool, 2 * v.workers + 1)
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
                        if tag == SAME_MANIFEST:
                            item = {"received_at": item, "signed_manifest": published, "type": "manifest"}
                        elif i == 0 and isinstance(item, dict):
                            if sha256(jcs(item.get("signed_manifest"))) != signed_digest:
                                v.fail(0, "the manifest entry is not the signed manifest the source publishes")
                                stopped = True
                                break
                            item = {**item, "signed_manifest": published}
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
            v.worker_cpu, v.worker_peak_rss = worker_usage(pool)
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
        check_extent(v, source, n)
    if not stopped and v.entries == n:
        if compact.root() == head.root_hash:
            v.passed.append(
                f"{'all ' if n > 1 else ''}{plural(n, 'entry', 'entries')} hash to the root the tree head signs"
            )
            check_history(v, source, olds, roots, head)
            spot_check(v, source, leaves, head)
        else:
            v.fail(
                None,
                f"the {n:,} entries do not hash to the root the tree head signs: an entry was "
                "changed, dropped, added or reordered",
            )
            locate(v, source, leaves, head, olds, roots)
    if not stopped and v.state.manifest is not None and not v.problems:
        check_results(v, source)
    if store is not None and remembered.authority_key in (None, manifest.authority_key):
        remembered.authority_key = manifest.authority_key
        if remembered.ledger_key in (None, manifest.ledger_key):
            remembered.ledger_key = manifest.ledger_key
            remembered.add(head.to_json())
            store.save(remembered)
    v.seconds = time.monotonic() - t0
    return v
