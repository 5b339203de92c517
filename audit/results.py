"""The results recomputed from the verified ledger, and the published results against them.

Merge and tally run once on the replayed state (:meth:`shared.replay.LedgerState.results`;
the replay has already compared the close entry's results hash). Results the source
publishes must be exactly these, under the close entry's results hash and index.
"""

from __future__ import annotations

from typing import Any

from shared.tally import results_hash

from .source import LedgerSource
from .verdict import Verdict


def check_results(v: Verdict, source: LedgerSource) -> None:
    st = v.state
    assert st is not None
    assert st.manifest is not None
    v.merged = st.merged()
    v.results = st.results()
    if st.close is not None:
        v.passed.append(
            f"event closed at entry {st.close_index}: merge and tally recomputed, the close entry's "
            f"results hash {st.close['results_hash'][:16]}… matches"
        )
    else:
        v.notes.append("the event is not closed yet: results are provisional")
    published = source.published_results()
    if published is None:
        return
    inner = published.get("results", published)
    if not isinstance(inner, dict):
        v.published_match = False
        v.fail(st.close_index, "the published results are not a results object")
        return
    v.published_match = results_hash(inner) == results_hash(v.results)
    where = st.close_index
    if not v.published_match:
        diff = _first_result_difference(v.results, inner)
        v.fail(where, f"the published results differ from the results recomputed from the ledger ({diff})")
    elif "results_hash" in published and st.close and published["results_hash"] != st.close["results_hash"]:
        v.published_match = False
        v.fail(where, "the published results hash is not the one in the close entry")
    elif "close_index" in published and published["close_index"] != st.close_index:
        v.published_match = False
        v.fail(where, f"the results are published as closed at entry {published['close_index']}")
    else:
        v.passed.append("the published results are exactly the recomputed results")


def _first_result_difference(mine: dict[str, Any], theirs: Any) -> str:
    if not isinstance(theirs, dict):
        return "they are not a results object"
    if mine.get("selected") != theirs.get("selected"):
        return f"selected {theirs.get('selected')} instead of {mine.get('selected')}"
    theirs_p = {p.get("id"): p for p in theirs.get("proposals", []) if isinstance(p, dict)}
    for p in mine["proposals"]:
        if theirs_p.get(p["id"]) != p:
            return f"proposal {p['id']}"
    return "in their other fields"
