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
import re
import tomllib
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.credential import ID_RE
from shared.encoding import b64u
from shared.errors import FormatError
from shared.manifest import CHANNELS, FORMS, POLICIES, ROLES, Manifest
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


def _toml_line(text: str, table: str, key: str | None = None, occurrence: int = 1) -> int | None:
    """The line of ``key = …`` in the ``occurrence``-th ``[table]`` or ``[[table]]`` (or of
    the table's header when ``key`` is None), so messages can point at it."""
    seen, inside = 0, False
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s.startswith("["):
            inside = s.strip("[] \t") == table
            seen += inside
            if inside and key is None and seen == occurrence:
                return n
        elif inside and seen == occurrence and key is not None and re.match(rf"{re.escape(key)}\s*=", s):
            return n
    return None


def _whole(path: Path, line: int | None, what: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InputError(path, line, f"{what} must be a whole number {lo}..{hi}, got {value!r}")
    return value


#: Where a manifest field comes from in rubric.toml, to point at its line.
_MANIFEST_FIELD_IN_TOML: dict[str, tuple[str, str | None]] = {
    "selection.mode": ("selection", "mode"),
    "selection.select": ("selection", "select"),
    "selection.normalize": ("selection", "normalize"),
    "selection.quota.kiosk": ("selection", "quota_kiosk"),
    "selection.quota.online": ("selection", "quota_online"),
    "selection.weights.kiosk": ("selection", "weight_kiosk"),
    "selection.weights.online": ("selection", "weight_online"),
    "windows.online": ("event", "end"),
    "windows.kiosk": ("event", "end"),
    "title": ("event", "title_ko"),
}


def _when(value: Any, what: str) -> datetime:
    """A TOML offset date-time (``2017-02-23T09:00:00Z``, unquoted) or an RFC 3339 UTC string."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return parse_time(value, what=what)


def _criteria(path: Path, doc: dict[str, Any], text: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    criteria = doc.get("criteria", [])
    if not isinstance(criteria, list) or not all(isinstance(c, dict) for c in criteria):
        raise InputError(path, _toml_line(text, "criteria"), "criteria must be [[criteria]] tables")
    for i, c in enumerate(criteria, 1):
        where = f"criteria #{i}"

        def line(key: str | None, i: int = i) -> int | None:
            return _toml_line(text, "criteria", key, i) or _toml_line(text, "criteria", None, i)

        for key in ("id", "label_ko", "label_en", "max"):
            if key not in c:
                raise InputError(path, line(None), f"{where} is missing {key}")
        cid, ko, en = str(c["id"]), str(c["label_ko"]), str(c["label_en"])
        mx, weight = c["max"], c.get("weight", 1)
        if not ID_RE.match(cid):
            raise InputError(path, line("id"), f"{where}: id {cid!r} is not a valid id")
        if isinstance(mx, bool) or not isinstance(mx, int) or mx < 1:
            raise InputError(path, line("max"), f"{where}: max must be a whole number ≥ 1, got {mx!r}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise InputError(path, line("weight"), f"{where}: weight must be a number ≥ 0, got {weight!r}")
        if any(o["id"] == cid for o in out):
            raise InputError(path, line("id"), f"{where}: duplicate id {cid}")
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
        text = rubric_toml.read_text(encoding="utf-8")
        doc = tomllib.loads(text)
    except FileNotFoundError:
        raise InputError(rubric_toml, None, "file not found") from None
    except UnicodeDecodeError:
        raise InputError(rubric_toml, None, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"line (\d+)", str(exc))
        raise InputError(rubric_toml, int(at.group(1)) if at else None, f"not valid TOML: {exc}") from None
    rubric = _criteria(rubric_toml, doc, text)
    ev = doc.get("event", {})
    forms = {"kiosk": ev.get("kiosk_form", "rubric"), "online": ev.get("online_form", "approval")}
    for ch in CHANNELS:
        if forms[ch] not in FORMS:
            raise InputError(
                rubric_toml,
                _toml_line(text, "event", f"{ch}_form"),
                f"event.{ch}_form must be rubric or approval",
            )
    if "rubric" in forms.values() and not rubric:
        raise InputError(rubric_toml, None, "a rubric form needs at least one [[criteria]]")
    policy = ev.get("merge_policy", "onsite-first")
    if policy not in POLICIES:
        raise InputError(
            rubric_toml,
            _toml_line(text, "event", "merge_policy"),
            f"event.merge_policy must be one of {', '.join(POLICIES)}",
        )

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
    loads: dict[str, dict[str, int]] = defaultdict(dict)  # per role: experts and members balance apart
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
            g = grp or least_loaded(rng_groups, loads[role], rng)
            reviewers.append(PlannedReviewer(rid, comm, role, (g,)))
        else:
            g = (
                grp
                or (group_of_community.get(comm) if role == "representative" else None)
                or least_loaded(rng_groups, loads[role], rng)
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
            start = _when(ev["start"], "event.start")
        if "end" in ev:
            end = _when(ev["end"], "event.end")
    except FormatError as exc:
        key = "start" if "event.start" in str(exc) else "end"
        raise InputError(rubric_toml, _toml_line(text, "event", key), str(exc)) from None
    event_id = str(ev.get("id", "event"))
    if not ID_RE.match(event_id):
        raise InputError(
            rubric_toml, _toml_line(text, "event", "id"), f"event.id {event_id!r} is not a valid id"
        )
    logn = _whole(
        rubric_toml,
        _toml_line(text, "event", "kdf_min_logn"),
        "event.kdf_min_logn",
        ev.get("kdf_min_logn", 15),
        10,
        20,
    )
    max_choices = _whole(
        rubric_toml,
        _toml_line(text, "event", "max_choices"),
        "event.max_choices",
        ev.get("max_choices", 6),
        1,
        1000,
    )
    plan = EventPlan(
        event=event_id,
        title_ko=str(ev.get("title_ko", "주민제안 심사")),
        title_en=str(ev.get("title_en", "Proposal review")),
        communities=sorted({*communities, *extra_communities}),
        groups=dict(groups),
        proposals=proposals,
        rubric=rubric,
        reviewers=reviewers,
        forms=forms,
        max_choices=max_choices,
        selection=selection,
        start=start,
        end=end,
        kdf_min_logn=logn,
        kdf_fixed="kdf_min_logn" in ev,  # else measured at init (organiser.kdf)
        merge_policy=policy,
    )
    # Whatever else is wrong (a selection value, a window) the manifest check names.
    placeholder = b64u(bytes(32))
    try:
        Manifest.from_json(plan.manifest({r.id: placeholder for r in reviewers}, placeholder, placeholder))
    except FormatError as exc:
        field = str(exc).split(" ", 1)[0]
        table, toml_key = _MANIFEST_FIELD_IN_TOML.get(
            field, ("selection" if "selection" in field else "event", None)
        )
        where = _toml_line(text, table, toml_key) or _toml_line(text, table)
        raise InputError(rubric_toml, where, str(exc)) from None
    return plan
