"""``deploy/kiosk/provision --root DIR`` writes a kiosk's files into a folder: run twice it
leaves the same tree (idempotent), with the account's autologin, the fullscreen service
that restarts, blanking off, the private data folder, the venue CA and the USB mount; and
``simsa kiosk-enrol`` (what it runs with --server) loads the manifest and registers the
kiosk with a real server, keeping its key when run again."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import requests

from tests.support.live import REPO, SIMSA, STAFF_NAME, STAFF_PASSWORD, LiveServer, _env

PROVISION = REPO / "deploy" / "kiosk" / "provision"


def tree(root: Path) -> dict[str, tuple[str, str]]:
    """Every path under ``root``: its mode and (for files) a digest of its content."""
    out: dict[str, tuple[str, str]] = {}
    for p in sorted(root.rglob("*")):
        mode = oct(p.lstat().st_mode)
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        out[p.relative_to(root).as_posix()] = (mode, digest)
    return out


def make_ca(tmp_path: Path) -> Path:
    subprocess.run([str(REPO / "deploy" / "tls" / "venue-ca"), str(tmp_path / "tls"), "--name", "simsa.venue.lan"],
                   check=True, capture_output=True, timeout=60)
    return tmp_path / "tls" / "ca.pem"


def provision(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PROVISION), *args], capture_output=True, text=True, timeout=60)


def test_provision_twice_gives_the_same_tree(tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    root = tmp_path / "root"
    args = ["--root", str(root), "--ca", str(ca), "--server", "https://simsa.venue.lan", "--kiosk-id", "k01"]
    first = provision(*args)
    assert first.returncode == 0, first.stderr
    after_first = tree(root)
    second = provision(*args)
    assert second.returncode == 0, second.stderr
    assert tree(root) == after_first
    assert "wrote" not in second.stdout and "added" not in second.stdout  # nothing changed the second time

    etc = root / "etc"
    assert "--autologin simsa-kiosk" in (etc / "systemd/system/getty@tty1.service.d/simsa-autologin.conf").read_text()
    assert "startx /etc/simsa-kiosk/xsession" in (root / "home/simsa-kiosk/.bash_profile").read_text()
    service = (root / "home/simsa-kiosk/.config/systemd/user/simsa-kiosk.service").read_text()
    assert "Restart=always" in service and "--fullscreen" in service and "--data /var/lib/simsa-kiosk" in service
    xsession = (etc / "simsa-kiosk/xsession").read_text()
    assert "xset s off" in xsession and "xset -dpms" in xsession
    assert '"BlankTime" "0"' in (etc / "X11/xorg.conf.d/10-simsa-noblank.conf").read_text()
    env = (etc / "simsa-kiosk/kiosk.env").read_text()
    assert "SIMSA_SERVER=https://simsa.venue.lan" in env and "REQUESTS_CA_BUNDLE=/etc/ssl/certs/" in env
    assert (root / "usr/local/share/ca-certificates/simsa-venue-ca.crt").read_bytes() == ca.read_bytes()
    assert after_first["var/lib/simsa-kiosk"][0].endswith("700")
    assert (etc / "fstab").read_text().count("LABEL=SIMSA-USB /media/simsa-usb") == 1
    assert (root / "media/simsa-usb").is_dir()
    assert "would run as simsa-kiosk: /opt/simsa/venv/bin/simsa kiosk-enrol" in first.stdout
    assert "--kiosk-id k01" in first.stdout


def test_provision_keeps_other_fstab_lines_and_updates_a_changed_setting(tmp_path: Path) -> None:
    ca = make_ca(tmp_path)
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/fstab").write_text("UUID=1234 / ext4 defaults 0 1\n")
    assert provision("--root", str(root), "--ca", str(ca), "--no-apt").returncode == 0
    moved = provision("--root", str(root), "--ca", str(ca), "--no-apt", "--server", "https://judge.venue.lan")
    assert moved.returncode == 0, moved.stderr
    assert "wrote /etc/simsa-kiosk/kiosk.env" in moved.stdout
    assert "SIMSA_SERVER=https://judge.venue.lan" in (root / "etc/simsa-kiosk/kiosk.env").read_text()
    fstab = (root / "etc/fstab").read_text().splitlines()
    assert fstab[0] == "UUID=1234 / ext4 defaults 0 1" and len(fstab) == 2
    assert "apt-get" not in moved.stdout


def test_provision_refuses_bad_options(tmp_path: Path) -> None:
    root = str(tmp_path / "root")
    assert "--ca FILE is required" in provision("--root", root).stderr
    not_pem = tmp_path / "x.pem"
    not_pem.write_text("hello\n")
    assert "not a PEM certificate" in provision("--root", root, "--ca", str(not_pem)).stderr
    ca = make_ca(tmp_path)
    plain = provision("--root", root, "--ca", str(ca), "--server", "http://simsa.venue.lan")
    assert plain.returncode == 2 and "https://" in plain.stderr
    assert not (tmp_path / "root" / "etc").exists()


def test_kiosk_enrol_registers_and_keeps_its_key(live_server: LiveServer, tmp_path: Path) -> None:
    data = tmp_path / "kiosk-data"
    cmd = [*SIMSA, "kiosk-enrol", "--server", live_server.url, "--data", str(data), "--kiosk-id", "k07",
           "--staff-pin", "482913"]
    first = subprocess.run(cmd, cwd=REPO, env=_env(None), capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "kiosk k07" in first.stdout and "pending" in first.stdout
    token = requests.post(f"{live_server.url}/api/v1/staff/login",
                          json={"name": STAFF_NAME, "password": STAFF_PASSWORD}, timeout=10).json()["token"]
    r = requests.post(f"{live_server.url}/api/v1/staff/kiosks/k07/approve",
                      headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200, r.text
    again = subprocess.run(cmd[:-2], cwd=REPO, env=_env(None), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "approved" in again.stdout
    key = first.stdout.split("(key ")[1].split(")")[0]
    assert f"(key {key})" in again.stdout


def test_kiosk_enrol_without_the_server_says_so(live_server: LiveServer, tmp_path: Path) -> None:
    data = tmp_path / "kiosk-data"
    cmd = [*SIMSA, "kiosk-enrol", "--server", live_server.url, "--data", str(data)]
    ok = subprocess.run(cmd, cwd=REPO, env=_env(None), capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    live_server.stop()
    down = subprocess.run(cmd, cwd=REPO, env=_env(None), capture_output=True, text=True, timeout=120)
    assert down.returncode == 1 and "cannot be reached" in down.stderr
