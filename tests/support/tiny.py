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

The event itself is an :class:`organiser.fixed.FixedEvent`, as are the worked examples of
docs/PROTOCOL.md.
"""

from __future__ import annotations

import uuid
from typing import Any

from organiser.fixed import FixedEvent
from organiser.fixed import at as at_time
from shared.encoding import jcs
from shared.errors import FormatError
from shared.keys import SigningKey
from shared.manifest import Manifest

TINY = FixedEvent(
    event="t1",
    seed_tag=b"simsa-test/",
    title_ko="작은 시험 행사",
    title_en="Tiny test event",
    proposals={
        "p1": ("제안 p1", "c1", "g1"),
        "p2": ("제안 p2", "c2", "g1"),
        "p3": ("제안 p3", "c3", "g1"),
        "p4": ("제안 p4", "c4", "g2"),
        "p5": ("제안 p5", "c1", "g2"),
    },
    reviewers={
        "rep1": ("c1", "representative", ["g1"]),
        "rep4": ("c4", "representative", ["p5"]),
        "mem1": ("c1", "member", ["g1"]),
        "mem2": ("c2", "member", ["g2"]),
        "exp1": ("experts", "expert", ["p1", "p2", "p3", "p4", "p5"]),
    },
    rubric=[
        {"id": "a", "label": {"ko": "공익성", "en": "Benefit"}, "max": 10, "weight": 2},
        {"id": "b", "label": {"ko": "실현성", "en": "Feasibility"}, "max": 5, "weight": 1},
    ],
    quota=(2, 1),
)
EVENT = TINY.event
KIOSK = TINY.kiosk
T_IN = at_time("10:15")


def key(name: str) -> SigningKey:
    """A deterministic key per name."""
    return TINY.key(name)


AUTHORITY = TINY.authority
LEDGER = TINY.ledger
KIOSK_KEY = key("kiosk-k1")
STAFF_KEY = key("staff-ana")


def manifest_raw() -> dict[str, Any]:
    """A fresh copy of the tiny manifest object."""
    return TINY.manifest_object()


def manifest(**changes: Any) -> Manifest:
    """The parsed tiny manifest, with top-level fields replaced."""
    raw = manifest_raw()
    raw.update(changes)
    return Manifest.from_json(raw)


def signed_manifest() -> dict[str, Any]:
    return TINY.signed_manifest()


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
    scores = {"a": 7, "b": 3} if scores is None else scores
    return TINY.rubric_ballot(
        reviewer, proposal, scores, channel=channel, created_at=created_at, nonce=nonce(n)
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
    choices = ["p2", "p3"] if choices is None else choices
    return TINY.approval_ballot(
        reviewer, group, choices, channel=channel, created_at=created_at, nonce=nonce(n)
    )


def signed(ballot: dict[str, Any], signer: str | None = None) -> dict[str, Any]:
    """Sign with the key of ``signer`` (default: the ballot's reviewer), without checking
    the ballot's shape first — so tests can sign broken ballots."""
    try:
        return TINY.sign(ballot, signer).to_json()
    except FormatError:
        return {"ballot": ballot, "sig": key(signer or str(ballot["reviewer"])).sign_b64u(jcs(ballot))}


# --- a small ledger -------------------------------------------------------------------------


def at(minute: int) -> str:
    """A fixed server time on the event day, at 10:``minute``."""
    return at_time(f"10:{minute:02d}")


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
    first = signed(approval(choices=["p2"], n=21, created_at="2017-02-23T10:10:00Z"))
    second = signed(approval(choices=["p2", "p3"], n=22, created_at="2017-02-23T10:11:00Z"))
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
