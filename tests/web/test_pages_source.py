"""The dashboard's text and assets without a browser: every text key in Korean and
English with the same placeholders, every key the templates and code use exists, nothing
loaded from another site (an offline venue LAN), nothing the page's CSP would block."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from server.web import i18n
from server.web.i18n import TEXT
from shared.ledger import ENTRY_TYPES
from shared.manifest import POLICIES, ROLES

WEB = Path(__file__).resolve().parents[2] / "server" / "web"
TEMPLATES = sorted((WEB / "templates").glob("*.html"))
CODE = [*sorted(WEB.glob("*.py")), WEB.parent / "services" / "dashboard.py"]
STATIC = sorted((WEB / "static").iterdir())


def fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f}


def test_both_languages_same_placeholders() -> None:
    bad = [k for k, (ko, en) in TEXT.items() if not ko.strip() or not en.strip() or fields(ko) != fields(en)]
    assert bad == []


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in TEMPLATES:
        keys |= set(re.findall(r"\bt\('([a-z0-9_.\-]+)'", path.read_text()))
    for path in CODE:
        text = path.read_text()
        keys |= set(re.findall(r'"key": "([a-z0-9_.\-]+)"', text))
        keys |= set(re.findall(r'\b(?:text|t|redirect|flash)\([^)]*?"((?:[a-z]+\.)[a-z0-9_.\-]+)"', text))
    return keys


def test_every_used_key_exists() -> None:
    used = used_keys()
    assert len(used) > 150
    assert sorted(k for k in used if k not in TEXT and not k.endswith(".")) == []  # "x." ~ var: below
    dynamic = (
        [f"nav.{k}" for k in ("overview", "kiosks", "conflicts", "rejections", "reviewers", "close", "verify",
                              "ledger", "results")]
        + [f"k.status.{s}" for s in ("pending", "approved", "closed", "accepted", "duplicate", "rejected")]
        + [f"channel.{c}" for c in ("kiosk", "online")] + [f"v.role.{r}" for r in ROLES]
        + [f"c.policy.{p}" for p in POLICIES] + [f"entry.{e}" for e in ENTRY_TYPES]
        + [f"res.selected_by.{s}" for s in ("kiosk", "online", "mix")]
    )
    assert [k for k in dynamic if k not in TEXT] == []


def test_text_falls_back_and_formats() -> None:
    assert i18n.text("en", "k.missing.range", first=4, last=6) == "seq 4–6"
    assert i18n.text("ko", "k.missing.range", first=4, last=6) == "순번 4–6"
    assert i18n.text("ko", "no.such.key") == "no.such.key"
    assert i18n.code_text("chain_gap", "ko") == "키오스크 기록에 빈 곳이 있습니다"
    assert i18n.code_text("kiosk_closed", "en") == "The kiosk is closed"
    assert i18n.norm_lang("en") == "en" and i18n.norm_lang("fr") is None


@pytest.mark.parametrize("path", TEMPLATES + STATIC, ids=lambda p: p.name)
def test_everything_local_and_csp_clean(path: Path) -> None:
    text = path.read_text()
    urls = [u for u in re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text) if u != "http://www.w3.org"]
    assert urls == []
    if path.suffix == ".html":
        assert not re.search(r"\sstyle=", text), "inline style attributes are blocked by the page's CSP"
        assert not re.search(r"\son[a-z]+=", text), "inline event handlers are blocked by the page's CSP"
        assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))", text), "inline script"
