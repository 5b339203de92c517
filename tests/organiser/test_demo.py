"""organiser.demo: the KINTEX 2017, city and mini shapes (DESIGN §1, §7)."""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from organiser.demo import DEMO_LOGN, DEMOS, city, kintex_2017, mini
from organiser.plan import EventPlan
from shared.credential import parse, unlock
from shared.encoding import b64u, b64u_decode, jcs
from shared.errors import WrongPin
from shared.keys import verify
from shared.manifest import Manifest, verify_signed_manifest

NOW = datetime(2017, 2, 23, 9, 0, tzinfo=UTC)
KEY = b64u(bytes(32))


def as_manifest(plan: EventPlan) -> Manifest:
    """The plan's manifest with placeholder keys, validated."""
    return Manifest.from_json(plan.manifest({r.id: KEY for r in plan.reviewers}, KEY, KEY))


def assert_no_conflict_of_interest(m: Manifest) -> None:
    for rid, targets in m.assignments.items():
        community = m.reviewers[rid].community
        for t in targets:
            if t in m.proposals:
                assert m.proposals[t].community != community, (rid, t)


@pytest.fixture(scope="module")
def kintex() -> EventPlan:
    return kintex_2017(NOW, random.Random(2017))


def test_kintex_proposals_and_groups(kintex: EventPlan) -> None:
    assert kintex.event == "gg2017"
    assert len(kintex.proposals) == 872
    assert len(kintex.groups) == 73
    sizes = Counter(len(ps) for ps in kintex.groups.values())
    assert set(sizes) <= {11, 12} and sum(k * v for k, v in sizes.items()) == 872
    assert sorted(p for ps in kintex.groups.values() for p in ps) == sorted(p["id"] for p in kintex.proposals)
    assert len({p["community"] for p in kintex.proposals}) == 872  # one proposal a community


def test_kintex_reviewers(kintex: EventPlan) -> None:
    roles = Counter(r.role for r in kintex.reviewers)
    assert roles == {"representative": 872, "member": 7848, "expert": 146}
    assert len({r.id for r in kintex.reviewers}) == 8866
    per_community = Counter(r.community for r in kintex.reviewers if r.role != "expert")
    assert set(per_community.values()) == {10}  # 1 representative + 9 members: big and small weigh the same
    community_of = {p["id"]: p["community"] for p in kintex.proposals}
    group_of = {p["id"]: p["group"] for p in kintex.proposals}
    own = {p["community"]: p["id"] for p in kintex.proposals}
    experts_per_group: Counter[str] = Counter()
    for r in kintex.reviewers:
        if r.role == "representative":
            g = group_of[own[r.community]]
            # scores the other proposals of its own group
            assert set(r.assigned) == set(kintex.groups[g]) - {own[r.community]}
        elif r.role == "member":
            assert len(r.assigned) == 1 and r.assigned[0] in kintex.groups
        else:
            (g,) = {group_of[p] for p in r.assigned}
            assert set(r.assigned) == set(kintex.groups[g])
            experts_per_group[g] += 1
        assert all(community_of.get(t) != r.community for t in r.assigned)
    assert set(experts_per_group.values()) == {2} and len(experts_per_group) == 73


def test_kintex_rules(kintex: EventPlan) -> None:
    assert kintex.forms == {"kiosk": "rubric", "online": "approval"}
    assert kintex.max_choices == 6
    assert kintex.selection["mode"] == "quota"
    assert kintex.selection["quota"] == {"kiosk": 250, "online": 200}
    assert 3 <= len(kintex.rubric) <= 4
    assert kintex.kdf_min_logn == DEMO_LOGN and any("DEMO" in n for n in kintex.notes)


def test_kintex_manifest_is_valid(kintex: EventPlan) -> None:
    m = as_manifest(kintex)
    assert len(m.reviewers) == 8866 and m.selection.quota_kiosk + m.selection.quota_online == 450
    assert m.is_demo
    assert_no_conflict_of_interest(m)
    assert m.windows["kiosk"].start <= NOW < m.windows["kiosk"].end


def test_kintex_is_reproducible_from_its_seed() -> None:
    a, b = kintex_2017(NOW, random.Random(5)), kintex_2017(NOW, random.Random(5))
    assert a.reviewers == b.reviewers and a.proposals == b.proposals
    assert kintex_2017(NOW, random.Random(6)).reviewers != a.reviewers


def test_city_plan() -> None:
    plan = city(NOW, random.Random(1), members=500)
    m = as_manifest(plan)
    assert len(m.proposals) == 50 and len(m.groups) == 5
    assert all(len(ps) == 10 for ps in m.groups.values())
    assert m.forms == {"kiosk": "approval", "online": "approval"} and m.rubric == ()
    assert m.max_choices == 3
    assert m.selection.mode == "mix" and m.selection.select == 15
    assert Counter(r.role for r in m.reviewers.values()) == {"member": 500}
    assert all(len(m.assignments[r]) == 1 and next(iter(m.assignments[r])) in m.groups for r in m.reviewers)
    assert len({r.community for r in m.reviewers.values()}) == 50


