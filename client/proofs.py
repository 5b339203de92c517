"""What a server's answers prove, checked through ``shared`` (no maths here): a signed
tree head, consistency between two heads, inclusion of an entry, a witnessed checkpoint.

Each function raises :class:`shared.errors.VerificationError` (or ``FormatError`` for a
malformed answer) and returns the checked value; network failures stay
:mod:`client.errors`."""

from __future__ import annotations

from collections.abc import Sequence

from shared.checkpoint import Witnessed, check_witnessed
from shared.errors import VerificationError
from shared.ledger import TreeHead, verify_sth
from shared.merkle import verify_consistency, verify_inclusion

from .api import LedgerClient


def verified_sth(client: LedgerClient, ledger_key: str, *, event: str | None = None) -> tuple[TreeHead, dict[str, object]]:
    """The server's latest tree head, checked against ``ledger_key``, and its raw JSON."""
    raw = client.sth()
    return verify_sth(raw, ledger_key, event=event), raw


def check_consistency(client: LedgerClient, first: int, first_root: bytes, second: int, second_root: bytes) -> None:
    """The tree of size ``second`` extends the one of size ``first`` (proof fetched when
    needed; equal sizes need equal roots)."""
    if first > second:
        raise VerificationError(f"the ledger shrank from {first} to {second} entries")
    proof = client.consistency(first, second) if 0 < first < second else []
    verify_consistency(first, second, first_root, second_root, proof)


def check_inclusion(client: LedgerClient, index: int, leaf: bytes, head: TreeHead) -> None:
    """Entry ``index`` with leaf hash ``leaf`` is in ``head``'s tree."""
    got, path = client.inclusion(index, head.tree_size)
    if got != leaf:
        raise VerificationError(f"the server's leaf hash for entry {index} is not the entry's")
    verify_inclusion(index, head.tree_size, leaf, path, head.root_hash)


def witnessed(client: LedgerClient, ledger_key: str, keys: Sequence[tuple[str, str]], threshold: int) -> Witnessed | None:
    """The server's cosigned checkpoint, checked; None when it has none yet."""
    text = client.witnessed_checkpoint()
    return None if text is None else check_witnessed(text, ledger_key, keys, threshold)
