"""A throwaway PostgreSQL cluster from Debian's ``postgresql`` package, for the test
session (``tests/support/postgres.py``) and the benchmarks' ``--postgres`` runs.

``initdb`` in a temporary folder (as the unprivileged ``postgres`` user when the tests run
as root, since initdb refuses root), a free port, listening on 127.0.0.1 only (no Unix
socket), trust authentication for local TCP. Each test gets its own database from
``pg_db``. ``make test`` installs the package; without the binaries the tests are skipped
with the reason.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from simsa.live import free_port


def find_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` with initdb, or initdb on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


@dataclass
class PgCluster:
    bin_dir: Path
    data_dir: Path
    port: int
    user: str | None  # the OS user running the cluster (None: this process's user)
    #: fsync and full-page writes on, as in production (benchmarks); off for the tests' speed.
    durable: bool = False

    def url(self, dbname: str = "postgres") -> str:
        """``postgresql://postgres@127.0.0.1:PORT/dbname``, as ``simsa server --db`` takes it."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def sqlalchemy_url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its name."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, user=self.user, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        self._run(
            [
                str(self.bin_dir / "initdb"),
                "-D", str(self.data_dir),
                "-U", "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=100"
        )
        if not self.durable:
            opts += " -c fsync=off -c full_page_writes=off"
        self._run(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", opts,
             "-l", str(self.data_dir / "server.log"), "-w", "-t", "60", "start"]
        )

    def stop(self) -> None:
        subprocess.run(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"],
            user=self.user, capture_output=True, timeout=60, check=False,
        )


def start_cluster(*, durable: bool = False) -> PgCluster:
    """initdb and start a cluster; the caller must :meth:`PgCluster.stop` it. ``durable``:
    keep PostgreSQL's fsync on (for measurements); the tests run without it."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL binaries (initdb) not found; install Debian's postgresql package")
    root = Path(tempfile.mkdtemp(prefix="simsa-pg-"))
    user: str | None = None
    if os.geteuid() == 0:
        user = "postgres"
        pw = pwd.getpwnam(user)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    os.chmod(root, 0o700)
    cluster = PgCluster(bin_dir, root / "data", free_port(), user, durable)
    try:
        cluster.start()
    except subprocess.CalledProcessError as exc:
        log = ""
        if (cluster.data_dir / "server.log").exists():
            log = (cluster.data_dir / "server.log").read_text(errors="replace")
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{log}") from exc
    return cluster
