"""organiser.importer: the organiser's CSV and TOML files → a plan with balanced assignments."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from organiser.importer import InputError, load_plan
from organiser.plan import EventPlan
from shared.encoding import b64u
from shared.manifest import Manifest, verify_signed_manifest
from simsa.cli import main

NOW = datetime(2017, 2, 16, 9, 0, tzinfo=UTC)

# 12 proposals of 10 communities (c01 and c02 have two each), in groups of 6
PROPOSALS = "id,title,community\n" + "".join(
    f"p{i:02d},제안 {i},c{(i - 1) % 10 + 1:02d}\n" for i in range(1, 13)
)
REVIEWERS = (
    "id,community,role\n"
    + "".join(f"rep-{c:02d},c{c:02d},representative\n" for c in range(1, 11))
    + "".join(f"mem-{c:02d}-{k},c{c:02d},member\n" for c in range(1, 11) for k in range(1, 4))
    + "".join(f"exp-{k},experts,expert\n" for k in range(1, 5))
)
WITH_GROUP = REVIEWERS.replace("id,community,role\n", "id,community,role,group\n")
RUBRIC = """\
[event]
id = "town2017"
title_ko = "마을 제안 심사"
title_en = "Town proposal review"
start = 2017-02-23T09:00:00Z
end = "2017-02-23T18:00:00Z"
kdf_min_logn = 10
max_choices = 3

[[criteria]]
id = "benefit"
label_ko = "공익성"
label_en = "Public benefit"
max = 40

[[criteria]]
id = "feasibility"
label_ko = "실현 가능성"
label_en = "Feasibility"
max = 30
weight = 2

[[criteria]]
id = "participation"
label_ko = "주민 참여"
label_en = "Participation"
max = 30

