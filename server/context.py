"""Everything a request needs, made once at start-up: settings, event, database, ledger.

``Context.open`` migrates the database, writes entry 0 (the signed manifest) on a new
ledger or checks it on an existing one, and checks the stored tree against its head.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select

from shared.encoding import jcs
from shared.ledger import manifest_entry
from shared.manifest import Manifest

from .db import migrate
from .db.engine import Database
from .db.schema import ledger_entries
from .ledger.store import Clock, Ledger, utc_now
from .services.precheck import Prechecker
from .services.replayed import ReplayedLedger
from .services.sequencer import Sequencer
from .settings import ConfigError, Event, Settings

if TYPE_CHECKING:
    from .guards import Guards
    from .ledger.tlog import Tlog
    from .services.channels import SourceWatch
    from .services.reconcile import Counted
    from .services.refusals import RefusalTally
    from .services.views import Results
    from .witnessing import Pusher


@dataclass
class Context:
    settings: Settings
    event: Event
    db: Database
    ledger: Ledger
    prechecker: Prechecker
    replayed: ReplayedLedger
    clock: Clock = utc_now
    # Made on first use by the module named, and kept for the server's life:
    guards: Guards | None = None  # server.guards: per-address and per-reviewer limits
    tlog: Tlog | None = None  # server.api.tlog: the tiled log over the ledger
    pusher: Pusher | None = None  # server.witnessing: sends checkpoints to the witnesses
    source_watch: SourceWatch | None = None  # services.channels: where each reviewer's ballots came from
    refusal_tally: RefusalTally | None = None  # services.refusals: this minute's counted refusals
    # Computed once per ledger size (the ledger only grows): (size, value).
    ledger_types: tuple[int, dict[str, int]] = (0, {})  # services.reconcile
    counted: tuple[int, Counted] | None = None  # services.reconcile
    provisional: tuple[int, Results] | None = None  # services.dashboard
    published: Results | None = None  # services.dashboard: the closed ledger never changes
    sequencer: Sequencer = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.sequencer = Sequencer(self.ledger, max_queue=s.sequencer_queue, max_group=s.group_entries,
                                   linger_s=s.group_linger_ms / 1000)

    @property
    def manifest(self) -> Manifest:
        return self.event.manifest

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock = utc_now) -> Context:
        event = settings.load_event()
        db = Database(settings.database_url)
        try:
            migrate.upgrade(db)
            ledger = Ledger(db, event.id, event.ledger_key, clock)
            init_ledger(ledger, event)
        except BaseException:
            db.dispose()
            raise
        pre = Prechecker(event.manifest, event.signed_manifest, settings.verify_workers, settings.pool_threshold)
        return cls(settings, event, db, ledger, pre, ReplayedLedger(ledger), clock)

    def close(self) -> None:
        self.sequencer.close()
        self.prechecker.close()
        self.db.dispose()


def init_ledger(ledger: Ledger, event: Event) -> None:
    """Entry 0 is the signed manifest: write it on an empty ledger, else check it is ours."""
    with ledger.appending() as app:
        if app.size == 0:
            app.append(manifest_entry(event.signed_manifest, app.received_at()))
            return
        app.check()
        row = app.conn.execute(select(ledger_entries.c.data).where(ledger_entries.c.idx == 0)).one()
        held = json.loads(row.data).get("signed_manifest")
        if jcs(held) != jcs(event.signed_manifest):
            other = (held or {}).get("manifest", {}).get("event")
            raise ConfigError(
                f"the database's ledger was started with another manifest (event {other!r}); "
                f"use a fresh --db for event {event.id!r}"
            )
