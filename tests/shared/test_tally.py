"""shared.tally: scores, rankings, selection and ties (DESIGN §5) — hand-computed and properties."""

from __future__ import annotations

import hashlib
import itertools
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.ballot import Ballot, SignedBallot, approval_ballot, rubric_ballot
from shared.encoding import b64u, jcs
from shared.manifest import Manifest
from shared.merge import Accepted, Key
from shared.tally import results_hash, rubric_total, tally, tiebreak
from tests.support import tiny

FAKE_SIG = "A" * 86  # tally never checks signatures: replay and the rules did


def _acc(raw: dict[str, Any], n: int) -> Accepted:
    sb = SignedBallot(Ballot.from_json(raw), FAKE_SIG)
    return Accepted(sb.id, n, sb, raw["kiosk"], n if raw["kiosk"] else None)


def scored(reviewer: str, proposal: str, a: int, b: int, n: int) -> Accepted:
    """A kiosk rubric ballot: total = 100·(2a + b)/25 with the tiny rubric."""
    return _acc(
        rubric_ballot(
            event="t1", reviewer=reviewer, channel="kiosk", kiosk="k1", created_at=tiny.T_IN,
            nonce=tiny.nonce(n), proposal=proposal, scores={"a": a, "b": b},
        ),
        n,
    )  # fmt: skip


def liked(reviewer: str, group: str, choices: list[str], n: int) -> Accepted:
    return _acc(
        approval_ballot(
            event="t1", reviewer=reviewer, channel="online", kiosk=None, created_at=tiny.T_IN,
            nonce=tiny.nonce(n), group=group, choices=choices,
        ),
        n,
    )  # fmt: skip


def effective(*ballots: Accepted) -> dict[Key, Accepted]:
    return {a.key: a for a in ballots}


def by_id(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in results["proposals"]}


def with_selection(**sel: Any) -> Manifest:
    raw = tiny.manifest_raw()
    raw["selection"].update(sel)
    return Manifest.from_json(raw)


# --- hand-computed examples --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "total"),
    [(0, 0, 0.0), (10, 5, 100.0), (7, 3, 68.0), (10, 0, 80.0), (0, 5, 20.0), (5, 5, 60.0)],
)
def test_rubric_total_weighs_criteria(a: int, b: int, total: float) -> None:
    """a: max 10 weight 2, b: max 5 weight 1 → 100·(2a + b)/(2·10 + 1·5)."""
    assert rubric_total(tiny.manifest(), {"a": a, "b": b}) == pytest.approx(total)


def test_equal_weights_are_a_plain_share_of_the_maximum() -> None:
    raw = tiny.manifest_raw()
    for c in raw["rubric"]:
        c["weight"] = 1
    assert rubric_total(Manifest.from_json(raw), {"a": 7, "b": 3}) == pytest.approx(100 * 10 / 15)


def test_zero_weight_criterion_does_not_count() -> None:
    raw = tiny.manifest_raw()
    raw["rubric"][1]["weight"] = 0
    assert rubric_total(Manifest.from_json(raw), {"a": 7, "b": 0}) == pytest.approx(70.0)


def test_kiosk_score_is_the_mean_of_totals() -> None:
    m = tiny.manifest()
    res = tally(
        m,
        effective(
            scored("rep1", "p2", 7, 3, 1), scored("exp1", "p2", 10, 5, 2), scored("exp1", "p3", 5, 5, 3)
        ),
    )
    p = by_id(res)
    assert p["p2"]["kiosk"] == {"score": 84.0, "ballots": 2, "rank": 1}  # (68 + 100)/2
    assert p["p3"]["kiosk"] == {"score": 60.0, "ballots": 1, "rank": 2}
    assert p["p1"]["kiosk"] == {"score": None, "ballots": 0, "rank": None}
    assert res["effective_ballots"] == {"kiosk": 3, "online": 0}


def test_approval_score_counts_likes() -> None:
    m = tiny.manifest()
    res = tally(
        m,
        effective(
            liked("mem1", "g1", ["p2", "p3"], 1),
            liked("mem2", "g1", ["p2"], 2),
            liked("mem3", "g1", ["p2"], 3),
            liked("mem4", "g2", ["p4"], 4),
            liked("mem5", "g2", [], 5),
        ),
    )
    p = by_id(res)
    assert [p[x]["online"]["score"] for x in ("p1", "p2", "p3", "p4", "p5")] == [None, 3.0, 1.0, 1.0, None]
    assert p["p2"]["online"]["rank"] == 1
    # p3 and p4 tie on one like each: the SHA-256 tie-break orders them
    first, second = sorted(["p3", "p4"], key=lambda x: tiebreak("t1", x))
    assert (p[first]["online"]["rank"], p[second]["online"]["rank"]) == (2, 3)
    assert res["effective_ballots"] == {"kiosk": 0, "online": 5}


