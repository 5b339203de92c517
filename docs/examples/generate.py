"""Build the worked examples of docs/PROTOCOL.md with simsa's own code.

Everything is deterministic: keys come from fixed seeds, salts and nonces are fixed, times
are given. The result is the same on every machine, so PROTOCOL.md can be checked against
it (tests/docs/test_protocol.py) and cannot drift from what the code does. The event is
an :class:`organiser.fixed.FixedEvent`, like the tiny event of the table tests
(tests/support/tiny.py).

    .venv/bin/python docs/examples/generate.py          # rewrite the examples in PROTOCOL.md
    .venv/bin/python docs/examples/generate.py --check  # exit 1 if PROTOCOL.md is stale

NEVER derive real keys from names like this: a real event draws them at random
(``simsa event init``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
from pathlib import Path
from typing import Any

from organiser.fixed import FixedEvent, at
from shared.ballot import short_code
from shared.chain import GENESIS, closure_body, make_batch, make_record, record_hash, sign_closure
from shared.credential import seal
from shared.encoding import b64u, jcs, sha256
from shared.errors import BALLOT_CODES, BATCH_CODES, CODE_TEXT, RECORD_CODES, Rejection
from shared.ledger import (
    ballot_entry,
    entry_leaf_hash,
    manifest_entry,
    rejected_entry,
    sign_sth,
    statement,
    statement_entry,
)
from shared.manifest import Manifest
from shared.merkle import naive_consistency_path, naive_inclusion_path, root_from_leaf_hashes
from shared.replay import replay
from shared.rules import check_ballot
from shared.tally import results_hash
from shared.timefmt import parse_time, to_millis

DOC = Path(__file__).resolve().parents[1] / "PROTOCOL.md"
LOGN = 10  # demo cost; a real event uses 15
EXAMPLE = FixedEvent(
    event="ex2017",
    seed_tag=b"simsa protocol example key/",
    title_ko="예시 주민제안 심사",
    title_en="Example community proposal review",
    proposals={
        "p1": ("마을 부엌", "c1", "g1"),
        "p2": ("공유 텃밭", "c2", "g1"),
        "p3": ("골목 도서관", "c3", "g2"),
        "p4": ("안전 귀갓길", "c4", "g2"),
    },
    reviewers={
        "rep-c1": ("c1", "representative", ["p2"]),
        "rep-c3": ("c3", "representative", ["p4"]),
        "mem-c2-1": ("c2", "member", ["g1"]),
        "exp-1": ("experts", "expert", ["p1", "p2", "p3", "p4"]),
    },
    rubric=[
        {"id": "benefit", "label": {"ko": "공익성", "en": "Public benefit"}, "max": 10, "weight": 2},
        {"id": "feasibility", "label": {"ko": "실현 가능성", "en": "Feasibility"}, "max": 5, "weight": 1},
    ],
    quota=(1, 1),
    logn=LOGN,
)
EVENT, KIOSK = EXAMPLE.event, EXAMPLE.kiosk
PIN = "246810"


def fixed_bytes(name: str, n: int) -> bytes:
    return sha256(b"simsa protocol example bytes/" + name.encode())[:n]


def nonce(n: int) -> str:
    return str(uuid.UUID(bytes=fixed_bytes(f"nonce {n}", 16), version=4))


AUTHORITY, LEDGER = EXAMPLE.authority, EXAMPLE.ledger
KIOSK_KEY, STAFF = EXAMPLE.key("kiosk k1"), EXAMPLE.key("staff ana")


def build() -> dict[str, Any]:
    """Every example object, by name."""
    ex: dict[str, Any] = {}
    signed_manifest = EXAMPLE.signed_manifest()
    m = Manifest.from_json(signed_manifest["manifest"])
    ex["manifest"] = signed_manifest

    cred = seal(
        event=EVENT,
        reviewer="rep-c1",
        seed=EXAMPLE.key("rep-c1").seed,
        pin=PIN,
        logn=LOGN,
        salt=fixed_bytes("salt rep-c1", 16),
        nonce=fixed_bytes("nonce rep-c1", 12),
    )
    ex["credential"] = {
        "credential": cred.to_text(),
        "pin": PIN,
        "reviewer_key": EXAMPLE.key("rep-c1").public_b64u,
    }

    # the kiosk registers, staff enrol it
    reg = {"kiosk": KIOSK, "public_key": KIOSK_KEY.public_b64u, "registered_at": at("08:20")}
    ex["kiosk-registration"] = {**reg, "sig": KIOSK_KEY.sign_b64u(jcs(reg))}

    # kiosk k1: rep-c1 scores p2; exp-1 (whose card was revoked at 09:40) scores p3
    ballot = EXAMPLE.rubric_ballot(
        "rep-c1", "p2", {"benefit": 7, "feasibility": 3},
        created_at=at("10:15"), nonce=nonce(1), comment="발표가 구체적이었습니다",
    )  # fmt: skip
    sb = EXAMPLE.sign(ballot)
    ex["ballot"] = ballot
    ex["ballot-jcs"] = jcs(ballot).decode("utf-8")
    ex["signed-ballot"] = sb.to_json()
    ex["ballot-id"] = {"id": sb.id, "short_code": short_code(sb.id)}
    late = EXAMPLE.rubric_ballot(
        "exp-1", "p3", {"benefit": 9, "feasibility": 4}, created_at=at("10:18"), nonce=nonce(2)
    )
    sb2 = EXAMPLE.sign(late)
    r1 = make_record(1, GENESIS, sb.to_json())
    r2 = make_record(2, record_hash(r1), sb2.to_json())
    batch = make_batch(KIOSK, [r1, r2], KIOSK_KEY, 0, GENESIS)
    ex["batch"] = batch

    # online: mem-c2-1 likes p1, then sends a second ballot without the like
    like = EXAMPLE.approval_ballot("mem-c2-1", "g1", ["p1"], created_at=at("10:24"), nonce=nonce(3))
    unlike = EXAMPLE.approval_ballot("mem-c2-1", "g1", [], created_at=at("10:39"), nonce=nonce(4))
    sb_like, sb_unlike = EXAMPLE.sign(like), EXAMPLE.sign(unlike)
    ex["approval-ballot"] = sb_like.to_json()
    own = EXAMPLE.sign(
        EXAMPLE.approval_ballot("mem-c2-1", "g1", ["p2"], created_at=at("10:30"), nonce=nonce(5))
    )
    try:
        check_ballot(m, own.to_json(), channel="online")
        raise AssertionError("the example ballot should be refused")
    except Rejection as exc:
        code, detail = exc.code, exc.detail
    ko, en = CODE_TEXT[code]
    ex["problem"] = {
        "type": f"urn:simsa:problem:{code}",
        "title": f"{en} / {ko}",
        "status": 422,
        "code": code,
        "detail": detail,
        "id": own.id,
    }

    closure = sign_closure(closure_body(KIOSK, 2, record_hash(r2), 2, 2, at("18:05")), KIOSK_KEY)
    ex["closure"] = closure

    def staff(body: dict[str, Any], when: str) -> dict[str, Any]:
        return statement_entry(body, "staff", "ana", STAFF, when)

    entries: list[dict[str, Any]] = [
        manifest_entry(signed_manifest, at("08:00")),
        staff(
            statement("kiosk", EVENT, "ana", kiosk=KIOSK, key=KIOSK_KEY.public_b64u, at=at("08:30")),
            at("08:30"),
        ),
        statement_entry(
            statement("revocation", EVENT, reviewer="exp-1", reason="card reported lost", at=at("09:35")),
            "authority",
            None,
            AUTHORITY,
            at("09:40"),
        ),
        ballot_entry(sb.to_json(), at("10:20"), KIOSK, 1),
        rejected_entry(sb2.to_json(), at("10:20"), KIOSK, 2, "revoked_credential"),
        ballot_entry(sb_like.to_json(), at("10:25"), None, None),
    ]
    sth6_size = len(entries)
    entries += [
        ballot_entry(sb_unlike.to_json(), at("10:40"), None, None),
        staff(
            statement(
                "resolution",
                EVENT,
                "ana",
                reviewer="mem-c2-1",
                target="g1",
                ballot=sb_like.id,
                reason="the reviewer says the second ballot was sent by mistake",
                at=at("11:00"),
            ),
            at("11:00"),
        ),
        staff(
            statement("kiosk-close", EVENT, "ana", kiosk=KIOSK, closure=closure, at=at("18:10")), at("18:10")
        ),
    ]
    results = replay(entries).results()
    ex["results"] = results
    entries.append(
        staff(
            statement("close", EVENT, "ana", results_hash=results_hash(results), at=at("18:30")), at("18:30")
        )
    )
    state = replay(entries)  # the whole example ledger replays with every check
    assert state.close_index == len(entries) - 1

    ex["entries"] = {"entries": [{"index": i, "entry": e} for i, e in enumerate(entries) if i > 0]}
    leaves = [entry_leaf_hash(e) for e in entries]
    ex["leaves"] = [
        {"index": i, "type": e["type"], "received_at": e["received_at"], "leaf_hash": b64u(h)}
        for i, (e, h) in enumerate(zip(entries, leaves, strict=True))
    ]
    sth6 = sign_sth(
        EVENT,
        sth6_size,
        root_from_leaf_hashes(leaves[:sth6_size]),
        to_millis(parse_time("2017-02-23T10:25:01Z")),
        LEDGER,
    )
    sth = sign_sth(
        EVENT,
        len(entries),
        root_from_leaf_hashes(leaves),
        to_millis(parse_time("2017-02-23T18:30:01Z")),
        LEDGER,
    )
    ex["sth"] = sth
    ex["ledger-key"] = {"public_key": LEDGER.public_b64u}
    ex["ballot-response"] = {"id": sb_like.id, "index": 5, "sth": sth6}
    ex["batch-response"] = {
        "results": [
            {"seq": 1, "status": "accepted", "id": sb.id, "index": 3, "code": None},
            {"seq": 2, "status": "rejected", "id": sb2.id, "index": 4, "code": "revoked_credential"},
        ],
        "synced_seq": 2,
        "synced_hash": record_hash(r2),
        "sth": sign_sth(
            EVENT, 5, root_from_leaf_hashes(leaves[:5]), to_millis(parse_time("2017-02-23T10:20:01Z")), LEDGER
        ),
    }
    ex["inclusion"] = {
        "index": 3,
        "tree_size": len(entries),
        "leaf_hash": b64u(leaves[3]),
        "audit_path": [b64u(h) for h in naive_inclusion_path(leaves, 3)],
    }
    ex["consistency"] = {"consistency": [b64u(h) for h in naive_consistency_path(leaves, sth6_size)]}
    ex["sth-6"] = sth6
    ex["codes"] = codes_table()

    # Another ending (not part of the example ledger above): staff close k1 by override
    # while its signed head (seq 3) is ahead of the server (seq 2); record 3 arrives later
    # and is logged as rejected kiosk_closed. Replays with every check.
    override = staff(
        statement(
            "kiosk-close", EVENT, "ana", kiosk=KIOSK, closure=None,
            server_counts={"synced_seq": 2, "accepted": 1, "rejected": 1},
            override={"reason": "kiosk k1 dropped and will not start", "signed_seq": 3, "synced_seq": 2,
                      "missing": {"first": 3, "last": 3}, "last_contact": at("17:40"), "closure": "none"},
            at=at("18:10"),
        ),
        at("18:10"),
    )
    sb_late = EXAMPLE.sign(EXAMPLE.rubric_ballot(
        "rep-c1", "p2", {"benefit": 8, "feasibility": 3}, created_at=at("17:50"), nonce=nonce(9)
    ))  # fmt: skip
    r3 = make_record(3, record_hash(r2), sb_late.to_json())
    late = rejected_entry(r3["signed_ballot"], at("18:20"), KIOSK, 3, "kiosk_closed")
    alt = replay([*entries[:8], override, late])
    assert alt.late == [(9, "kiosk_closed", KIOSK, 3)] and alt.overrides == [(8, override["statement"])]
    ex["kiosk-close-override"] = override
    ex["late-entry"] = late
    return ex


def codes_table() -> str:
    rows = ["| code | 한국어 | English | checked for |", "|---|---|---|---|"]
    for code in (*BALLOT_CODES, *BATCH_CODES, *RECORD_CODES):
        ko, en = CODE_TEXT[code]
        where = "every ballot" if code in BALLOT_CODES else "kiosk batches" if code in BATCH_CODES else "kiosk records after a close"
        rows.append(f"| `{code}` | {ko} | {en} | {where} |")
    return "\n".join(rows)


WIDTH = 100


def pretty(value: Any, indent: int = 0) -> str:
    """JSON with small objects and arrays kept on one line (still valid JSON)."""
    flat = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if indent + len(flat) <= WIDTH or not isinstance(value, dict | list) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [
            f"{pad}{json.dumps(k, ensure_ascii=False)}: {pretty(v, indent + 2)}" for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    return "[\n" + ",\n".join(pad + pretty(v, indent + 2) for v in value) + "\n" + " " * indent + "]"


def block(name: str, value: Any) -> str:
    """The Markdown of one example: a fenced JSON (or text) block, or a table as is."""
    if name == "codes":
        return str(value)
    if isinstance(value, str):
        return f"```text\n{value}\n```"
    return "```json\n" + pretty(value) + "\n```"


MARKER = re.compile(r"<!-- example:([a-z0-9-]+) -->\n(.*?)\n?<!-- /example -->", re.S)


def render(doc: str, examples: dict[str, Any]) -> str:
    """Replace every marked example in ``doc``; every example must appear exactly once."""
    used: list[str] = []

    def fill(mt: re.Match[str]) -> str:
        name = mt.group(1)
        if name not in examples:
            raise KeyError(f"PROTOCOL.md names example {name!r} that the generator does not make")
        used.append(name)
        return f"<!-- example:{name} -->\n{block(name, examples[name])}\n<!-- /example -->"

    out = MARKER.sub(fill, doc)
    missing = sorted(set(examples) - set(used))
    twice = sorted({n for n in used if used.count(n) > 1})
    if missing or twice:
        raise ValueError(f"examples not in PROTOCOL.md: {missing}; examples used twice: {twice}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only check that PROTOCOL.md is current")
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args(argv)
    old = args.doc.read_text(encoding="utf-8")
    new = render(old, build())
    if args.check:
        if new != old:
            print(f"{args.doc} is stale: run docs/examples/generate.py", file=sys.stderr)
            return 1
        return 0
    if new != old:
        args.doc.write_text(new, encoding="utf-8")
        print(f"updated {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
