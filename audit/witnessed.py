"""``simsa verify`` under a manifest's witness policy: is the tree head witnessed?

When the manifest lists witnesses, the source's witnessed checkpoint
(``/tlog/witnessed-checkpoint``, or ``witnessed-checkpoint`` in an export folder) must be
signed by the ledger key, cosigned by ``threshold`` of the listed witnesses and consistent
with the tree head being verified. Entries beyond its size are on the ledger but not yet
witnessed: a note says so. No witnessed checkpoint at all is a problem — the ledger could
be showing this auditor a history no witness has seen.
"""

from __future__ import annotations

from typing import Any

from shared.checkpoint import Witnessed, check_witnessed
from shared.errors import FormatError, VerificationError
from shared.ledger import TreeHead
from shared.manifest import Manifest
from shared.merkle import CompactRange, leaf_hash, verify_consistency

from .source import SourceError
from .verdict import Verdict

WITNESSED_FILE = "witnessed-checkpoint"


def fetch_witnessed(source: Any) -> bytes | None:
    """The source's witnessed checkpoint, or None when it has none."""
    folder = getattr(source, "folder", None)
    if folder is not None:
        path = folder / WITNESSED_FILE
        return path.read_bytes() if path.is_file() else None
    get = getattr(source, "_get", None)
    if get is None:
        return None
    data = get("/tlog/witnessed-checkpoint", missing_ok=True)
    return None if data is None else bytes(data)


def witnessed_head(source: Any, manifest: Manifest, head: TreeHead) -> Witnessed:
    """The witnessed checkpoint, checked and consistent with ``head``; raise VerificationError."""
    policy = manifest.witnesses
    assert policy is not None
    data = fetch_witnessed(source)
    if data is None:
        raise VerificationError(
            f"the manifest demands {policy.threshold} witness cosignatures, but the ledger shows no cosigned checkpoint"
        )
    w = check_witnessed(data, manifest.ledger_key, [(k.name, k.key) for k in policy.keys], policy.threshold)
    m, n = w.checkpoint.size, head.tree_size
    if m > n:
        raise VerificationError(f"the witnessed checkpoint (size {m:,}) is ahead of the tree head shown (size {n:,})")
    proof = source.consistency_proof(m, n) if 0 < m < n else []
    if proof is None:  # an export folder: the root of its first m entries instead (verify
        # then checks that all n entries hash to the head's root, so the head extends it)
        if _prefix_root(source.folder, m) != w.checkpoint.root:
            raise VerificationError(f"the first {m:,} entries do not hash to the witnessed checkpoint's root")
        return w
    verify_consistency(m, n, w.checkpoint.root, head.root_hash, proof)
    return w


def _prefix_root(folder: Any, m: int) -> bytes:
    from .source import ENTRIES_FILE

    cr = CompactRange()
    with open(folder / ENTRIES_FILE, "rb") as f:
        for line in f:
            if cr.size == m:
                break
            cr.append(leaf_hash(line.rstrip(b"\n")))
    if cr.size != m:
        raise VerificationError(f"the export holds fewer than the {m:,} entries the witnessed checkpoint covers")
    return cr.root()


def check_witnesses(v: Verdict, source: Any, manifest: Manifest, head: TreeHead) -> None:
    """Add the witness policy's verdict lines to ``v`` (nothing without a policy)."""
    if manifest.witnesses is None:
        return
    try:
        w = witnessed_head(source, manifest, head)
    except (FormatError, VerificationError, SourceError) as exc:
        v.fail(None, f"tree head not witnessed: {exc}")
        return
    names = ", ".join(sorted(w.cosigners))
    v.passed.append(
        f"witnessed: a checkpoint of {w.checkpoint.size:,} entries is cosigned by {len(w.cosigners)} of the "
        f"{len(manifest.witnesses.keys)} listed witnesses ({names}; {manifest.witnesses.threshold} required) "
        "and consistent with the tree head"
    )
    if w.checkpoint.size < head.tree_size:
        v.notes.append(
            f"entries {w.checkpoint.size:,}–{head.tree_size - 1:,} are on the ledger but not yet witnessed"
        )
