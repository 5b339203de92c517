"""shared.merge: one effective ballot per reviewer and target; every conflict listed (DESIGN §5)."""

from __future__ import annotations

import pytest

from shared.ballot import SignedBallot
from shared.merge import Accepted, default_choice, merge
from tests.support import tiny

_index = iter(range(1, 10_000))


def acc(
    channel: str,
    created: str,
    *,
    seq: int | None = None,
    n: int,
    reviewer: str = "exp1",
    proposal: str = "p2",
) -> Accepted:
    """An accepted rubric ballot of ``reviewer`` for ``proposal``."""
    b = tiny.rubric(reviewer, proposal, channel=channel, created_at=f"2017-02-23T{created}Z", n=n)
    sb = SignedBallot.from_json(tiny.signed(b))
    kiosk = tiny.KIOSK if channel == "kiosk" else None
    if kiosk is not None and seq is None:
        seq = n
    return Accepted(sb.id, next(_index), sb, kiosk, seq)


K_EARLY = acc("kiosk", "10:00:00", seq=1, n=1)
K_LATE = acc("kiosk", "11:00:00", seq=2, n=2)
O_EARLY = acc("online", "09:30:00", n=3)
O_LATE = acc("online", "12:00:00", n=4)
K_SAME_TIME_LOW = acc("kiosk", "10:30:00", seq=3, n=5)
K_SAME_TIME_HIGH = acc("kiosk", "10:30:00", seq=4, n=6)
O_SAME_TIME = acc("online", "10:30:00", n=7)

#: (name, ballots of one group, policy, the ballot that wins)
POLICY: list[tuple[str, list[Accepted], str, Accepted]] = [
    ("onsite-first: kiosk beats a later online", [K_EARLY, O_LATE], "onsite-first", K_EARLY),
    ("onsite-first: kiosk beats an earlier online", [O_EARLY, K_EARLY], "onsite-first", K_EARLY),
    ("onsite-first: later kiosk ballot", [K_EARLY, K_LATE], "onsite-first", K_LATE),
    ("onsite-first: later online ballot", [O_LATE, O_EARLY], "onsite-first", O_LATE),
    (
        "onsite-first: same time, higher seq",
        [K_SAME_TIME_HIGH, K_SAME_TIME_LOW],
        "onsite-first",
        K_SAME_TIME_HIGH,
    ),
    ("onsite-first: three ballots", [O_LATE, K_EARLY, K_LATE], "onsite-first", K_LATE),
    ("latest: later online beats kiosk", [K_LATE, O_LATE], "latest", O_LATE),
    ("latest: later kiosk beats online", [O_EARLY, K_EARLY], "latest", K_EARLY),
    ("latest: same time, kiosk first", [O_SAME_TIME, K_SAME_TIME_LOW], "latest", K_SAME_TIME_LOW),
    ("latest: same time, higher seq", [K_SAME_TIME_LOW, K_SAME_TIME_HIGH], "latest", K_SAME_TIME_HIGH),
    ("first: earliest online beats kiosk", [K_EARLY, O_EARLY], "first", O_EARLY),
    ("first: earliest kiosk beats online", [O_LATE, K_LATE], "first", K_LATE),
    ("first: same time, kiosk first", [O_SAME_TIME, K_SAME_TIME_HIGH], "first", K_SAME_TIME_HIGH),
    ("first: same time, lower seq", [K_SAME_TIME_HIGH, K_SAME_TIME_LOW], "first", K_SAME_TIME_LOW),
]


@pytest.mark.parametrize(("name", "ballots", "policy", "winner"), POLICY, ids=[p[0] for p in POLICY])
def test_policy(name: str, ballots: list[Accepted], policy: str, winner: Accepted) -> None:
    assert default_choice(ballots, policy) == winner
    assert default_choice(list(reversed(ballots)), policy) == winner
    merged = merge(ballots, policy, {})
    key = ("exp1", "p2")
    assert merged.effective[key] == winner
    (conflict,) = merged.conflicts
    assert conflict.key == key and conflict.default == winner.id and conflict.resolved is None
    assert conflict.effective == winner.id


