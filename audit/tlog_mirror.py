"""``simsa ledger tiles``: write a server's tiled log (C2SP tlog-tiles) out as static files.

The folder is what ``/tlog`` serves, file for file: ``checkpoint``, ``tile/<L>/<N>[.p/<W>]``,
``tile/entries/<N>[.p/<W>]`` (where every entry fits a 16-bit length), ``simsa-entries/…``
(every bundle, in simsa's format), ``witnessed-checkpoint`` and ``vkey``. Full tiles
already in the folder are kept (they never change), so a re-run fetches only the new ones.
Everything is checked before the new checkpoint replaces the old one: the checkpoint's
signature by the manifest's ledger key, the root recomputed from the tiles written and
every bundle against its level-0 tile. nginx then serves the folder (docs/RUNBOOK.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shared.checkpoint import ledger_verifier, open_checkpoint, parse_checkpoint_text
from shared.errors import FormatError, VerificationError
from shared.manifest import verify_signed_manifest
from shared.note import parse_note
from shared.tiles import TILE_WIDTH, TileReader, decode_bundle, tile_path, tiles_for

from .source import HttpSource


@dataclass
class MirrorSummary:
    size: int
    fetched: int
    kept: int
    simsa_only: list[int]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def mirror_tiles(source: HttpSource, out: Path, *, progress: Callable[[int], None] | None = None) -> MirrorSummary:
    """Fetch, check and write the tiled log; raise VerificationError if anything disagrees."""
    manifest = verify_signed_manifest(source.signed_manifest())
    raw = source._get("/tlog/checkpoint")
    assert raw is not None
    text = raw.decode("utf-8")
    origin = parse_checkpoint_text(parse_note(text).text).origin
    log = ledger_verifier(origin, manifest.ledger_key)
    cp, _ = open_checkpoint(text, log)
    fetched = kept = 0
    simsa_only: list[int] = []

    def get(path: str) -> bytes:
        nonlocal fetched, kept
        dest = out / path
        full = ".p/" not in path
        if full and dest.is_file():
            kept += 1
            return dest.read_bytes()
        data = source._get(f"/tlog/{path}")
        assert data is not None
        fetched += 1
        _write(dest, data)
        if progress:
            progress(1)
        return data

    reader = TileReader(get, cp.size)
    for level, n, width in tiles_for(cp.size):
        reader.tile(level, n)
        simsa_path = tile_path("entries", n, width).replace("tile/entries/", "simsa-entries/", 1)
        if level == 0 and width == TILE_WIDTH and (out / simsa_path).is_file():
            kept += 1  # a full bundle was checked against its full tile when it was written
            continue
        if level == 0:
            lines = get(simsa_path).split(b"\n")
            if lines[-1] != b"":
                raise FormatError(f"simsa-entries bundle {n} does not end in a newline")
            entries = lines[:-1]
            reader.check_bundle(n, entries)
            bundle = tile_path("entries", n, width)
            data = source._get(f"/tlog/{bundle}", missing_ok=True)
            if data is None:
                simsa_only.append(n)
            else:
                if decode_bundle(data) != entries:
                    raise VerificationError(f"entry bundle {n} differs from its simsa-format entries")
                _write(out / bundle, data)
    if reader.root() != cp.root:
        raise VerificationError(f"the tiles hash to another root than the checkpoint of size {cp.size} signs")
    witnessed = source._get("/tlog/witnessed-checkpoint", missing_ok=True)
    if witnessed is not None:
        wcp, _ = open_checkpoint(witnessed, log)
        if wcp.size > cp.size:
            raise VerificationError("the witnessed checkpoint is larger than the latest checkpoint")
        older = TileReader(get, wcp.size)  # its partial tiles, for readers of that size
        if older.root() != wcp.root:
            raise VerificationError(f"the tiles hash to another root than the witnessed checkpoint of size {wcp.size}")
        _write(out / "witnessed-checkpoint", witnessed)
    _write(out / "vkey", (log.vkey + "\n").encode())
    _write(out / "checkpoint", raw)  # last: a reader never sees a checkpoint before its tiles
    return MirrorSummary(cp.size, fetched, kept, simsa_only)
