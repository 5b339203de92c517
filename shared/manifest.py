"""The event manifest and its authority signature (DESIGN §4, normative).

:class:`Manifest` is the parsed, validated view; ``raw`` keeps the exact JSON object so
the signature is always checked over ``JCS(raw)``, never over a re-serialisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from . import schema as s
from .credential import ID_RE, MAX_LOGN, MIN_LOGN
from .encoding import jcs
from .errors import FormatError, VerificationError
from .keys import SigningKey, public_key_from_b64u, verify_b64u
from .timefmt import parse_time

ROLES = ("representative", "expert", "member")
FORMS = ("rubric", "approval")
CHANNELS = ("kiosk", "online")
POLICIES = ("onsite-first", "latest", "first")
#: Default of the optional ``merge.max_per_target`` (distinct online ballots per reviewer and target).
MAX_PER_TARGET = 3
#: Which ballot forms each role may cast (the 2017 model: representatives and experts
#: score on a rubric, members give likes).
ROLE_FORMS: dict[str, tuple[str, ...]] = {
    "representative": ("rubric",),
    "expert": ("rubric",),
    "member": ("approval",),
}


@dataclass(frozen=True)
class Criterion:
    id: str
    label_ko: str
    label_en: str
    max: int
    weight: float


@dataclass(frozen=True)
class Proposal:
    id: str
    title: str
    community: str
    group: str


@dataclass(frozen=True)
class Reviewer:
    id: str
    key: str
    community: str
    role: str


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Selection:
    mode: str
    quota_kiosk: int
    quota_online: int
    weight_kiosk: float
    weight_online: float
    select: int
    normalize: str


@dataclass(frozen=True)
class WitnessKey:
    name: str
    key: str


@dataclass(frozen=True)
class WitnessPolicy:
    """``{"threshold": k, "keys": [{"name", "key"}]}``: k of these witnesses must cosign."""

    threshold: int
    keys: tuple[WitnessKey, ...]


@dataclass(frozen=True)
class Manifest:
    """A validated manifest. Build it with :meth:`from_json`."""

    raw: dict[str, Any] = field(repr=False)
    event: str
    title_ko: str
    title_en: str
    authority_key: str
    ledger_key: str
    kdf_min_logn: int
    communities: frozenset[str]
    groups: dict[str, tuple[str, ...]]
    proposals: dict[str, Proposal]
    rubric: tuple[Criterion, ...]
    reviewers: dict[str, Reviewer]
    forms: dict[str, str]
    max_choices: int
    assignments: dict[str, frozenset[str]]
    windows: dict[str, Window]
    clock_tolerance_s: int
    merge_policy: str
    selection: Selection
    #: Distinct online ballots one reviewer may send for one target (``merge.max_per_target``,
    #: optional; the server's flood limit, not a rule of DESIGN §5).
    max_per_target: int = MAX_PER_TARGET
    #: C2SP witnesses whose cosignatures clients demand on a tree head (None: no policy).
    witnesses: WitnessPolicy | None = None

    @classmethod
    def from_json(cls, raw: Any) -> Manifest:
        """Validate a manifest object; raise :class:`FormatError` naming the first problem."""
        m = s.obj(raw, "manifest")
        s.keys(
            m,
            "manifest",
            {
                "v",
                "type",
                "event",
                "title",
                "authority_key",
                "ledger_key",
                "kdf_min_logn",
                "communities",
                "groups",
                "proposals",
                "rubric",
                "reviewers",
                "forms",
                "approval",
                "assignments",
                "windows",
                "merge",
                "selection",
            },
            {"witnesses"},
        )
        s.const(m["v"], "manifest v", 1)
        s.const(m["type"], "manifest type", "manifest")
        event = _id(m["event"], "manifest event")
        title = s.obj(m["title"], "manifest title")
        s.keys(title, "manifest title", {"ko", "en"})
        for k in ("authority_key", "ledger_key"):
            public_key_from_b64u(s.string(m[k], k), what=k)
        logn = s.integer(m["kdf_min_logn"], "kdf_min_logn", lo=MIN_LOGN, hi=MAX_LOGN)

        communities = _unique_ids(m["communities"], "communities")
        groups: dict[str, tuple[str, ...]] = {}
        for i, g in enumerate(s.array(m["groups"], "groups")):
            g = s.obj(g, f"groups[{i}]")
            s.keys(g, f"groups[{i}]", {"id", "proposals"})
            gid = _id(g["id"], f"groups[{i}].id")
            if gid in groups:
                raise FormatError(f"group {gid} appears twice")
            members = tuple(
                _id(p, f"group {gid} proposal") for p in s.array(g["proposals"], f"group {gid} proposals")
            )
            if len(set(members)) != len(members):
                raise FormatError(f"group {gid} lists a proposal twice")
            groups[gid] = members
        proposals: dict[str, Proposal] = {}
        for i, p in enumerate(s.array(m["proposals"], "proposals")):
            p = s.obj(p, f"proposals[{i}]")
            s.keys(p, f"proposals[{i}]", {"id", "title", "community", "group"})
            pid = _id(p["id"], f"proposals[{i}].id")
            if pid in proposals:
                raise FormatError(f"proposal {pid} appears twice")
            prop = Proposal(
                pid,
                s.string(p["title"], f"proposal {pid} title", max_len=300),
                _id(p["community"], f"proposal {pid} community"),
                _id(p["group"], f"proposal {pid} group"),
            )
            if prop.community not in communities:
                raise FormatError(f"proposal {pid} names unknown community {prop.community}")
            if prop.group not in groups or pid not in groups[prop.group]:
                raise FormatError(f"proposal {pid} is not listed in its group {prop.group}")
            proposals[pid] = prop
        for gid, members in groups.items():
            for pid in members:
                if pid not in proposals or proposals[pid].group != gid:
                    raise FormatError(f"group {gid} lists proposal {pid} that is not in it")

        rubric: list[Criterion] = []
        for i, c in enumerate(s.array(m["rubric"], "rubric", max_len=50)):
            c = s.obj(c, f"rubric[{i}]")
            s.keys(c, f"rubric[{i}]", {"id", "label", "max", "weight"})
            label = s.obj(c["label"], f"rubric[{i}].label")
            s.keys(label, f"rubric[{i}].label", {"ko", "en"})
            crit = Criterion(
                _id(c["id"], f"rubric[{i}].id"),
                s.string(label["ko"], "label ko"),
                s.string(label["en"], "label en"),
                s.integer(c["max"], f"rubric {c['id']} max", lo=1, hi=1000),
                s.number(c["weight"], f"rubric {c['id']} weight", lo=0),
            )
            if any(r.id == crit.id for r in rubric):
                raise FormatError(f"rubric criterion {crit.id} appears twice")
            rubric.append(crit)
        if rubric and sum(c.weight * c.max for c in rubric) <= 0:
            raise FormatError("rubric weights must not all be zero")

        reviewers: dict[str, Reviewer] = {}
        for i, r in enumerate(s.array(m["reviewers"], "reviewers", max_len=10_000_000)):
            r = s.obj(r, f"reviewers[{i}]")
            s.keys(r, f"reviewers[{i}]", {"id", "key", "community", "role"})
            rid = _id(r["id"], f"reviewers[{i}].id")
            if rid in reviewers:
                raise FormatError(f"reviewer {rid} appears twice")
            public_key_from_b64u(s.string(r["key"], f"reviewer {rid} key"), what=f"reviewer {rid} key")
            rev = Reviewer(
                rid,
                r["key"],
                _id(r["community"], f"reviewer {rid} community"),
                s.choice(r["role"], f"reviewer {rid} role", ROLES),
            )
            if rev.community not in communities:
                raise FormatError(f"reviewer {rid} names unknown community {rev.community}")
            reviewers[rid] = rev

        forms_raw = s.obj(m["forms"], "forms")
        s.keys(forms_raw, "forms", set(CHANNELS))
        forms = {ch: s.choice(forms_raw[ch], f"forms.{ch}", FORMS) for ch in CHANNELS}
        if "rubric" in forms.values() and not rubric:
            raise FormatError("a rubric form needs at least one rubric criterion")
        approval = s.obj(m["approval"], "approval")
        s.keys(approval, "approval", {"max_choices"})
        max_choices = s.integer(approval["max_choices"], "approval.max_choices", lo=1, hi=1000)

        assignments: dict[str, frozenset[str]] = {}
        for rid, targets in s.obj(m["assignments"], "assignments").items():
            if rid not in reviewers:
                raise FormatError(f"assignments name unknown reviewer {rid}")
            ts = [
                s.string(t, f"assignment of {rid}", max_len=64)
                for t in s.array(targets, f"assignments of {rid}")
            ]
            for t in ts:
                if t not in proposals and t not in groups:
                    raise FormatError(f"reviewer {rid} is assigned unknown proposal or group {t!r}")
            assignments[rid] = frozenset(ts)

        w = s.obj(m["windows"], "windows")
        s.keys(w, "windows", {"online", "kiosk", "clock_tolerance_s"})
        windows: dict[str, Window] = {}
        for ch in CHANNELS:
            win = s.obj(w[ch], f"windows.{ch}")
            s.keys(win, f"windows.{ch}", {"start", "end"})
            start = parse_time(win["start"], what=f"windows.{ch}.start")
            end = parse_time(win["end"], what=f"windows.{ch}.end")
            if end <= start:
                raise FormatError(f"windows.{ch} ends before it starts")
            windows[ch] = Window(start, end)
        tolerance = s.integer(w["clock_tolerance_s"], "windows.clock_tolerance_s", lo=0, hi=86400)

        merge = s.obj(m["merge"], "merge")
        s.keys(merge, "merge", {"policy"}, {"max_per_target"})
        policy = s.choice(merge["policy"], "merge.policy", POLICIES)
        per_target = s.integer(merge.get("max_per_target", MAX_PER_TARGET), "merge.max_per_target", lo=1, hi=100)
        selection = _selection(m["selection"], len(proposals))

        return cls(
            raw=dict(m),
            event=event,
            title_ko=s.string(title["ko"], "title ko"),
            title_en=s.string(title["en"], "title en"),
            authority_key=m["authority_key"],
            ledger_key=m["ledger_key"],
            kdf_min_logn=logn,
            communities=communities,
            groups=groups,
            proposals=proposals,
            rubric=tuple(rubric),
            reviewers=reviewers,
            forms=forms,
            max_choices=max_choices,
            assignments=assignments,
            windows=windows,
            clock_tolerance_s=tolerance,
            merge_policy=policy,
            selection=selection,
            max_per_target=per_target,
            witnesses=_witnesses(m["witnesses"]) if "witnesses" in m else None,
        )

    @cached_property
    def _criteria(self) -> dict[str, Criterion]:
        return {c.id: c for c in self.rubric}

    def criteria(self) -> dict[str, Criterion]:
        """The rubric by criterion id (made once: the rules ask for it for every ballot)."""
        return dict(self._criteria)

    @property
    def is_demo(self) -> bool:
        """Demo events use a low scrypt cost and must say so on screen."""
        return self.kdf_min_logn < 15


def _id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise FormatError(f"{what} must be an id of 1-64 letters, digits, _ or -, got {value!r}")
    return value


def _unique_ids(items: Any, what: str) -> frozenset[str]:
    out: set[str] = set()
    for i, item in enumerate(s.array(items, what)):
        item = s.obj(item, f"{what}[{i}]")
        s.keys(item, f"{what}[{i}]", {"id"})
        cid = _id(item["id"], f"{what}[{i}].id")
        if cid in out:
            raise FormatError(f"{what}: {cid} appears twice")
        out.add(cid)
    return frozenset(out)


def _selection(raw: Any, n_proposals: int) -> Selection:
    sel = s.obj(raw, "selection")
    s.keys(sel, "selection", {"mode", "quota", "weights", "select", "normalize"})
    quota = s.obj(sel["quota"], "selection.quota")
    s.keys(quota, "selection.quota", set(CHANNELS))
    weights = s.obj(sel["weights"], "selection.weights")
    s.keys(weights, "selection.weights", set(CHANNELS))
    return Selection(
        mode=s.choice(sel["mode"], "selection.mode", ("quota", "mix")),
        quota_kiosk=s.integer(quota["kiosk"], "selection.quota.kiosk", lo=0, hi=n_proposals),
        quota_online=s.integer(quota["online"], "selection.quota.online", lo=0, hi=n_proposals),
        weight_kiosk=s.number(weights["kiosk"], "selection.weights.kiosk", lo=0),
        weight_online=s.number(weights["online"], "selection.weights.online", lo=0),
        select=s.integer(sel["select"], "selection.select", lo=0, hi=n_proposals),
        normalize=s.choice(sel["normalize"], "selection.normalize", ("none", "zscore")),
    )


def _witnesses(raw: Any) -> WitnessPolicy:
    w = s.obj(raw, "witnesses")
    s.keys(w, "witnesses", {"threshold", "keys"})
    keys: list[WitnessKey] = []
    for i, k in enumerate(s.array(w["keys"], "witnesses.keys", max_len=64)):
        k = s.obj(k, f"witnesses.keys[{i}]")
        s.keys(k, f"witnesses.keys[{i}]", {"name", "key"})
        name = s.string(k["name"], f"witnesses.keys[{i}].name", max_len=200)
        if not name.isprintable() or " " in name or "+" in name:
            raise FormatError(f"witness name {name!r} must be printable, without spaces or '+'")
        if any(x.name == name for x in keys):
            raise FormatError(f"witness {name} appears twice")
        public_key_from_b64u(s.string(k["key"], f"witness {name} key"), what=f"witness {name} key")
        keys.append(WitnessKey(name, k["key"]))
    threshold = s.integer(w["threshold"], "witnesses.threshold", lo=1, hi=max(1, len(keys)))
    if not keys:
        raise FormatError("witnesses.keys must name at least one witness")
    return WitnessPolicy(threshold, tuple(keys))


def sign_manifest(raw: dict[str, Any], authority: SigningKey) -> dict[str, Any]:
    """``{"manifest": M, "sig": b64u(Ed25519_authority(JCS(M)))}`` after validating M."""
    manifest = Manifest.from_json(raw)
    if manifest.authority_key != authority.public_b64u:
        raise FormatError("the manifest's authority_key is not this authority key")
    return {"manifest": raw, "sig": authority.sign_b64u(jcs(raw))}


def verify_signed_manifest(signed: Any, *, authority_key: str | None = None) -> Manifest:
    """Check a signed manifest and return it parsed.

    The signature is checked against the manifest's own ``authority_key``, and against
    ``authority_key`` too when the caller pinned one.
    """
    env = s.obj(signed, "signed manifest")
    s.keys(env, "signed manifest", {"manifest", "sig"})
    manifest = Manifest.from_json(env["manifest"])
    if authority_key is not None and authority_key != manifest.authority_key:
        raise VerificationError("the manifest is signed by another authority than the pinned one")
    sig = s.string(env["sig"], "manifest sig")
    verify_b64u(manifest.authority_key, jcs(env["manifest"]), sig, what="manifest signature")
    return manifest
