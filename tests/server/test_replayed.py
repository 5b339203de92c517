"""The server's live replay (merge, conflicts, results) catches up in the background."""

from __future__ import annotations

from server.services.replayed import ReplayedLedger
from tests.server.conftest import Harness
from tests.server.kit import Ballots, Kiosk


def test_the_background_replay_reaches_the_ledger_head(srv: Harness, ballots: Ballots) -> None:
    k = Kiosk("k1")
    srv.enrol(k)
    for rep in ballots.reps()[:3]:
        k.add(ballots.rubric(rep, kiosk="k1"))
    assert srv.sync(k).status_code == 200
    size = srv.sth()["tree_size"]
    fresh = ReplayedLedger(srv.ctx.ledger)  # as after a restart: nothing replayed yet
    fresh.warm(srv.ctx.db).join(timeout=60)
    with srv.ctx.db.read() as conn:
        live = srv.ctx.replayed.state(conn)
    state = fresh._replay.state
    assert state.size == size
    assert [a.id for a in state.accepted] == [a.id for a in live.accepted] and len(state.accepted) == 3
    assert {kid: (c.seq, c.hash) for kid, c in state.kiosks.items()} == {"k1": (3, k.head[1])}


def test_a_view_that_began_before_the_replay_moved_on_gets_the_newer_state(srv: Harness, ballots: Ballots) -> None:
    """Conflicts, the overview and the reviewer lookup all read the replay: a request whose
    read began before another request advanced the replay past it gets the newer state, not
    an error."""
    k = Kiosk("k1")
    srv.enrol(k)
    k.add(ballots.rubric(ballots.reps()[0], kiosk="k1"))
    assert srv.sync(k).status_code == 200
    with srv.ctx.db.read() as early:
        before, _ = srv.ctx.ledger.head(early)  # this read's snapshot is taken here
        k.add(ballots.rubric(ballots.reps()[1], kiosk="k1"))
        assert srv.sync(k).status_code == 200
        with srv.ctx.db.read() as late:
            moved = srv.ctx.replayed.state(late).size
        assert moved > before
        assert srv.ctx.replayed.state(early).size == moved
