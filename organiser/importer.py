"""Build an event plan from an organiser's files: proposals.csv, reviewers.csv, rubric.toml.

Every bad row raises :class:`InputError` naming the file, the line and the problem.

- ``proposals.csv``: ``id,title,community`` and optionally ``group`` (else groups of
  ``group_size`` are formed in file order).
- ``reviewers.csv``: ``id,community,role`` (representative, expert or member) and
  optionally ``group`` (a member's chosen group, an expert's group).
- ``rubric.toml``: ``[[criteria]]`` tables with id, label_ko, label_en, max, weight, and
  an optional ``[event]`` table (id, title_ko, title_en, start, end, kdf_min_logn,
  kiosk_form, online_form, max_choices, merge_policy) and ``[selection]`` table.
"""

from __future__ import annotations

import csv
import random
import tomllib
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.credential import ID_RE
from shared.errors import FormatError
from shared.manifest import CHANNELS, FORMS, POLICIES, ROLES
from shared.timefmt import parse_time

from .assign import least_loaded, rubric_targets, split_groups
from .plan import EventPlan, PlannedReviewer, default_window


class InputError(FormatError):
    """A problem in an organiser's input file, with where it is."""

    def __init__(self, file: Path | str, line: int | None, problem: str) -> None:
        where = f"{file}:{line}" if line else str(file)
        super().__init__(f"{where}: {problem}")
        self.file, self.line, self.problem = str(file), line, problem


def _rows(path: Path, required: set[str], optional: set[str]) -> list[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, None, "file not found") from None
    except UnicodeDecodeError:
        raise InputError(path, None, "not UTF-8 text (save the sheet as CSV UTF-8)") from None
    reader = csv.DictReader(text.splitlines())
    header = {h.strip() for h in (reader.fieldnames or [])}
    missing = required - header
    if missing:
        raise InputError(path, 1, f"missing column(s) {', '.join(sorted(missing))}")
    unknown = header - required - optional
    if unknown:
        raise InputError(path, 1, f"unknown column(s) {', '.join(sorted(unknown))}")
    out = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise InputError(path, line, "more cells than columns")
        clean = {k.strip(): (v or "").strip() for k, v in row.items()}
        if not any(clean.values()):
            continue
        for col in required:
            if not clean.get(col):
                raise InputError(path, line, f"empty {col}")
        for col in ("id", "community", "group"):
            if clean.get(col) and not ID_RE.match(clean[col]):
                raise InputError(path, line, f"{col} {clean[col]!r} must be 1-64 letters, digits, _ or -")
        out.append((line, clean))
    if not out:
        raise InputError(path, None, "no rows")
    return out


