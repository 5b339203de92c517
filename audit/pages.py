"""Pages of entries checked on every core and handed back in index order.

The work a page needs no ledger state for (:func:`audit.checker.check_page`: its text
read, its leaf hashes, each ballot's facts) runs in a process pool — forkserver where
there is one, else spawn — whose workers hold the rules' view of the verified manifest
(:func:`audit.checker.init_worker`). A few pages are kept in flight; the main process
takes the results in index order and applies the rest (:func:`audit.verify.verify_ledger`).
Without a pool each page is checked in the main process. Before the pool shuts down, its
workers' CPU time and peak memory are read from Linux /proc.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from .checker import PageResult, check_page, init_worker
from .source import EntryError, LedgerSource, Page
from .verdict import Verdict

# --- worker side: see :mod:`audit.checker` ------------------------------------------------


def _noop() -> int:
    return os.getpid()


# --- main side ----------------------------------------------------------------------------


def pages_checked(
    source: LedgerSource, n: int, pool: ProcessPoolExecutor | None, depth: int
) -> Iterator[tuple[Page, PageResult]]:
    """Each page of the first ``n`` entries with its result, in index order; with a pool,
    ``depth`` pages are checked ahead of the one handed back."""
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


def checked_or_named(
    v: Verdict, pages: Iterator[tuple[Page, PageResult]]
) -> Iterator[tuple[Page, PageResult]]:
    """The checked pages; a page the source cannot give is a problem named by its index."""
    try:
        yield from pages
    except EntryError as exc:
        v.fail(exc.index, exc.problem)


def start_pool(workers: int, init_args: tuple[bytes, bytes]) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes that hold the manifest (``init_args`` of
    :func:`audit.checker.init_worker`), every one already started."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=init_worker, initargs=init_args
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


def worker_usage(pool: ProcessPoolExecutor) -> tuple[float, int]:
    """CPU seconds of all the pool's workers and the largest one's peak resident memory in
    bytes (0 where unknown), read while they are alive."""
    pids = list(pool._processes or {})
    return sum(_cpu_seconds(pid) for pid in pids), max((_peak_rss(pid) for pid in pids), default=0)
