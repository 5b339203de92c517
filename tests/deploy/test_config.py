"""The files of deploy/ are checked by the tools that will read them: every script by
shellcheck, the systemd units by ``systemd-analyze verify``, the nginx site by ``nginx -t``,
the env file template by the server's own settings (which refuse its placeholder)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from server.settings import Settings
from tests.support.events import EventFiles

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SCRIPTS = sorted(
    p for p in DEPLOY.rglob("*") if p.is_file() and p.read_bytes()[:2] == b"#!"
)
UNITS = sorted((DEPLOY / "systemd").glob("*.service")) + sorted((DEPLOY / "systemd").glob("*.timer"))


def need(tool: str) -> str:
    path = shutil.which(tool) or (f"/usr/sbin/{tool}" if Path(f"/usr/sbin/{tool}").exists() else None)
    if path is None:
        pytest.skip(f"{tool} is not installed (make test installs it: it is in the Makefile's APT_PACKAGES)")
    return path


def test_every_script_is_found_and_executable() -> None:
    names = {p.relative_to(DEPLOY).as_posix() for p in SCRIPTS}
    assert {"rehearse", "install-server", "as-simsa", "tls/venue-ca", "kiosk/provision", "kiosk/xsession"} <= names
    for p in SCRIPTS:
        assert p.stat().st_mode & 0o111, f"{p} is not executable"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_shellcheck(script: Path) -> None:
    r = subprocess.run([need("shellcheck"), "--severity=style", str(script)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_systemd_units_verify(tmp_path: Path) -> None:
    """``systemd-analyze verify`` with the units' /opt/simsa/venv pointing at this venv (it
    checks that ExecStart exists). Warnings count as failures: an unknown or misspelt
    hardening key is only a warning to systemd, and would silently not harden anything."""
    tool = need("systemd-analyze")
    venv = Path(sys.executable).parent.parent
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/simsa/venv", str(venv)))
    (tmp_path / "simsa-server@8001.service").write_text((tmp_path / "simsa-server@.service").read_text())
    names = [p.name for p in UNITS if "@." not in p.name] + ["simsa-server@8001.service"]
    r = subprocess.run([tool, "verify", "--man=no", *(str(tmp_path / n) for n in names)],
                       capture_output=True, text=True, timeout=120)
    out = "\n".join(line for line in (r.stdout + r.stderr).splitlines()
                    if line.strip() and "Failed to connect to bus" not in line)
    assert r.returncode == 0 and not out, out


def test_systemd_units_are_hardened() -> None:
    for unit in UNITS:
        text = unit.read_text()
        if unit.suffix != ".service":
            continue
        for key in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "ProtectHome=yes",
                    "CapabilityBoundingSet=\n", "UMask=0077"):
            assert key in text, f"{unit.name} lacks {key.strip()}"
        assert "User=simsa" in text or "DynamicUser=yes" in text, unit.name
    timer = (DEPLOY / "systemd" / "simsa-backup.timer").read_text()
    assert "OnUnitActiveSec=" in timer and "Persistent=true" in timer


def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    """The site as shipped, with only the certificate paths pointed at a fresh venue CA."""
    nginx = need("nginx")
    need("openssl")
    tls = tmp_path / "tls"
    made = subprocess.run([str(DEPLOY / "tls" / "venue-ca"), str(tls), "--name", "simsa.venue.lan"],
                          capture_output=True, text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    site = (DEPLOY / "nginx" / "simsa.conf").read_text().replace("/etc/ssl/simsa/", f"{tls}/")
    (tmp_path / "simsa.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n include {tmp_path}/simsa.conf;\n}}\n"
    )
    r = subprocess.run([nginx, "-t", "-e", str(tmp_path / "error.log"), "-p", str(tmp_path),
                        "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    # (nginx ≥ 1.25 warns that `listen … http2` is deprecated; Debian 12 ships 1.22)
    warnings = [w for w in r.stderr.splitlines() if "[warn]" in w and "http2" not in w]
    assert not warnings, r.stderr
    for needed in ("return 301 https://", "Strict-Transport-Security", "client_max_body_size",
                   "limit_req zone=simsa_login", "proxy_hide_header Strict-Transport-Security"):
        assert needed in site


def test_venue_ca_certificate_is_for_the_names_given(tmp_path: Path) -> None:
    need("openssl")
    r = subprocess.run([str(DEPLOY / "tls" / "venue-ca"), str(tmp_path), "--name", "judge.venue.lan",
                        "--ip", "10.0.0.10"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    text = subprocess.run(["openssl", "x509", "-in", str(tmp_path / "server.pem"), "-noout", "-text"],
                          capture_output=True, text=True, check=True).stdout
    assert "DNS:judge.venue.lan" in text and "IP Address:10.0.0.10" in text and "CA:FALSE" in text
    assert oct((tmp_path / "ca.key").stat().st_mode & 0o777) == "0o600"
    ca_before = (tmp_path / "ca.pem").read_bytes()
    again = subprocess.run([str(DEPLOY / "tls" / "venue-ca"), str(tmp_path), "--name", "judge.venue.lan"],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and (tmp_path / "ca.pem").read_bytes() == ca_before  # the CA is kept
    bad = subprocess.run([str(DEPLOY / "tls" / "venue-ca"), str(tmp_path)], capture_output=True, text=True)
    assert bad.returncode == 2


def _env_template() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (DEPLOY / "simsa.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key] = value
    return out


def test_env_template_placeholder_is_refused(mini_event: EventFiles) -> None:
    env = _env_template()
    assert "CHANGE-ME" in env["SIMSA_DB_URL"]
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(event_dir=mini_event.dir, db_url=env["SIMSA_DB_URL"])
    filled = env["SIMSA_DB_URL"].replace("CHANGE-ME", "9c1f0e7a44b2d8e6")
    assert Settings(event_dir=mini_event.dir, db_url=filled).db_url == filled
    assert Settings(event_dir=mini_event.dir, db_url="sqlite:////srv/simsa/event/simsa.sqlite")


def test_env_template_names_only_real_settings() -> None:
    known = {f"SIMSA_{name.upper()}" for name in Settings.model_fields}
    assert set(_env_template()) <= known
