"""A city-shape ledger export (DESIGN §7: 50 proposals, 200,000 reviewers, 1,000,000
ballots, 200 kiosks) for the verifier benchmark.

Every ballot is a real approval ballot signed by its reviewer's own key from the manifest;
only credential sealing is skipped (reviewer keys come from fixed seeds, so nothing needs
to be stored to sign). Ballots are signed on every core; the ledger is assembled in
order with the kiosk chains, kiosk closures signed by the kiosk keys, a close entry with
the recomputed results hash and an STH signed by the ledger key.

Generation cost is not what the benchmark measures; the export is cached under
``$XDG_CACHE_HOME/simsa/bench/`` (``~/.cache`` by default).
"""

from __future__ import annotations

import argparse
import os
import random
import time
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from audit.export import write_export
from organiser.demo import city
from shared.ballot import Ballot, SignedBallot
from shared.chain import GENESIS, closure_body, sign_closure
from shared.encoding import b64u, jcs, sha256
from shared.keys import SigningKey
from shared.ledger import manifest_entry, sign_sth, statement, statement_entry
from shared.manifest import sign_manifest
from shared.merge import Accepted, merge
from shared.merkle import CompactRange, leaf_hash
from shared.tally import results_hash, tally
from shared.timefmt import format_time, parse_time, to_millis

KIOSKS = 200
CHUNK = 5000
START = datetime(2019, 6, 1, 9, 0, tzinfo=UTC)


def cache_dir(ballots: int) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    # v2: received_at follows created_at (rule 11 by the server's clock); older exports fail it
    return base / "simsa" / "bench" / f"city-v2-{ballots}"


def reviewer_key(reviewer: str) -> SigningKey:
    return SigningKey(sha256(b"simsa bench reviewer " + reviewer.encode()))


def _publics(ids: list[str]) -> list[str]:
    return [reviewer_key(r).public_b64u for r in ids]


Spec = tuple[int, str, str, list[str], str | None, str]  # index, reviewer, group, choices, kiosk, created


def _sign_chunk(specs: list[Spec]) -> list[bytes]:
    """JCS bytes of each signed ballot."""
    out = []
    for _, reviewer, group, choices, kiosk, created in specs:
        b = {
            "v": 1,
            "type": "ballot",
            "event": "city2019",
            "reviewer": reviewer,
            "channel": "kiosk" if kiosk else "online",
            "kiosk": kiosk,
            "created_at": created,
            "nonce": str(uuid.UUID(bytes=sha256(f"{reviewer}{created}{kiosk}".encode())[:16], version=4)),
            "form": "approval",
            "group": group,
            "choices": choices,
        }
        body = jcs(b)
        sig = reviewer_key(reviewer).sign_b64u(body)
        out.append(b'{"ballot":' + body + b',"sig":"' + sig.encode() + b'"}')
    return out


