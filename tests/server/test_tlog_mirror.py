"""``simsa ledger tiles`` (audit.tlog_mirror): a re-run keeps full tiles, a bad tile from the
server is caught before the old checkpoint is replaced, and oversize entries go to
simsa-entries only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from audit.tlog_mirror import mirror_tiles
from shared.errors import VerificationError
from tests.server.conftest import Harness
from tests.server.test_tlog import _fill


class ClientSource:
    """What mirror_tiles reads from an HttpSource, over the in-process app."""

    def __init__(self, srv: Harness, spoil: str | None = None) -> None:
        self.srv, self.spoil = srv, spoil

    def signed_manifest(self) -> dict[str, Any]:
        return dict(self.srv.client.get("/api/v1/event").json())

    def _get(self, path: str, params: Any = None, *, missing_ok: bool = False) -> bytes | None:
        r = self.srv.client.get(path)
        if r.status_code == 404 and missing_ok:
            return None
        assert r.status_code == 200, (path, r.text)
        data = r.content
        if self.spoil and path.endswith(self.spoil):
            data = bytes([data[0] ^ 1]) + data[1:]
        return data


def test_mirror_reruns_and_refuses_a_bad_tile(srv: Harness, tmp_path: Path) -> None:
    if srv.ctx.db.engine.dialect.name != "sqlite":
        pytest.skip("the store is tested on both backends elsewhere")
    _fill(srv, 600)
    out = tmp_path / "static"
    first = mirror_tiles(ClientSource(srv), out)  # type: ignore[arg-type]
    assert first.size == 601 and first.kept == 0 and first.simsa_only == []
    old_checkpoint = (out / "checkpoint").read_bytes()
    _fill(srv, 10, pad=70_000)  # ten entries over 65535 bytes, all in bundle 2
    again = mirror_tiles(ClientSource(srv), out)  # type: ignore[arg-type]
    assert again.size == 611 and again.kept == 4  # tiles 0/000, 0/001 and their bundles
    assert again.simsa_only == [2]
    assert not (out / "tile/entries/002.p/99").exists() and (out / "simsa-entries/002.p/99").is_file()
    assert (out / "checkpoint").read_bytes() != old_checkpoint
    _fill(srv, 1)
    kept = (out / "checkpoint").read_bytes()
    with pytest.raises(VerificationError):
        mirror_tiles(ClientSource(srv, spoil="tile/0/002.p/100"), out)  # type: ignore[arg-type]
    assert (out / "checkpoint").read_bytes() == kept  # the old checkpoint stays
