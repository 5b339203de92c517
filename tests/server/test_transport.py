"""Over HTTPS — the connection itself, or ``X-Forwarded-Proto: https`` from a trusted
proxy — the session cookie is Secure and HSTS is sent; the header from anyone else is
ignored; ``cookie_secure`` forces the flag. And deploy/nginx sends port 80 to 443."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from fastapi.testclient import TestClient

from server.app import create_app
from tests.server.conftest import STAFF, make_settings
from tests.support.events import EventFiles
from tests.support.live import STAFF_NAME, STAFF_PASSWORD, LiveServer, add_staff, copy_event, start_server

REPO = Path(__file__).resolve().parents[2]


def login(mini_event: EventFiles, db: tuple[str, str], headers: dict[str, str], base: str = "http://testserver",
          **settings: Any) -> Any:
    app = create_app(make_settings(mini_event.dir, db[0], **settings))
    with TestClient(app, base_url=base, client=("127.0.0.1", 50000)) as client:  # a peer on this host
        r = client.post("/api/v1/staff/login", json={"name": STAFF[0], "password": STAFF[1]}, headers=headers)
        assert r.status_code == 200, r.text
        return r


def secure(r: Any) -> bool:
    return "secure" in [p.strip().lower() for p in r.headers["set-cookie"].split(";")]


def test_https_through_a_trusted_proxy(mini_event: EventFiles, db: tuple[str, str]) -> None:
    https = {"X-Forwarded-Proto": "https"}
    r = login(mini_event, db, https, trusted_proxies="127.0.0.1")  # the TestClient's peer address
    assert secure(r) and r.headers["strict-transport-security"].startswith("max-age=")
    r = login(mini_event, db, https)  # the default trusts no proxy: the header is anyone's
    assert not secure(r) and "strict-transport-security" not in r.headers
    r = login(mini_event, db, https, trusted_proxies="10.0.0.0/8")  # a proxy, but not this peer
    assert not secure(r) and "strict-transport-security" not in r.headers
    r = login(mini_event, db, {}, trusted_proxies="127.0.0.1")  # plain HTTP
    assert not secure(r) and "strict-transport-security" not in r.headers


def test_https_itself_and_the_forcing_setting(mini_event: EventFiles, db: tuple[str, str]) -> None:
    r = login(mini_event, db, {}, base="https://testserver")
    assert secure(r) and "strict-transport-security" in r.headers
    r = login(mini_event, db, {}, cookie_secure=True)
    assert secure(r) and "strict-transport-security" not in r.headers


def test_live_server_behind_a_proxy_on_this_host(mini_event: EventFiles, tmp_path: Path) -> None:
    """A live server told that nginx on this host (127.0.0.1) is its proxy believes its
    X-Forwarded-Proto."""
    event_dir = copy_event(mini_event.dir, tmp_path / "event")
    add_staff(event_dir, None, STAFF_NAME, STAFF_PASSWORD)
    with start_server(event_dir, env={"SIMSA_TRUSTED_PROXIES": "127.0.0.1"}) as live_server:
        _login_behind_proxy(live_server)


def _login_behind_proxy(live_server: LiveServer) -> None:
    body = {"name": STAFF_NAME, "password": STAFF_PASSWORD}
    r = requests.post(live_server.url + "/api/v1/staff/login", json=body, headers={"X-Forwarded-Proto": "https"}, timeout=30)
    assert r.status_code == 200 and secure(r) and "strict-transport-security" in r.headers, r.headers
    r = requests.post(live_server.url + "/api/v1/staff/login", json=body, timeout=30)
    assert r.status_code == 200 and not secure(r) and "strict-transport-security" not in r.headers


def test_nginx_redirects_plain_http_and_sends_hsts() -> None:
    conf = (REPO / "deploy" / "nginx" / "simsa.conf").read_text()
    plain = conf[conf.index("listen 80;") :]
    plain = plain[: plain.index("}")]
    assert "return 301 https://$host$request_uri;" in plain and "proxy_pass" not in plain
    tls = conf[conf.index("listen 443 ssl") :]
    assert "Strict-Transport-Security" in tls and "X-Forwarded-Proto https" in tls
