"""Where a ledger is read from: a live server's audit API or an export folder.

Both give the signed manifest, the latest STH and the entries in index order as *pages*
of raw JSON text, so the text is parsed once per process and never held twice. A server
also answers proofs and publishes results; an export folder answers from its files.

- :class:`HttpSource` — one ``requests.Session`` with retries and a timeout on every call;
  pages of at most 1000 entries (``GET /api/v1/ledger/entries``), fetched one ahead on a
  background thread so the network overlaps the checking.
- :class:`ExportSource` — ``DIR/entries.jsonl`` (one entry per line, index order),
  ``DIR/sth.json`` and ``DIR/manifest.json`` (and ``DIR/results.json`` when the server had
  published results), as ``simsa ledger export`` writes them.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from shared.encoding import b64u_decode, parse_json
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
    """A ledger server's public audit API (no authentication)."""

    def __init__(self, url: str, *, session: Any = None, timeout: float = 30.0, retries: int = 4) -> None:
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.base = url.rstrip("/")
        self.label = self.base
        self.timeout = timeout
        if session is None:
            session = requests.Session()
            retry = Retry(
                total=retries,
                connect=retries,
                read=retries,
                backoff_factor=0.3,
                status_forcelist=(429, 500, 502, 503, 504),
                allowed_methods=("GET",),
                respect_retry_after_header=True,
            )
            adapter = HTTPAdapter(max_retries=retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["Accept"] = "application/json"
            session.headers["User-Agent"] = "simsa-verify"
        self.session = session

    def _get(self, path: str, params: dict[str, Any] | None = None, *, missing_ok: bool = False) -> bytes | None:
        import requests

        url = self.base + path
        try:
            r = self.session.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            from kiosk.api import network_reason

            raise SourceError(f"cannot reach {url}: {network_reason(exc)}") from exc
        if r.status_code == 404 and missing_ok:
            return None
        if r.status_code != 200:
            detail = ""
            if r.headers.get("content-type", "").startswith("application/problem+json"):
                try:
                    detail = ": " + str(json.loads(r.content).get("detail", ""))
                except ValueError:
                    detail = ""
            raise SourceError(f"GET {r.url} answered {r.status_code}{detail}")
        return bytes(r.content)

    def _json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        body = self._get(path, params)
        assert body is not None
        return parse_json(body, max_bytes=MAX_ENTRY_BYTES, what=f"GET {path}")

    def signed_manifest(self) -> dict[str, Any]:
        return dict(self._json("/api/v1/event"))

    def sth(self) -> dict[str, Any]:
        return dict(self._json("/api/v1/ledger/sth"))

    def ledger_key(self) -> str | None:
        body = self._json("/api/v1/ledger/key")
        key = body.get("public_key") if isinstance(body, dict) else None
        if not isinstance(key, str):
            raise FormatError("GET /api/v1/ledger/key did not give {'public_key': …}")
        return key

    def fetch_page(self, start: int, end: int) -> Page:
        """One page ``[start, end)`` (at most :data:`PAGE` entries); the server may send fewer."""
        body = self._get("/api/v1/ledger/entries", {"start": start, "end": end})
        assert body is not None
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
        import requests

        try:
            r = self.session.get(f"{self.base}/api/v1/receipts/{code.strip()}", timeout=self.timeout)
        except requests.RequestException as exc:
            from kiosk.api import network_reason

            raise SourceError(f"cannot reach {self.base}: {network_reason(exc)}") from exc
        if r.status_code != 200:
            return None
        try:
            body = parse_json(r.content, max_bytes=MAX_ENTRY_BYTES, what="GET /api/v1/receipts")
            return int(body["index"]), str(body["id"])
        except (FormatError, KeyError, TypeError, ValueError):
            return None

    def consistency_proof(self, first: int, second: int) -> list[bytes] | None:
        body = self._json("/api/v1/ledger/proof/consistency", {"first": first, "second": second})
        nodes = body.get("consistency") if isinstance(body, dict) else None
        if not isinstance(nodes, list):
            raise FormatError("the consistency proof is not {'consistency': [...]}")
        return [b64u_decode(n, length=32, what="consistency proof node") for n in nodes]

    def inclusion_proof(self, index: int, tree_size: int) -> tuple[bytes, list[bytes]] | None:
        body = self._json("/api/v1/ledger/proof/inclusion", {"index": index, "tree_size": tree_size})
        if not isinstance(body, dict) or body.get("index") != index or body.get("tree_size") != tree_size:
            raise FormatError(f"the inclusion proof for entry {index} names another index or tree size")
        path = body.get("audit_path")
        if not isinstance(path, list):
            raise FormatError(f"the inclusion proof for entry {index} has no audit_path list")
        leaf = b64u_decode(body.get("leaf_hash", ""), length=32, what="leaf_hash")
        return leaf, [b64u_decode(n, length=32, what="audit path node") for n in path]

    def published_results(self) -> dict[str, Any] | None:
        body = self._get("/api/v1/results", missing_ok=True)
        if body is None:
            return None
        return dict(parse_json(body, max_bytes=MAX_PAGE_BYTES, what="GET /api/v1/results"))

    def close(self) -> None:
        self.session.close()


def open_source(where: str) -> LedgerSource:
    """An :class:`HttpSource` for ``http(s)://…``, else an :class:`ExportSource` folder."""
    if where.startswith(("http://", "https://")):
        return HttpSource(where)
    path = Path(where)
    if not path.is_dir():
        raise SourceError(f"{where} is neither an http(s) URL nor an export folder")
    return ExportSource(path)
