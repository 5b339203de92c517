"""shared.manifest: the event manifest's shape and its authority signature (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.encoding import b64u, b64u_decode, jcs
from shared.errors import FormatError, VerificationError
from shared.keys import verify
from shared.manifest import Manifest, sign_manifest, verify_signed_manifest
from tests.support import tiny

Change = Callable[[dict[str, Any]], object]


def _set(path: str, value: Any) -> Change:
    """Set a dotted path (list indexes as numbers) of the manifest."""

    def go(m: dict[str, Any]) -> None:
        *parts, last = path.split(".")
        target: Any = m
        for p in parts:
            target = target[int(p)] if isinstance(target, list) else target[p]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return go


def _drop(path: str) -> Change:
    def go(m: dict[str, Any]) -> None:
        *parts, last = path.split(".")
        target: Any = m
        for p in parts:
            target = target[int(p)] if isinstance(target, list) else target[p]
        del target[last]

    return go


def _do(*changes: Change) -> Change:
    def go(m: dict[str, Any]) -> None:
        for c in changes:
            c(m)

    return go


OTHER_KEY = tiny.key("other").public_b64u

#: (name, change, the message must match) — each a manifest the parser must refuse.
INVALID: list[tuple[str, Change, str]] = [
    ("not an object", _do(lambda m: m.clear(), _set("x", 1)), "missing"),
    ("missing event", _drop("event"), "manifest is missing event"),
    ("unknown top-level field", _set("names", ["Kim"]), "unexpected field.*names"),
    ("v 2", _set("v", 2), "manifest v"),
    ("v true", _set("v", True), "manifest v"),
    ("v 1.0 as a string", _set("v", "1"), "manifest v"),
    ("type ballot", _set("type", "ballot"), "manifest type"),
    ("event id with a dot", _set("event", "t.1"), "manifest event"),
    ("event id empty", _set("event", ""), "manifest event"),
    ("event id with newline", _set("event", "t1\n"), "manifest event"),
    ("title without en", _drop("title.en"), "manifest title is missing en"),
    ("title ko empty", _set("title.ko", ""), "title ko"),
    ("authority_key short", _set("authority_key", b64u(bytes(31))), "authority_key must be 32 bytes"),
    ("authority_key padded", _set("authority_key", tiny.AUTHORITY.public_b64u + "="), "authority_key"),
    ("ledger_key not text", _set("ledger_key", 7), "ledger_key must be a string"),
    ("kdf_min_logn 9", _set("kdf_min_logn", 9), "kdf_min_logn must be at least 10"),
    ("kdf_min_logn 21", _set("kdf_min_logn", 21), "kdf_min_logn must be at most 20"),
    ("kdf_min_logn float", _set("kdf_min_logn", 15.0), "kdf_min_logn must be a whole number"),
    ("communities not a list", _set("communities", {"c1": 1}), "communities must be a JSON array"),
    ("community twice", lambda m: m["communities"].append({"id": "c1"}), "communities: c1 appears twice"),
    ("community with a name", _set("communities.0.name", "Kim"), r"communities\[0\] has unexpected"),
    ("group twice", lambda m: m["groups"].append({"id": "g1", "proposals": []}), "group g1 appears twice"),
    (
        "group lists a proposal twice",
        _set("groups.0.proposals", ["p1", "p2", "p3", "p3"]),
        "group g1 lists a proposal twice",
    ),
    (
        "group lists a proposal of another group",
        _set("groups.0.proposals", ["p1", "p2", "p3", "p4"]),
        "group g1 lists proposal p4",
    ),
    (
        "group forgets a proposal",
        _set("groups.0.proposals", ["p1", "p2"]),
        "proposal p3 is not listed in its group g1",
    ),
    (
        "group lists an unknown proposal",
        _set("groups.1.proposals", ["p4", "p5", "p9"]),
        "group g2 lists proposal p9",
    ),
    ("proposal twice", lambda m: m["proposals"].append(dict(m["proposals"][0])), "proposal p1 appears twice"),
    (
        "proposal of unknown community",
        _set("proposals.0.community", "c9"),
        "proposal p1 names unknown community c9",
    ),
    ("proposal without title", _drop("proposals.0.title"), r"proposals\[0\] is missing title"),
    (
        "proposal title too long",
        _set("proposals.0.title", "가" * 301),
        "proposal p1 title is longer than 300",
    ),
    (
        "proposal of unknown group",
        _set("proposals.0.group", "g9"),
        "proposal p1 is not listed in its group g9",
    ),
    (
        "criterion twice",
        lambda m: m["rubric"].append(dict(m["rubric"][0])),
        "rubric criterion a appears twice",
    ),
    ("criterion max 0", _set("rubric.0.max", 0), "rubric a max must be at least 1"),
    ("criterion max fractional", _set("rubric.0.max", 10.5), "rubric a max must be a whole number"),
    ("criterion weight negative", _set("rubric.1.weight", -1), "rubric b weight must be at least 0"),
    ("criterion weight text", _set("rubric.1.weight", "1"), "rubric b weight must be a number"),
    (
        "all weights zero",
        _do(_set("rubric.0.weight", 0), _set("rubric.1.weight", 0)),
        "rubric weights must not all be zero",
    ),
    ("criterion label without ko", _drop("rubric.0.label.ko"), r"rubric\[0\].label is missing ko"),
    ("rubric form without criteria", _set("rubric", []), "a rubric form needs at least one rubric criterion"),
    (
        "reviewer twice",
        lambda m: m["reviewers"].append(dict(m["reviewers"][0])),
        "reviewer rep1 appears twice",
    ),
    (
        "reviewer with a phone number",
        _set("reviewers.0.phone", "010"),
        r"reviewers\[0\] has unexpected field\(s\) phone",
    ),
    ("reviewer key not base64url", _set("reviewers.0.key", "not/base64"), "reviewer rep1 key"),
    ("reviewer role chair", _set("reviewers.0.role", "chair"), "reviewer rep1 role must be one of"),
    (
        "reviewer of unknown community",
        _set("reviewers.0.community", "c9"),
        "reviewer rep1 names unknown community c9",
    ),
    ("forms without online", _drop("forms.online"), "forms is missing online"),
    ("form ranked", _set("forms.online", "ranked"), "forms.online must be one of"),
    ("max_choices 0", _set("approval.max_choices", 0), "approval.max_choices must be at least 1"),
    (
        "assignment of an unknown reviewer",
        _set("assignments.nobody", ["g1"]),
        "assignments name unknown reviewer nobody",
    ),
    (
        "assignment of an unknown target",
        _set("assignments.rep1", ["g9"]),
        "reviewer rep1 is assigned unknown proposal or group 'g9'",
    ),
    ("assignment not a list", _set("assignments.rep1", "g1"), "assignments of rep1 must be a JSON array"),
    (
        "assignment target an object",
        _set("assignments.rep1", [{"id": "g1"}]),
        "assignment of rep1 must be a string",
    ),
    ("window without end", _drop("windows.kiosk.end"), "windows.kiosk is missing end"),
    (
        "window in local time",
        _set("windows.kiosk.start", "2017-02-23T09:00:00+09:00"),
        "windows.kiosk.start must be an RFC 3339 UTC",
    ),
    (
        "window ends before it starts",
        _set("windows.online.end", "2017-02-23T08:00:00Z"),
        "windows.online ends before it starts",
    ),
    (
        "window of zero length",
        _set("windows.online.end", "2017-02-23T09:00:00Z"),
        "windows.online ends before it starts",
    ),
    (
        "impossible date",
        _set("windows.kiosk.end", "2017-02-30T18:00:00Z"),
        "windows.kiosk.end '2017-02-30T18:00:00Z' is not a real date",
    ),
    ("negative tolerance", _set("windows.clock_tolerance_s", -1), "clock_tolerance_s must be at least 0"),
    ("merge policy newest", _set("merge.policy", "newest"), "merge.policy must be one of"),
    ("selection mode vote", _set("selection.mode", "vote"), "selection.mode must be one of"),
    (
        "quota above the proposals",
        _set("selection.quota.kiosk", 6),
        "selection.quota.kiosk must be at most 5",
    ),
    ("negative select", _set("selection.select", -1), "selection.select must be at least 0"),
    ("weights without online", _drop("selection.weights.online"), "selection.weights is missing online"),
    ("normalize rank", _set("selection.normalize", "rank"), "selection.normalize must be one of"),
]


@pytest.mark.parametrize(("name", "change", "message"), INVALID, ids=[n for n, _, _ in INVALID])
def test_invalid_manifest(name: str, change: Change, message: str) -> None:
    raw = tiny.manifest_raw()
    change(raw)
    with pytest.raises(FormatError, match=message):
        Manifest.from_json(raw)


def test_manifest_must_be_an_object() -> None:
    with pytest.raises(FormatError, match="manifest must be a JSON object"):
        Manifest.from_json([])


def test_parsed_view() -> None:
    m = tiny.manifest()
    assert m.event == "t1" and m.title_en == "Tiny test event"
    assert m.groups == {"g1": ("p1", "p2", "p3"), "g2": ("p4", "p5")}
    assert m.proposals["p5"].community == "c1" and m.proposals["p5"].group == "g2"
    assert list(m.criteria()) == ["a", "b"] and m.criteria()["a"].weight == 2.0
    assert m.reviewers["exp1"].role == "expert"
    assert m.assignments["rep1"] == frozenset({"g1"})
    assert m.windows["kiosk"].end.hour == 18 and m.clock_tolerance_s == 300
    assert m.forms == {"kiosk": "rubric", "online": "approval"} and m.max_choices == 2
    assert m.selection.quota_kiosk == 2 and m.selection.mode == "quota"
    assert m.is_demo  # kdf_min_logn 10 < 15
    assert not tiny.manifest(kdf_min_logn=15).is_demo


def test_approval_only_event_needs_no_rubric() -> None:
    m = tiny.manifest(rubric=[], forms={"kiosk": "approval", "online": "approval"})
    assert m.rubric == ()


def test_sign_and_verify() -> None:
    signed = tiny.signed_manifest()
    assert set(signed) == {"manifest", "sig"}
    # the signature is Ed25519 by the authority over the JCS bytes of the manifest
    verify(tiny.AUTHORITY.public, jcs(signed["manifest"]), b64u_decode(signed["sig"]))
    m = verify_signed_manifest(signed, authority_key=tiny.AUTHORITY.public_b64u)
    assert m.raw == tiny.manifest_raw()


def test_signature_covers_every_field() -> None:
    signed = tiny.signed_manifest()
    signed["manifest"]["selection"]["quota"]["kiosk"] = 1
    with pytest.raises(VerificationError, match="manifest signature does not verify"):
        verify_signed_manifest(signed)


def test_key_order_and_spacing_do_not_matter() -> None:
    """The signature is over JCS, so a re-serialised manifest still verifies."""
    signed = tiny.signed_manifest()
    reordered = {"sig": signed["sig"], "manifest": dict(reversed(list(signed["manifest"].items())))}
    verify_signed_manifest(reordered)


def test_pinned_authority() -> None:
    with pytest.raises(VerificationError, match="another authority"):
        verify_signed_manifest(tiny.signed_manifest(), authority_key=OTHER_KEY)


def test_signed_by_another_key_with_its_own_authority_key() -> None:
    """A forger who also replaces authority_key is caught only by pinning."""
    raw = tiny.manifest_raw()
    forger = tiny.key("forger")
    raw["authority_key"] = forger.public_b64u
    forged = sign_manifest(raw, forger)
    verify_signed_manifest(forged)  # self-consistent
    with pytest.raises(VerificationError):
        verify_signed_manifest(forged, authority_key=tiny.AUTHORITY.public_b64u)


def test_sign_refuses_a_key_that_is_not_the_authority() -> None:
    with pytest.raises(FormatError, match="not this authority key"):
        sign_manifest(tiny.manifest_raw(), tiny.key("other"))


def test_sign_refuses_an_invalid_manifest() -> None:
    raw = tiny.manifest_raw()
    raw["v"] = 2
    with pytest.raises(FormatError):
        sign_manifest(raw, tiny.AUTHORITY)


INVALID_SIGNED: list[tuple[str, Any, type[Exception], str]] = [
    ("not an object", "x", FormatError, "signed manifest must be a JSON object"),
    ("no sig", {"manifest": tiny.manifest_raw()}, FormatError, "signed manifest is missing sig"),
    ("extra field", {**tiny.signed_manifest(), "id": 1}, FormatError, "unexpected field"),
    ("sig not text", {**tiny.signed_manifest(), "sig": 5}, FormatError, "manifest sig must be a string"),
    (
        "sig truncated",
        {**tiny.signed_manifest(), "sig": tiny.signed_manifest()["sig"][:-2]},
        VerificationError,
        "64 bytes",
    ),
    (
        "sig of another object",
        {**tiny.signed_manifest(), "sig": tiny.AUTHORITY.sign_b64u(b"{}")},
        VerificationError,
        "does not verify",
    ),
    (
        "sig padded",
        {**tiny.signed_manifest(), "sig": tiny.signed_manifest()["sig"] + "=="},
        VerificationError,
        "base64url",
    ),
]


@pytest.mark.parametrize(
    ("name", "signed", "error", "message"), INVALID_SIGNED, ids=[n for n, *_ in INVALID_SIGNED]
)
def test_invalid_signed_manifest(name: str, signed: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        verify_signed_manifest(signed)


def test_mini_event_manifest_verifies(mini_manifest: Manifest) -> None:
    assert mini_manifest.event == "mini"
    assert len(mini_manifest.proposals) == 24 and len(mini_manifest.groups) == 2


def test_merge_may_bound_the_ballots_per_target() -> None:
    """``merge.max_per_target`` is optional (default 3) and additive to DESIGN's format."""
    assert Manifest.from_json(tiny.manifest_raw()).max_per_target == 3
    raw = tiny.manifest_raw()
    raw["merge"] = {**raw["merge"], "max_per_target": 5}
    assert Manifest.from_json(raw).max_per_target == 5
    for bad in (0, 101, "3", True):
        raw["merge"] = {**raw["merge"], "max_per_target": bad}
        with pytest.raises(FormatError, match=r"merge\.max_per_target"):
            Manifest.from_json(raw)
    raw["merge"] = {"policy": "latest", "max_ballots": 3}
    with pytest.raises(FormatError, match="max_ballots"):
        Manifest.from_json(raw)
