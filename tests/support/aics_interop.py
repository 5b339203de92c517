"""Run under the interop virtualenv (Python 3.12 with aics-tlog), not simsa's: reads a
simsa static tile folder with an independent C2SP implementation and prints JSON.

argv: DIR LOG_VKEY QUORUM WITNESS_VKEY… ; stdin: JSON {"inclusion": {i: [b64…]}, "consistency": {m: [b64…]}}
"""

import base64
import json
import sys
from pathlib import Path

import aics_tlog as a  # type: ignore[import-not-found]  # only in .venv-interop
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def main() -> None:
    folder, log_vkey, quorum, *witnesses = sys.argv[1:]
    want = json.load(sys.stdin)
    note = a.parse_note((Path(folder) / "checkpoint").read_bytes())
    res = a.verify_checkpoint(note, a.parse_vkey(log_vkey), [a.parse_vkey(w) for w in witnesses], int(quorum))
    cp = a.parse_checkpoint(note.text)
    reader = a.FileSystemTileReader(folder)
    root = a.tree_root_from_tiles(reader, cp.size)
    audit = a.audit_tiles(reader, cp.size, cp.root, entries=True)
    inc = {i: [base64.b64encode(h).decode() for h in a.inclusion_proof_from_tiles(reader, int(i), cp.size)] for i in want["inclusion"]}
    con = {m: [base64.b64encode(h).decode() for h in a.consistency_proof_from_tiles(reader, int(m), cp.size)] for m in want["consistency"]}
    # the other direction: a checkpoint and a cosignature made by aics-tlog, for simsa to verify
    log_key, wit_key = Ed25519PrivateKey.from_private_bytes(bytes(32)), Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32)
    theirs = a.sign_checkpoint(a.Checkpoint("aics.example/log", 5, bytes(range(32))), log_key, "aics.example/log")
    _, cosig = a.sign_cosignature(wit_key, "aics.example/w", 1767000000, "aics.example/log", 5, bytes(range(32)))
    their_note = a.Note(text=theirs.text, signatures=(*theirs.signatures, cosig))
    print(json.dumps({
        "ok": bool(res.ok), "size": cp.size, "root": base64.b64encode(cp.root).decode(),
        "tile_root": base64.b64encode(root).decode(), "audit": {"tiles": audit.tiles, "bundles": audit.bundles},  # audit_tiles raises on a bad tile
        "inclusion": inc, "consistency": con,
        "theirs": {"note": their_note.serialise(),
                   "log_vkey": a.format_vkey(a.vkey_from_ed25519("aics.example/log", log_key.public_key())),
                   "witness_vkey": a.format_vkey(a.cosignature_vkey("aics.example/w", wit_key.public_key()))},
    }))


main()
