"""tests/support/forked.py: simsa run as a fork of the suite's fork server behaves as
``python -m simsa`` does — exit codes, output, environment, folder — and a forked server is
a real process in its own session that ``kill -9`` of its group ends."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from simsa import __version__
from tests.support import forked
from tests.support.events import EventFiles
from tests.support.live import copy_event, start_server

pytestmark = pytest.mark.live


def test_output_and_exit_code_as_the_command_line() -> None:
    done = forked.run(["--version"])
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, f"simsa {__version__}", "")


def test_a_refusal_keeps_argparse_exit_code_and_words() -> None:
    done = forked.run(["backup", "--no-such-option"])
    assert done.returncode == 2
    assert "unrecognized arguments: --no-such-option" in done.stderr and done.stdout == ""


def test_the_fork_has_the_given_environment(mini_event: EventFiles, tmp_path: Path) -> None:
    event_dir = copy_event(mini_event.dir, tmp_path / "event")
    done = forked.run(["server", "--event", str(event_dir), "--port", "0"], env={"SIMSA_TIMEZONE": "Mars/Olympus"},
                     timeout=60)
    assert done.returncode == 1 and "Mars/Olympus" in done.stderr


def test_the_fork_works_in_the_given_folder(tmp_path: Path) -> None:
    done = forked.run(["event", "init", "made-here", "--demo", "mini", "--seed", "1", "--workers", "1"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "made-here" / "manifest.json").is_file()


def test_a_forked_server_is_its_own_session_and_dies_with_its_group(mini_event: EventFiles, tmp_path: Path) -> None:
    event_dir = copy_event(mini_event.dir, tmp_path / "event")
    srv = start_server(event_dir)
    try:
        assert isinstance(srv.process, forked.ForkedProcess)
        assert os.getsid(srv.process.pid) == srv.process.pid != os.getsid(0)
        assert "listening on" in srv.log()
    finally:
        srv.kill()
    assert srv.process.poll() == -signal.SIGKILL
