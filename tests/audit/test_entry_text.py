"""The entry text an export holds: the workers' fast reading (a C parser, taken only for RFC 8785
text) refuses what the strict parser refuses, names the entry, and changes no verdict."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from audit.source import ExportSource
from audit.verify import verify_ledger


def _with_line(
    export: Path, tmp: Path, change: bytes | None = None, index: int | None = None
) -> tuple[Path, int]:
    folder = tmp / "x"
    shutil.copytree(export, folder)
    lines = (folder / "entries.jsonl").read_bytes().splitlines()
    i = (
        index
        if index is not None
        else next(k for k, line in enumerate(lines) if b'"type":"ballot"}' in line[-20:])
    )
    if change is not None:
        lines[i] = change.replace(b"LINE", lines[i][:-1])
    (folder / "entries.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    return folder, i


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (b'LINE,"x":NaN}', "JSON constant NaN is not allowed"),
        (b'LINE,"x":-Infinity}', "JSON constant -Infinity is not allowed"),
        (b'LINE,"x":' + b"[" * 17 + b"]" * 17 + b"}", "nested deeper than 16"),
        (b'LINE,"type":"ballot"}', "duplicate JSON key 'type'"),
        (b"LINE", "not valid JSON"),
    ],
    ids=["nan", "infinity", "too deep", "duplicate key", "cut short"],
)
@pytest.mark.parametrize("workers", [1, 2])
def test_unreadable_text_is_named_by_its_entry(
    mini_export: Path, tmp_path: Path, change: bytes, message: str, workers: int
) -> None:
    folder, i = _with_line(mini_export, tmp_path, change)
    v = verify_ledger(ExportSource(folder), workers=workers)
    assert not v.ok
    assert v.problems[0].index == i, v.problems
    assert message in v.problems[0].what


def test_valid_json_that_is_not_canonical_still_hashes_as_rfc8785(mini_export: Path, tmp_path: Path) -> None:
    """The leaf is the hash of the entry's RFC 8785 form, whatever the spacing of the text."""
    folder, i = _with_line(mini_export, tmp_path)
    lines = (folder / "entries.jsonl").read_bytes().splitlines()
    lines[i] = json.dumps(json.loads(lines[i]), indent=1).replace("\n", "").encode()
    (folder / "entries.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    v = verify_ledger(ExportSource(folder), workers=1)
    assert v.ok, v.problems
    assert v.signatures == v.types["ballot"] + v.types["rejected"]
