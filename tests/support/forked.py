"""The test suite's way to start ``simsa server``: forked from a process that has already
imported what a server imports, instead of a new Python that imports it all again.

The suite starts ~50 servers. Each new ``python -m simsa server`` spent ~1.2 of its
~1.35 CPU-seconds to its first answer importing FastAPI, pydantic, SQLAlchemy, alembic and
uvicorn, on a two-core machine that runs four test processes. Here each pytest process keeps
one :mod:`multiprocessing` fork server that has imported them once; a server is a fork of
it that runs the same ``simsa.cli.main(["server", …])`` as the command line, in its own
session (so ``kill -9`` reaches its process group, as with ``start_new_session``), with its
output in its log file and the environment :func:`simsa.live.server_env` gave it. It is a
real server process on a real port; only the interpreter start and the imports are shared,
as a pre-forking server shares them. Servers that the suite starts with another program
(the fault-injecting launcher, ``taskset``) or with ``--workers`` go through
:func:`subprocess.Popen` as before.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import multiprocessing.context
import os
import signal
import subprocess
import sys
from pathlib import Path

#: What ``simsa server`` imports before it answers (the fork server imports these once).
PRELOAD = [
    "simsa.cli",
    "simsa.commands.server",
    "server.app",
    "server.context",
    "server.db.migrate",
    "uvicorn",
    "uvicorn.main",
    "uvicorn.config",
    "uvicorn.server",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.lifespan.on",
    "sqlalchemy.dialects.sqlite",
    "tests.support.forked",
]

_context: multiprocessing.context.ForkServerContext | None = None
_started: list[ForkedServer] = []


def _forkserver() -> multiprocessing.context.ForkServerContext:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
        atexit.register(_kill_leftovers)  # before multiprocessing's own, which would wait on them
    return _context


def _run(argv: list[str], env: dict[str, str], log: str, cwd: str) -> None:
    """In the fork: a new session, the given environment, folder and log; then simsa."""
    os.setsid()
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    from simsa.cli import main

    code = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)


class ForkedServer:
    """The part of :class:`subprocess.Popen` that :class:`simsa.live.LiveServer` uses."""

    def __init__(self, process: multiprocessing.process.BaseProcess, args: list[str]) -> None:
        self._process = process
        self.args = args

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        code = self._process.exitcode
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        return code

    def send_signal(self, sig: int) -> None:
        if self._process.exitcode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)


def launch(argv: list[str], env: dict[str, str], log: Path, cwd: Path) -> ForkedServer:
    """``simsa <argv>`` as a fork of this process's fork server (see the module's text)."""
    process = _forkserver().Process(target=_run, args=(argv, env, str(log), str(cwd)), name="simsa-server")
    process.start()
    server = ForkedServer(process, ["simsa", *argv])
    _started.append(server)
    return server


def _kill_leftovers() -> None:
    for server in _started:
        if server.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(server.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                server.wait(5)
