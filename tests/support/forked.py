"""The test suite's way to run ``simsa``: forked from a process that has already imported
what a server imports, instead of a new Python that imports it all again.

The suite starts ~70 servers and runs ``simsa verify`` and ``simsa backup`` often. Each new
``python -m simsa server`` spent ~1.1 of its ~1.2 CPU-seconds to its first answer importing
FastAPI, pydantic, SQLAlchemy, alembic and uvicorn, on a two-core machine that runs four test
processes. Here each pytest process keeps one :mod:`multiprocessing` fork server that has
imported them once; a server is a fork of it that runs the same
``simsa.cli.main(["server", …])`` as the command line, in its own session (so ``kill -9``
reaches its process group, as with ``start_new_session``), with its output in its log file
and the environment :func:`simsa.live.server_env` gave it. It is a real server process on a
real port; only the interpreter start and the imports are shared, as a pre-forking server
shares them (measured: 1.1 → 0.2 CPU-seconds and 1.2 → 0.3 s to the first answer). Servers
that the suite starts under another program (``taskset``), with ``--workers`` or with
verification worker processes go through :func:`subprocess.Popen` as before: their
multiprocessing state must be their own.
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
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simsa.live import Launcher

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
    "sqlalchemy.dialects.postgresql.psycopg",
    "psycopg",
    "simsa.commands.verify",
    "simsa.commands.backup",
    "audit.verify",
    "client",
    "tests.support.forked",
]

_context: multiprocessing.context.ForkServerContext | None = None
_started: list[ForkedProcess] = []


def _forkserver() -> multiprocessing.context.ForkServerContext:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
        atexit.register(_kill_leftovers)  # before multiprocessing's own, which would wait on them
    return _context


def _run(argv: list[str], env: dict[str, str], out: str, cwd: str, err: str | None = None,
         hook: tuple[Callable[..., None], tuple[Any, ...]] | None = None) -> None:
    """In the fork: a new session, the given environment and folder, output to ``out`` (and
    ``err``, or ``out``); ``hook`` (a function and its arguments) runs first; then simsa."""
    os.setsid()
    for target, name in ((1, out), (2, err or out)):
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    if hook is not None:
        hook[0](*hook[1])
    from simsa.cli import main

    code = main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)


class ForkedProcess:
    """A fork running simsa: the part of :class:`subprocess.Popen` that :class:`simsa.live.LiveServer`
    and :func:`run` use."""

    def __init__(self, process: multiprocessing.process.BaseProcess, args: list[str]) -> None:
        self._process = process
        self.args = args

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

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


def launch(argv: list[str], env: dict[str, str], log: Path, cwd: Path) -> ForkedProcess:
    """``simsa <argv>`` as a fork of this process's fork server (see the module's text)."""
    return _start(argv, env, str(log), cwd)


def launcher_with(hook: Callable[..., None], *args: Any) -> Launcher:
    """:func:`launch`, with ``hook(*args)`` run in the fork before simsa (a module-level
    function: it crosses to the fork server by name), e.g. the crash tests' pause."""
    def start(argv: list[str], env: dict[str, str], log: Path, cwd: Path) -> ForkedProcess:
        return _start(argv, env, str(log), cwd, hook=(hook, args))

    return start


def run(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``simsa <argv>`` run to its end in a fork, as :func:`subprocess.run` with
    ``capture_output=True, text=True`` would run ``python -m simsa <argv>``."""
    from simsa.live import REPO, server_env

    with tempfile.TemporaryDirectory(prefix="simsa-run-") as tmp:
        out, err = Path(tmp, "stdout"), Path(tmp, "stderr")
        proc = _start(argv, server_env(env), str(out), cwd or REPO, err=str(err))
        try:
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            raise
        return subprocess.CompletedProcess(proc.args, code, out.read_text(errors="replace"),
                                           err.read_text(errors="replace"))


def _start(argv: list[str], env: dict[str, str], out: str, cwd: Path, *, err: str | None = None,
           hook: tuple[Callable[..., None], tuple[Any, ...]] | None = None) -> ForkedProcess:
    process = _forkserver().Process(target=_run, args=(argv, env, out, str(cwd), err, hook), name="simsa")
    process.start()
    started = ForkedProcess(process, ["simsa", *argv])
    _started.append(started)
    return started


def _kill_leftovers() -> None:
    for server in _started:
        if server.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(server.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                server.wait(5)
