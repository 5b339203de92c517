"""How a verdict reads: a progress bar while reading, then a summary in Korean and English,
or the same as JSON for scripts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape

from .accounting import accounting_lines, late_records, overrides
from .receipt import ReceiptCheck
from .verdict import Verdict

OK, BAD, NOTE = "[green]✓[/green]", "[bold red]✗[/bold red]", "[yellow]![/yellow]"


@contextmanager
def entry_progress(
    console: Console, label: str
) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    """A progress bar over ledger entries: yields ``(start(total), advance(n))``."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def start(total: int) -> None:
            bar.update(task, total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)

        yield start, advance


def _kiosk_lines(v: Verdict) -> list[str]:
    st = v.state
    if st is None or not st.kiosks:
        return []
    closed = sum(1 for k in st.kiosks.values() if k.closure is not None)
    records = sum(k.seq for k in st.kiosks.values())
    lines = [
        f"kiosks 키오스크: {len(st.kiosks):,} enrolled, {closed:,} closed; {records:,} chain records "
        f"(every chain complete from seq 1)"
    ]
    if len(st.kiosks) <= 12:
        for kid, k in sorted(st.kiosks.items()):
            closure = (k.closure or {}).get("closure") if k.closure else None
            if closure:
                c = closure["counts"]
                end = (
                    f"closed at seq {closure['seq']} (kiosk counted {c['ballots_saved']} saved, "
                    f"{c['credentials_opened']} cards opened)"
                )
            elif k.closure is not None:
                end = "closed by staff without the kiosk's closure"
            else:
                end = "open"
            lines.append(f"  {kid}: {k.seq} records, {k.accepted} accepted, {k.rejected} rejected — {end}")
    return lines


def _ballot_lines(v: Verdict) -> list[str]:
    st = v.state
    if st is None or st.manifest is None:
        return []
    merged = v.merged or st.merged()
    resolved = sum(1 for c in merged.conflicts if c.resolved)
    codes: dict[str, int] = {}
    for _, code, _, _ in st.rejected:
        codes[code] = codes.get(code, 0) + 1
    rej = ", ".join(f"{n} {c}" for c, n in sorted(codes.items())) or "none"
    lines = [
        f"ballots 투표: {len(st.accepted):,} accepted, {len(merged.effective):,} effective; rejected: {rej}",
        f"conflicts 중복: {len(merged.conflicts):,} ({resolved:,} decided by staff resolutions)",
    ]
    if st.revoked:
        lines.append(f"revoked credentials 취소된 자격증명: {len(st.revoked):,}")
    return lines


def print_verdict(out: Console, v: Verdict) -> None:
    m = v.manifest
    title = f"{m.event} — {m.title_ko} / {m.title_en}" if m else "(no valid manifest)"
    out.print(f"[bold]simsa verify[/bold] · {escape(title)}")
    out.print(f"source 출처: {escape(v.source)}")
    for line in v.passed:
        out.print(f"  {OK} {escape(line)}")
    for line in v.notes:
        out.print(f"  {NOTE} {escape(line)}")
    for p in v.problems:
        out.print(f"  {BAD} [red]{escape(str(p))}[/red]")
    if v.state is not None and v.state.manifest is not None and v.entries:
        for line in _kiosk_lines(v) + _ballot_lines(v) + accounting_lines(v.state):
            out.print(f"  {escape(line)}")
    if v.results is not None and v.results["selected"]:
        sel = v.results["selected"]
        shown = " ".join(sel[:20]) + (f" … (+{len(sel) - 20})" if len(sel) > 20 else "")
        label = "selected 선정" if v.state and v.state.close else "provisionally selected 잠정 선정"
        out.print(f"  {label}: {len(sel)} — {escape(shown)}")
    rate = v.entries / v.seconds if v.seconds > 0 else 0.0
    timing = f"{v.entries:,} entries in {v.seconds:.1f} s ({rate:,.0f}/s, {v.workers} workers)"
    if v.ok:
        out.print(f"[bold green]VALID · 검증 통과[/bold green] — every check holds; {timing}")
    else:
        n = len(v.problems)
        out.print(
            f"[bold red]INVALID · 검증 실패[/bold red] — {n} problem{'s' if n > 1 else ''}; {timing}"
        )


def verdict_json(v: Verdict) -> dict[str, Any]:
    return {
        "ok": v.ok,
        "source": v.source,
        "event": v.manifest.event if v.manifest else None,
        "tree_size": v.head.tree_size if v.head else None,
        "entries_checked": v.entries,
        "problems": [{"index": p.index, "what": p.what} for p in v.problems],
        "passed": v.passed,
        "notes": v.notes,
        "types": dict(v.types),
        "signatures": v.signatures,
        "workers": v.workers,
        "seconds": round(v.seconds, 3),
        "selected": v.results["selected"] if v.results else None,
        "published_results_match": v.published_match,
        "remembered_heads": v.remembered,
        "late_records": late_records(v.state) if v.state is not None else [],
        "overrides": overrides(v.state) if v.state is not None else [],
    }


def print_receipt(out: Console, rc: ReceiptCheck) -> None:
    out.print(f"[bold]simsa verify --receipt[/bold] {escape(rc.receipt)}")
    for line in rc.passed:
        out.print(f"  {OK} {escape(line)}")
    for p in rc.problems:
        out.print(f"  {BAD} [red]{escape(str(p))}[/red]")
    if rc.entry is not None:
        b = rc.entry["signed_ballot"]["ballot"]
        target = b.get("proposal") or b.get("group")
        via = f"kiosk {rc.entry['kiosk']} seq {rc.entry['seq']}" if rc.entry.get("kiosk") else "online"
        out.print(
            f"  ballot {escape(str(rc.ballot_id))}: {b['reviewer']} · {b['form']} on {target} · {via} · "
            f"created {b['created_at']}, received {rc.entry['received_at']}"
        )
    if rc.ok:
        out.print(f"[bold green]FOUND · 확인됨[/bold green] — receipt is entry {rc.index} of the signed ledger")
    else:
        out.print("[bold red]NOT CONFIRMED · 확인 실패[/bold red]")


def receipt_json(rc: ReceiptCheck) -> dict[str, Any]:
    return {
        "ok": rc.ok,
        "receipt": rc.receipt,
        "index": rc.index,
        "ballot_id": rc.ballot_id,
        "tree_size": rc.head.tree_size if rc.head else None,
        "problems": [{"index": p.index, "what": p.what} for p in rc.problems],
        "passed": rc.passed,
    }
