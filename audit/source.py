"""Where a ledger is read from: a live server's audit API or an export folder.

Both give the signed manifest, the latest STH and the entries in index order as *pages*
of raw JSON text, so the text is parsed once per process and never held twice. A server
also answers proofs and publishes results; an export folder answers from its files.

- :class:`HttpSource` — simsa's one HTTP client (:mod:`client`: retries, a timeout on every
  call, ``Retry-After`` honoured); pages of at most 1000 entries (``GET /api/v1/ledger/entries``), fetched one ahead on a
  background thread so the network overlaps the checking.
- :class:`ExportSource` — ``DIR/entries.jsonl`` (one entry per line, index order),
  ``DIR/sth.json`` and ``DIR/manifest.json`` (and ``DIR/results.json`` when the server had
  published results), as ``simsa ledger export`` writes them.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from shared.encoding import parse_json
from shared.errors import FormatError, SimsaError

#: Entries per HTTP page: the audit API's maximum (DESIGN §4).
PAGE = 1000
#: Lines per page read from an export.
LINES_PER_PAGE = 2000
#: The manifest entry of a city event holds 200,000 reviewer keys.
MAX_ENTRY_BYTES = 256 << 20
MAX_PAGE_BYTES = 256 << 20

ENTRIES_FILE = "entries.jsonl"
STH_FILE = "sth.json"
MANIFEST_FILE = "manifest.json"
RESULTS_FILE = "results.json"


class SourceError(SimsaError):
    """The ledger could not be read (network, HTTP status, missing file): not a verdict."""


class EntryError(FormatError):
    """An entry's text cannot be read as an entry; ``index`` says which."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"entry {index}: {message}")
        self.index = index
        self.problem = message


@dataclass(frozen=True)
class Page:
    """Raw text of the entries ``[start, start + count)``.

    ``kind`` says how to read ``payload``: ``"lines"`` is newline-separated entries,
    ``"api"`` is an audit-API body ``{"entries": [{"index": i, "entry": {…}}, …]}``.
    """

    start: int
    count: int
    kind: Literal["lines", "api"]
    payload: bytes
    #: The body already parsed, when the reader had to parse it to learn ``count``.
    parsed: Any = field(default=None, repr=False, compare=False)


class LedgerSource(Protocol):
    label: str

    def signed_manifest(self) -> dict[str, Any]: ...

    def sth(self) -> dict[str, Any]: ...

    def pages(self, start: int, end: int) -> Iterator[Page]: ...

    def ledger_key(self) -> str | None: ...

    def consistency_proof(self, first: int, second: int) -> list[bytes] | None: ...

    def inclusion_proof(self, index: int, tree_size: int) -> tuple[bytes, list[bytes]] | None: ...

    def published_results(self) -> dict[str, Any] | None: ...

    def close(self) -> None: ...


def page_entries(page: Page) -> list[Any]:
    """Parse a page into its entries; raise :class:`FormatError` naming the entry index."""
    if page.kind == "lines":
        lines = page.payload.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        if len(lines) != page.count:
            raise EntryError(page.start, f"expected {page.count} lines, found {len(lines)}")
        out = []
        for i, line in enumerate(lines):
            try:
                out.append(parse_json(line, max_bytes=MAX_ENTRY_BYTES, what="the line"))
            except FormatError as exc:
                raise EntryError(page.start + i, str(exc)) from exc
        return out
    body = page.parsed
    if body is None:
        body = parse_json(page.payload, max_bytes=MAX_PAGE_BYTES, what=f"entries page from {page.start}")
    items = body.get("entries") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise EntryError(page.start, "the entries page is not {'entries': [...]}")
    if len(items) < page.count:
        raise EntryError(page.start, f"the page holds {len(items)} entries, not {page.count}")
    items = items[: page.count]
    out = []
    for i, item in enumerate(items):
        want = page.start + i
        if not isinstance(item, dict) or item.get("index") != want or "entry" not in item:
            raise EntryError(want, f"the server sent {str(item)[:80]} where entry {want} belongs")
        out.append(item["entry"])
    return out


# --- export folder ------------------------------------------------------------------------