def test_zscore_per_reviewer() -> None:
    """A harsh and a lenient reviewer who agree on the order give the same z-scores."""
    m = with_selection(normalize="zscore")
    harsh = [
        scored("r1", "p1", 2, 1, 1),
        scored("r1", "p2", 5, 5, 2),
        scored("r1", "p3", 10, 5, 3),
    ]  # 20, 60, 100
    lenient = [
        scored("r2", "p1", 8, 4, 4),
        scored("r2", "p2", 9, 4, 5),
        scored("r2", "p3", 10, 5, 6),
    ]  # 80, 88, 100
    p = by_id(tally(m, effective(*harsh, *lenient)))
    z = math.sqrt(1.5)  # (100 - 60)/sd, sd = sqrt(((40² + 0 + 40²)/3))
    z_lenient = [
        (v - 268 / 3) / math.sqrt(((80 - 268 / 3) ** 2 + (88 - 268 / 3) ** 2 + (100 - 268 / 3) ** 2) / 3)
        for v in (80, 88, 100)
    ]
    assert p["p1"]["kiosk"]["score"] == pytest.approx((-z + z_lenient[0]) / 2, abs=1e-6)
    assert p["p2"]["kiosk"]["score"] == pytest.approx((0 + z_lenient[1]) / 2, abs=1e-6)
    assert p["p3"]["kiosk"]["score"] == pytest.approx((z + z_lenient[2]) / 2, abs=1e-6)
    plain = by_id(tally(tiny.manifest(), effective(*harsh, *lenient)))
    assert plain["p1"]["kiosk"]["score"] == 50.0 and plain["p3"]["kiosk"]["score"] == 100.0


def test_zscore_of_a_single_ballot_is_zero() -> None:
    m = with_selection(normalize="zscore")
    p = by_id(tally(m, effective(scored("r1", "p2", 10, 5, 1))))
    assert p["p2"]["kiosk"]["score"] == 0.0


def test_quota_selection() -> None:
    """quota: top 2 by kiosk ranking, then top 1 of the rest by online ranking."""
    m = tiny.manifest()  # quota kiosk 2, online 1
    res = tally(
        m,
        effective(
            scored("e1", "p1", 10, 5, 1),  # 100
            scored("e1", "p2", 7, 3, 2),  # 68
            scored("e1", "p3", 2, 1, 3),  # 20
            liked("m1", "g1", ["p1", "p2"], 4),
            liked("m2", "g1", ["p1"], 5),
            liked("m3", "g2", ["p4"], 6),
        ),
    )
    # online ranking: p1 (2), then p2 and p4 (1 each, by tie-break); p1, p2 already taken
    assert res["selected"] == ["p1", "p2", "p4"]
    assert [by_id(res)[p]["selected_by"] for p in res["selected"]] == ["kiosk", "kiosk", "online"]
    assert by_id(res)["p3"]["selected_by"] is None


def test_mix_scaling_hand_computed() -> None:
    """mix: 0.3·kiosk (0–100 already) + 0.7·online likes scaled to the most-liked = 100."""
    m = with_selection(mode="mix", weights={"kiosk": 0.3, "online": 0.7}, select=2)
    res = tally(
        m,
        effective(
            scored("e1", "p1", 7, 3, 1),  # kiosk p1 68
            scored("e1", "p2", 10, 5, 2),  # kiosk p2 100 and 68 → 84
            scored("e2", "p2", 7, 3, 3),
            liked("m1", "g1", ["p2", "p3"], 4),  # online p2 3 likes, p3 1 like
            liked("m2", "g1", ["p2"], 5),
            liked("m3", "g1", ["p2"], 6),
        ),
    )
    p = by_id(res)
    assert p["p1"]["combined"] == pytest.approx(0.3 * 68)
    assert p["p2"]["combined"] == pytest.approx(0.3 * 84 + 0.7 * 100)
    assert p["p3"]["combined"] == pytest.approx(round(0.7 * 100 / 3, 6))
    assert p["p4"]["combined"] is None
    assert res["selected"] == ["p2", "p3"]
    assert p["p2"]["selected_by"] == "mix"


def test_mix_with_zscore_scales_kiosk_min_to_max() -> None:
    m = with_selection(mode="mix", weights={"kiosk": 1, "online": 0}, select=5, normalize="zscore")
    res = tally(
        m, effective(scored("e1", "p1", 2, 1, 1), scored("e1", "p2", 5, 5, 2), scored("e1", "p3", 10, 5, 3))
    )
    p = by_id(res)
    assert [p[x]["combined"] for x in ("p1", "p2", "p3")] == [0.0, 50.0, 100.0]
    assert res["selected"] == ["p3", "p2", "p1"]


def test_tie_more_ballots_first_then_hash() -> None:
    m = with_selection(quota={"kiosk": 5, "online": 0})
    # p2: two ballots of 60; p3 and p4 one ballot of 60 each
    res = tally(
        m,
        effective(
            scored("e1", "p2", 5, 5, 1),
            scored("e2", "p2", 5, 5, 2),
            scored("e1", "p3", 5, 5, 3),
            scored("e1", "p4", 5, 5, 4),
        ),
    )
    after = sorted(["p3", "p4"], key=lambda x: hashlib.sha256(b"t1" + x.encode()).digest())
    assert res["selected"] == ["p2", *after]


