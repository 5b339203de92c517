"""The compiled wire readers (:mod:`shared.wire`) against the former field-by-field
checks (``oracle_wire``): on random valid values and on values broken in one place — a
key dropped or added, a value of another JSON type, a text at or past its bounds — the
production readers and the oracle give the same verdict and the same message."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import partial
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import wire
from shared.ballot import SignedBallot
from shared.chain import GENESIS, Batch, check_record_shape, record_hash
from shared.encoding import b64u, jcs
from shared.errors import FormatError
from shared.ledger import check_ballot_entry, check_statement_body
from tests.shared import oracle_wire as oracle

SETTINGS = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_TIMES = ["2017-02-23T10:15:00Z", "2017-02-23T10:15:00.5Z", "2017-02-30T10:15:00Z", "2017-02-23 10:15:00Z",
          "2017-02-23T10:15:00+09:00", "2017-02-23T24:00:00Z", ""]
_TEXTS = ["", "a", "k" * 36, "k" * 63, "k" * 64, "k" * 65, "가" * 64, "가" * 65, "😀" * 64, "a\x00b", "a\ud800b",
          "a" * 500, "a" * 501, "=", "12345678-1234-1234-1234-123456789abc", "12345678-1234-1234-1234-123456789ABC",
          "12345678-1234-1234-1234-123456789abc\n", "A" * 43, "A" * 42 + "B", "A" * 42 + "E", "A" * 86,
          "A" * 85 + "B", "A" * 85 + "Q", "A" * 85 + "g==", "A" * 84 + "+/", "A" * 87, *_TIMES,
          "kiosk", "online", "rubric", "approval", "ballot", "malformed", "bad_signature", "nope"]
json_scalars = st.one_of(
    st.sampled_from(_TEXTS), st.sampled_from(_TEXTS), st.integers(-2, 3), st.none(), st.booleans(), st.sampled_from([0, 1, -1, 2, 64, 2**53, 2**63]), st.integers(-3, 3),
    st.sampled_from([1.0, 0.5, -0.0, 1e300]), st.sampled_from(_TEXTS), st.text(max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "c1", "\x00"]), inner, max_size=3)),
    max_leaves=6,
)
uuids = st.uuids().map(str)
names = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=64)


@st.composite
def ballots(draw: st.DrawFn) -> dict[str, Any]:
    channel = draw(st.sampled_from(["kiosk", "online"]))
    b: dict[str, Any] = {
        "v": 1, "type": "ballot", "event": draw(names), "reviewer": draw(names), "channel": channel,
        "kiosk": draw(names) if channel == "kiosk" else None, "created_at": draw(st.sampled_from(_TIMES[:2])),
        "nonce": draw(uuids),
    }
    if draw(st.booleans()):
        b |= {"form": "rubric", "proposal": draw(names),
              "scores": draw(st.dictionaries(st.sampled_from(["c1", "c2", "c3"]), st.integers(0, 10), max_size=3))}
        if draw(st.booleans()):
            b["comment"] = draw(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20))
    else:
        b |= {"form": "approval", "group": draw(names), "choices": draw(st.lists(names, max_size=4))}
    return b


@st.composite
def signed_ballots(draw: st.DrawFn) -> dict[str, Any]:
    return {"ballot": draw(ballots()), "sig": b64u(draw(st.binary(min_size=64, max_size=64)))}


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*here, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*here, i))
    return out


@st.composite
def broken(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> Any:
    """A valid value, or one broken at one place (or two)."""
    value = copy.deepcopy(draw(valid))
    for _ in range(draw(st.integers(0, 2))):
        depth = draw(st.sampled_from([1, 1, 2, 2, 3, 99]))
        paths = [p for p in _paths(value) if 0 < len(p) <= depth]
        path: tuple[Any, ...] = ()
        if draw(st.integers(0, 20)) > 0 and paths:
            path = draw(st.sampled_from(paths))
        if not path:
            value = draw(st.one_of(json_values, st.just([value])))
            continue
        parent = value
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        how = draw(st.sampled_from(["replace", "replace", "replace", "drop", "add", "tuple", "long"]))
        if how == "replace":
            parent[last] = draw(json_values)
        elif how == "drop":
            del parent[last]
        elif how == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "comment", "sig", "kiosk", "code", "staff", "at", "reason", "override"]))] = draw(json_values)
        elif how == "tuple" and isinstance(parent[last], list):
            parent[last] = tuple(parent[last])
        elif how == "long" and isinstance(parent[last], list | dict):
            n = draw(st.sampled_from([49, 50, 51, 120, 999, 1000, 1001]))
            pad = draw(st.sampled_from([0, 50, 60]))
            parent[last] = ([f"p{i}".ljust(pad, "x") for i in range(n)] if isinstance(parent[last], list)
                            else {f"c{i}".ljust(pad * 3, "x"): 1 for i in range(n)})
    return value


def _outcome(fn: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", fn()
    except FormatError as exc:
        return "FormatError", str(exc)


def _canonical(value: Any) -> bytes | None:
    try:
        return jcs(value)
    except FormatError:
        return None


def _fields(sb: SignedBallot) -> tuple[dict[str, Any], str]:
    b = sb.ballot
    names_ = ("raw", "event", "reviewer", "channel", "kiosk", "created_at", "nonce", "form", "proposal", "scores", "comment", "group", "choices")
    return {n: getattr(b, n) for n in names_}, sb.sig


@SETTINGS
@given(broken(signed_ballots()), st.booleans())
def test_signed_ballot_reader_agrees_with_oracle(raw: Any, give_bytes: bool) -> None:
    canonical = _canonical(raw) if give_bytes else None
    new = _outcome(lambda: _fields(SignedBallot.from_json(raw, canonical=canonical)))
    old = _outcome(lambda: oracle.signed_ballot(raw, canonical=canonical))
    assert new == old
    # the compiled reader never accepts what the oracle refuses
    if wire.read_signed_ballot(raw, canonical) is not None:
        assert old[0] == "ok"


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    return {"seq": draw(st.integers(1, 2**53)), "prev": b64u(draw(st.binary(min_size=32, max_size=32))),
            "signed_ballot": draw(signed_ballots())}


@SETTINGS
@given(broken(records()))
def test_record_reader_agrees_with_oracle(raw: Any) -> None:
    assert _outcome(lambda: check_record_shape(raw, "record 3")) == _outcome(lambda: oracle.record_shape(raw, "record 3"))


@st.composite
def batches(draw: st.DrawFn) -> dict[str, Any]:
    kiosk = draw(names)
    recs, prev = [], GENESIS
    for seq in range(1, draw(st.integers(0, 3)) + 1):
        r = {"seq": seq, "prev": prev, "signed_ballot": draw(signed_ballots())}
        recs.append(r)
        prev = record_hash(r)
    head = {"kiosk": kiosk, "seq": len(recs), "hash": prev, "sig": b64u(draw(st.binary(min_size=64, max_size=64)))}
    return {"kiosk": kiosk, "records": recs, "head": head}


@SETTINGS
@given(broken(batches()), st.sampled_from([2, 500]))
def test_batch_reader_agrees_with_oracle(raw: Any, max_records: int) -> None:
    def new() -> Any:
        b = Batch.from_json(raw, max_records=max_records)
        return b.kiosk, b.records, b.head, b.signed_jcs, b.hashes

    assert _outcome(new) == _outcome(lambda: oracle.batch(raw, max_records=max_records))


@st.composite
def ballot_entries(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["ballot", "rejected"]))
    online = kind == "ballot" and draw(st.booleans())
    e: dict[str, Any] = {"type": kind, "received_at": draw(st.sampled_from(_TIMES[:2])), "signed_ballot": draw(signed_ballots()),
                         "kiosk": None if online else draw(names), "seq": None if online else draw(st.integers(1, 10**6))}
    if kind == "rejected":
        e["code"] = draw(st.sampled_from(["malformed", "bad_signature", "kiosk_closed", "outside_window"]))
    return e


@SETTINGS
@given(broken(ballot_entries()))
def test_ballot_entry_reader_agrees_with_oracle(raw: Any) -> None:
    assert _outcome(lambda: check_ballot_entry(raw)) == _outcome(lambda: oracle.ballot_entry(raw))


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["kiosk", "revocation", "resolution", "kiosk-close", "close"]))
    body: dict[str, Any] = {"type": kind, "event": draw(names)}
    fields: dict[str, dict[str, Any]] = {
        "kiosk": {"kiosk": draw(names), "key": b64u(draw(st.binary(min_size=32, max_size=32)))},
        "revocation": {"reviewer": draw(st.text(max_size=5))},
        "resolution": {"reviewer": "r1", "target": "P1", "ballot": draw(st.text(max_size=5))},
        "kiosk-close": {"kiosk": draw(st.text(max_size=5)), "closure": draw(st.sampled_from([None, {}, {"seq": 1}]))},
        "close": {"results_hash": "abc"},
    }
    body |= fields[kind]
    for name, value in (("staff", draw(names)), ("reason", draw(st.text(max_size=10))), ("at", _TIMES[0]),
                        ("override", {"reason": "late", "missing": None}), ("server_counts", {"a": 1})):
        if draw(st.booleans()):
            body[name] = value
    return body


@SETTINGS
@given(broken(statements()))
def test_statement_reader_agrees_with_oracle(raw: Any) -> None:
    assert _outcome(lambda: check_statement_body(raw)) == _outcome(lambda: oracle.statement_body(raw))


@settings(max_examples=100, deadline=None)
@given(signed_ballots(), records(), batches(), ballot_entries(), statements())
def test_valid_values_take_the_compiled_path(sb: Any, rec: Any, bat: Any, entry: Any, body: Any) -> None:
    """Not a vacuous agreement: well-formed values are accepted by the compiled readers
    (a statement with an override is read field by field by design)."""
    assert wire.read_signed_ballot(sb, None) is not None
    assert wire.read_ballot(sb["ballot"]) is not None
    assert wire.read_record(rec)
    assert wire.read_batch(bat, 500) is not None
    assert wire.read_ballot_entry(entry) is not None
    assert (wire.read_statement(body) is not None) == ("override" not in body)


# Every single-field substitution of a few templates, deterministically: each known field
# (and one unknown) set to each value of a pool of near misses.
_POOL: list[Any] = [*_TEXTS, None, True, False, 0, 1, -1, 2, 1.0, 2**63, [], ["a"], ("a",), {}, {"a": 1}, "\x00"]
_NONCE, _SIG, _KEY = "12345678-1234-1234-1234-123456789abc", "A" * 86, "A" * 43
_KIOSK_BALLOT = {"v": 1, "type": "ballot", "event": "e", "reviewer": "r", "channel": "kiosk", "kiosk": "k1",
                 "created_at": _TIMES[0], "nonce": _NONCE, "form": "rubric", "proposal": "P1", "scores": {"c1": 3}, "comment": "ok"}
_ONLINE_BALLOT = {"v": 1, "type": "ballot", "event": "e", "reviewer": "r", "channel": "online", "kiosk": None,
                  "created_at": _TIMES[0], "nonce": _NONCE, "form": "approval", "group": "G", "choices": ["P1"]}


def _substitutions(template: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name in [*template, "extra"]:
        for value in _POOL:
            out.append({**copy.deepcopy(template), name: value})
        if name in template:
            out.append({k: v for k, v in copy.deepcopy(template).items() if k != name})
    return out


def _signed_fields(raw: Any) -> tuple[dict[str, Any], str]:
    return _fields(SignedBallot.from_json(raw))


def _batch_head(raw: Any) -> dict[str, Any]:
    return Batch.from_json(raw).head


def _oracle_head(raw: Any) -> dict[str, Any]:
    return oracle.batch(raw)[2]


def test_every_single_field_substitution_agrees_with_oracle() -> None:
    refused = 0
    for b in _substitutions(_KIOSK_BALLOT) + _substitutions(_ONLINE_BALLOT):
        for raw in ({"ballot": b, "sig": _SIG}, b):
            old = _outcome(partial(oracle.signed_ballot, raw))
            assert _outcome(partial(_signed_fields, raw)) == old, raw
            refused += old[0] != "ok"
    for sig in _POOL:
        raw = {"ballot": _ONLINE_BALLOT, "sig": sig}
        assert _outcome(partial(_signed_fields, raw)) == _outcome(partial(oracle.signed_ballot, raw))
    record = {"seq": 1, "prev": _KEY, "signed_ballot": {"ballot": _ONLINE_BALLOT, "sig": _SIG}}
    for raw in _substitutions(record):
        assert _outcome(partial(check_record_shape, raw)) == _outcome(partial(oracle.record_shape, raw))
    for kiosk_entry in (True, False):
        entry: dict[str, Any] = {"type": "rejected" if kiosk_entry else "ballot", "received_at": _TIMES[0], "signed_ballot": {},
                 "kiosk": "k1" if kiosk_entry else None, "seq": 2 if kiosk_entry else None}
        if kiosk_entry:
            entry["code"] = "malformed"
        for raw in _substitutions(entry):
            assert _outcome(partial(check_ballot_entry, raw)) == _outcome(partial(oracle.ballot_entry, raw))
    head = {"kiosk": "k1", "seq": 0, "hash": GENESIS, "sig": _SIG}
    for h in _substitutions(head):
        for raw in ({"kiosk": "k1", "records": [], "head": h}, *_substitutions({"kiosk": "k1", "records": [], "head": head})):
            assert _outcome(partial(_batch_head, raw)) == _outcome(partial(_oracle_head, raw))
    for body in ({"type": "kiosk", "event": "e", "kiosk": "k1", "key": _KEY, "staff": "s", "reason": "", "at": _TIMES[0]},
                 {"type": "kiosk-close", "event": "e", "kiosk": "k1", "closure": None},
                 {"type": "resolution", "event": "e", "reviewer": "r", "target": "t", "ballot": "b"}):
        for raw in _substitutions(body):
            assert _outcome(partial(check_statement_body, raw)) == _outcome(partial(oracle.statement_body, raw))
    assert refused > 1000  # the pool breaks most of them
