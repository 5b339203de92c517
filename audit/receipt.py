"""Check one receipt (``simsa verify --receipt``): find its ballot on the ledger and prove
it is in the signed tree.

The manifest and the latest tree head must verify, and the head must be consistent with
every head remembered from earlier runs. A server's receipt lookup finds the entry
quickly; its answer is then proved (inclusion proof against the signed root, the ballot's
id and signature). A "not found" is never taken on trust: the whole ledger is read, and an
export's entries must hash to the signed root. The head is remembered once the receipt
holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.ballot import ballot_id
from shared.encoding import jcs
from shared.errors import FormatError, VerificationError
from shared.ledger import TreeHead, verify_sth
from shared.manifest import verify_signed_manifest
from shared.merkle import CompactRange, leaf_hash, verify_consistency, verify_inclusion
from shared.receipt import ReceiptQuery, parse_receipt

from .source import HttpSource, LedgerSource, page_entries
from .state import Remembered, StateStore
from .verdict import Problem

Progress = Callable[[int], None]


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
        if manifest.witnesses is not None:
            from .witnessed import witnessed_head

            w = witnessed_head(source, manifest, head)
            covered = w.checkpoint.size
            rc.passed.append(
                f"witnessed: cosigned by {', '.join(sorted(w.cosigners))} (checkpoint of {covered:,} entries)"
                if index < covered
                else f"on the ledger, not yet witnessed: the newest cosigned checkpoint covers {covered:,} entries"
            )
    except (FormatError, VerificationError, KeyError, TypeError) as exc:
        rc.problems.append(Problem(index, str(exc)))
    if store is not None and not rc.problems and remembered.ledger_key in (None, manifest.ledger_key):
        remembered.authority_key = remembered.authority_key or manifest.authority_key
        remembered.ledger_key = manifest.ledger_key
        remembered.add(head.to_json())
        store.save(remembered)
    return rc
