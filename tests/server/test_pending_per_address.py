"""Pending kiosk registrations are bounded per address (``pending_kiosks_per_address``):
past it a new registration from that address is refused 429 ``rate_limited`` with a
detail that names the setting; approving or dismissing one makes room, another address is
not held back, and a pending kiosk that registers again is still answered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.db.schema import kiosks
from server.problems import problem_of
from server.services import kiosks as kiosk_service
from server.services.errors import RateLimited
from server.web import details
from tests.server.conftest import Harness, make_settings
from tests.server.kit import Kiosk
from tests.support.events import EventFiles


@pytest.fixture
def two(mini_event: EventFiles, db: tuple[str, str]) -> Iterator[Harness]:
    url, token = db
    app = create_app(make_settings(mini_event.dir, url, pending_kiosks_per_address=2))
    with TestClient(app) as client:
        yield Harness(client, app.state.ctx, mini_event, token)


_KIOSKS: dict[str, Kiosk] = {}


def _register(h: Harness, kid: str) -> tuple[int, dict[str, object]]:
    k = _KIOSKS.setdefault(kid, Kiosk(kid))  # the same key when a kiosk asks again
    r = h.client.post("/api/v1/kiosks", json=k.registration())
    return r.status_code, r.json()


def test_pending_registrations_are_bounded_per_address(two: Harness) -> None:
    _KIOSKS.clear()
    assert [_register(two, k)[0] for k in ("a1", "a2")] == [202, 202]
    status, body = _register(two, "a3")
    assert (status, body["code"]) == (429, "rate_limited")
    assert body["detail"] == ("2 kiosk registrations from this address are waiting for staff approval already, "
                              "the most per address (pending_kiosks_per_address): ask staff to approve or dismiss some")
    assert "원문(영어)" not in details.detail_plain("ko", str(body["detail"]))
    assert _register(two, "a1") == (202, {"kiosk": "a1", "status": "pending"})  # asking again is no new one
    with two.ctx.db.read() as conn:
        assert {(r.id, r.source) for r in conn.execute(select(kiosks.c.id, kiosks.c.source))} == {
            ("a1", "testclient"), ("a2", "testclient")}
    # another address (a kiosk on another network) is not held back
    assert kiosk_service.register(two.ctx, Kiosk("b1").registration(), source="10.0.0.9").status == "pending"
    # approving one and dismissing another make room
    assert two.client.post("/api/v1/staff/kiosks/a1/approve", headers=two.staff).status_code == 200
    assert _register(two, "a3")[0] == 202
    assert _register(two, "a4")[0] == 429
    assert two.client.post("/api/v1/staff/kiosks/a2/dismiss", headers=two.staff).status_code == 200
    assert _register(two, "a4")[0] == 202


def test_the_default_takes_ten_from_one_address(srv: Harness) -> None:
    assert srv.ctx.settings.pending_kiosks_per_address == 10
    for i in range(10):
        kiosk_service.register(srv.ctx, Kiosk(f"n{i}").registration(), source="192.0.2.1")
    with pytest.raises(RateLimited) as exc:
        kiosk_service.register(srv.ctx, Kiosk("n10").registration(), source="192.0.2.1")
    assert (problem_of(exc.value).status, exc.value.code) == (429, "rate_limited")
