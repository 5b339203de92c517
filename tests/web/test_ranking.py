"""The results laid out as the selection works (rankings.ranking): the on-site ranking
with its line at the on-site quota, then the online ranking of the rest with its line,
trimmed a little past each line (the full table holds every proposal)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from server.context import Context
from server.services.rankings import RANKING_TAIL, ranking
from shared.manifest import Manifest


def fake_results(m: Manifest) -> dict[str, Any]:
    ids = sorted(m.proposals)
    k_order = ids  # p01 best on-site
    o_order = list(reversed(ids))  # p24 best online
    sel = m.selection
    picked_k = k_order[: sel.quota_kiosk]
    picked_o = [p for p in o_order if p not in picked_k][: sel.quota_online]
    return {
        "proposals": [
            {
                "id": p, "group": m.proposals[p].group, "community": m.proposals[p].community,
                "kiosk": {"score": 100.0 - k_order.index(p), "ballots": 3, "rank": k_order.index(p) + 1},
                "online": {"score": float(50 - o_order.index(p)), "ballots": 9, "rank": o_order.index(p) + 1},
                "combined": None,
                "selected_by": "kiosk" if p in picked_k else "online" if p in picked_o else None,
            }
            for p in ids
        ],
        "selected": picked_k + picked_o,
    }


def test_quota_ranking_lines_and_trim(mini_manifest: Manifest) -> None:
    m = mini_manifest
    ctx = cast(Context, SimpleNamespace(manifest=m))
    rk = ranking(ctx, fake_results(m))
    kiosk, online = rk.tables
    q_k, q_o = m.selection.quota_kiosk, m.selection.quota_online
    assert (kiosk.line, online.line) == (q_k, q_o)
    assert [p["id"] for p in kiosk.rows[:q_k]] == sorted(m.proposals)[:q_k]
    assert len(kiosk.rows) == min(len(m.proposals), q_k + RANKING_TAIL)
    assert kiosk.more == len(m.proposals) - len(kiosk.rows)
    # The online ranking leaves out the on-site picks and starts from the best online.
    assert not {p["id"] for p in online.rows} & set(sorted(m.proposals)[:q_k])
    assert online.rows[0]["id"] == sorted(m.proposals)[-1]
    assert all(p["selected_by"] == "online" for p in online.rows[:q_o])
    assert rk.selected == q_k + q_o and len(rk.all) == len(m.proposals)
