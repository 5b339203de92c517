"""Synthetic demo events of the shapes in DESIGN §1 and §7 (KINTEX 2017, a city vote)."""

from __future__ import annotations

import random
from datetime import datetime

from .assign import rubric_targets, split_groups
from .kdf import DEMO_PIN_DIGITS
from .plan import DEFAULT_RUBRIC, EventPlan, PlannedReviewer, default_window, quota_selection

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


def _demo_note(logn: int) -> list[str]:
    return [f"DEMO event: credentials use scrypt cost 2^{logn}, below the 2^15 of a real event."]


def _community_review(
    now: datetime,
    rng: random.Random,
    *,
    event: str,
    title_ko: str,
    title_en: str,
    proposals_n: int,
    width: int,
    group_width: int,
    members: int,
    quota: tuple[int, int],
    logn: int,
) -> EventPlan:
    """The 2017 shape at any size: one proposal per community in groups of 11-12; per
    community one representative (rubric, the other proposals of their group) and
    ``members`` members (approval, one group each); two experts a group (rubric)."""
    communities = [f"c{i:0{width}d}" for i in range(1, proposals_n + 1)]
    pids = [f"p{i:0{width}d}" for i in range(1, proposals_n + 1)]
    groups = {f"g{j + 1:0{group_width}d}": ps for j, ps in enumerate(split_groups(pids, 12))}
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
        own_group = rubric_targets(groups[group_of[p]], community_of, c)
        reviewers.append(PlannedReviewer(f"rep-{n}", c, "representative", own_group))
        for k in range(1, members + 1):
            reviewers.append(PlannedReviewer(f"mem-{n}-{k}", c, "member", (rng.choice(group_ids),)))
    for g, ps in groups.items():
        for k in (1, 2):
            targets = rubric_targets(ps, community_of, "experts")
            reviewers.append(PlannedReviewer(f"exp-{g[1:]}-{k}", "experts", "expert", targets))
    start, end = default_window(now)
    return EventPlan(
        event=event,
        title_ko=title_ko,
        title_en=title_en,
        communities=[*communities, "experts"],
        groups=groups,
        proposals=proposals,
        rubric=DEFAULT_RUBRIC,
        reviewers=reviewers,
        forms={"kiosk": "rubric", "online": "approval"},
        max_choices=6,
        selection=quota_selection(*quota),
        start=start,
        end=end,
        kdf_min_logn=logn,
        pin_digits=DEMO_PIN_DIGITS,
        notes=_demo_note(logn),
    )


def kintex_2017(now: datetime, rng: random.Random, *, logn: int = DEMO_LOGN) -> EventPlan:
    """872 proposals of 872 communities in 73 groups; 10 reviewers a community, 2 experts a
    group; 250 selected on site and 200 online."""
    return _community_review(
        now,
        rng,
        event="gg2017",
        title_ko="2017 따복공동체 주민제안 공모사업 심사 (데모)",
        title_en="2017 Gyeonggi community proposal review (demo)",
        proposals_n=872,
        width=4,
        group_width=2,
        members=9,
        quota=(250, 200),
        logn=logn,
    )


def mini(now: datetime, rng: random.Random, *, logn: int = DEMO_LOGN) -> EventPlan:
    """A small event of the KINTEX shape for tests and rehearsals: 24 proposals in 2 groups,
    per community 1 representative and 3 members, 2 experts a group."""
    return _community_review(
        now,
        rng,
        event="mini",
        title_ko="작은 공동체 제안 심사 (데모)",
        title_en="Small community proposal review (demo)",
        proposals_n=24,
        width=2,
        group_width=1,
        members=3,
        quota=(6, 4),
        logn=logn,
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
        pin_digits=DEMO_PIN_DIGITS,
        notes=_demo_note(logn),
    )


DEMOS = {"kintex-2017": kintex_2017, "city": city, "mini": mini}
