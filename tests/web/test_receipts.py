"""Receipt lookup (``GET /api/v1/receipts/{code}``, :func:`server.services.dashboard.find_receipt`)
on both backends: full ids (case and ``-``/``_`` exact) and short codes (Crockford base32 of
the first 40 bits, typed forgivingly), found by their 36-bit base64url prefix and matched on
all 40 bits; an ambiguous short code refused, a malformed one a 400, rejected kiosk records
found."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from server.context import Context
from server.db.schema import ballots, kiosk_records, ledger_entries
from server.problems import problem_of
from server.services.dashboard import find_receipt
from server.services.errors import ServiceError
from server.settings import Settings
from shared.encoding import b64u
from shared.receipt import short_code
from tests.support.events import EventFiles


def _id(first: str, tail: int = 7) -> str:
    """A real-looking receipt id whose hash starts with the bytes ``first`` (hex)."""
    return b64u(bytes.fromhex(first) + bytes([tail]) * (32 - len(first) // 2))


IDS = {
    10: _id("fbffbf7e1a"),  # accepted ballot: "-_-_fho…", code ZFZV-YZGT
    11: _id("fbffbf7e1f"),  # the same 36-bit prefix "-_-_fh", another code (ZFZV-YZGZ)
    12: _id("fbf0bf7e1a"),  # "-_C_fh…": "_" and "-" never wildcards
    13: _id("0102030405", 1),  # two ids with one short code
    14: _id("0102030405", 2),
    16: _id("6c6c6c6c6c"),  # "bGxsbG…"; "BGxsbG…" is another receipt
}
REJECTED = (15, _id("9988776655"))
CASE_TWIN = "B" + IDS[16][1:]  # differs only in case: not on the ledger

@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ctx(request: pytest.FixtureRequest, mini_event: EventFiles, tmp_path: Path) -> Iterator[Context]:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}" if request.param == "sqlite" else request.getfixturevalue("pg_db")
    c = Context.open(Settings(event_dir=mini_event.dir, db_url=url, verify_workers=0))
    with c.db.write() as conn:  # rows as ingest writes them; the lookup reads only these columns
        for idx, _bid in [*IDS.items(), REJECTED]:
            conn.execute(insert(ledger_entries).values(idx=idx, type="ballot", leaf_hash=bytes(32), data=f'{{"n":{idx}}}'))
        conn.execute(insert(ballots), [
            {"idx": i, "id": b, "reviewer": "r", "target": "t", "channel": "online", "kiosk": None, "seq": None,
             "created_at": "2017-02-23T10:00:00Z", "sth_size": i + 1} for i, b in IDS.items()
        ])
        conn.execute(insert(kiosk_records).values(kiosk="k1", seq=1, hash="h", idx=REJECTED[0], ballot_id=REJECTED[1],
                                                  code="bad_scores"))
    yield c
    c.close()


@pytest.mark.parametrize(("code", "index"), [
    (IDS[10], 10), (short_code(IDS[10]), 10), ("zfzv-yzgt", 10), (" ZFZV YZGT ", 10), ("ZFZVYZGT", 10),
    (short_code(IDS[11]), 11), (short_code(IDS[12]), 12), (IDS[12], 12), (IDS[13], 13), (IDS[16], 16),
    (short_code(IDS[16]).replace("1", "l").replace("0", "O"), 16),
    (REJECTED[1], 15), (short_code(REJECTED[1]), 15),
])
def test_found(ctx: Context, code: str, index: int) -> None:
    got = find_receipt(ctx, code)
    assert (got.index, got.entry) == (index, {"n": index})
    assert got.id == IDS.get(index, REJECTED[1])


def test_codes_are_what_the_kiosk_shows() -> None:
    assert short_code(IDS[10]) == "ZFZV-YZGT" and short_code(IDS[11]) == "ZFZV-YZGZ"
    assert IDS[10][:6] == IDS[11][:6] == "-_-_fh"
    assert short_code(IDS[13]) == short_code(IDS[14])


@pytest.mark.parametrize(("code", "status"), [
    (short_code(IDS[13]), 409), ("ZZZZ-ZZZZ", 404), (CASE_TWIN, 404), (short_code(CASE_TWIN), 404),
    ("ZFZV-YZGV", 404),  # the prefix of 10 and 11, neither's 40 bits
    (IDS[10][:-2] + "pA", 404), ("AbC1-x9_Z", 400), ("ZFZV-YZGU", 400), ("short", 400), ("", 400),
    ("ZFZV-YZGT1", 400), (IDS[10] + "A", 400),
])
def test_refused(ctx: Context, code: str, status: int) -> None:
    with pytest.raises(ServiceError) as err:
        find_receipt(ctx, code)
    assert problem_of(err.value).status == status
    if status == 400:
        assert "receipt" in err.value.detail
