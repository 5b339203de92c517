"""shared.rules.check_ballot: every rejection code of DESIGN §5, and their order."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.ballot import rubric_ballot, sign_ballot
from shared.credential import parse, unlock
from shared.errors import BALLOT_CODES, CODE_TEXT, Rejection
from shared.manifest import Manifest
from shared.rules import check_ballot
from shared.timefmt import format_time
from tests.support import tiny
from tests.support.events import EventFiles

M = tiny.manifest()


@dataclass(frozen=True)
class Case:
    """A ballot, who signs it, how it arrives, and a last change to the signed JSON."""

    ballot: Callable[[], dict[str, Any]]
    signer: str | None = None
    channel: str = "kiosk"
    kiosk: str | None = tiny.KIOSK
    revoked: frozenset[str] = frozenset()
    closed: bool = False
    after: Callable[[dict[str, Any]], Any] = field(default=lambda sb: sb)

    def run(self, manifest: Manifest = M) -> str:
        """The rejection code, or ``"accepted"``."""
        sb = self.after(tiny.signed(self.ballot(), self.signer))
        try:
            check_ballot(
                manifest, sb, channel=self.channel, kiosk=self.kiosk, revoked=self.revoked, closed=self.closed
            )
        except Rejection as exc:
            assert exc.detail, "a rejection names what is wrong"
            return exc.code
        return "accepted"


def rub(**kw: Any) -> Callable[[], dict[str, Any]]:
    return lambda: tiny.rubric(**kw)


def appr(**kw: Any) -> Callable[[], dict[str, Any]]:
    return lambda: tiny.approval(**kw)


def online(ballot: Callable[[], dict[str, Any]], **kw: Any) -> Case:
    return Case(ballot, channel="online", kiosk=None, **kw)


def edit(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], Any]:
    """Set a field of the signed ballot after signing (the signature no longer covers it)."""

    def go(sb: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(sb)
        target = out
        for p in path[:-1]:
            target = target[p]
        target[path[-1]] = value
        return out

    return go


def unsigned_edit(change: Callable[[dict[str, Any]], None]) -> Callable[[], dict[str, Any]]:
    """A valid rubric ballot changed in a way the builders would refuse (then signed)."""

    def make() -> dict[str, Any]:
        b = tiny.rubric()
        change(b)
        return b

    return make


RUBRIC_OK = Case(rub())
APPROVAL_OK = online(appr())

#: (name, case, expected code) — each case breaks exactly one rule unless its name says two.
SINGLE: list[tuple[str, Case, str]] = [
    ("rubric kiosk ballot", RUBRIC_OK, "accepted"),
    ("expert rubric ballot", Case(rub(reviewer="exp1", proposal="p4")), "accepted"),
    ("approval online ballot", APPROVAL_OK, "accepted"),
    ("approval with no likes", online(appr(choices=[])), "accepted"),
    ("approval of the other group", online(appr(reviewer="mem2", group="g2", choices=["p4"])), "accepted"),
    ("zero scores", Case(rub(scores={"a": 0, "b": 0})), "accepted"),
    ("full scores", Case(rub(scores={"a": 10, "b": 5})), "accepted"),
    ("created at start - tolerance", Case(rub(created_at="2017-02-23T08:55:00Z")), "accepted"),
    ("created at end + tolerance", Case(rub(created_at="2017-02-23T18:05:00Z")), "accepted"),
    # 1 malformed
    ("not an object", Case(rub(), after=lambda sb: "ballot"), "malformed"),
    ("no sig", Case(rub(), after=lambda sb: {"ballot": sb["ballot"]}), "malformed"),
    ("extra envelope field", Case(rub(), after=lambda sb: {**sb, "id": "x"}), "malformed"),
    ("short sig", Case(rub(), after=edit(("sig",), "AAAA")), "malformed"),
    ("sig not base64url", Case(rub(), after=edit(("sig",), "+" * 86)), "malformed"),
    ("extra ballot field", Case(unsigned_edit(lambda b: b.update(x=1))), "malformed"),
    ("v true", Case(unsigned_edit(lambda b: b.update(v=True))), "malformed"),
    ("v 2", Case(unsigned_edit(lambda b: b.update(v=2))), "malformed"),
    ("type not ballot", Case(unsigned_edit(lambda b: b.update(type="vote"))), "malformed"),
    ("unknown form", Case(unsigned_edit(lambda b: b.update(form="ranked"))), "malformed"),
    ("nonce not a uuid", Case(unsigned_edit(lambda b: b.update(nonce="1234"))), "malformed"),
    ("nonce upper case", Case(unsigned_edit(lambda b: b.update(nonce=tiny.nonce(10).upper()))), "malformed"),
    (
        "created_at local time",
        Case(unsigned_edit(lambda b: b.update(created_at="2017-02-23 10:15"))),
        "malformed",
    ),
    (
        "created_at with offset",
        Case(
            rub(created_at="2017-02-23T10:15:00Z"),
            after=edit(("ballot", "created_at"), "2017-02-23T19:15:00+09:00"),
        ),
        "malformed",
    ),
    ("comment of 501 characters", Case(unsigned_edit(lambda b: b.update(comment="가" * 501))), "malformed"),
    ("scores not an object", Case(unsigned_edit(lambda b: b.update(scores=[7, 3]))), "malformed"),
    ("online ballot with a kiosk", online(appr(), after=edit(("ballot", "kiosk"), "k1")), "malformed"),
    ("ballot says online, arrives at a kiosk", Case(appr()), "malformed"),
    ("ballot says kiosk, arrives online", online(rub()), "malformed"),
    ("ballot names another kiosk", Case(rub(), kiosk="k2"), "malformed"),
    ("comment null", Case(unsigned_edit(lambda b: b.update(comment=None))), "malformed"),
    (
        "too big",
        online(appr(), after=edit(("ballot", "choices"), [f"p{i:059d}" for i in range(200)])),
        "malformed",
    ),
    ("choice not a string", online(appr(), after=edit(("ballot", "choices"), [1])), "malformed"),
    # 2 wrong_event
    ("another event", Case(unsigned_edit(lambda b: b.update(event="t2"))), "wrong_event"),
    # 3 unknown_reviewer
    ("unknown reviewer", Case(rub(reviewer="nobody")), "unknown_reviewer"),
    # 4 bad_signature
    ("signed by another reviewer", Case(rub(), signer="exp1"), "bad_signature"),
    ("score changed after signing", Case(rub(), after=edit(("ballot", "scores", "a"), 10)), "bad_signature"),
    ("signature of zeros", Case(rub(), after=edit(("sig",), "A" * 86)), "bad_signature"),
    # 5 revoked_credential
    ("revoked", Case(rub(), revoked=frozenset({"rep1"})), "revoked_credential"),
    ("another reviewer revoked", Case(rub(), revoked=frozenset({"rep4"})), "accepted"),
    # 6 event_closed
    ("closed", Case(rub(), closed=True), "event_closed"),
    # 7 wrong_form
    ("member scores on a rubric", Case(rub(reviewer="mem1")), "wrong_form"),
    ("representative likes online", online(appr(reviewer="rep1")), "wrong_form"),
    ("expert likes online", online(appr(reviewer="exp1", choices=["p2"])), "wrong_form"),
    ("rubric on the online channel", online(rub(channel="online")), "wrong_form"),
    ("approval at a kiosk", Case(appr(channel="kiosk")), "wrong_form"),
    # 8 not_assigned
    ("proposal of another group", Case(rub(proposal="p4")), "not_assigned"),
    ("unknown proposal", Case(rub(proposal="p9")), "not_assigned"),
    ("group not assigned", online(appr(group="g2", choices=["p4"])), "not_assigned"),
    ("unknown group", online(appr(group="g9", choices=[])), "not_assigned"),
    # 9 conflict_of_interest
    ("own community's proposal", Case(rub(proposal="p1")), "conflict_of_interest"),
    ("like for own community", online(appr(choices=["p1"])), "conflict_of_interest"),
    # 10 bad_scores
    ("criterion missing", Case(rub(scores={"a": 7})), "bad_scores"),
    ("unknown criterion", Case(rub(scores={"a": 7, "b": 3, "c": 1})), "bad_scores"),
    ("score above max", Case(rub(scores={"a": 11, "b": 3})), "bad_scores"),
    ("negative score", Case(rub(scores={"a": -1, "b": 3})), "bad_scores"),
    ("fractional score", Case(unsigned_edit(lambda b: b["scores"].update(a=7.5))), "bad_scores"),
    ("boolean score", Case(unsigned_edit(lambda b: b["scores"].update(a=True))), "bad_scores"),
    ("score as text", Case(unsigned_edit(lambda b: b["scores"].update(a="7"))), "bad_scores"),
    ("same like twice", online(appr(choices=["p2", "p2"])), "bad_scores"),
    (
        "more likes than max_choices",
        online(appr(reviewer="mem2", group="g2", choices=["p4", "p5", "p9"])),
        "bad_scores",
    ),
    ("like outside the group", online(appr(choices=["p4"])), "bad_scores"),
    ("like of an unknown proposal", online(appr(choices=["p9"])), "bad_scores"),
    # 11 outside_window
    ("a second before start - tolerance", Case(rub(created_at="2017-02-23T08:54:59Z")), "outside_window"),
    ("a second after end + tolerance", Case(rub(created_at="2017-02-23T18:05:01Z")), "outside_window"),
    ("the next day online", online(appr(created_at="2017-02-24T10:00:00Z")), "outside_window"),
]

#: Each ballot breaks rule i and a later rule j: the code of rule i wins.
PAIRS: list[tuple[str, Case, str]] = [
    ("malformed + wrong_event", Case(unsigned_edit(lambda b: b.update(event="t2", nonce="x"))), "malformed"),
    (
        "wrong_event + unknown_reviewer",
        Case(unsigned_edit(lambda b: b.update(event="t2", reviewer="nobody"))),
        "wrong_event",
    ),
    ("unknown_reviewer + bad_signature", Case(rub(reviewer="nobody"), signer="rep1"), "unknown_reviewer"),
    ("bad_signature + revoked", Case(rub(), signer="exp1", revoked=frozenset({"rep1"})), "bad_signature"),
    ("revoked + closed", Case(rub(), revoked=frozenset({"rep1"}), closed=True), "revoked_credential"),
    ("closed + wrong_form", Case(rub(reviewer="mem1"), closed=True), "event_closed"),
    ("wrong_form + not_assigned", Case(rub(reviewer="mem1", proposal="p4")), "wrong_form"),
    ("not_assigned + conflict (rubric)", Case(rub(reviewer="rep4", proposal="p4")), "not_assigned"),
    (
        "not_assigned + conflict (approval)",
        online(appr(reviewer="mem2", group="g1", choices=["p2"])),
        "not_assigned",
    ),
    (
        "conflict + bad_scores (rubric)",
        Case(rub(proposal="p1", scores={"a": 11, "b": 3})),
        "conflict_of_interest",
    ),
    ("conflict + bad_scores (approval)", online(appr(choices=["p1", "p1"])), "conflict_of_interest"),
    (
        "bad_scores + outside_window",
        Case(rub(scores={"a": 11, "b": 3}, created_at="2017-02-24T10:00:00Z")),
        "bad_scores",
    ),
    (
        "malformed + everything",
        Case(unsigned_edit(lambda b: b.update(event="t2", reviewer="nobody", nonce="x"))),
        "malformed",
    ),
    (
        "wrong_event + outside_window",
        Case(unsigned_edit(lambda b: b.update(event="t2", created_at="2016-01-01T00:00:00Z"))),
        "wrong_event",
    ),
    (
        "revoked + outside_window",
        Case(rub(created_at="2016-01-01T00:00:00Z"), revoked=frozenset({"rep1"})),
        "revoked_credential",
    ),
]


@pytest.mark.parametrize(("name", "case", "code"), SINGLE + PAIRS, ids=[n for n, _, _ in SINGLE + PAIRS])
def test_check_ballot(name: str, case: Case, code: str) -> None:
    assert case.run() == code


def test_every_code_is_in_the_table() -> None:
    assert {code for _, _, code in SINGLE} == {*BALLOT_CODES, "accepted"}
    # every adjacent pair of rules is tested for order
    firsts = {code for _, _, code in PAIRS}
    assert set(BALLOT_CODES[:-1]) <= firsts


def test_codes_have_korean_and_english_text() -> None:
    for code in BALLOT_CODES:
        ko, en = CODE_TEXT[code]
        assert ko and en and ko != en


def test_size_limit_is_named() -> None:
    sb = tiny.signed(tiny.approval())
    sb["ballot"]["choices"] = [f"p{i:059d}" for i in range(200)]
    with pytest.raises(Rejection, match="8192 bytes"):
        check_ballot(M, sb, channel="online")


def test_accepted_ballot_is_returned_parsed() -> None:
    sb = tiny.signed(tiny.rubric())
    got = check_ballot(M, sb, channel="kiosk", kiosk=tiny.KIOSK)
    assert got.to_json() == sb
    assert got.ballot.target == "p2"


def test_rubric_assigned_by_group_or_proposal() -> None:
    # rep1 is assigned group g1 (any proposal of it but its own); rep4 is assigned p5 only
    assert Case(rub(proposal="p3")).run() == "accepted"
    assert Case(rub(reviewer="rep4", proposal="p5")).run() == "accepted"
    assert Case(rub(reviewer="rep4", proposal="p2")).run() == "not_assigned"


def test_form_follows_the_manifest() -> None:
    swapped = tiny.manifest(forms={"kiosk": "approval", "online": "rubric"})
    assert Case(appr(channel="kiosk")).run(swapped) == "accepted"
    assert online(rub(channel="online")).run(swapped) == "accepted"
    assert RUBRIC_OK.run(swapped) == "wrong_form"


def test_window_is_per_channel() -> None:
    raw = tiny.manifest_raw()
    raw["windows"]["online"] = {"start": "2017-02-24T09:00:00Z", "end": "2017-02-24T18:00:00Z"}
    m = Manifest.from_json(raw)
    assert APPROVAL_OK.run(m) == "outside_window"
    assert RUBRIC_OK.run(m) == "accepted"
    assert online(appr(created_at="2017-02-24T10:00:00Z")).run(m) == "accepted"


def test_zero_tolerance() -> None:
    raw = tiny.manifest_raw()
    raw["windows"]["clock_tolerance_s"] = 0
    m = Manifest.from_json(raw)
    assert Case(rub(created_at="2017-02-23T08:59:59Z")).run(m) == "outside_window"
    assert Case(rub(created_at="2017-02-23T09:00:00Z")).run(m) == "accepted"


# --- with the real organiser output: credentials opened with their PINs -----------------


def test_mini_event_credentials_sign_acceptable_ballots(
    mini_event: EventFiles, mini_manifest: Manifest
) -> None:
    m = mini_manifest
    now = format_time(datetime.now(UTC).replace(microsecond=0))
    rep = next(r for r in m.reviewers.values() if r.role == "representative")
    key = unlock(
        parse(mini_event.credentials[rep.id]), mini_event.pins[rep.id], rep.key, min_logn=m.kdf_min_logn
    )
    target = sorted(m.assignments[rep.id])[0]
    own = next(p for p in m.proposals.values() if p.community == rep.community)

    def ballot(proposal: str, n: int) -> dict[str, Any]:
        return rubric_ballot(
            event=m.event,
            reviewer=rep.id,
            channel="kiosk",
            kiosk="k1",
            created_at=now,
            nonce=tiny.nonce(n),
            proposal=proposal,
            scores={c.id: c.max // 2 for c in m.rubric},
        )

    sb = sign_ballot(ballot(target, 1), key).to_json()
    assert check_ballot(m, sb, channel="kiosk", kiosk="k1").ballot.proposal == target
    with pytest.raises(Rejection) as exc:
        check_ballot(m, sign_ballot(ballot(own.id, 2), key).to_json(), channel="kiosk", kiosk="k1")
    assert exc.value.code == "not_assigned"  # the organiser never assigns one's own proposal
    assert own.id not in m.assignments[rep.id]
    other = next(r for r in m.reviewers.values() if r.role == "expert")
    other_key = unlock(
        parse(mini_event.credentials[other.id]), mini_event.pins[other.id], other.key, min_logn=m.kdf_min_logn
    )
    with pytest.raises(Rejection) as exc:
        check_ballot(m, sign_ballot(ballot(target, 3), other_key).to_json(), channel="kiosk", kiosk="k1")
    assert exc.value.code == "bad_signature"
