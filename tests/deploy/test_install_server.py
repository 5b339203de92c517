"""``deploy/install-server --root DIR``: the ledger server's files, idempotent, and the env
file (which will hold the database password) never overwritten once written."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.deploy.test_kiosk_provision import tree
from tests.support.live import REPO

INSTALL = REPO / "deploy" / "install-server"


def install(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(INSTALL), *args], capture_output=True, text=True, timeout=60)


def test_install_twice_gives_the_same_tree_and_keeps_the_env_file(tmp_path: Path) -> None:
    root = tmp_path / "root"
    first = install("--root", str(root), "--wheelhouse", str(tmp_path))
    assert first.returncode == 0, first.stderr
    after_first = tree(root)
    second = install("--root", str(root), "--wheelhouse", str(tmp_path))
    assert second.returncode == 0, second.stderr
    assert tree(root) == after_first and "wrote" not in second.stdout

    for unit in ("simsa-server@.service", "simsa-backup.service", "simsa-backup.timer", "simsa-witness.service"):
        assert (root / "etc/systemd/system" / unit).read_bytes() == (REPO / "deploy/systemd" / unit).read_bytes()
    assert (root / "etc/nginx/sites-enabled/simsa.conf").is_symlink()
    assert (root / "usr/local/bin/simsa").readlink() == Path("/opt/simsa/venv/bin/simsa")
    assert after_first["usr/local/sbin/as-simsa"][0].endswith("755")
    for folder in ("srv/simsa/event", "srv/simsa/backups", "etc/ssl/simsa"):
        assert after_first[folder][0].endswith("700"), folder
    assert after_first["etc/simsa/simsa.env"][0].endswith("640")
    assert "pip install -q --no-index --find-links" in first.stdout  # offline, from the wheelhouse

    env = root / "etc/simsa/simsa.env"
    env.write_text(env.read_text().replace("CHANGE-ME", "3f9a0c"))
    third = install("--root", str(root), "--no-apt")
    assert third.returncode == 0 and "3f9a0c" in env.read_text()
    assert "apt-get" not in third.stdout


def test_install_refuses_a_missing_wheelhouse(tmp_path: Path) -> None:
    r = install("--root", str(tmp_path / "root"), "--wheelhouse", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "is not a folder" in r.stderr


def test_as_simsa_says_what_is_missing(tmp_path: Path) -> None:
    script = str(REPO / "deploy" / "as-simsa")
    usage = subprocess.run([script], capture_output=True, text=True, timeout=30)
    assert usage.returncode == 2 and "usage: sudo as-simsa COMMAND" in usage.stderr
    if subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() == "0":
        missing = subprocess.run([script, "true"], capture_output=True, text=True, timeout=30,
                                 env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                      "SIMSA_ENV_FILE": str(tmp_path / "simsa.env")})
        assert missing.returncode == 1 and "simsa.env is missing" in missing.stderr