def _specs(manifest: Any, ballots: int, rng: random.Random) -> Iterator[list[Spec]]:
    members = [r["id"] for r in manifest["reviewers"]]
    community = {r["id"]: r["community"] for r in manifest["reviewers"]}
    group_of = {r: manifest["assignments"][r][0] for r in members}
    props = {g["id"]: g["proposals"] for g in manifest["groups"]}
    owner = {p["id"]: p["community"] for p in manifest["proposals"]}
    chunk: list[Spec] = []
    step = 43_200 / max(1, ballots)  # spread over the 12 hours from START
    for i in range(ballots):
        r = members[i % len(members)]
        g = group_of[r]
        allowed = [p for p in props[g] if owner[p] != community[r]]
        # Popularity differs by proposal, so the ranking is not a coin toss.
        weights = [1 + (int(p[1:]) * 7) % 11 for p in allowed]
        choices = sorted(set(rng.choices(allowed, weights, k=rng.randint(1, 3))))
        kiosk = f"k{(i // 7) % KIOSKS + 1:03d}" if i % 5 < 3 else None
        created = format_time(START + timedelta(seconds=int(i * step)))
        chunk.append((i, r, g, choices, kiosk, created))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def generate(out: Path, *, ballots: int = 1_000_000, members: int = 200_000, workers: int | None = None) -> Path:
    """Write the city export to ``out`` (entries.jsonl, sth.json, manifest.json, results.json)."""
    t0 = time.monotonic()
    workers = workers or os.cpu_count() or 1
    rng = random.Random(2019)
    plan = city(START - timedelta(hours=1), rng, members=members)
    plan.start, plan.end = START - timedelta(hours=1), START + timedelta(days=1)
    authority = SigningKey(sha256(b"simsa bench authority"))
    ledger = SigningKey(sha256(b"simsa bench ledger"))
    staff = SigningKey(sha256(b"simsa bench staff"))
    ids = [r.id for r in plan.reviewers]
    with ProcessPoolExecutor(workers) as pool:
        parts = [ids[i : i + 10_000] for i in range(0, len(ids), 10_000)]
        pubs = [k for part in pool.map(_publics, parts) for k in part]
        keys = dict(zip(ids, pubs, strict=True))
        raw = plan.manifest(keys, authority.public_b64u, ledger.public_b64u)
        signed = sign_manifest(raw, authority)
        print(f"manifest with {len(ids):,} reviewer keys in {time.monotonic() - t0:.0f} s", flush=True)

        tree = CompactRange()
        clock = [START - timedelta(minutes=30)]

        def now(floor: datetime | None = None) -> str:
            # The server's clock: a millisecond an entry, and never before a ballot was
            # made (rule 11 judges an online ballot by when the server received it).
            clock[0] = max(clock[0] + timedelta(milliseconds=1), floor or clock[0])
            return format_time(clock[0])

        kiosk_keys = {f"k{k:03d}": SigningKey(sha256(f"simsa bench kiosk {k}".encode())) for k in range(1, KIOSKS + 1)}
        chains: dict[str, tuple[int, str]] = {k: (0, GENESIS) for k in kiosk_keys}  # kiosk: (seq, hash)
        opened: dict[str, set[str]] = {k: set() for k in kiosk_keys}
        accepted: list[Accepted] = []

        def stmt(kind: str, **fields: Any) -> bytes:
            body = statement(kind, "city2019", staff="bench-staff", **fields)
            return jcs(statement_entry(body, "staff", "bench-staff", staff, now()))

        def lines() -> Iterator[bytes]:
            yield jcs(manifest_entry(signed, now()))
            for k, key in kiosk_keys.items():
                yield stmt("kiosk", kiosk=k, key=key.public_b64u)
            done = 0
            for chunk, signed_chunk in _signed(pool, _specs(raw, ballots, rng), 2 * workers + 2):
                for (_i, reviewer, group, choices, kiosk, created), sbj in zip(chunk, signed_chunk, strict=True):
                    when = now(parse_time(created)).encode()
                    channel = "kiosk" if kiosk else "online"
                    seq: int | None = None
                    if kiosk:
                        seq, prev = chains[kiosk]
                        seq += 1
                        record = b'{"prev":"' + prev.encode() + b'","seq":' + str(seq).encode() + b',"signed_ballot":' + sbj + b"}"
                        chains[kiosk] = (seq, b64u(sha256(record)))
                        opened[kiosk].add(reviewer)
                        line = b'{"kiosk":"' + kiosk.encode() + b'","received_at":"' + when + b'","seq":' + str(seq).encode() + b',"signed_ballot":' + sbj + b',"type":"ballot"}'
                    else:
                        line = b'{"kiosk":null,"received_at":"' + when + b'","seq":null,"signed_ballot":' + sbj + b',"type":"ballot"}'
                    index = tree.size
                    ballot = {
                        "v": 1, "type": "ballot", "event": "city2019", "reviewer": reviewer,
                        "channel": channel, "kiosk": kiosk, "created_at": created,
                        "nonce": "", "form": "approval", "group": group, "choices": choices,
                    }  # fmt: skip
                    sb = SignedBallot(
                        Ballot(ballot, "city2019", reviewer, channel, kiosk, created, "", "approval",
                               group=group, choices=tuple(choices)),
                        "",
                    )  # fmt: skip
                    accepted.append(Accepted(b64u(sha256(sbj)), index, sb, kiosk, seq))
                    yield line
                done += len(chunk)
                if done % 100_000 < CHUNK:
                    print(f"  {done:,} ballots signed and chained ({time.monotonic() - t0:.0f} s)", flush=True)
            for k, key in kiosk_keys.items():
                last, h = chains[k]
                body = closure_body(k, last, h, len(opened[k]), last, format_time(clock[0]))
                yield stmt("kiosk-close", kiosk=k, closure=sign_closure(body, key))
            from shared.manifest import Manifest

            m = Manifest.from_json(raw)
            results = tally(m, merge(accepted, m.merge_policy, {}).effective)
            final["results"] = results
            final["close_index"] = tree.size
            yield stmt("close", results_hash=results_hash(results))

        final: dict[str, Any] = {}

        def hashed() -> Iterator[bytes]:
            for line in lines():
                tree.append(leaf_hash(line))
                yield line

        tmp = out.with_name(out.name + ".partial")
        n, root = write_export(tmp, signed, hashed(), {}, None)
        sth = sign_sth("city2019", n, root, to_millis(clock[0]), ledger)
        published = {
            "event": "city2019",
            "close_index": final["close_index"],
            "results_hash": results_hash(final["results"]),
            "results": final["results"],
        }
        write_export_meta(tmp, sth, published)
    if out.exists():
        import shutil

        shutil.rmtree(out)
    tmp.rename(out)
    print(f"city export of {n:,} entries ({ballots:,} ballots) written to {out} in {time.monotonic() - t0:.0f} s")
    return out


def _signed(
    pool: ProcessPoolExecutor, chunks: Iterator[list[Spec]], depth: int
) -> Iterator[tuple[list[Spec], list[bytes]]]:
    """Each chunk of specs with its signed ballots, in order, signing ``depth`` chunks ahead."""
    pending: deque[tuple[list[Spec], Future[list[bytes]]]] = deque()
    for chunk in chunks:
        pending.append((chunk, pool.submit(_sign_chunk, chunk)))
        while len(pending) > depth:
            c, f = pending.popleft()
            yield c, f.result()
    while pending:
        c, f = pending.popleft()
        yield c, f.result()


def write_export_meta(folder: Path, sth: dict[str, Any], published: dict[str, Any]) -> None:
    import json

    (folder / "sth.json").write_text(json.dumps(sth, indent=1) + "\n")
    (folder / "results.json").write_text(json.dumps(published, ensure_ascii=False, indent=1) + "\n")


def ensure(ballots: int, *, members: int = 200_000) -> Path:
    """The cached export for ``ballots`` ballots, generated on first use."""
    out = cache_dir(ballots)
    if not (out / "sth.json").exists():
        generate(out, ballots=ballots, members=min(members, max(1000, ballots // 5)))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Generate a city-shape ledger export for benchmarks")
    p.add_argument("--ballots", type=int, default=1_000_000)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    out = args.out or cache_dir(args.ballots)
    generate(out, ballots=args.ballots, members=min(200_000, max(1000, args.ballots // 5)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
