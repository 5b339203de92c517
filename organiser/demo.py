"""Synthetic demo events of the shapes in DESIGN §1 and §7 (KINTEX 2017, a city vote)."""

from __future__ import annotations

import random
from datetime import datetime

from .assign import rubric_targets, split_groups
from .plan import DEFAULT_RUBRIC, EventPlan, PlannedReviewer, default_window

DEMO_LOGN = 10
_PLACES = [
    "햇살",
    "느티나무",
    "꿈터",
    "두레",
    "마중물",
    "온마을",
    "새싹",
    "품앗이",
    "나눔",
    "어울림",
    "별빛",
    "우물가",
]
_THINGS = [
    "마을 부엌",
    "공유 텃밭",
    "어르신 돌봄",
    "청소년 놀이터",
    "골목 도서관",
    "마을 장터",
    "재활용 공방",
    "동네 영화제",
    "안전 귀갓길",
    "다문화 밥상",
    "마을 합창단",
    "숲 놀이학교",
]


def _title(rng: random.Random, i: int) -> str:
    return f"{rng.choice(_PLACES)} {rng.choice(_THINGS)} 만들기 ({i})"


def kintex_2017(now: datetime, rng: random.Random, *, logn: int = DEMO_LOGN) -> EventPlan:
    """872 proposals of 872 communities in 73 groups; 10 reviewers a community, 2 experts a group."""
    communities = [f"c{i:04d}" for i in range(1, 873)]
    pids = [f"p{i:04d}" for i in range(1, 873)]
    grouped = split_groups(pids, 12)
    groups = {f"g{j + 1:02d}": ps for j, ps in enumerate(grouped)}
    group_of = {p: g for g, ps in groups.items() for p in ps}
    community_of = dict(zip(pids, communities, strict=True))
    proposals = [
        {"id": p, "title": _title(rng, i + 1), "community": community_of[p], "group": group_of[p]}
        for i, p in enumerate(pids)
    ]
    reviewers: list[PlannedReviewer] = []
    group_ids = list(groups)
    for p, c in zip(pids, communities, strict=True):
        n = c[1:]
        reviewers.append(
            PlannedReviewer(
                f"rep-{n}", c, "representative", rubric_targets(groups[group_of[p]], community_of, c)
            )
        )
        for k in range(1, 10):
            reviewers.append(PlannedReviewer(f"mem-{n}-{k}", c, "member", (rng.choice(group_ids),)))
    for g, ps in groups.items():
        for k in (1, 2):
            reviewers.append(
                PlannedReviewer(
                    f"exp-{g[1:]}-{k}", "experts", "expert", rubric_targets(ps, community_of, "experts")
                )
            )
    start, end = default_window(now)
    return EventPlan(
        event="gg2017",
        title_ko="2017 따복공동체 주민제안 공모사업 심사 (데모)",
        title_en="2017 Gyeonggi community proposal review (demo)",
        communities=[*communities, "experts"],
        groups=groups,
        proposals=proposals,
        rubric=DEFAULT_RUBRIC,
        reviewers=reviewers,
        forms={"kiosk": "rubric", "online": "approval"},
        max_choices=6,
        selection={
            "mode": "quota",
            "quota": {"kiosk": 250, "online": 200},
            "weights": {"kiosk": 0.5, "online": 0.5},
            "select": 450,
            "normalize": "none",
        },
        start=start,
        end=end,
        kdf_min_logn=logn,
        notes=[f"DEMO event: credentials use scrypt cost 2^{logn}, below the 2^15 of a real event."],
    )


def city(now: datetime, rng: random.Random, *, members: int = 200_000, logn: int = DEMO_LOGN) -> EventPlan:
    """50 proposals in 5 groups; every citizen a member who likes up to 3 in one group."""
    communities = [f"d{i:02d}" for i in range(1, 51)]
    pids = [f"p{i:02d}" for i in range(1, 51)]
    groups = {f"g{j + 1}": ps for j, ps in enumerate(split_groups(pids, 10))}
    group_of = {p: g for g, ps in groups.items() for p in ps}
    proposals = [
        {"id": p, "title": _title(rng, i + 1), "community": c, "group": group_of[p]}
        for i, (p, c) in enumerate(zip(pids, communities, strict=True))
    ]
    group_ids = list(groups)
    reviewers = [
        PlannedReviewer(f"m{i:06d}", communities[i % 50], "member", (rng.choice(group_ids),))
        for i in range(1, members + 1)
    ]
    start, end = default_window(now)
    return EventPlan(
        event="city2019",
        title_ko="시민 200,000명 참여 예산 심사 (데모)",
        title_en="City participatory budget vote, 200,000 citizens (demo)",
        communities=communities,
        groups=groups,
        proposals=proposals,
        rubric=[],
        reviewers=reviewers,
        forms={"kiosk": "approval", "online": "approval"},
        max_choices=3,
        selection={
            "mode": "mix",
            "quota": {"kiosk": 0, "online": 0},
            "weights": {"kiosk": 0.3, "online": 0.7},
            "select": 15,
            "normalize": "none",
        },
        start=start,
        end=end,
        kdf_min_logn=logn,
        notes=[f"DEMO event: credentials use scrypt cost 2^{logn}, below the 2^15 of a real event."],
    )


DEMOS = {"kintex-2017": kintex_2017, "city": city}


def mini(now: datetime, rng: random.Random, *, logn: int = DEMO_LOGN) -> EventPlan:
    """A small event of the KINTEX shape for tests and rehearsals: 24 proposals in 2 groups,
    per community 1 representative and 3 members, 2 experts a group."""
    communities = [f"c{i:02d}" for i in range(1, 25)]
    pids = [f"p{i:02d}" for i in range(1, 25)]
    groups = {f"g{j + 1}": ps for j, ps in enumerate(split_groups(pids, 12))}
    group_of = {p: g for g, ps in groups.items() for p in ps}
    community_of = dict(zip(pids, communities, strict=True))
    proposals = [
        {"id": p, "title": _title(rng, i + 1), "community": community_of[p], "group": group_of[p]}
        for i, p in enumerate(pids)
    ]
    reviewers: list[PlannedReviewer] = []
    for p, c in zip(pids, communities, strict=True):
        reviewers.append(
            PlannedReviewer(
                f"rep-{c[1:]}", c, "representative", rubric_targets(groups[group_of[p]], community_of, c)
            )
        )
        for k in range(1, 4):
            reviewers.append(PlannedReviewer(f"mem-{c[1:]}-{k}", c, "member", (rng.choice(list(groups)),)))
    for g, ps in groups.items():
        for k in (1, 2):
            reviewers.append(
                PlannedReviewer(
                    f"exp-{g[1:]}-{k}", "experts", "expert", rubric_targets(ps, community_of, "experts")
                )
            )
    start, end = default_window(now)
    return EventPlan(
        event="mini",
        title_ko="작은 공동체 제안 심사 (데모)",
        title_en="Small community proposal review (demo)",
        communities=[*communities, "experts"],
        groups=groups,
        proposals=proposals,
        rubric=DEFAULT_RUBRIC,
        reviewers=reviewers,
        forms={"kiosk": "rubric", "online": "approval"},
        max_choices=6,
        selection={
            "mode": "quota",
            "quota": {"kiosk": 6, "online": 4},
            "weights": {"kiosk": 0.5, "online": 0.5},
            "select": 10,
            "normalize": "none",
        },
        start=start,
        end=end,
        kdf_min_logn=logn,
        notes=[f"DEMO event: credentials use scrypt cost 2^{logn}, below the 2^15 of a real event."],
    )


DEMOS["mini"] = mini
