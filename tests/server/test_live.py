"""The live-server support other areas build on: a real subprocess, answering on 127.0.0.1."""

from __future__ import annotations

import requests

from shared.ledger import verify_sth
from tests.support.live import STAFF_NAME, STAFF_PASSWORD, LiveServer


def test_live_server_answers_and_staff_can_log_in(live_server: LiveServer) -> None:
    s = requests.Session()
    key = s.get(live_server.url + "/api/v1/ledger/key", timeout=10).json()["public_key"]
    sth = verify_sth(s.get(live_server.url + "/api/v1/ledger/sth", timeout=10).json(), key)
    assert sth.tree_size == 1  # entry 0: the signed manifest
    r = s.post(live_server.url + "/api/v1/staff/login", json={"name": STAFF_NAME, "password": STAFF_PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    me = s.get(live_server.url + "/api/v1/staff/me", headers={"Authorization": "Bearer " + r.json()["token"]}, timeout=10)
    assert me.json()["staff"] == STAFF_NAME
    assert live_server.alive()