def test_a_single_ballot_is_no_conflict() -> None:
    merged = merge([K_EARLY], "onsite-first", {})
    assert merged.effective == {("exp1", "p2"): K_EARLY}
    assert merged.conflicts == ()


def test_the_same_ballot_logged_twice_counts_once() -> None:
    again = Accepted(K_EARLY.id, 99, K_EARLY.signed, K_EARLY.kiosk, K_EARLY.seq)
    merged = merge([K_EARLY, again], "onsite-first", {})
    assert merged.conflicts == ()
    assert merged.effective[("exp1", "p2")].index == K_EARLY.index  # the first one logged


def test_groups_are_per_reviewer_and_target() -> None:
    other_target = acc("kiosk", "10:00:00", n=20, proposal="p3")
    other_reviewer = acc("kiosk", "10:00:00", n=21, reviewer="rep1")
    merged = merge([K_EARLY, K_LATE, other_target, other_reviewer], "onsite-first", {})
    assert set(merged.effective) == {("exp1", "p2"), ("exp1", "p3"), ("rep1", "p2")}
    assert [c.key for c in merged.conflicts] == [("exp1", "p2")]


def test_approval_ballots_group_by_group() -> None:
    a1 = SignedBallot.from_json(tiny.signed(tiny.approval(choices=["p2"], n=30)))
    a2 = SignedBallot.from_json(
        tiny.signed(tiny.approval(choices=["p3"], n=31, created_at="2017-02-23T11:00:00Z"))
    )
    merged = merge(
        [Accepted(a1.id, 1, a1, None, None), Accepted(a2.id, 2, a2, None, None)], "onsite-first", {}
    )
    assert merged.effective[("mem1", "g1")].id == a2.id


def test_resolution_decides() -> None:
    ballots = [K_EARLY, K_LATE, O_LATE]
    merged = merge(ballots, "onsite-first", {("exp1", "p2"): O_LATE.id})
    assert merged.effective[("exp1", "p2")] == O_LATE
    (conflict,) = merged.conflicts
    assert (
        conflict.default == K_LATE.id and conflict.resolved == O_LATE.id and conflict.effective == O_LATE.id
    )
    # listed in ledger order, decided or not; nothing is dropped
    assert conflict.ballots == tuple(sorted(ballots, key=lambda a: a.index))


def test_resolution_naming_a_ballot_outside_the_group_is_ignored() -> None:
    outsider = acc("kiosk", "10:00:00", n=40, proposal="p3")
    merged = merge([K_EARLY, K_LATE, outsider], "onsite-first", {("exp1", "p2"): outsider.id})
    (conflict,) = merged.conflicts
    assert conflict.resolved is None
    assert merged.effective[("exp1", "p2")] == K_LATE
    assert merged.effective[("exp1", "p3")] == outsider


def test_resolution_naming_an_unknown_id_is_ignored() -> None:
    merged = merge([K_EARLY, K_LATE], "latest", {("exp1", "p2"): "A" * 43})
    assert merged.effective[("exp1", "p2")] == K_LATE
    assert merged.conflicts[0].resolved is None


def test_resolution_without_a_conflict() -> None:
    merged = merge([K_EARLY], "onsite-first", {("exp1", "p2"): K_EARLY.id, ("rep1", "p9"): K_EARLY.id})
    assert merged.effective == {("exp1", "p2"): K_EARLY}
    assert merged.conflicts == ()


def test_order_of_input_does_not_matter() -> None:
    ballots = [K_EARLY, K_LATE, O_EARLY, O_LATE, K_SAME_TIME_LOW, K_SAME_TIME_HIGH, O_SAME_TIME]
    for policy in ("onsite-first", "latest", "first"):
        a = merge(ballots, policy, {})
        b = merge(list(reversed(ballots)), policy, {})
        assert a.effective == b.effective
        assert a.conflicts == b.conflicts
