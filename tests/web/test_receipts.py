"""Receipt lookup (``GET /api/v1/receipts/{code}``, :func:`server.services.dashboard.find_receipt`)
on both backends: full ids and short codes, case-sensitive, ``_`` and ``-`` taken literally
(never as SQL wildcards), an ambiguous short code refused, rejected kiosk records found."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from server.context import Context
from server.db.schema import ballots, kiosk_records, ledger_entries
from server.problems import Problem
from server.services.dashboard import find_receipt
from server.settings import Settings
from tests.support.events import EventFiles

TAIL = "x" * 35  # 8 + 35 = 43 characters, like a real id
IDS = {
    10: "AbC_x9-Z" + TAIL,  # accepted ballot
    11: "AbCdx9-Z" + TAIL,  # differs only where "_" would match any character in LIKE
    12: "abc_x9-Z" + TAIL,  # differs only in case
    13: "Twin-One" + "a" * 35,  # two ids with one short code
    14: "Twin-One" + "b" * 35,
}
REJECTED = (15, "RejKiosk" + TAIL)


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
    (IDS[10], 10), ("AbC_x9-Z", 10), ("AbC_-x9-Z", 10), ("AbCd-x9-Z", 11), ("abc_x9-Z", 12),
    (IDS[13], 13), (REJECTED[1], 15), ("RejK-iosk", 15),
])
def test_found(ctx: Context, code: str, index: int) -> None:
    got = find_receipt(ctx, code)
    assert (got["index"], got["entry"]) == (index, {"n": index})
    assert got["id"].startswith(code.replace("-", "", 1) if len(code) == 9 else code)


@pytest.mark.parametrize(("code", "status"), [
    ("Twin-One", 409), ("Zzzz-zzzz", 404), ("ABC_X9-Z", 404), ("AbC%x9-Z", 400), ("short", 400), ("", 400),
    ("AbC_x9-Z" + "y" * 35, 404), ("AbC_x9-Z1", 400),
])
def test_refused(ctx: Context, code: str, status: int) -> None:
    with pytest.raises(Problem) as err:
        find_receipt(ctx, code)
    assert err.value.status == status
