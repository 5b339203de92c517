"""An auditor pointed at nothing gets a short reason, not a library's traceback text."""

from __future__ import annotations

import socket

import pytest
import requests

from client import network_reason
from simsa.cli import main


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


def test_a_server_that_is_not_there(capsys: pytest.CaptureFixture[str]) -> None:
    port = _closed_port()
    assert main(["verify", f"http://127.0.0.1:{port}", "--no-state"]) == 2
    err = capsys.readouterr().err
    assert f"cannot reach http://127.0.0.1:{port}/api/v1/event: connection refused" in err
    assert "HTTPConnectionPool" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (requests.ConnectTimeout("x"), "no answer in time"),
        (requests.ReadTimeout("x"), "no answer in time"),
        (requests.exceptions.SSLError("x"), "TLS failed"),
        (requests.ConnectionError("[Errno 111] Connection refused"), "connection refused"),
        (requests.ConnectionError("[Errno -2] Name or service not known"), "unknown host name"),
        (requests.ConnectionError("[Errno -3] Temporary failure in name resolution"), "cannot be resolved"),
        (requests.ConnectionError("something else"), "connection failed"),
        (requests.TooManyRedirects("Exceeded 30 redirects."), "TooManyRedirects: Exceeded 30 redirects."),
    ],
)
def test_each_network_failure_in_a_few_words(exc: Exception, words: str) -> None:
    assert words in network_reason(exc)
