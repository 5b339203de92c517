"""Write a ledger as an export folder an auditor can check offline (``simsa verify DIR``).

- ``entries.jsonl``: one entry per line in index order, each line exactly the entry's
  RFC 8785 bytes — the Merkle leaf data — so ``SHA-256(0x00 ‖ line)`` is its leaf hash;
- ``sth.json``: the signed tree head the entries were read under (it covers them all);
- ``manifest.json``: the signed manifest;
- ``results.json``: the published results, when the server had published them.
- ``witnessed-checkpoint``: the newest witness-cosigned checkpoint, when the server has one.

Files are written under temporary names and renamed when complete, so a folder never
holds a half-written export under the final names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.encoding import jcs
from shared.ledger import verify_sth
from shared.manifest import verify_signed_manifest
from shared.merkle import CompactRange, leaf_hash

from .source import (
    ENTRIES_FILE,
    MANIFEST_FILE,
    RESULTS_FILE,
    STH_FILE,
    LedgerSource,
    page_entries,
)


@dataclass(frozen=True)
class ExportSummary:
    folder: Path
    entries: int
    root_matches: bool
    results: bool


def _write_json(path: Path, value: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_export(
    folder: Path,
    signed_manifest: dict[str, Any],
    entries: Iterable[dict[str, Any] | bytes],
    sth: dict[str, Any],
    results: dict[str, Any] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, bytes]:
    """Write an export folder; ``entries`` are entry objects or their RFC 8785 bytes.

    Returns the number of entries and the Merkle root of their leaves."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (ENTRIES_FILE + ".tmp")
    tree = CompactRange()
    with open(tmp, "wb") as f:
        for entry in entries:
            data = entry if isinstance(entry, bytes) else jcs(entry)
            f.write(data)
            f.write(b"\n")
            tree.append(leaf_hash(data))
            if progress and tree.size % 1000 == 0:
                progress(1000)
        f.flush()
        os.fsync(f.fileno())
    if progress:
        progress(tree.size % 1000)
    os.replace(tmp, folder / ENTRIES_FILE)
    _write_json(folder / MANIFEST_FILE, signed_manifest)
    if results is not None:
        _write_json(folder / RESULTS_FILE, results)
    elif (folder / RESULTS_FILE).exists():
        (folder / RESULTS_FILE).unlink()
    _write_json(folder / STH_FILE, sth)
    return tree.size, tree.root()


def export_ledger(
    source: LedgerSource,
    folder: Path,
    *,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> ExportSummary:
    """Download everything the latest STH covers into ``folder``.

    The manifest and STH signatures are checked first (an export of a ledger whose head
    does not verify is refused), and the entries' root is compared with the STH, so a
    summary says whether the copy is whole. Full verification is ``simsa verify DIR``."""
    signed = source.signed_manifest()
    manifest = verify_signed_manifest(signed)
    from .witnessed import WITNESSED_FILE, fetch_witnessed

    witnessed = fetch_witnessed(source)  # before the STH, so the STH covers it
    sth = source.sth()
    head = verify_sth(sth, manifest.ledger_key, event=manifest.event)
    if on_start:
        on_start(head.tree_size)

    def entries() -> Iterable[dict[str, Any]]:
        for page in source.pages(0, head.tree_size):
            batch = page_entries(page)
            yield from batch
            if progress:
                progress(len(batch))

    results = source.published_results()
    n, root = write_export(folder, signed, entries(), sth, results)
    if witnessed is not None:
        (folder / WITNESSED_FILE).write_bytes(witnessed)
    return ExportSummary(folder, n, n == head.tree_size and root == head.root_hash, results is not None)
