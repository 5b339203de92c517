"""REAL ``simsa witness`` processes on 127.0.0.1 for tests (keygen, start, kill -9)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from shared.note import Verifier
from tests.support.live import REPO, SIMSA, _env, free_port


def keygen(path: Path, name: str) -> Verifier:
    r = subprocess.run(
        [*SIMSA, "witness", "keygen", "--key", str(path), "--name", name],
        cwd=REPO, env=_env(None), capture_output=True, text=True, timeout=60,
    )
    assert r.returncode == 0, r.stderr
    return Verifier.parse(r.stdout.splitlines()[0])


@dataclass
class LiveWitness:
    key: Path
    state: Path
    logs: list[str]
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveWitness:
        cmd = [*SIMSA, "witness", "--key", str(self.key), "--state", str(self.state), "--listen", f"127.0.0.1:{self.port}"]
        for vk in self.logs:
            cmd += ["--log", vk]
        log = open(self.state.with_suffix(".log"), "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(cmd, cwd=REPO, env=_env(None), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.state.with_suffix(".log").read_text()
            with contextlib.suppress(requests.RequestException):
                requests.get(self.url + "/" + "0" * 64 + "/checkpoint", timeout=1)
                return self
            time.sleep(0.1)
        raise RuntimeError("simsa witness did not answer in 30 s")

    def kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def add(self, body: bytes) -> requests.Response:
        return requests.post(self.url + "/add-checkpoint", data=body, timeout=10)


def make_witness(tmp: Path, name: str, logs: list[str]) -> tuple[LiveWitness, Verifier]:
    tmp.mkdir(parents=True, exist_ok=True)
    v = keygen(tmp / "witness.key", name)
    return LiveWitness(tmp / "witness.key", tmp / "state", logs, free_port()), v