[selection]
quota_kiosk = 4
quota_online = 3
"""
GOOD = {"proposals.csv": PROPOSALS, "reviewers.csv": REVIEWERS, "rubric.toml": RUBRIC}


def write(folder: Path, changes: dict[str, str] | None = None) -> tuple[Path, Path, Path]:
    files = {**GOOD, **(changes or {})}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "proposals.csv", folder / "reviewers.csv", folder / "rubric.toml"


def plan_of(folder: Path, changes: dict[str, str] | None = None, seed: int = 1) -> EventPlan:
    return load_plan(*write(folder, changes), now=NOW, rng=random.Random(seed), group_size=6)


# --- a good import --------------------------------------------------------------------------


def test_good_import(tmp_path: Path) -> None:
    plan = plan_of(tmp_path)
    assert plan.event == "town2017" and plan.kdf_min_logn == 10 and plan.max_choices == 3
    assert plan.groups == {
        "g01": [f"p{i:02d}" for i in range(1, 7)],
        "g02": [f"p{i:02d}" for i in range(7, 13)],
    }
    assert [c["id"] for c in plan.rubric] == ["benefit", "feasibility", "participation"]
    assert plan.rubric[1]["weight"] == 2 and plan.rubric[0]["weight"] == 1
    assert plan.start == datetime(2017, 2, 23, 9, tzinfo=UTC) and plan.end == datetime(
        2017, 2, 23, 18, tzinfo=UTC
    )
    assert plan.selection["quota"] == {"kiosk": 4, "online": 3}
    assert len(plan.reviewers) == 10 + 30 + 4
    assert "experts" in plan.communities


def test_assignments_never_include_own_community_and_balance_load(tmp_path: Path) -> None:
    plan = plan_of(tmp_path)
    community_of = {p["id"]: p["community"] for p in plan.proposals}
    group_of = {p["id"]: p["group"] for p in plan.proposals}
    by_role: dict[str, list[str]] = {"member": [], "expert": []}
    for r in plan.reviewers:
        if r.role == "member":
            (g,) = r.assigned
            assert g in plan.groups
            by_role["member"].append(g)
            continue
        assert r.assigned, r.id
        assert all(community_of[p] != r.community for p in r.assigned), r.id
        (g,) = {group_of[p] for p in r.assigned}
        # all the other proposals of the group
        assert set(r.assigned) == {p for p in plan.groups[g] if community_of[p] != r.community}
        if r.role == "representative":
            assert r.community in {community_of[p] for p in plan.groups[g]}
        else:
            by_role["expert"].append(g)
    for role, groups in by_role.items():
        counts = Counter(groups)
        assert set(counts) == set(plan.groups), role
        assert max(counts.values()) - min(counts.values()) <= 1, (role, counts)
    rep01 = next(r for r in plan.reviewers if r.id == "rep-01")
    # c01 has p01 (g01) and p11 (g02): its representative sits in one group, scoring neither
    assert set(rep01.assigned) == {"p07", "p08", "p09", "p10", "p12"}


def test_group_column_and_chosen_groups(tmp_path: Path) -> None:
    proposals = "id,title,community,group\n" + "".join(
        f"p{i:02d},제안 {i},c{(i - 1) % 10 + 1:02d},{'north' if i <= 4 else 'south'}\n" for i in range(1, 13)
    )
    reviewers = WITH_GROUP + "mem-x,c03,member,south\nexp-x,experts,expert,north\n"
    plan = plan_of(tmp_path, {"proposals.csv": proposals, "reviewers.csv": reviewers})
    assert set(plan.groups) == {"north", "south"} and len(plan.groups["north"]) == 4
    by_id = {r.id: r for r in plan.reviewers}
    assert by_id["mem-x"].assigned == ("south",)
    assert set(by_id["exp-x"].assigned) == {"p01", "p02", "p03", "p04"}


def test_same_seed_same_plan(tmp_path: Path) -> None:
    assert plan_of(tmp_path, seed=5).reviewers == plan_of(tmp_path, seed=5).reviewers


def test_import_through_the_cli(tmp_path: Path) -> None:
    p, r, t = write(tmp_path)
    out = tmp_path / "event"
    code = main(["event", "init", str(out), "--proposals", str(p), "--reviewers", str(r), "--rubric", str(t),
                 "--group-size", "6", "--workers", "1"])  # fmt: skip
    assert code == 0
    m = verify_signed_manifest(json.loads((out / "manifest.json").read_text(encoding="utf-8")))
    assert m.event == "town2017" and len(m.reviewers) == 44 and len(m.groups) == 2


def test_cli_reports_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p, r, t = write(tmp_path, {"reviewers.csv": REVIEWERS + "x1,c01,chair\n"})
    code = main(
        [
            "event",
            "init",
            str(tmp_path / "e"),
            "--proposals",
            str(p),
            "--reviewers",
            str(r),
            "--rubric",
            str(t),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert f"{r}:46: role 'chair' must be one of representative, expert, member" in err
    assert not (tmp_path / "e" / "manifest.json").exists()


# --- bad inputs: each names file, line and problem ----------------------------------------------


def replace(name: str, old: str, new: str, count: int = 1) -> Callable[[], dict[str, str]]:
    def make() -> dict[str, str]:
        assert old in GOOD[name], old
        return {name: GOOD[name].replace(old, new, count)}

    return make


def append(name: str, text: str) -> Callable[[], dict[str, str]]:
    return lambda: {name: GOOD[name] + text}


def whole(name: str, text: str) -> Callable[[], dict[str, str]]:
    return lambda: {name: text}


#: (name, changed files, file, line or None, problem regex)
# fmt: off
BAD: list[tuple[str, Callable[[], dict[str, str]], str, int | None, str]] = [
    ("duplicate proposal id", replace("proposals.csv", "p03,", "p01,"), "proposals.csv", 4, r"duplicate id p01 \(first on line 2\)"),
    ("duplicate reviewer id", append("reviewers.csv", "rep-01,c01,representative\n"), "reviewers.csv", 46, r"duplicate id rep-01 \(first on line 2\)"),
    ("unknown community", append("reviewers.csv", "mem-99,c99,member\n"), "reviewers.csv", 46, r"unknown community c99"),
    ("missing column", replace("proposals.csv", "id,title,community", "id,name,community"), "proposals.csv", 1, r"missing column\(s\) title"),
    ("unknown column", replace("reviewers.csv", "id,community,role", "id,community,role,phone"), "reviewers.csv", 1, r"unknown column\(s\) phone"),
    ("empty cell", replace("reviewers.csv", "rep-03,c03,representative", "rep-03,c03,"), "reviewers.csv", 4, r"empty role"),
    ("empty title", replace("proposals.csv", "p05,제안 5,", "p05,,"), "proposals.csv", 6, r"empty title"),
    ("more cells than columns", replace("proposals.csv", "p02,제안 2,c02", "p02,제안 2,c02,extra"), "proposals.csv", 3, r"more cells than columns"),
    ("id with a space", replace("proposals.csv", "p07,", "p 7,"), "proposals.csv", 8, r"id 'p 7' must be 1-64 letters"),
    ("unknown role", replace("reviewers.csv", "mem-02-1,c02,member", "mem-02-1,c02,chair"), "reviewers.csv", 15, r"role 'chair' must be one of"),
    ("a group without a group column", append("reviewers.csv", "mem-x,c01,member,g02\n"), "reviewers.csv", 46, r"more cells than columns"),
    ("unknown group", lambda: {"reviewers.csv": WITH_GROUP + "mem-x,c01,member,g09\n"}, "reviewers.csv", 46, r"unknown group g09"),
    ("no rows", whole("reviewers.csv", "id,community,role\n"), "reviewers.csv", None, r"no rows"),
    ("not UTF-8", lambda: {}, "proposals.csv", None, r"not UTF-8"),
    ("groups for some proposals only", whole("proposals.csv", "id,title,community,group\np01,a,c01,g1\np02,b,c02,\n"), "proposals.csv", None, r"every proposal or for none"),
    ("bad TOML", replace("rubric.toml", "max = 30\nweight = 2", "max = 30\nweight = = 2"), "rubric.toml", 21, r"not valid TOML"),
    ("bad number: max as text", replace("rubric.toml", "max = 40", 'max = "forty"'), "rubric.toml", 14, r"criteria #1: max must be a whole number ≥ 1, got 'forty'"),
    ("bad number: max 0", replace("rubric.toml", "max = 30\nweight = 2", "max = 0\nweight = 2"), "rubric.toml", 20, r"criteria #2: max must be a whole number"),
    ("bad number: weight negative", replace("rubric.toml", "weight = 2", "weight = -2"), "rubric.toml", 21, r"criteria #2: weight must be a number ≥ 0"),
    ("bad number: kdf_min_logn 9", replace("rubric.toml", "kdf_min_logn = 10", "kdf_min_logn = 9"), "rubric.toml", 7, r"event.kdf_min_logn must be a whole number 10..20, got 9"),
    ("bad number: max_choices text", replace("rubric.toml", "max_choices = 3", 'max_choices = "3"'), "rubric.toml", 8, r"event.max_choices must be a whole number"),
    ("bad number: quota negative", replace("rubric.toml", "quota_kiosk = 4", "quota_kiosk = -4"), "rubric.toml", 30, r"selection.quota.kiosk must be at least 0"),
    ("bad number: quota above proposals", replace("rubric.toml", "quota_online = 3", "quota_online = 13"), "rubric.toml", 31, r"selection.quota.online must be at most 12"),
    ("bad selection mode", append("rubric.toml", 'mode = "vote"\n'), "rubric.toml", 32, r"selection.mode must be one of quota, mix"),
    ("criterion without label_en", replace("rubric.toml", 'label_en = "Feasibility"\n', ""), "rubric.toml", 16, r"criteria #2 is missing label_en"),
    ("duplicate criterion", replace("rubric.toml", 'id = "participation"', 'id = "benefit"'), "rubric.toml", 24, r"criteria #3: duplicate id benefit"),
    ("criteria not tables", whole("rubric.toml", 'criteria = "all"\n[event]\nid = "e"\n'), "rubric.toml", None, r"criteria must be \[\[criteria\]\] tables"),
    ("start in local time", replace("rubric.toml", "start = 2017-02-23T09:00:00Z", 'start = "2017-02-23 09:00"'), "rubric.toml", 5, r"event.start must be an RFC 3339 UTC time"),
    ("window ends before it starts", replace("rubric.toml", '"2017-02-23T18:00:00Z"', '"2017-02-23T08:00:00Z"'), "rubric.toml", 6, r"windows.kiosk ends before it starts"),
    ("unknown form", replace("rubric.toml", "max_choices = 3", 'max_choices = 3\nonline_form = "ranked"'), "rubric.toml", 9, r"event.online_form must be rubric or approval"),
    ("unknown merge policy", replace("rubric.toml", "max_choices = 3", 'max_choices = 3\nmerge_policy = "newest"'), "rubric.toml", 9, r"event.merge_policy must be one of"),
    ("rubric form without criteria", whole("rubric.toml", '[event]\nid = "e"\n'), "rubric.toml", None, r"a rubric form needs at least one \[\[criteria\]\]"),
    ("event id with a dot", replace("rubric.toml", 'id = "town2017"', 'id = "town.2017"'), "rubric.toml", 2, r"event.id 'town.2017' is not a valid id"),
]
# fmt: on


@pytest.mark.parametrize(("name", "changes", "file", "line", "problem"), BAD, ids=[b[0] for b in BAD])
def test_bad_input(
    tmp_path: Path,
    name: str,
    changes: Callable[[], dict[str, str]],
    file: str,
    line: int | None,
    problem: str,
) -> None:
    paths = write(tmp_path, changes())
    if name == "not UTF-8":
        (tmp_path / "proposals.csv").write_bytes(PROPOSALS.encode("cp949"))
    with pytest.raises(InputError, match=problem) as exc:
        load_plan(*paths, now=NOW, rng=random.Random(1), group_size=6)
    err = exc.value
    assert Path(err.file).name == file
    assert err.line == line
    where = f"{tmp_path / file}:{line}" if line else str(tmp_path / file)
    assert str(err).startswith(f"{where}: ")


def test_missing_file(tmp_path: Path) -> None:
    p, r, t = write(tmp_path)
    r.unlink()
    with pytest.raises(InputError, match="file not found") as exc:
        load_plan(p, r, t, now=NOW, rng=random.Random(1))
    assert exc.value.file == str(r)


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    plan = plan_of(tmp_path, {"proposals.csv": PROPOSALS.replace("p04,", "\n,,\np04,")})
    assert len(plan.proposals) == 12


def test_imported_plan_makes_a_valid_manifest(tmp_path: Path) -> None:
    plan = plan_of(tmp_path)
    key = b64u(bytes(32))
    m = Manifest.from_json(plan.manifest({r.id: key for r in plan.reviewers}, key, key))
    for rid, targets in m.assignments.items():
        r = m.reviewers[rid]
        for t in targets:
            if t in m.proposals:
                assert m.proposals[t].community != r.community