def test_tiebreak_is_sha256_of_event_and_proposal() -> None:
    assert tiebreak("gg2017", "p0001") == hashlib.sha256(b"gg2017p0001").digest()
    assert tiebreak("t1", "p1") != tiebreak("t2", "p1")


def test_results_hash() -> None:
    res = tally(tiny.manifest(), effective(scored("e1", "p2", 7, 3, 1)))
    assert results_hash(res) == b64u(hashlib.sha256(jcs(res)).digest())


def test_no_ballots() -> None:
    res = tally(tiny.manifest(), {})
    assert res["selected"] == []
    assert all(p["kiosk"]["score"] is None and p["online"]["score"] is None for p in res["proposals"])


# --- properties --------------------------------------------------------------------------------

PIDS = [f"p{i}" for i in range(1, 6)]
G1, G2 = ["p1", "p2", "p3"], ["p4", "p5"]


@st.composite
def ballot_sets(draw: st.DrawFn) -> list[Accepted]:
    out: list[Accepted] = []
    n = 0
    for r in range(draw(st.integers(0, 6))):
        for p in draw(st.lists(st.sampled_from(PIDS), unique=True, max_size=5)):
            n += 1
            out.append(scored(f"e{r}", p, draw(st.integers(0, 10)), draw(st.integers(0, 5)), n))
    for r in range(draw(st.integers(0, 8))):
        group = draw(st.sampled_from(["g1", "g2"]))
        choices = draw(st.lists(st.sampled_from(G1 if group == "g1" else G2), unique=True, max_size=2))
        n += 1
        out.append(liked(f"m{r}", group, choices, n))
    return out


selections = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["quota", "mix"]),
        "quota": st.fixed_dictionaries({"kiosk": st.integers(0, 5), "online": st.integers(0, 5)}),
        "weights": st.fixed_dictionaries(
            {"kiosk": st.floats(0, 1, allow_nan=False), "online": st.floats(0, 1, allow_nan=False)}
        ),
        "select": st.integers(0, 5),
        "normalize": st.sampled_from(["none", "zscore"]),
    }
)


@settings(max_examples=60, deadline=None)
@given(ballot_sets(), selections, st.randoms(use_true_random=False))
def test_properties(ballots: list[Accepted], selection: dict[str, Any], rnd: Any) -> None:
    raw = tiny.manifest_raw()
    raw["selection"] = selection
    m = Manifest.from_json(raw)
    eff = effective(*ballots)
    res = tally(m, eff)

    # permutation of the input order changes nothing, byte for byte
    shuffled = list(eff.items())
    rnd.shuffle(shuffled)
    assert jcs(tally(m, dict(shuffled))) == jcs(res)

    props = by_id(res)
    if selection["normalize"] == "none":
        for p in props.values():
            if p["kiosk"]["score"] is not None:
                assert 0.0 <= p["kiosk"]["score"] <= 100.0
    for p in props.values():
        s = p["online"]["score"]
        assert s is None or (s >= 1 and s == p["online"]["ballots"] <= res["effective_ballots"]["online"])

    selected = res["selected"]
    assert len(selected) == len(set(selected)), "the selection is disjoint"
    if selection["mode"] == "quota":
        by_kiosk = [p for p in selected if props[p]["selected_by"] == "kiosk"]
        by_online = [p for p in selected if props[p]["selected_by"] == "online"]
        assert len(by_kiosk) <= selection["quota"]["kiosk"] and len(by_online) <= selection["quota"]["online"]
        assert selected == by_kiosk + by_online
        # each part follows its ranking
        assert [props[p]["kiosk"]["rank"] for p in by_kiosk] == list(range(1, len(by_kiosk) + 1))
        ranks = [props[p]["online"]["rank"] for p in by_online]
        assert ranks == sorted(ranks)
    else:
        combined = {pid: p["combined"] for pid, p in props.items() if p["combined"] is not None}
        assert len(selected) == min(selection["select"], len(combined))
        scale = 100.0 * (selection["weights"]["kiosk"] + selection["weights"]["online"])
        assert all(0.0 <= v <= scale + 1e-6 for v in combined.values())
        # nobody left out scores more than someone selected
        if selected:
            worst = min(combined[p] for p in selected)
            assert all(v <= worst for p, v in combined.items() if p not in selected)

    # ties: equal scores and ballot counts are ordered by SHA-256(event ‖ proposal)
    ranked = sorted((p for p in props.values() if p["kiosk"]["rank"]), key=lambda p: p["kiosk"]["rank"])
    for a, b in itertools.pairwise(ranked):
        if (a["kiosk"]["score"], a["kiosk"]["ballots"]) == (b["kiosk"]["score"], b["kiosk"]["ballots"]):
            assert tiebreak("t1", a["id"]) < tiebreak("t1", b["id"])
        else:
            assert (a["kiosk"]["score"], a["kiosk"]["ballots"]) > (b["kiosk"]["score"], b["kiosk"]["ballots"])