class ExportSource:
    """An export folder written by ``simsa ledger export``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.label = str(folder)
        for name in (ENTRIES_FILE, STH_FILE, MANIFEST_FILE):
            if not (folder / name).is_file():
                raise SourceError(f"{folder / name} is missing: is {folder} a ledger export?")

    def _json(self, name: str) -> Any:
        path = self.folder / name
        try:
            return parse_json(path.read_bytes(), max_bytes=MAX_ENTRY_BYTES, what=str(path))
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror}") from exc

    def signed_manifest(self) -> dict[str, Any]:
        return dict(self._json(MANIFEST_FILE))

    def sth(self) -> dict[str, Any]:
        return dict(self._json(STH_FILE))

    def ledger_key(self) -> str | None:
        return None

    def pages(self, start: int, end: int) -> Iterator[Page]:
        """Pages of lines ``[start, end)``; the last page is short when the file is.

        Lines beyond ``end`` are reported by :meth:`extra_lines`."""
        with open(self.folder / ENTRIES_FILE, "rb") as f:
            for _ in range(start):
                if not f.readline():
                    return
            pos = start
            while pos < end:
                want = min(LINES_PER_PAGE, end - pos)
                lines = []
                for _ in range(want):
                    line = f.readline()
                    if not line:
                        break
                    lines.append(line.rstrip(b"\n"))
                if not lines:
                    return
                yield Page(pos, len(lines), "lines", b"\n".join(lines))
                pos += len(lines)
                if len(lines) < want:
                    return

    def count_lines(self) -> int:
        n = 0
        with open(self.folder / ENTRIES_FILE, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                n += block.count(b"\n")
            if f.tell() and not _ends_with_newline(f):
                n += 1
        return n

    def consistency_proof(self, first: int, second: int) -> list[bytes] | None:
        return None

    def inclusion_proof(self, index: int, tree_size: int) -> tuple[bytes, list[bytes]] | None:
        return None

    def published_results(self) -> dict[str, Any] | None:
        if not (self.folder / RESULTS_FILE).is_file():
            return None
        return dict(self._json(RESULTS_FILE))

    def close(self) -> None:
        return None


def _ends_with_newline(f: Any) -> bool:
    f.seek(-1, 2)
    return bool(f.read(1) == b"\n")


# --- live server --------------------------------------------------------------------------


class HttpSource:
    """A ledger server's public audit API (no authentication), through :mod:`client`."""

    def __init__(self, url: str, *, session: Any = None, timeout: float = 30.0, retries: int = 4) -> None:
        """``session`` (a :class:`requests.Session` or one that quacks like it) replaces
        the auditor's own; ``retries`` network failures of a read are retried."""
        from client import LedgerClient  # not in the verifier's workers: requests is ~16 MiB

        self.client = LedgerClient.for_auditor(url, timeout=timeout, attempts=retries + 1)
        if session is not None:
            self.client.http = session
        self.base = self.client.base_url
        self.label = self.base

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """The client's errors as :class:`SourceError` (not a verdict on the ledger)."""
        from client import ServerRefused, ServerUnavailable

        try:
            yield
        except ServerUnavailable as exc:
            if exc.status is None:
                raise SourceError(f"cannot reach {exc.url}: {exc.reason}") from exc
            raise SourceError(str(exc)) from exc
        except ServerRefused as exc:
            raise SourceError(f"{exc.method} {exc.url} answered {exc.status}: {exc.detail}") from exc

    def _get(self, path: str, params: dict[str, Any] | None = None, *, missing_ok: bool = False) -> bytes | None:
        """The raw body of ``GET path``; None for a 404 when ``missing_ok``."""
        try:
            with self._reading():
                return bytes(self.client.send("GET", path, params=params, accept="*/*").content)
        except SourceError as exc:
            from client import ServerRefused

            if missing_ok and isinstance(exc.__cause__, ServerRefused) and exc.__cause__.status == 404:
                return None
            raise

    def signed_manifest(self) -> dict[str, Any]:
        with self._reading():
            return self.client.event()

    def sth(self) -> dict[str, Any]:
        with self._reading():
            return self.client.sth()

    def ledger_key(self) -> str | None:
        with self._reading():
            return self.client.ledger_key()

    def fetch_page(self, start: int, end: int) -> Page:
        """One page ``[start, end)`` (at most :data:`PAGE` entries); the server may send fewer."""
        with self._reading():
            body = self.client.entries_page(start, end)
        # The count is known only after parsing; the page's own index fields are checked
        # again when the entries are read.
        try:
            parsed = parse_json(body, max_bytes=MAX_PAGE_BYTES, what="the entries page")
        except FormatError as exc:
            raise EntryError(start, str(exc)) from exc
        items = parsed.get("entries") if isinstance(parsed, dict) else None
        if not isinstance(items, list) or not items:
            raise EntryError(start, f"the server sent no entries from index {start} (asked up to {end})")
        return Page(start, min(len(items), end - start), "api", body, parsed)

    def pages(self, start: int, end: int) -> Iterator[Page]:
        """Pages in order, fetched one ahead on a background thread."""
        q: queue.Queue[Page | BaseException | None] = queue.Queue(maxsize=3)
        stop = threading.Event()

        def fetch() -> None:
            pos = start
            try:
                while pos < end and not stop.is_set():
                    page = self.fetch_page(pos, min(pos + PAGE, end))
                    q.put(page)
                    pos += page.count
                q.put(None)
            except BaseException as exc:  # handed to the consumer, raised there
                q.put(exc)

        t = threading.Thread(target=fetch, name="simsa-fetch", daemon=True)
        t.start()
        try:
            while True:
                item = q.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while t.is_alive():
                with contextlib.suppress(queue.Empty):
                    q.get(timeout=0.1)
            t.join()

    def entry(self, index: int) -> Any:
        page = self.fetch_page(index, index + 1)
        return page_entries(Page(index, 1, "api", page.payload))[0]

    def find_receipt(self, code: str) -> tuple[int, str] | None:
        """``(index, ballot id)`` from the server's receipt lookup, or None when it has no
        answer (not found, ambiguous or no such route): the caller then searches itself."""
        try:
            with self._reading():
                body = self.client.receipt(code)
        except SourceError as exc:
            from client import ServerRefused

            if isinstance(exc.__cause__, ServerRefused):
                return None
            raise
        try:
            return int(body["index"]), str(body["id"])
        except (KeyError, TypeError, ValueError):
            return None

    def consistency_proof(self, first: int, second: int) -> list[bytes] | None:
        with self._reading():
            return self.client.consistency(first, second)

    def inclusion_proof(self, index: int, tree_size: int) -> tuple[bytes, list[bytes]] | None:
        with self._reading():
            return self.client.inclusion(index, tree_size)

    def published_results(self) -> dict[str, Any] | None:
        with self._reading():
            return self.client.results()

    def close(self) -> None:
        self.client.http.close()


def open_source(where: str) -> LedgerSource:
    """An :class:`HttpSource` for ``http(s)://…``, else an :class:`ExportSource` folder."""
    if where.startswith(("http://", "https://")):
        return HttpSource(where)
    path = Path(where)
    if not path.is_dir():
        raise SourceError(f"{where} is neither an http(s) URL nor an export folder")
    return ExportSource(path)
