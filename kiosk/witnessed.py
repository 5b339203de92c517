"""The kiosk's witness check: under a manifest witness policy, a tree head counts as
*witnessed* only when a checkpoint cosigned by ``threshold`` of the listed witnesses
covers it and is consistent with the head the kiosk adopted.

A server that shows this kiosk a history other kiosks do not see cannot get it cosigned by
honest witnesses (they never cosign two inconsistent heads), so the kiosk finds either no
cosigned checkpoint (``not_witnessed``) or one its own head does not extend
(``ledger_inconsistent``). The newest witnessed checkpoint is remembered in the kiosk store
(``last_witnessed``) and must only grow consistently.
"""

from __future__ import annotations

from typing import Any

from client import LedgerClient, ServerRefused
from client.proofs import check_consistency
from shared.checkpoint import Witnessed, check_witnessed
from shared.encoding import b64u, b64u_decode
from shared.errors import FormatError, VerificationError
from shared.ledger import TreeHead
from shared.manifest import Manifest


class WitnessAlarm(Exception):
    """``code`` is not_witnessed, witness_invalid or ledger_inconsistent."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def fetch_witnessed(client: LedgerClient) -> str | None:
    """``GET /tlog/witnessed-checkpoint`` as text, None on 404."""
    return client.witnessed_checkpoint()


def check_head_witnessed(
    client: LedgerClient, manifest: Manifest, head: TreeHead, last: dict[str, Any] | None
) -> Witnessed:
    """The witnessed checkpoint for ``head``, or raise :class:`WitnessAlarm` saying why not.

    ``last`` is the kiosk's remembered ``{"size", "root"}`` of the previous witnessed head."""
    policy = manifest.witnesses
    assert policy is not None
    text = fetch_witnessed(client)
    if text is None:
        raise WitnessAlarm(
            "not_witnessed",
            f"no checkpoint of this ledger is cosigned by {policy.threshold} of its {len(policy.keys)} witnesses",
        )
    try:
        w = check_witnessed(text, manifest.ledger_key, [(k.name, k.key) for k in policy.keys], policy.threshold)
    except VerificationError as exc:
        code = "not_witnessed" if "witness cosignatures the manifest demands" in str(exc) else "witness_invalid"
        raise WitnessAlarm(code, str(exc)) from exc
    except FormatError as exc:
        raise WitnessAlarm("witness_invalid", f"the cosigned checkpoint is malformed: {exc}") from exc
    m, n = w.checkpoint.size, head.tree_size
    try:
        if m > n:
            raise VerificationError(f"the cosigned checkpoint (size {m}) is ahead of the tree head (size {n})")
        check_consistency(client, m, w.checkpoint.root, n, head.root_hash)
        if last is not None:
            old_size, old_root = int(last["size"]), b64u_decode(str(last["root"]), length=32, what="remembered root")
            if m < old_size:
                raise VerificationError(f"the cosigned checkpoint went back from size {old_size} to {m}")
            check_consistency(client, old_size, old_root, n, head.root_hash)
    except (VerificationError, FormatError, ServerRefused) as exc:
        raise WitnessAlarm(
            "ledger_inconsistent",
            f"the tree head of size {n} does not extend the witnessed checkpoint of size {m}: {exc}",
        ) from exc
    return w


def remembered(w: Witnessed) -> dict[str, Any]:
    return {"size": w.checkpoint.size, "root": b64u(w.checkpoint.root), "cosigners": sorted(w.cosigners)}
