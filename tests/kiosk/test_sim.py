"""The one headless simulator's reviewer loop (kiosk/sim.py ``cast``) with no server: turns
at the kiosks, budgets, and a reviewer whose list is done scoring again (a re-score)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from kiosk.sim import cast, channel_reviewers, open_station
from shared.manifest import verify_signed_manifest
from tests.support.events import EventFiles

NOWHERE = "http://127.0.0.1:9"  # never called: nothing here syncs


def test_reviewers_take_turns_and_score_again_once_their_list_is_done(
    mini_event: EventFiles, tmp_path: Path
) -> None:
    signed = json.loads(mini_event.manifest_path.read_text(encoding="utf-8"))
    m = verify_signed_manifest(signed)
    people = channel_reviewers(m, "kiosk", mini_event.credentials, mini_event.pins)[:2]
    stations = [open_station(tmp_path / f"k{i}" / "kiosk.sqlite", signed, NOWHERE, kiosk_id=f"k{i}") for i in (1, 2)]
    total = sum(len(m.assignments[p.id]) for p in people)
    timed: list[float] = []
    unlocks: list[float] = []
    seen: list[int] = []
    visits = cast(people, [s.session for s in stations], total + 3, random.Random(1), timed,
                  unlocks=unlocks, progress=seen.append)
    assert sum(v.saved for v in visits) == total + 3 == len(timed) == sum(seen)
    assert [(v.reviewer.id, v.station) for v in visits[:2]] == [(people[0].id, 0), (people[1].id, 1)]
    assert len(unlocks) == len(visits)
    assert sum(s.store.head()[0] for s in stations) == total + 3  # 3 re-scores on the same kiosks


def test_per_visit_budget_and_nobody_to_vote(mini_event: EventFiles, tmp_path: Path) -> None:
    signed = json.loads(mini_event.manifest_path.read_text(encoding="utf-8"))
    m = verify_signed_manifest(signed)
    people = channel_reviewers(m, "kiosk", mini_event.credentials, mini_event.pins)[:3]
    st = open_station(tmp_path / "k" / "kiosk.sqlite", signed, NOWHERE, kiosk_id="k")
    visits = cast(people, [st.session], 3, random.Random(2), [], per_visit=1)
    assert [(v.reviewer.id, v.saved) for v in visits] == [(p.id, 1) for p in people]
    with pytest.raises(ValueError, match="no reviewer"):
        cast([], [st.session], 1, random.Random(3), [])