def _criteria(path: Path, doc: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, c in enumerate(doc.get("criteria", []), 1):
        where = f"criteria #{i}"
        try:
            cid, ko, en = str(c["id"]), str(c["label_ko"]), str(c["label_en"])
            mx, weight = c["max"], c.get("weight", 1)
        except KeyError as exc:
            raise InputError(path, None, f"{where} is missing {exc.args[0]}") from None
        if not ID_RE.match(cid):
            raise InputError(path, None, f"{where}: id {cid!r} is not a valid id")
        if isinstance(mx, bool) or not isinstance(mx, int) or mx < 1:
            raise InputError(path, None, f"{where}: max must be a whole number ≥ 1, got {mx!r}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise InputError(path, None, f"{where}: weight must be a number ≥ 0, got {weight!r}")
        if any(o["id"] == cid for o in out):
            raise InputError(path, None, f"{where}: duplicate id {cid}")
        out.append({"id": cid, "label": {"ko": ko, "en": en}, "max": mx, "weight": weight})
    return out


def load_plan(
    proposals_csv: Path,
    reviewers_csv: Path,
    rubric_toml: Path,
    *,
    now: datetime,
    rng: random.Random,
    group_size: int = 12,
) -> EventPlan:
    """Read and check the three files and build a plan with generated assignments."""
    try:
        doc = tomllib.loads(rubric_toml.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(rubric_toml, None, "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(rubric_toml, None, f"not valid TOML: {exc}") from None
    rubric = _criteria(rubric_toml, doc)
    ev = doc.get("event", {})
    forms = {"kiosk": ev.get("kiosk_form", "rubric"), "online": ev.get("online_form", "approval")}
    for ch in CHANNELS:
        if forms[ch] not in FORMS:
            raise InputError(rubric_toml, None, f"event.{ch}_form must be rubric or approval")
    if "rubric" in forms.values() and not rubric:
        raise InputError(rubric_toml, None, "a rubric form needs at least one [[criteria]]")
    policy = ev.get("merge_policy", "onsite-first")
    if policy not in POLICIES:
        raise InputError(rubric_toml, None, f"event.merge_policy must be one of {', '.join(POLICIES)}")

    proposals: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for line, row in _rows(proposals_csv, {"id", "title", "community"}, {"group"}):
        if row["id"] in seen:
            raise InputError(
                proposals_csv, line, f"duplicate id {row['id']} (first on line {seen[row['id']]})"
            )
        seen[row["id"]] = line
        proposals.append(
            {
                "id": row["id"],
                "title": row["title"],
                "community": row["community"],
                "group": row.get("group", ""),
            }
        )
    if any(p["group"] for p in proposals) and not all(p["group"] for p in proposals):
        raise InputError(proposals_csv, None, "give a group for every proposal or for none")
    groups: dict[str, list[str]] = defaultdict(list)
    if proposals[0]["group"]:
        for p in proposals:
            groups[p["group"]].append(p["id"])
    else:
        for j, ps in enumerate(split_groups([p["id"] for p in proposals], group_size)):
            groups[f"g{j + 1:02d}"] = ps
        group_of = {p: g for g, ps in groups.items() for p in ps}
        for p in proposals:
            p["group"] = group_of[p["id"]]
    communities = sorted({p["community"] for p in proposals})
    community_of = {p["id"]: p["community"] for p in proposals}
    group_of_community = {p["community"]: p["group"] for p in proposals}

    reviewers: list[PlannedReviewer] = []
    rseen: dict[str, int] = {}
    load: dict[str, int] = {}
    rng_groups = sorted(groups)
    extra_communities: set[str] = set()
    for line, row in _rows(reviewers_csv, {"id", "community", "role"}, {"group"}):
        rid, comm, role, grp = row["id"], row["community"], row["role"], row.get("group", "")
        if rid in rseen:
            raise InputError(reviewers_csv, line, f"duplicate id {rid} (first on line {rseen[rid]})")
        rseen[rid] = line
        if role not in ROLES:
            raise InputError(reviewers_csv, line, f"role {role!r} must be one of {', '.join(ROLES)}")
        if grp and grp not in groups:
            raise InputError(reviewers_csv, line, f"unknown group {grp}")
        if comm not in group_of_community:
            if role != "expert":
                raise InputError(reviewers_csv, line, f"unknown community {comm} (no proposal names it)")
            extra_communities.add(comm)
        if role == "member":
            g = grp or least_loaded(rng_groups, load, rng)
            reviewers.append(PlannedReviewer(rid, comm, role, (g,)))
        else:
            g = (
                grp
                or (group_of_community.get(comm) if role == "representative" else None)
                or least_loaded(rng_groups, load, rng)
            )
            targets = rubric_targets(groups[g], community_of, comm)
            reviewers.append(PlannedReviewer(rid, comm, role, targets))

    sel = doc.get("selection", {})
    n = len(proposals)
    selection = {
        "mode": sel.get("mode", "quota"),
        "quota": {"kiosk": sel.get("quota_kiosk", n // 2), "online": sel.get("quota_online", n - n // 2)},
        "weights": {"kiosk": sel.get("weight_kiosk", 0.5), "online": sel.get("weight_online", 0.5)},
        "select": sel.get("select", n),
        "normalize": sel.get("normalize", "none"),
    }
    start, end = default_window(now)
    try:
        if "start" in ev:
            start = parse_time(ev["start"], what="event.start")
        if "end" in ev:
            end = parse_time(ev["end"], what="event.end")
    except FormatError as exc:
        raise InputError(rubric_toml, None, str(exc)) from None
    event_id = str(ev.get("id", "event"))
    if not ID_RE.match(event_id):
        raise InputError(rubric_toml, None, f"event.id {event_id!r} is not a valid id")
    return EventPlan(
        event=event_id,
        title_ko=str(ev.get("title_ko", "주민제안 심사")),
        title_en=str(ev.get("title_en", "Proposal review")),
        communities=sorted({*communities, *extra_communities}),
        groups=dict(groups),
        proposals=proposals,
        rubric=rubric,
        reviewers=reviewers,
        forms=forms,
        max_choices=int(ev.get("max_choices", 6)),
        selection=selection,
        start=start,
        end=end,
        kdf_min_logn=int(ev.get("kdf_min_logn", 15)),
        merge_policy=policy,
    )
