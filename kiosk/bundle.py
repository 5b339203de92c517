"""USB bundles: what a network sync would send, written to a folder for staff to import.

A kiosk that never reaches the network exports its unsent records as the very batches
:class:`kiosk.sync.Syncer` would post — at most 500 records each, each with a head the
kiosk signed — one file per batch (``batch-0001.json`` …), plus its self-signed
registration and, once closed, its signed closure. Staff import the batch files in
order on the dashboard (``POST /api/v1/staff/bundles``); the ledger ends up exactly as
after a network sync, and importing a file twice changes nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from shared.chain import MAX_BATCH_RECORDS, make_batch
from shared.encoding import jcs

from .identity import Kiosk, registration
from .store import KioskStore, Meta


def next_batch(kiosk: Kiosk, store: KioskStore, after_seq: int) -> dict[str, Any] | None:
    """The batch of the records after ``after_seq`` (at most 500), or None if there are none."""
    records = store.records(after_seq=after_seq, limit=MAX_BATCH_RECORDS)
    if not records:
        return None
    return make_batch(kiosk.id, records, kiosk.key, 0, "")


def bundle_batches(kiosk: Kiosk, store: KioskStore, after_seq: int | None = None) -> list[dict[str, Any]]:
    """Every batch a sync would send now, from the server's last known seq by default."""
    seq = store.synced_seq() if after_seq is None else after_seq
    out = []
    while (batch := next_batch(kiosk, store, seq)) is not None:
        out.append(batch)
        seq = batch["records"][-1]["seq"]
    return out


def _write(path: Path, obj: Any) -> None:
    data = jcs(obj)
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def export_bundle(kiosk: Kiosk, store: KioskStore, dest: Path, stamp: str, *, everything: bool = False) -> Path:
    """Write a bundle folder under ``dest`` (a USB stick) and return it.

    ``everything`` exports the whole chain from seq 1 (records the server already holds
    come back as duplicates); by default only what the server has not confirmed."""
    folder = dest / f"simsa-bundle-{kiosk.id}-{stamp.replace(':', '').replace('-', '')}"
    folder.mkdir(parents=True, exist_ok=False)
    batches = bundle_batches(kiosk, store, 0 if everything else None)
    for i, batch in enumerate(batches, 1):
        _write(folder / f"batch-{i:04d}.json", batch)
    reg = store.get_json(Meta.REGISTRATION) or registration(kiosk, stamp)
    _write(folder / "registration.json", reg)
    closure = store.get_json(Meta.CLOSURE)
    if closure is not None:
        _write(folder / "closure.json", closure)
    head_seq, head_hash = store.head()
    summary = {
        "kiosk": kiosk.id,
        "event": kiosk.manifest.event,
        "exported_at": stamp,
        "head": {"seq": head_seq, "hash": head_hash},
        "batches": [
            {"file": f"batch-{i:04d}.json", "first_seq": b["records"][0]["seq"], "last_seq": b["head"]["seq"]}
            for i, b in enumerate(batches, 1)
        ],
    }
    (folder / "README.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return folder


def read_bundle(folder: Path) -> list[dict[str, Any]]:
    """The batch files of a bundle folder, in order."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("batch-*.json"))]