def test_mini_plan() -> None:
    m = as_manifest(mini(NOW, random.Random(7)))
    assert len(m.proposals) == 24 and len(m.groups) == 2
    assert Counter(r.role for r in m.reviewers.values()) == {"representative": 24, "member": 72, "expert": 4}
    assert_no_conflict_of_interest(m)
    assert set(DEMOS) == {"kintex-2017", "city", "mini"}


# --- the whole thing, through the CLI --------------------------------------------------------


def _qr_version(text: str) -> int:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    qr.add_data(text)
    return int(qr.best_fit())


@pytest.mark.slow
def test_kintex_event_init_cli(tmp_path: Path) -> None:
    """`simsa event init --demo kintex-2017`: 8,866 sealed credentials and a signed manifest."""
    out = tmp_path / "kintex"
    done = subprocess.run(
        [sys.executable, "-m", "simsa", "event", "init", str(out), "--demo", "kintex-2017", "--seed", "2017"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "8866 reviewers" in done.stderr and "DEMO" in done.stderr

    signed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    # the signature is Ed25519 by the authority key over the JCS bytes of the manifest
    authority = (out / "authority.key").read_text().strip()
    from organiser.writer import read_key

    auth_key = read_key(out / "authority.key")
    assert len(b64u_decode(authority)) == 32
    assert signed["manifest"]["authority_key"] == auth_key.public_b64u
    verify(auth_key.public, jcs(signed["manifest"]), b64u_decode(signed["sig"]))
    m = verify_signed_manifest(signed, authority_key=auth_key.public_b64u)
    assert signed["manifest"]["ledger_key"] == read_key(out / "ledger.key").public_b64u
    assert len(m.proposals) == 872 and len(m.groups) == 73 and len(m.reviewers) == 8866
    assert_no_conflict_of_interest(m)

    with open(out / "credentials.csv", newline="", encoding="utf-8") as f:
        creds = {r["reviewer"]: r["credential"] for r in csv.DictReader(f)}
    with open(out / "pins.csv", newline="", encoding="utf-8") as f:
        pins = {r["reviewer"]: r["pin"] for r in csv.DictReader(f)}
    assert set(creds) == set(pins) == set(m.reviewers)
    parsed = {rid: parse(text) for rid, text in creds.items()}
    assert all(c.event == "gg2017" and c.reviewer == rid and c.logn == DEMO_LOGN for rid, c in parsed.items())
    assert len({c.salt for c in parsed.values()}) == 8866  # fresh salt per card

    rng = random.Random(8866)
    for rid in rng.sample(sorted(m.reviewers), 50):
        key = unlock(parsed[rid], pins[rid], m.reviewers[rid].key, min_logn=m.kdf_min_logn)
        assert key.public_b64u == m.reviewers[rid].key
        other = f"{(int(pins[rid]) + 1) % 10**6:06d}"
        with pytest.raises(WrongPin):
            unlock(parsed[rid], other, m.reviewers[rid].key, min_logn=m.kdf_min_logn)

    longest = max(creds.values(), key=len)
    assert _qr_version(longest) <= 8
    for text in rng.sample(sorted(creds.values()), 20):
        assert _qr_version(text) <= 8

    for name in ("authority.key", "ledger.key", "pins.csv"):
        assert (out / name).stat().st_mode & 0o777 == 0o600, name


def test_city_event_init_cli_with_few_members(tmp_path: Path) -> None:
    from simsa.cli import main

    out = tmp_path / "city"
    assert (
        main(
            ["event", "init", str(out), "--demo", "city", "--members", "20", "--workers", "1", "--seed", "3"]
        )
        == 0
    )
    m = verify_signed_manifest(json.loads((out / "manifest.json").read_text(encoding="utf-8")))
    assert m.event == "city2019" and len(m.proposals) == 50 and len(m.reviewers) == 20
    assert m.forms == {"kiosk": "approval", "online": "approval"}
    with open(out / "pins.csv", newline="", encoding="utf-8") as f:
        pins = {r["reviewer"]: r["pin"] for r in csv.DictReader(f)}
    with open(out / "credentials.csv", newline="", encoding="utf-8") as f:
        creds = {r["reviewer"]: r["credential"] for r in csv.DictReader(f)}
    rid = "m000007"
    assert unlock(parse(creds[rid]), pins[rid], m.reviewers[rid].key, min_logn=m.kdf_min_logn)
