"""shared.replay: a ledger replays from its entries alone; every wrong entry names its index."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from shared.chain import closure_body, record_hash, sign_closure
from shared.encoding import jcs
from shared.errors import VerificationError
from shared.ledger import ballot_entry, rejected_entry, statement, statement_entry
from shared.replay import LedgerError, Replay, replay
from shared.tally import results_hash
from tests.support import tiny

ENTRIES = tiny.ledger_entries()


def test_the_small_ledger_replays() -> None:
    st = replay(ENTRIES)
    assert st.size == 10
    assert st.manifest is not None and st.manifest.event == "t1"
    assert [a.index for a in st.accepted] == [2, 4, 5]
    assert st.rejected == [(3, "conflict_of_interest", "k1", 2)]
    chain = st.kiosks["k1"]
    assert (chain.seq, chain.accepted, chain.rejected, chain.enrolled_at) == (2, 1, 1, 1)
    assert chain.hash == record_hash(tiny.kiosk_records()[1])
    assert chain.closure is not None
    assert st.revoked == {"rep4": 7}
    assert st.ids[tiny.ballot_id_of(ENTRIES[4]["signed_ballot"])] == 4
    assert st.close_index == 9
    merged = st.merged()
    (conflict,) = merged.conflicts
    assert conflict.key == ("mem1", "g1")
    assert [a.index for a in conflict.ballots] == [4, 5]
    assert conflict.default == tiny.ballot_id_of(ENTRIES[5]["signed_ballot"])  # onsite-first: the later one
    assert conflict.resolved == conflict.effective == tiny.ballot_id_of(ENTRIES[4]["signed_ballot"])
    results = st.results()
    assert results_hash(results) == ENTRIES[9]["statement"]["results_hash"]
    assert results["selected"] == ["p2"]
    p2 = next(p for p in results["proposals"] if p["id"] == "p2")
    assert (
        p2["kiosk"]["score"] == 68.0 and p2["online"]["score"] == 1.0
    )  # the resolution's ballot likes p2 only


def test_replay_entry_by_entry() -> None:
    r = Replay()
    for i, e in enumerate(ENTRIES):
        r.add(e)
        assert r.state.size == i + 1
    assert r.state.close is not None


def test_without_ballot_checks_a_rejected_code_is_trusted() -> None:
    entries = copy.deepcopy(ENTRIES[:4])
    entries[3]["code"] = "bad_scores"
    with pytest.raises(LedgerError):
        replay(entries)
    st = replay(entries, check_ballots=False)
    assert st.rejected == [(3, "bad_scores", "k1", 2)]


def test_a_resolution_may_change_its_mind() -> None:
    entries = copy.deepcopy(ENTRIES[:7])
    second = tiny.ballot_id_of(entries[5]["signed_ballot"])
    entries.append(
        _staff(statement("resolution", tiny.EVENT, "ana", reviewer="mem1", target="g1", ballot=second))
    )
    st = replay(entries)
    assert st.merged().conflicts[0].effective == second


# --- wrong entries ---------------------------------------------------------------------------


def _staff(body: dict[str, Any], key: str = "staff-ana", staff: str = "ana") -> dict[str, Any]:
    return statement_entry(body, "staff", staff, tiny.key(key), tiny.at(50))


def _bad_staff(body: dict[str, Any]) -> dict[str, Any]:
    """A staff-signed statement entry whose body the checks refuse (signed all the same)."""
    k = tiny.key("staff-ana")
    return {"type": body["type"], "received_at": tiny.at(50), "statement": body,
            "signer": {"role": "staff", "id": "ana", "key": k.public_b64u}, "sig": k.sign_b64u(jcs(body))}


def _online(ballot: dict[str, Any], signer: str | None = None) -> dict[str, Any]:
    return ballot_entry(tiny.signed(ballot, signer), tiny.at(50), None, None)


def _closure(seq: int, hash_: str, key: str = "kiosk-k1", kiosk: str = tiny.KIOSK) -> dict[str, Any]:
    return sign_closure(closure_body(kiosk, seq, hash_, 2, 2, tiny.at(30)), tiny.key(key))


Edit = Callable[[list[Any]], object]


def _put(i: int, entry: Any) -> Edit:
    """Replace entry i (and drop what follows: replay stops at the first wrong entry anyway)."""

    def go(entries: list[Any]) -> None:
        del entries[i:]
        entries.append(entry)

    return go


def _change(i: int, change: Callable[[dict[str, Any]], object]) -> Edit:
    def go(entries: list[Any]) -> None:
        change(entries[i])

    return go


H2 = record_hash(tiny.kiosk_records()[1])

#: (name, change of the good ledger, index of the wrong entry, message)
WRONG: list[tuple[str, Edit, int, str]] = [
    ("entry 0 is a ballot", lambda e: e.pop(0), 0, "entry 0 must be the signed manifest"),
    ("entry 0 not an object", _put(0, "manifest"), 0, "not a ledger entry object"),
    (
        "manifest entry without received_at",
        _change(0, lambda e: e.pop("received_at")),
        0,
        "manifest entry is missing received_at",
    ),
    (
        "manifest entry with extra field",
        _change(0, lambda e: e.update(id=1)),
        0,
        "manifest entry has unexpected",
    ),
    (
        "manifest signature broken",
        _change(0, lambda e: e["signed_manifest"]["manifest"].update(event="t2")),
        0,
        "manifest signature does not verify",
    ),
    ("a second manifest", _put(4, ENTRIES[0]), 4, "a second manifest entry"),
    ("entry without type", _put(4, {"received_at": tiny.at(1)}), 4, "not a ledger entry object"),
    ("unknown entry type", _put(4, {**ENTRIES[1], "type": "note"}), 4, "unknown entry type .note."),
    # statements
    (
        "statement signature broken",
        _change(1, lambda e: e["statement"].update(kiosk="k2")),
        1,
        "kiosk statement signature does not verify",
    ),
    (
        "statement of another event",
        _put(1, _staff(statement("kiosk", "t2", "ana", kiosk="k1", key=tiny.KIOSK_KEY.public_b64u))),
        1,
        "statement is for event 't2'",
    ),
    (
        "staff signs in another's name",
        _put(1, _staff(statement("kiosk", tiny.EVENT, "bob", kiosk="k1", key=tiny.KIOSK_KEY.public_b64u))),
        1,
        "names another staff member",
    ),
    (
        "authority statement by another key",
        _put(
            7,
            statement_entry(
                statement("revocation", tiny.EVENT, reviewer="rep4"),
                "authority",
                None,
                tiny.key("x"),
                tiny.at(21),
            ),
        ),
        7,
        "not the authority",
    ),
    (
        "statement type differs from entry type",
        _change(7, lambda e: e.update(type="resolution")),
        7,
        "does not match its entry",
    ),
    (
        "kiosk statement without key",
        _put(
            1, {**ENTRIES[1], "statement": {k: v for k, v in ENTRIES[1]["statement"].items() if k != "key"}}
        ),
        1,
        "a kiosk statement needs key",
    ),
    (
        "kiosk key not 32 bytes",
        _put(1, _staff(dict(ENTRIES[1]["statement"], key="AAAA"))),
        1,
        "kiosk statement key must be 32 bytes",
    ),
    (
        "signer of unknown role",
        _change(1, lambda e: e["signer"].update(role="admin")),
        1,
        "signer role must be one of",
    ),
    (
        "statement received_at bad",
        _change(1, lambda e: e.update(received_at="today")),
        1,
        "received_at must be an RFC 3339",
    ),
    ("kiosk enrolled twice", _put(2, ENTRIES[1]), 2, "kiosk k1 enrolled twice"),
    (
        "revocation of an unknown reviewer",
        _put(
            7,
            statement_entry(
                statement("revocation", tiny.EVENT, reviewer="nobody"),
                "authority",
                None,
                tiny.AUTHORITY,
                tiny.at(21),
            ),
        ),
        7,
        "revokes reviewer nobody",
    ),
    (
        "resolution of a ballot not on the ledger",
        _put(
            6,
            _staff(statement("resolution", tiny.EVENT, "ana", reviewer="mem1", target="g1", ballot="A" * 43)),
        ),
        6,
        "not on the ledger",
    ),
    (
        "resolution without target",
        _put(6, _staff({k: v for k, v in ENTRIES[6]["statement"].items() if k != "target"})),
        6,
        "a resolution statement needs target",
    ),
    # kiosk chain on the ledger
    ("record of an unenrolled kiosk", lambda e: e.pop(1), 1, "kiosk k1 that is not enrolled"),
    ("kiosk seq skips", _change(3, lambda e: e.update(seq=3)), 3, "record seq 3 does not follow 1"),
    ("kiosk record twice", _put(3, ENTRIES[2]), 3, "record seq 1 does not follow 1"),
    ("record seq 0", _change(2, lambda e: e.update(seq=0)), 2, "ballot entry seq must be at least 1"),
    (
        "kiosk record without seq",
        _change(2, lambda e: e.update(seq=None)),
        2,
        "ballot entry seq must be a whole number",
    ),
    (
        "record after the kiosk closed",
        _put(9, ballot_entry(tiny.signed(tiny.rubric(n=13)), tiny.at(40), tiny.KIOSK, 3)),
        9,
        "after kiosk k1 was closed must be logged as rejected with 'kiosk_closed'",
    ),
    (
        "record after the kiosk closed with the rules' code",
        _put(9, rejected_entry(tiny.signed(tiny.rubric(n=13)), tiny.at(40), tiny.KIOSK, 3, "bad_scores")),
        9,
        "must be logged as rejected with 'kiosk_closed'",
    ),
    (
        "kiosk_closed for an open kiosk",
        _put(3, {**ENTRIES[3], "code": "kiosk_closed"}),
        3,
        "rejected with 'kiosk_closed' but kiosk k1 was not closed",
    ),
    (
        "late record that skips a seq",
        _put(9, rejected_entry(tiny.signed(tiny.rubric(n=13)), tiny.at(40), tiny.KIOSK, 4, "kiosk_closed")),
        9,
        "seq 4 does not follow 2",
    ),
    # ballots and the rules
    (
        "accepted ballot that breaks a rule",
        _change(3, lambda e: (e.update(type="ballot"), e.pop("code"))),
        3,
        "an accepted ballot that the rules reject: conflict_of_interest",
    ),
    (
        "rejected with the wrong code",
        _change(3, lambda e: e.update(code="bad_scores")),
        3,
        "logged as rejected with 'bad_scores' but the rules give conflict_of_interest",
    ),
    (
        "rejected although valid",
        _put(3, rejected_entry(ENTRIES[2]["signed_ballot"], tiny.at(10), tiny.KIOSK, 2, "bad_scores")),
        3,
        "the rules give accepted",
    ),
    (
        "rejected with an unknown code",
        _change(3, lambda e: e.update(code="late")),
        3,
        "rejected entry code must be one of",
    ),
    (
        "online rejected entry",
        _put(4, {**ENTRIES[4], "type": "rejected", "code": "bad_scores"}),
        4,
        "kiosk null and seq null",
    ),
    ("online entry with a seq", _change(4, lambda e: e.update(seq=1)), 4, "kiosk null and seq null"),
    ("online ballot twice", _put(5, ENTRIES[4]), 5, "is on the ledger twice"),
    (
        "online ballot signed by another",
        _put(4, _online(tiny.approval(n=23), signer="mem2")),
        4,
        "rules reject: bad_signature",
    ),
    (
        "ballot entry with extra field",
        _change(4, lambda e: e.update(id="x")),
        4,
        "ballot entry has unexpected",
    ),
    (
        "ballot entry received_at local",
        _change(4, lambda e: e.update(received_at="2017-02-23 10:11")),
        4,
        "received_at must be an RFC 3339",
    ),
    (
        "ballot entry missing signed_ballot",
        _change(4, lambda e: e.pop("signed_ballot")),
        4,
        "ballot entry is missing signed_ballot",
    ),
    (
        "ballot of a revoked reviewer",
        lambda e: e.insert(
            8,
            ballot_entry(
                tiny.signed(tiny.rubric("rep4", "p5", n=30, channel="kiosk")), tiny.at(22), tiny.KIOSK, 3
            ),
        ),
        8,
        "rules reject: revoked_credential",
    ),
    # kiosk close
    (
        "close of an unknown kiosk",
        _put(8, _staff(statement("kiosk-close", tiny.EVENT, "ana", kiosk="k9", closure=None))),
        8,
        "never enrolled",
    ),
    (
        "closure behind the ledger",
        _put(
            8,
            _staff(
                statement(
                    "kiosk-close",
                    tiny.EVENT,
                    "ana",
                    kiosk="k1",
                    closure=_closure(1, record_hash(tiny.kiosk_records()[0])),
                )
            ),
        ),
        8,
        "closed at seq 1 but the ledger holds its chain to 2",
    ),
    (
        "closure signed by another key",
        _put(
            8,
            _staff(statement("kiosk-close", tiny.EVENT, "ana", kiosk="k1", closure=_closure(2, H2, key="x"))),
        ),
        8,
        "kiosk closure signature",
    ),
    (
        "closure of another kiosk",
        _put(
            8,
            _staff(
                statement("kiosk-close", tiny.EVENT, "ana", kiosk="k1", closure=_closure(2, H2, kiosk="k2"))
            ),
        ),
        8,
        "closure of kiosk k2 closes kiosk k1",
    ),
    ("kiosk closed twice", lambda e: e.insert(9, e[8]), 9, "closed twice"),
    # event close
    (
        "close with another results hash",
        _put(9, _staff(statement("close", tiny.EVENT, "ana", results_hash="A" * 43))),
        9,
        "results hash is not the hash",
    ),
    ("entry after close", lambda e: e.append(ENTRIES[7]), 10, "after the event was closed"),
    ("online ballot after close", lambda e: e.append(ENTRIES[4]), 10, "after the event was closed"),
    (
        "kiosk-close override without a reason",
        _put(8, _bad_staff({"type": "kiosk-close", "event": tiny.EVENT, "kiosk": tiny.KIOSK, "closure": None,
                            "staff": "ana", "override": {"reason": " "}})),
        8,
        "override needs a reason",
    ),
    (
        "kiosk-close override with a backwards range",
        _put(8, _bad_staff({"type": "kiosk-close", "event": tiny.EVENT, "kiosk": tiny.KIOSK, "closure": None,
                            "staff": "ana", "override": {"reason": "gone", "missing": {"first": 5, "last": 3}}})),
        8,
        "first 5 is after last 3",
    ),
]


def test_records_after_a_close_stay_on_the_ledger_and_never_count() -> None:
    """A kiosk record that arrives after its kiosk-close is logged as rejected
    ``kiosk_closed``; one of an open kiosk after the event's close as ``event_closed``:
    the chain stays complete, the results do not move, and the replay lists them."""
    entries = copy.deepcopy(ENTRIES[:9])  # up to the kiosk-close, before the event close
    late = rejected_entry(tiny.signed(tiny.rubric(n=13)), tiny.at(40), tiny.KIOSK, 3, "kiosk_closed")
    entries.append(late)
    before = replay(entries[:9]).results()
    st = replay(entries)
    assert st.late == [(9, "kiosk_closed", "k1", 3)] and (9, "kiosk_closed", "k1", 3) in st.rejected
    assert st.kiosks["k1"].seq == 3 and st.results() == before
    entries.append(_staff(statement("close", tiny.EVENT, "ana", results_hash=results_hash(before))))
    entries.append(rejected_entry(tiny.signed(tiny.rubric(n=14)), tiny.at(41), tiny.KIOSK, 4, "kiosk_closed"))
    st = replay(entries)
    assert st.close_index == 10 and [x[0] for x in st.late] == [9, 11]


def test_an_open_kiosk_after_the_event_close_logs_event_closed() -> None:
    entries = [*copy.deepcopy(ENTRIES[:8]), copy.deepcopy(ENTRIES[9])]  # no kiosk-close
    st0 = replay(entries)
    assert st0.close_index == 8
    entries.append(rejected_entry(tiny.signed(tiny.rubric(n=13)), tiny.at(55), tiny.KIOSK, 3, "event_closed"))
    assert replay(entries).late == [(9, "event_closed", "k1", 3)]
    entries[-1] = rejected_entry(tiny.signed(tiny.rubric(n=13)), tiny.at(55), tiny.KIOSK, 3, "kiosk_closed")
    with pytest.raises(LedgerError, match="must be logged as rejected with 'event_closed'"):
        replay(entries)


def test_overrides_are_listed() -> None:
    entries = copy.deepcopy(ENTRIES[:8])
    body = statement("kiosk-close", tiny.EVENT, "ana", kiosk=tiny.KIOSK, closure=None,
                     override={"reason": "kiosk stolen", "missing": {"first": 3, "last": 5}, "signed_seq": 5, "synced_seq": 2})
    entries.append(_staff(body))
    st = replay(entries)
    assert st.overrides == [(8, body)]


@pytest.mark.parametrize(("name", "edit", "index", "message"), WRONG, ids=[w[0] for w in WRONG])
def test_wrong_entry(name: str, edit: Edit, index: int, message: str) -> None:
    entries = copy.deepcopy(ENTRIES)
    edit(entries)
    with pytest.raises(LedgerError, match=message) as exc:
        replay(entries)
    assert exc.value.index == index
    assert str(exc.value).startswith(f"entry {index}: ")
    assert isinstance(exc.value, VerificationError)


def test_kiosk_close_without_closure_is_allowed() -> None:
    """Staff may close a kiosk that never sent its closure (it is broken or lost)."""
    entries = copy.deepcopy(ENTRIES[:8])
    entries.append(_staff(statement("kiosk-close", tiny.EVENT, "ana", kiosk="k1", closure=None)))
    st = replay(entries)
    assert st.kiosks["k1"].closure is not None
