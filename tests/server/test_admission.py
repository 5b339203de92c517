"""Back-pressure at the online door (issue 12): past ``online_in_flight`` online ballots
being answered, one more gets 503 ``busy`` with Retry-After at once — its small body read
and dropped so the connection stays open — and nothing else is held back."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from server.guards import OnlineAdmission


class Held:
    """An app that answers each request only when released, so requests stay in flight."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.seen = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.seen += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def _call(app: Any, path: str, body: bytes, *, declared: int | None = None) -> tuple[int, dict[bytes, bytes], bytes, int]:
    """One request through ``app``; (status, headers, body, bytes of the request read)."""
    scope = {"type": "http", "method": "POST", "path": path,
             "headers": [(b"content-length", str(len(body) if declared is None else declared).encode())]}
    chunks = [body[:10], body[10:]]
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        part = chunks.pop(0) if chunks else b""
        read += len(part)
        return {"type": "http.request", "body": part, "more_body": bool(chunks)}

    out: dict[str, Any] = {}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"], out["headers"] = message["status"], dict(message["headers"])
        else:
            out["body"] = out.get("body", b"") + message.get("body", b"")

    await app(scope, receive, send)
    return out["status"], out["headers"], out["body"], read


def test_one_past_the_limit_is_told_to_come_back_and_the_others_are_answered() -> None:
    async def main() -> None:
        held = Held()
        door = OnlineAdmission(held, limit=2, max_body=1000)
        ballot = b'{"ballot": {}, "sig": "x"}'
        first = [asyncio.create_task(_call(door, "/api/v1/ballots", ballot)) for _ in range(2)]
        while held.seen < 2:
            await asyncio.sleep(0)
        status, headers, body, read = await _call(door, "/api/v1/ballots", ballot)
        assert status == 503 and headers[b"retry-after"] == b"1"
        problem = json.loads(body)
        assert problem["code"] == "busy" and problem["retry_after"] == 1 and "2 online ballots" in problem["detail"]
        assert read == len(ballot) and b"connection" not in headers  # read and dropped: the connection stays
        # a kiosk batch and a page are not online ballots: never held back here
        other = asyncio.create_task(_call(door, "/api/v1/kiosks/k1/batches", b"{}"))
        while held.seen < 3:
            await asyncio.sleep(0)
        held.release.set()
        assert [(await t)[0] for t in first] == [201, 201] and (await other)[0] == 201
        assert door.in_flight == 0
        assert (await _call(door, "/api/v1/ballots", ballot))[0] == 201  # room again

    asyncio.run(main())


def test_a_large_body_past_the_limit_is_not_read_and_the_connection_closes() -> None:
    async def main() -> None:
        held = Held()
        door = OnlineAdmission(held, limit=1, max_body=100)
        busy = asyncio.create_task(_call(door, "/api/v1/ballots", b"{}"))
        while held.seen < 1:
            await asyncio.sleep(0)
        status, headers, _body, read = await _call(door, "/api/v1/ballots", b"x" * 50, declared=5000)
        assert status == 503 and headers[b"connection"] == b"close" and read == 0
        held.release.set()
        await busy

    asyncio.run(main())


def test_a_failing_request_frees_its_place() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("a bug")

    async def main() -> None:
        door = OnlineAdmission(broken, limit=1, max_body=100)
        for _ in range(3):
            with contextlib.suppress(RuntimeError):
                await _call(door, "/api/v1/ballots", b"{}")
        assert door.in_flight == 0

    asyncio.run(main())
