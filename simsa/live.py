"""A real ``simsa server`` subprocess on 127.0.0.1 and a free port, for everything that
needs a live server on this machine: ``simsa demo``, the benchmarks and the tests
(``tests/support/live.py`` wraps this module).

    with start_server(event_dir) as srv:
        requests.get(srv.url + "/api/v1/ledger/sth")

``stop()`` ends it with SIGTERM (graceful), ``kill()`` with SIGKILL to its whole process
group (the server and its verification workers), as a power cut would.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Protocol

REPO = Path(__file__).resolve().parents[1]
SIMSA = [sys.executable, "-m", "simsa"]
READY_TIMEOUT_S = 60.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(extra: dict[str, str] | None) -> dict[str, str]:
    """This process's environment without its ``SIMSA_*`` settings, with ``extra`` added
    and this checkout first on ``PYTHONPATH``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMSA_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("SIMSA_VERIFY_WORKERS", "0")  # verify in the request thread; pass env to change
    env.update(extra or {})
    return env


class ServerProcess(Protocol):
    """What :class:`LiveServer` needs of its process: :class:`subprocess.Popen`'s part."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...


#: Starts ``simsa ARGV`` with this environment, output appended to this log, in this folder.
Launcher = Callable[[list[str], dict[str, str], Path, Path], ServerProcess]


@dataclass
class LiveServer:
    """A running ``simsa server``; ``url`` is ``http://127.0.0.1:PORT``."""

    event_dir: Path
    db_url: str | None
    port: int
    process: ServerProcess
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        """What the server printed so far (for failure messages)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> None:
        """Graceful stop (SIGTERM), then SIGKILL if it does not end in ``timeout`` seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._reap_group()

    def kill(self) -> None:
        """``kill -9`` the server and its worker processes, now."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def _reap_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def answers(url: str) -> bool:
    """The simsa server at ``url`` answers its tree head now (one try, two seconds)."""
    from client import ClientError, LedgerClient, RetryPolicy

    client = LedgerClient.for_url(url, timeout=(2.0, 2.0), retry=RetryPolicy.none(), agent="simsa-live")
    try:
        client.sth()
        return True
    except ClientError:
        return False
    finally:
        client.http.close()



def start_server(
    event_dir: Path,
    *,
    db_url: str | None = None,
    port: int | None = None,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
    wrap: list[str] | None = None,
    workers: int | None = None,
    launcher: Launcher | None = None,
) -> LiveServer:
    """Start ``simsa server --event event_dir`` and wait until it answers; raise with its
    log if it exits or does not answer within a minute. ``env`` adds ``SIMSA_*`` settings.

    Without ``db_url`` the ledger is ``event_dir/simsa.sqlite``: give each server its own
    folder (:func:`copy_event`) unless it is meant to reopen an earlier ledger. ``wrap``
    prefixes the command (``["taskset", "-c", "0"]`` in the benchmarks). ``workers`` runs
    ``--workers N`` API processes. ``launcher`` starts the process instead of
    :class:`subprocess.Popen` (the test suite's fork server, ``tests/support/forked.py``)."""
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between the probe and the bind
        p = port or free_port()
        log = log_path or event_dir / f"server-{p}.log"
        argv = ["server", "--event", str(event_dir), "--host", "127.0.0.1", "--port", str(p)]
        if db_url:
            argv += ["--db", db_url]
        if workers is not None:
            argv += ["--workers", str(workers)]
        full_env = server_env(env)
        proc: ServerProcess
        if launcher is not None:
            proc = launcher(argv, full_env, log, REPO)
        else:
            with open(log, "ab") as out:
                proc = subprocess.Popen(
                    [*(wrap or []), *SIMSA, *argv],
                    stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=full_env, start_new_session=True,
                )
        srv = LiveServer(event_dir, db_url, p, proc, log, full_env)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if answers(srv.url):
                return srv
            time.sleep(0.1)
        else:
            srv.kill()
            raise RuntimeError(f"simsa server did not answer within {READY_TIMEOUT_S:.0f} s:\n{srv.log()}")
        last_error = srv.log()
        if "address already in use" not in last_error.lower() or port is not None:
            break
    raise RuntimeError(f"simsa server exited before it was ready:\n{last_error}")


def copy_event(src: Path, dst: Path) -> Path:
    """A private copy of an event folder (manifest, keys, credentials) without its database,
    so a server started on it gets a fresh SQLite ledger at ``dst/simsa.sqlite``."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("simsa.sqlite*", "*.log"), dirs_exist_ok=True)
    return dst


def add_staff(event_dir: Path, db_url: str | None, name: str, password: str) -> None:
    """Create a staff account with the real ``simsa staff add``, run in this process (the
    same code as the command line, without a Python start and its imports: ~4 s a server)."""
    from simsa.cli import main

    args = ["staff", "add", name, "--password", password, "--event", str(event_dir)]
    if db_url:
        args += ["--db", db_url]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = main(args)
        except SystemExit as exc:  # argparse's refusal, said into ``out``, not into the void
            code = exc.code if isinstance(exc.code, int) else 2
    if code != 0:
        raise RuntimeError(f"simsa staff add {name} failed ({code}):\n{out.getvalue()}")


#: Settings for a demo whose one machine plays a venue behind one address: the
#: per-address limits raised (as for a venue NAT, docs/SECURITY.md), per-reviewer ones kept.
ONE_ADDRESS_IS_A_VENUE = {
    "SIMSA_SUBMIT_PER_ADDRESS_MINUTE": "100000000",
    "SIMSA_SUBMIT_BYTES_PER_ADDRESS_MINUTE": str(1 << 50),
    "SIMSA_REGISTRATIONS_PER_ADDRESS_HOUR": "100000000",
}

#: Settings for a benchmark whose one client plays a whole venue: the per-address and
#: per-reviewer flood limits (docs/SECURITY.md) raised out of the way.
ONE_CLIENT_IS_A_VENUE = {**ONE_ADDRESS_IS_A_VENUE, "SIMSA_BALLOTS_PER_REVIEWER_MINUTE": "100000000"}
