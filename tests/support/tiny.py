"""A tiny, fully deterministic event for table tests of the shared core.

Keys come from fixed seeds, times are fixed, and every builder returns a fresh dict, so a
test can break one field and check the exact error it causes.

::

    communities c1 c2 c3 c4, experts
    g1 = p1 (c1) p2 (c2) p3 (c3)        g2 = p4 (c4) p5 (c1)
    rep1  representative c1  assigned g1 (p1 is its own: conflict of interest)
    rep4  representative c4  assigned p5
    mem1  member         c1  assigned g1
    mem2  member         c2  assigned g2
    exp1  expert         experts  assigned p1 p2 p3 p4 p5
    rubric: a (max 10, weight 2), b (max 5, weight 1)
    forms: kiosk rubric, online approval; max_choices 2
    windows 2017-02-23 09:00–18:00 UTC both, tolerance 300 s
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from shared.ballot import approval_ballot, rubric_ballot, sign_ballot
from shared.encoding import jcs, sha256
from shared.errors import FormatError
from shared.keys import SigningKey
from shared.manifest import Manifest, sign_manifest

EVENT = "t1"
KIOSK = "k1"
T_IN = "2017-02-23T10:15:00Z"


def key(name: str) -> SigningKey:
    """A deterministic key per name."""
    return SigningKey(sha256(b"simsa-test/" + name.encode()))


AUTHORITY = key("authority")
LEDGER = key("ledger")
KIOSK_KEY = key("kiosk-k1")
STAFF_KEY = key("staff-ana")

REVIEWERS = {
    "rep1": ("c1", "representative", ["g1"]),
    "rep4": ("c4", "representative", ["p5"]),
    "mem1": ("c1", "member", ["g1"]),
    "mem2": ("c2", "member", ["g2"]),
    "exp1": ("experts", "expert", ["p1", "p2", "p3", "p4", "p5"]),
}
PROPOSALS = {
    "p1": ("c1", "g1"),
    "p2": ("c2", "g1"),
    "p3": ("c3", "g1"),
    "p4": ("c4", "g2"),
    "p5": ("c1", "g2"),
}


def manifest_raw() -> dict[str, Any]:
    """A fresh copy of the tiny manifest object."""
    return copy.deepcopy(_RAW)


_RAW: dict[str, Any] = {
    "v": 1,
    "type": "manifest",
    "event": EVENT,
    "title": {"ko": "작은 시험 행사", "en": "Tiny test event"},
    "authority_key": AUTHORITY.public_b64u,
    "ledger_key": LEDGER.public_b64u,
    "kdf_min_logn": 10,
    "communities": [{"id": c} for c in ("c1", "c2", "c3", "c4", "experts")],
    "groups": [{"id": "g1", "proposals": ["p1", "p2", "p3"]}, {"id": "g2", "proposals": ["p4", "p5"]}],
    "proposals": [
        {"id": p, "title": f"제안 {p}", "community": c, "group": g} for p, (c, g) in PROPOSALS.items()
    ],
    "rubric": [
        {"id": "a", "label": {"ko": "공익성", "en": "Benefit"}, "max": 10, "weight": 2},
        {"id": "b", "label": {"ko": "실현성", "en": "Feasibility"}, "max": 5, "weight": 1},
    ],
    "reviewers": [
        {"id": r, "key": key(r).public_b64u, "community": c, "role": role}
        for r, (c, role, _) in REVIEWERS.items()
    ],
    "forms": {"kiosk": "rubric", "online": "approval"},
    "approval": {"max_choices": 2},
    "assignments": {r: targets for r, (_, _, targets) in REVIEWERS.items()},
    "windows": {
        "online": {"start": "2017-02-23T09:00:00Z", "end": "2017-02-23T18:00:00Z"},
        "kiosk": {"start": "2017-02-23T09:00:00Z", "end": "2017-02-23T18:00:00Z"},
        "clock_tolerance_s": 300,
    },
    "merge": {"policy": "onsite-first"},
    "selection": {
        "mode": "quota",
        "quota": {"kiosk": 2, "online": 1},
        "weights": {"kiosk": 0.5, "online": 0.5},
        "select": 3,
        "normalize": "none",
    },
}


def manifest(**changes: Any) -> Manifest:
    """The parsed tiny manifest, with top-level fields replaced."""
    raw = manifest_raw()
    raw.update(changes)
    return Manifest.from_json(raw)


def signed_manifest() -> dict[str, Any]:
    return sign_manifest(manifest_raw(), AUTHORITY)


def nonce(n: int) -> str:
    """A deterministic lower-case UUID."""
    return str(uuid.UUID(int=n))


def rubric(
    reviewer: str = "rep1",
    proposal: str = "p2",
    scores: dict[str, int] | None = None,
    *,
    channel: str = "kiosk",
    created_at: str = T_IN,
    n: int = 1,
) -> dict[str, Any]:
    """A valid rubric ballot object (a kiosk ballot of rep1 for p2 unless told otherwise)."""
    return rubric_ballot(
        event=EVENT,
        reviewer=reviewer,
        channel=channel,
        kiosk=KIOSK if channel == "kiosk" else None,
        created_at=created_at,
        nonce=nonce(n),
        proposal=proposal,
        scores={"a": 7, "b": 3} if scores is None else scores,
    )


def approval(
    reviewer: str = "mem1",
    group: str = "g1",
    choices: list[str] | None = None,
    *,
    channel: str = "online",
    created_at: str = T_IN,
    n: int = 2,
) -> dict[str, Any]:
    """A valid approval ballot object (an online ballot of mem1 for g1 unless told otherwise)."""
    return approval_ballot(
        event=EVENT,
        reviewer=reviewer,
        channel=channel,
        kiosk=KIOSK if channel == "kiosk" else None,
        created_at=created_at,
        nonce=nonce(n),
        group=group,
        choices=["p2", "p3"] if choices is None else choices,
    )


def signed(ballot: dict[str, Any], signer: str | None = None) -> dict[str, Any]:
    """Sign with the key of ``signer`` (default: the ballot's reviewer), without checking
    the ballot's shape first — so tests can sign broken ballots."""
    try:
        return sign_ballot(ballot, key(signer or ballot["reviewer"])).to_json()
    except FormatError:
        return {"ballot": ballot, "sig": key(signer or str(ballot["reviewer"])).sign_b64u(jcs(ballot))}


# --- a small ledger -------------------------------------------------------------------------


def at(minute: int) -> str:
    """A fixed server time on the event day."""
    return f"2017-02-23T10:{minute:02d}:00Z"


def kiosk_records() -> list[dict[str, Any]]:
    """Kiosk k1's chain: seq 1 a good ballot of rep1 for p2, seq 2 rep1 scoring its own p1."""
    from shared.chain import GENESIS, make_record, record_hash

    r1 = make_record(1, GENESIS, signed(rubric(n=11)))
    r2 = make_record(2, record_hash(r1), signed(rubric(proposal="p1", n=12)))
    return [r1, r2]


def ledger_entries() -> list[dict[str, Any]]:
    """A complete small ledger, every entry valid::

    0 manifest   1 kiosk k1 (staff ana)   2 ballot k1#1   3 rejected k1#2 conflict_of_interest
    4 ballot online mem1 g1   5 ballot online mem1 g1 again (a conflict)
    6 resolution: entry 4 wins   7 revocation of rep4 (authority)
    8 kiosk-close k1 with its signed closure   9 close with the results hash
    """
    from shared.chain import closure_body, record_hash, sign_closure
    from shared.ledger import ballot_entry, manifest_entry, rejected_entry, statement, statement_entry
    from shared.replay import replay
    from shared.tally import results_hash

    r1, r2 = kiosk_records()
    first = signed(approval(choices=["p2"], n=21, created_at="2017-02-23T10:01:00Z"))
    second = signed(approval(choices=["p2", "p3"], n=22, created_at="2017-02-23T10:02:00Z"))
    closure = sign_closure(closure_body(KIOSK, 2, record_hash(r2), 2, 2, at(30)), KIOSK_KEY)
    entries = [
        manifest_entry(signed_manifest(), at(0)),
        statement_entry(
            statement("kiosk", EVENT, "ana", kiosk=KIOSK, key=KIOSK_KEY.public_b64u),
            "staff",
            "ana",
            STAFF_KEY,
            at(1),
        ),
        ballot_entry(r1["signed_ballot"], at(10), KIOSK, 1),
        rejected_entry(r2["signed_ballot"], at(10), KIOSK, 2, "conflict_of_interest"),
        ballot_entry(first, at(11), None, None),
        ballot_entry(second, at(12), None, None),
        statement_entry(
            statement(
                "resolution",
                EVENT,
                "ana",
                reviewer="mem1",
                target="g1",
                ballot=ballot_id_of(first),
                reason="asked",
            ),
            "staff",
            "ana",
            STAFF_KEY,
            at(20),
        ),
        statement_entry(
            statement("revocation", EVENT, reviewer="rep4"), "authority", None, AUTHORITY, at(21)
        ),
        statement_entry(
            statement("kiosk-close", EVENT, "ana", kiosk=KIOSK, closure=closure),
            "staff",
            "ana",
            STAFF_KEY,
            at(31),
        ),
    ]
    results = replay(entries).results()
    entries.append(
        statement_entry(
            statement("close", EVENT, "ana", results_hash=results_hash(results)),
            "staff",
            "ana",
            STAFF_KEY,
            at(40),
        )
    )
    return entries


def ballot_id_of(sb: dict[str, Any]) -> str:
    from shared.ballot import ballot_id

    return ballot_id(sb)
